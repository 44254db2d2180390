"""Issue 2 §8: every kind of bad input gets a clear reason, the batch goes on, nothing half-written stays."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dragoman.pipeline import ingest as pipeline
from dragoman.settings import Settings
from dragoman.store import open_store


class MisbehavingHandler(BaseHTTPRequestHandler):
    good_page: bytes = b""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path
        if path == "/robots.txt":
            return self._send(404, b"")
        if path == "/good.html":
            return self._send(200, self.good_page, "text/html; charset=utf-8")
        if path in ("/403", "/500"):
            return self._send(int(path[1:]), b"<h1>no</h1>")
        if path == "/slow":
            time.sleep(3)
            return self._send(200, self.good_page)
        if path in ("/loop-a", "/loop-b"):
            self.send_response(302)
            self.send_header("Location", "/loop-b" if path == "/loop-a" else "/loop-a")
            self.end_headers()
            return None
        if path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(60):  # 60 MB streamed without a Content-Length
                    self.wfile.write(b"<p>" + b"x" * (1 << 20))
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        return self._send(404, b"not found")

    def _send(self, status: int, body: bytes, content_type: str = "text/html") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def bad_server(data_dir: Path) -> Iterator[str]:
    MisbehavingHandler.good_page = (data_dir / "html_ru/htmldate_eval/pages/1719330438.html").read_bytes()
    server = ThreadingHTTPServer(("127.0.0.1", 0), MisbehavingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_batch_of_bad_inputs_reports_each_reason_and_keeps_the_good(
    bad_server: str, tmp_path: Path, data_dir: Path, db_path: Path
) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "notes.html").write_text("just some words, no markup at all", encoding="utf-8")
    (files / "empty.html").write_bytes(b"")
    (files / "photo.html").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2000))
    real = (data_dir / "html_ru/htmldate_eval/pages/1742998174.html").read_bytes()
    (files / "truncated.html").write_bytes(real[: len(real) // 2])
    english = "".join(
        f"<p>On day {n} the weather in London was mild, with light rain expected in the evening and "
        f"temperatures around {10 + n} degrees, forecasters at the Met Office said on Tuesday.</p>"
        for n in range(20)
    )
    (files / "english.html").write_text(
        f"<html lang='en'><head><title>Weather in London</title></head><body><article><h1>Weather</h1>{english}"
        "</article></body></html>",
        encoding="utf-8",
    )
    unreadable = files / "locked.html"
    unreadable.write_bytes(real)
    unreadable.chmod(0)
    settings = Settings(allow_private=True, host_delay=0, read_timeout=1.0, connect_timeout=1.0, max_bytes=10_000_000)
    urls = [f"{bad_server}/{p}" for p in ("good.html", "403", "500", "slow", "loop-a", "huge", "missing")]
    with open_store(db_path) as store:
        report = pipeline.ingest([str(files), *urls], store, settings)
    reasons = {p.source.rsplit("/", 1)[-1]: p.reason for p in report.problems}
    assert reasons["notes.html"] == "not_html"
    assert reasons["empty.html"] == "empty"
    assert reasons["photo.html"] == "binary"
    assert reasons["english.html"] == "not_russian"
    assert reasons["403"] == "http_403" and reasons["500"] == "http_500" and reasons["missing"] == "http_404"
    assert reasons["slow"] == "timeout"
    assert reasons["loop-a"] in ("redirect_loop", "too_many_redirects")
    assert reasons["huge"] == "too_large"
    if os.geteuid() != 0:  # root reads any file
        assert reasons["locked.html"] == "unreadable"
    # The good page and the truncated one (what is there is still an article) are stored.
    assert report.stored >= 2
    assert all(p.message for p in report.problems)
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == report.stored


INTERRUPTIBLE = """
import sys, time
from dragoman import store as st
from dragoman.pipeline import ingest as pipeline
from dragoman.settings import Settings
import dragoman.pipeline.ingest as p
real = p.extract_page
def slow(page):
    time.sleep(0.05)
    return real(page)
p.extract_page = slow
with st.open_store(sys.argv[1]) as s:
    r = pipeline.ingest([sys.argv[2]], s, Settings())
print("interrupted" if r.interrupted else "finished", r.stored, flush=True)
"""


def test_ctrl_c_mid_ingest_leaves_a_consistent_database_and_a_rerun_completes(
    tmp_path: Path, data_dir: Path, db_path: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    source = (data_dir / "html_ru/htmldate_eval/pages/1742998174.html").read_text(encoding="utf-8")
    for n in range(60):
        # A distinct article each: its own canonical URL, title and closing line.
        page = source.replace("otrezat_golovu_vo_imya_proroka", f"otrezat_golovu_vo_imya_proroka_{n}")
        page = page.replace("<title>", f"<title>Выпуск {n}. ", 1)
        page = page.replace("</body>", f"<p>Дополнение номер {n} к статье.</p></body>", 1)
        (folder / f"page{n:03d}.html").write_text(page, encoding="utf-8")
    script = tmp_path / "run.py"
    script.write_text(INTERRUPTIBLE, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(db_path), str(folder)], stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if db_path.exists():
            try:
                n = sqlite3.connect(db_path).execute("SELECT count(*) FROM articles").fetchone()[0]
            except sqlite3.OperationalError:
                continue
            if n >= 5:
                break
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert out.startswith("interrupted")
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    first = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert 5 <= first < 60
    conn.close()
    with open_store(db_path) as store:
        report = pipeline.ingest([str(folder)], store, Settings())
    assert report.unchanged == first and report.stored == 60 - first
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 60
    assert conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == 60
    shutil.rmtree(folder)
