"""Monitoring speed: feed-to-store latency, sustained articles per minute, memory over a soak.

A separate server process plays the outlets on 127.0.0.1-127.0.0.4 (four "hosts"), serving RSS feeds and
real saved Russian pages from ../shared/data (each article made unique: its own canonical URL and title).
The monitor runs in this process exactly as `dragoman watch` does (Fetcher, Monitor, StoryIndex, AlertEngine).

    .venv/bin/python bench/monitor_speed.py latency [--items 12] [--poll 1.0]
    .venv/bin/python bench/monitor_speed.py replay [--items 10000]
    .venv/bin/python bench/monitor_speed.py soak [--seconds 600] [--max-requests 20000] [--no-new-articles]
    .venv/bin/python bench/monitor_speed.py soak --seconds 150 --tracemalloc   # what grows after warm-up
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing as mp
import os
import random
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
HOSTS = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]


def templates() -> list[tuple[bytes, bytes, bytes]]:
    """(page, its canonical URL, its title) for real saved pages of several outlets."""
    from dragoman.article import RawPage
    from dragoman.pipeline.ingest import extract_page

    pages = [
        gzip.decompress((DATA / "html_ru/fundus/ru/Kommersant_2025_05_14.html.gz").read_bytes()),
        (DATA / "tgcontest_ru/test/data/example1.html").read_bytes(),
        (DATA / "html_ru/htmldate_eval/pages/1647262025.html").read_bytes(),
        (DATA / "html_ru/htmldate_eval/pages/1719330438.html").read_bytes(),
        (DATA / "html_ru/htmldate_eval/pages/1742998174.html").read_bytes(),
        (DATA / "html_ru/htmldate_eval/pages/1810559448.html").read_bytes(),
    ]
    out = []
    for body in pages:
        article = extract_page(RawPage(url="http://x/", body=body, content_type="text/html; charset=utf-8"))
        out.append((body, (article.canonical_url or "").encode(), article.title.encode()))
    return out


# -- the outlets (server process) ---------------------------------------------------------------------


def serve(port_out: Any, feeds: int, items: int, mode: str, stop: Any) -> None:
    """Feeds /feed/<f>.xml and pages /a/<n>; POST /publish adds one item to feed 0 (latency mode)."""
    pages = templates()
    lock = threading.Lock()
    published: list[tuple[int, float]] = []  # (item number, unix time it appeared) for latency and soak
    counter = {"requests": 0}
    per_feed = max(1, items // feeds) if mode == "replay" else 0

    def feed_items(feed: int) -> list[int]:
        if mode == "replay":
            return list(range(feed * per_feed, (feed + 1) * per_feed))
        with lock:
            return [n for n, _ in published[-50:] if n % feeds == feed]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            with lock:
                number = len(published)
                published.append((number, time.time()))
            self._send(200, f"{number} {published[-1][1]!r}".encode(), "text/plain")

        def do_GET(self) -> None:
            with lock:
                counter["requests"] += 1
            host = self.headers.get("Host", "127.0.0.1").split(":")[0]
            if self.path == "/robots.txt":
                self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            elif self.path == "/stats":
                self._send(200, str(counter["requests"]).encode(), "text/plain")
            elif self.path.startswith("/feed/"):
                feed = int(self.path.split("/")[2].split(".")[0])
                entries = "".join(
                    f"<item><title>n{n}</title><link>{escape(f'http://{HOSTS[n % len(HOSTS)]}:{port}/a/{n}')}"
                    "</link></item>"
                    for n in feed_items(feed)
                )
                body = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>{entries}</channel></rss>'
                self._send(200, body.encode(), "application/rss+xml")
            elif self.path.startswith("/a/"):
                n = int(self.path.split("/")[2])
                page, canonical, title = pages[n % len(pages)]
                body = page.replace(canonical, f"https://bench.example/{host}/a/{n}".encode()).replace(
                    title, title + f" (выпуск {n})".encode()
                )
                self._send(200, body)
            else:
                self._send(404, b"")

    servers = []
    port = 0
    for address in HOSTS:
        httpd = ThreadingHTTPServer((address, port), Handler)
        httpd.daemon_threads = True
        port = httpd.server_address[1]  # the same port on every loopback address
        servers.append(httpd)
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    port_out.put(port)
    stop.wait()
    for httpd in servers:
        httpd.shutdown()


def start_server(feeds: int, items: int, mode: str) -> tuple[Any, Any, int]:
    queue: Any = mp.Queue()
    stop = mp.Event()
    process = mp.Process(target=serve, args=(queue, feeds, items, mode, stop), daemon=True)
    process.start()
    return process, stop, int(queue.get(timeout=60))


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def make_monitor(db: Path, feeds: int, port: int, **config: Any) -> Any:
    from dragoman.acquire.alerts import AlertEngine, add_watch
    from dragoman.acquire.dedupe import StoryIndex
    from dragoman.acquire.sources import FeedSource
    from dragoman.pipeline.watch import Monitor, MonitorConfig
    from dragoman.settings import Settings
    from dragoman.store import SQLiteStore

    settings = Settings(db=str(db), allow_private=True, host_delay=0.0)
    store = SQLiteStore(db)
    add_watch(store, "term", "экстрадиция")  # alerts are part of the work measured
    monitor = Monitor(
        store, settings, config=MonitorConfig(**config), hooks=[StoryIndex(store), AlertEngine(store, [])]
    )
    urls = monitor.add_feeds(
        [FeedSource(f"http://{HOSTS[f % len(HOSTS)]}:{port}/feed/{f}.xml", "rss") for f in range(feeds)]
    )
    return monitor, urls, store, settings


# -- measurements -------------------------------------------------------------------------------------


def replay(items: int) -> None:
    feeds = 20
    process, stop, port = start_server(feeds, items, "replay")
    with tempfile.TemporaryDirectory() as tmp:
        monitor, urls, store, _ = make_monitor(
            Path(tmp) / "replay.db", feeds, port, min_interval=3600.0, concurrency=4, batch_size=500
        )
        samples: list[tuple[float, int, int]] = []
        done = threading.Event()

        def sample() -> None:
            while not done.wait(5.0):
                samples.append((time.perf_counter(), store.count(), rss_kib()))

        threading.Thread(target=sample, daemon=True).start()
        start_rss = rss_kib()
        started = time.perf_counter()
        report = monitor.run_once(urls)
        elapsed = time.perf_counter() - started
        done.set()
        stories = store.connection.execute("SELECT count(*) FROM stories").fetchone()[0]
        monitor.close()
        store.close()
    stop.set()
    process.join(10)
    stored = report.items.stored
    print(f"replay: {items} feed items on 4 hosts (20 feeds), concurrency 4, host delay 0, cpu count {os.cpu_count()}")
    print(
        f"  stored {stored} articles ({stories} stories), failed {report.items.total_failed}, "
        f"skipped {report.items.total_skipped} in {elapsed:.1f}s = {stored / elapsed * 60:.0f} articles/min"
    )
    if len(samples) >= 4:
        # Sustained: the rate between the first and last sample, ignoring start-up and the final drain.
        (t0, n0, _), (t1, n1, _) = samples[0], samples[-1]
        print(f"  sustained between samples: {(n1 - n0) / (t1 - t0) * 60:.0f} articles/min")
    print(
        f"  RSS: start {start_rss / 1024:.0f} MiB, max {max(s[2] for s in samples) / 1024:.0f} MiB, "
        f"end {samples[-1][2] / 1024 if samples else 0:.0f} MiB"
    )


def latency(count: int, poll: float, render: bool) -> None:
    import httpx

    process, stop, port = start_server(1, 0, "latency")
    with tempfile.TemporaryDirectory() as tmp:
        monitor, urls, store, settings = make_monitor(
            Path(tmp) / "latency.db", 1, port, min_interval=poll, max_interval=poll, backoff_factor=1.0
        )
        rendered_at: dict[str, float] = {}
        if render:
            settings = tiny_model_settings(settings, Path(tmp))
            monitor.intake.hooks.append(render_hook(store, settings, rendered_at))
        runner = threading.Thread(target=monitor.run_forever, args=(urls,), kwargs={"max_sleep": poll}, daemon=True)
        runner.start()
        reader = __import__("sqlite3").connect(Path(tmp) / "latency.db")
        stored_lat, rendered_lat = [], []
        for _ in range(count):
            time.sleep(random.uniform(0.5, 1.5) * poll)
            number, at = httpx.post(f"http://127.0.0.1:{port}/publish").text.split()
            published = float(at)
            key = f"https://bench.example/{HOSTS[int(number) % len(HOSTS)]}/a/{number}"
            deadline = time.time() + 60
            while time.time() < deadline:
                row = reader.execute("SELECT 1 FROM articles WHERE key_url = ?", (key,)).fetchone()
                if row:
                    stored_lat.append(time.time() - published)
                    break
                time.sleep(0.005)
            if render:
                while key not in rendered_at and time.time() < deadline:
                    time.sleep(0.005)
                if key in rendered_at:
                    rendered_lat.append(rendered_at[key] - published)
        monitor.stop_event.set()
        runner.join(30)
        reader.close()
        monitor.close()
        store.close()
    stop.set()
    process.join(10)
    print(f"latency: {count} items published one by one, feed polled every {poll:g}s, host delay 0")
    print(
        f"  feed item -> stored article: median {statistics.median(stored_lat):.2f}s, "
        f"max {max(stored_lat):.2f}s (n={len(stored_lat)})"
    )
    if rendered_lat:
        print(
            f"  feed item -> translated + rendered document (tiny test model): median "
            f"{statistics.median(rendered_lat):.2f}s, max {max(rendered_lat):.2f}s (n={len(rendered_lat)})"
        )


def tiny_model_settings(settings: Any, tmp: Path) -> Any:
    """Install the translate stage's tiny random-weight model (built here, as its tests do)."""
    from dataclasses import replace

    from dragoman.translate.models import install_model
    from dragoman.translate.random_model import build_random_marian_model, russian_sentences, train_sentencepiece

    sentences = russian_sentences([DATA / "wmt_ru_en" / "newstest2019.ru-en.ru"], limit=3000)
    spm = train_sentencepiece(sentences, tmp / "spm", vocab_size=800)
    model = build_random_marian_model(tmp / "tiny-opus", spm, seed=1)
    settings = replace(settings, models_dir=tmp / "models", device="cpu")
    install_model(settings, model, name="tiny-opus", validate=False)
    return settings


def render_hook(store: Any, settings: Any, rendered_at: dict[str, float]) -> Any:
    from dragoman.formats.document import render_text
    from dragoman.pipeline.translate import translate_store

    def hook(article_id: int, article: Any, result: Any) -> None:
        translate_store(store, settings, model="tiny-opus", only_missing=True)
        text = render_text(store.get(article_id).article)
        if text:
            rendered_at[article.key_url] = time.time()

    return hook


def soak(seconds: float, max_requests: int, new_articles: bool = True, trace: bool = False) -> None:
    """Poll 8 feeds as fast as the config allows while items trickle in; RSS sampled every 10 s.

    ``trace``: tracemalloc snapshots after a 30-s warm-up and at the end; the biggest growth by line is printed.
    """
    import httpx

    if trace:
        import tracemalloc

        tracemalloc.start(8)
    warm_snapshot = None

    feeds = 8
    process, stop, port = start_server(feeds, 0, "soak")
    with tempfile.TemporaryDirectory() as tmp:
        monitor, urls, store, _ = make_monitor(
            Path(tmp) / "soak.db", feeds, port, min_interval=0.5, max_interval=0.5, backoff_factor=1.0
        )
        runner = threading.Thread(target=monitor.run_forever, args=(urls,), kwargs={"max_sleep": 0.5}, daemon=True)
        started = time.perf_counter()
        runner.start()
        samples = []
        requests = 0
        while time.perf_counter() - started < seconds and requests < max_requests:
            if new_articles or not samples:  # without new articles: one at the start, then polls only
                httpx.post(f"http://127.0.0.1:{port}/publish")
            time.sleep(1.0)
            if not samples or time.perf_counter() - samples[-1][0] >= 10:
                requests = int(httpx.get(f"http://127.0.0.1:{port}/stats").text)
                samples.append((time.perf_counter(), rss_kib(), requests, store.count()))
            if trace and warm_snapshot is None and time.perf_counter() - started >= 30:
                warm_snapshot = (tracemalloc.take_snapshot(), store.count())
        end_snapshot = (tracemalloc.take_snapshot(), store.count()) if trace else None
        monitor.stop_event.set()
        runner.join(30)
        monitor.close()
        store.close()
    stop.set()
    process.join(10)
    print(f"soak: {samples[-1][0] - started:.0f}s, {samples[-1][2]} requests served, {samples[-1][3]} articles stored")
    third = max(1, len(samples) // 3)
    early = statistics.mean(s[1] for s in samples[1 : third + 1]) / 1024
    late = statistics.mean(s[1] for s in samples[-third:]) / 1024
    print(
        f"  RSS MiB: first {samples[0][1] / 1024:.0f}, mean of first third {early:.0f}, mean of last third "
        f"{late:.0f}, max {max(s[1] for s in samples) / 1024:.0f} (samples every 10 s: "
        f"{[round(s[1] / 1024) for s in samples]})"
    )
    if warm_snapshot is not None and end_snapshot is not None:
        articles = max(1, end_snapshot[1] - warm_snapshot[1])
        stats = end_snapshot[0].compare_to(warm_snapshot[0], "traceback")
        total = sum(stat.size_diff for stat in stats)
        print(f"  tracemalloc after warm-up: {total / 1024:+.0f} KiB over {articles} new articles")
        for stat in stats[:12]:
            print(f"    {stat.size_diff / 1024:+8.1f} KiB  {stat.count_diff:+6d} blocks")
            for frame in stat.traceback.format()[-6:]:
                print(f"        {frame.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("replay")
    p.add_argument("--items", type=int, default=10_000)
    p = sub.add_parser("latency")
    p.add_argument("--items", type=int, default=12)
    p.add_argument("--poll", type=float, default=1.0)
    p.add_argument("--no-render", action="store_true")
    p = sub.add_parser("soak")
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--max-requests", type=int, default=20_000)
    p.add_argument("--no-new-articles", action="store_true", help="feeds never change: polls only")
    p.add_argument("--tracemalloc", action="store_true", help="print the Python allocations that grew after warm-up")
    args = parser.parse_args()
    if args.what == "replay":
        replay(args.items)
    elif args.what == "latency":
        latency(args.items, args.poll, not args.no_render)
    else:
        soak(args.seconds, args.max_requests, not args.no_new_articles, args.tracemalloc)


if __name__ == "__main__":
    main()
