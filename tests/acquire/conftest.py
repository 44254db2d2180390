"""A real HTTP server on 127.0.0.1 that serves feeds, sitemaps and saved pages, and misbehaves on demand."""

from __future__ import annotations

import gzip
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from dragoman.settings import Settings


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (slow server)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float
    method: str = "GET"
    body: bytes = b""


Route = Reply | Callable[["Seen"], Reply]


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (a fetcher refusing a bomb or a trickle) is normal in these tests: the
    server thread must not print a traceback into the output the tests read."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LocalServer:
    """Routes by path; every request is logged so tests can count fetches and check headers."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Seen] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic(), method, body)
                with server.lock:
                    server.log.append(seen)
                    route = server.routes.get(self.path)
                reply = Reply(404, b"not found") if route is None else route(seen) if callable(route) else route
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "text/html; charset=utf-8", **reply.headers}
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if method != "HEAD":
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for s in self.log if s.path == path)

    def requests(self, path: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.log if s.path == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    srv.routes["/robots.txt"] = Reply(200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"})
    yield srv
    srv.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db=str(tmp_path / "dragoman.db"),
        allow_private=True,
        host_delay=0.0,
        read_timeout=1.0,
        connect_timeout=1.0,
        max_bytes=2_000_000,
    )


@pytest.fixture(scope="session")
def real_pages(data_dir: Path) -> dict[str, bytes]:
    """Real saved Russian news pages, by a short name."""
    pages = {
        "kommersant": gzip.decompress((data_dir / "html_ru/fundus/ru/Kommersant_2025_05_14.html.gz").read_bytes()),
        "interfax": (data_dir / "tgcontest_ru/test/data/example1.html").read_bytes(),
        "tass": (data_dir / "html_ru/htmldate_eval/pages/1647262025.html").read_bytes(),
        "mk": (data_dir / "html_ru/htmldate_eval/pages/1719330438.html").read_bytes(),
        "aif": (data_dir / "html_ru/htmldate_eval/pages/1742998174.html").read_bytes(),
        "pravda_ua": gzip.decompress((data_dir / "html_ru/fundus/ua/Pravda_2026_01_08.html.gz").read_bytes()),
    }
    return pages


def rss(items: list[dict[str, str]], *, encoding: str = "utf-8", extra_ns: str = "") -> bytes:
    """An RSS 2.0 feed; an item may carry ``full`` (yandex:full-text) or ``turbo`` (turbo:content)."""
    parts = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        '<rss version="2.0" xmlns:yandex="http://news.yandex.ru" xmlns:turbo="http://turbo.yandex.ru"'
        f' xmlns:rbc_news="https://www.rbc.ru"{extra_ns}><channel><title>test</title>',
    ]
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.get('title', ''))}</title><link>{escape(item['link'])}</link>")
        if "date" in item:
            parts.append(f"<pubDate>{item['date']}</pubDate>")
        if "full" in item:
            parts.append(f"<yandex:full-text>{escape(item['full'])}</yandex:full-text>")
        if "turbo" in item:
            parts.append(f"<turbo:content><![CDATA[{item['turbo']}]]></turbo:content>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode(encoding)


def http_date(ts: float) -> str:
    from datetime import UTC, datetime

    return format_datetime(datetime.fromtimestamp(ts, UTC), usegmt=True)


@pytest.fixture(scope="session")
def make_rss() -> Callable[..., bytes]:
    return rss
