"""Issue 7: two `dragoman watch` processes on one database (SQLite and PostgreSQL) lose nothing and store
nothing twice."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dragoman.store import open_store

ITEMS = 12


@pytest.fixture
def feed_site(data_dir: Path) -> Iterator[str]:
    """A 127.0.0.1 site with one RSS feed of ITEMS distinct real articles (the interfax page, renumbered)."""
    template = (data_dir / "tgcontest_ru/test/data/example1.html").read_text(encoding="utf-8")
    pages = {
        f"/news/{n}": template.replace("https://www.interfax.ru/world/682606", f"https://www.interfax.ru/world/{n}")
        .replace("Израиль приостановил процедуру экстрадиции граждан", f"Новость {n} о процедуре экстрадиции")
        .encode("utf-8")
        for n in range(ITEMS)
    }

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            host = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/feed.xml":
                links = "".join(f"<item><title>n{n}</title><link>{host}/news/{n}</link></item>" for n in range(ITEMS))
                body, kind = f'<?xml version="1.0"?><rss version="2.0"><channel>{links}</channel></rss>'.encode(), "xml"
            elif self.path in pages:
                body, kind = pages[self.path], "html"
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", f"text/{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    server.shutdown()
    server.server_close()


def test_two_watchers_at_once_store_every_article_exactly_once(store_url: str, feed_site: str) -> None:
    open_store(store_url).close()  # migrate first, so both watchers start on the same schema
    command = [
        sys.executable,
        "-m",
        "dragoman.cli",
        "--db",
        store_url,
        "--allow-private",
        "--host-delay",
        "0",
        "watch",
        "--feed",
        feed_site,
        "--once",
        "--poll-interval",
        "0",
        "--no-print-alerts",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    watchers = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    results = [w.communicate(timeout=180) for w in watchers]
    for watcher, (out, err) in zip(watchers, results, strict=True):
        assert watcher.returncode == 0, (out + err).decode()
    with open_store(store_url) as store:
        stored = list(store.iter_articles())
        assert len(stored) == ITEMS
        assert len({s.article.key_url for s in stored}) == ITEMS
        assert all(s.revision_count == 1 for s in stored)  # nothing stored twice
