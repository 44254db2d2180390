"""Issue 13, items 1, 4 and 10: compression bombs, private-address guard bypasses, a total deadline per fetch.

Every request goes to 127.0.0.1. Refusals of other addresses are checked with the guard on and an injected
resolver, while ``socket.create_connection`` is replaced so that anything but loopback is recorded and never
opened (so even code without the fix cannot send a packet elsewhere).
"""

from __future__ import annotations

import gzip
import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import httpx
import pytest
from click.testing import CliRunner

from acquire.conftest import Reply, rss
from dragoman.acquire.http import Fetcher, address_allowed
from dragoman.cli import main
from dragoman.errors import ConfigError, FetchError
from dragoman.settings import Settings, load_settings, parse_allow_list

REPO_SRC = Path(__file__).resolve().parents[2] / "src"
BOMB_BYTES = 100_000_000  # what each bomb expands to; the test cap is 1 MB
PUBLIC_ADDRESS = "93.184.215.14"  # a global address; no test ever opens a socket to it


# -- shared pieces ---------------------------------------------------------------------------------------------


def _zeros(blocks: int = BOMB_BYTES // 1_000_000) -> Iterator[bytes]:
    block = b"\0" * 1_000_000
    for _ in range(blocks):
        yield block


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """A brotli bomb and a gzip-inside-gzip bomb, each a few hundred bytes that expand to 100 MB."""
    br = brotli.Compressor(quality=4)
    br_bomb = b"".join(br.process(block) for block in _zeros()) + br.finish()
    inner = zlib.compressobj(1, wbits=31)  # gzip framing
    gzip_inner = b"".join(inner.compress(block) for block in _zeros()) + inner.flush()
    return {"br": br_bomb, "gzip_gzip": gzip.compress(gzip_inner, 9)}


@pytest.fixture(scope="module")
def good_pages(data_dir: Path) -> dict[str, bytes]:
    return {
        "interfax": (data_dir / "tgcontest_ru/test/data/example1.html").read_bytes(),
        "tass": (data_dir / "html_ru/htmldate_eval/pages/1647262025.html").read_bytes(),
    }


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "db": str(tmp_path / "dragoman.db"),
        "allow_private": True,
        "host_delay": 0.0,
        "read_timeout": 2.0,
        "connect_timeout": 2.0,
        "max_bytes": 1_000_000,
    }
    return Settings(**{**values, **overrides})


class OfflineNetwork:
    """Names ending in .test resolve from a table (an answer list is used in turn, the last one repeating);
    connections to anything but loopback are recorded and refused without opening a socket."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: dict[str, list[str]] = {}
        self.lookups: list[str] = []
        self.refused: list[tuple[str, int]] = []
        real_getaddrinfo = socket.getaddrinfo
        real_connect = socket.create_connection

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
            name = host.decode() if isinstance(host, bytes) else str(host)
            if not name.endswith(".test"):
                return real_getaddrinfo(host, port, *args, **kwargs)
            self.lookups.append(name)
            answers = self.answers.get(name)
            if not answers:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            address = answers.pop(0) if len(answers) > 1 else answers[0]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port or 0))]

        def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
            host, port = address[0], address[1]
            resolved = host
            if host.endswith(".test"):
                resolved = getaddrinfo(host, port)[0][4][0]
            if resolved in ("127.0.0.1", "::1"):
                return real_connect((resolved, port), *args, **kwargs)
            self.refused.append((resolved, port))
            raise ConnectionRefusedError(f"test network: {resolved} is not reachable from tests")

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "create_connection", create_connection)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> OfflineNetwork:
    return OfflineNetwork(monkeypatch)


def _cli(args: list[str], env: dict[str, str] | None = None) -> tuple[int, Any, str]:
    result = CliRunner().invoke(main, args, env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    summary = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
    return result.exit_code, summary, result.output


# -- item 1: compression bombs ------------------------------------------------------------------------------

_PEAK_SCRIPT = """
import json, resource, sys, tracemalloc
from dragoman.acquire.http import Fetcher
from dragoman.errors import FetchError
from dragoman.settings import Settings

settings = Settings(allow_private=True, host_delay=0.0, respect_robots=False, max_bytes=1_000_000, read_timeout=20.0)
with Fetcher(settings) as fetcher:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    try:
        fetcher.fetch(sys.argv[1])
        reason = None
    except FetchError as exc:
        reason = exc.reason
    python_peak = tracemalloc.get_traced_memory()[1]
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"reason": reason, "peak_growth_kib": grown, "python_peak_kib": python_peak // 1024}))
"""


@pytest.mark.parametrize(
    ("bomb", "encoding", "reason"),
    [("br", "br", "too_large"), ("gzip_gzip", "gzip, gzip", "bad_encoding")],
)
def test_compression_bomb_fails_with_bounded_memory(server, bombs, bomb, encoding, reason):
    """Item 1: a brotli bomb stops at the cap and a stacked ``gzip, gzip`` is refused, with peak memory bounded.

    The fetch runs in a fresh process so its peak resident size is its own (and tracemalloc's peak counts the
    Python objects, decoded pieces included): before the fix httpx decoded each network chunk whole, so the
    100 MB came into memory at once (about 190 MB of peak growth measured).
    """
    server.routes["/bomb"] = Reply(200, bombs[bomb], {"Content-Encoding": encoding})
    assert len(bombs[bomb]) < 2_000
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, server.url("/bomb")],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(REPO_SRC), "PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1"},
        check=True,
    )
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["python_peak_kib"] < 8_000, measured  # cap (1 MB) + the joined body + decoding steps
    assert measured["peak_growth_kib"] < 40_000, measured  # resident size: far below the 100 MB expansion
    assert measured["reason"] == reason


def test_unknown_and_identity_encodings(server, tmp_path):
    """Item 1: an unknown coding is refused with a reason; ``identity`` and a plain deflate still work."""
    server.routes["/zstd"] = Reply(200, b"\x28\xb5\x2f\xfd" + b"x" * 50, {"Content-Encoding": "zstd"})
    server.routes["/identity"] = Reply(200, b"<html>plain</html>", {"Content-Encoding": "identity"})
    server.routes["/deflate"] = Reply(200, zlib.compress(b"<html>deflated</html>"), {"Content-Encoding": "deflate"})
    raw = zlib.compressobj(wbits=-15)
    server.routes["/raw-deflate"] = Reply(
        200, raw.compress(b"<html>raw</html>") + raw.flush(), {"Content-Encoding": "deflate"}
    )
    server.routes["/gzip"] = Reply(200, gzip.compress(b"<html>gz</html>"), {"Content-Encoding": "gzip"})
    with Fetcher(_settings(tmp_path, respect_robots=False)) as fetcher:
        with pytest.raises(FetchError) as info:
            fetcher.fetch(server.url("/zstd"))
        assert info.value.reason == "bad_encoding" and "zstd" in info.value.message
        assert fetcher.fetch(server.url("/identity")).body == b"<html>plain</html>"
        assert fetcher.fetch(server.url("/deflate")).body == b"<html>deflated</html>"
        assert fetcher.fetch(server.url("/raw-deflate")).body == b"<html>raw</html>"
        assert fetcher.fetch(server.url("/gzip")).body == b"<html>gz</html>"
    assert "br" in server.requests("/gzip")[0].headers["accept-encoding"]


def test_ingest_stores_the_good_page_after_bombs(server, bombs, good_pages, tmp_path):
    """Item 1: ``ingest`` of [br bomb, gzip-gzip bomb, good page] stores the good page and reports both bombs."""
    server.routes["/br"] = Reply(200, bombs["br"], {"Content-Encoding": "br"})
    server.routes["/gg"] = Reply(200, bombs["gzip_gzip"], {"Content-Encoding": "gzip, gzip"})
    server.routes["/good"] = Reply(200, good_pages["tass"])
    db = tmp_path / "b.db"
    code, summary, output = _cli(
        ["--db", str(db), "--allow-private", "--host-delay", "0", "ingest", server.url("/br"), server.url("/gg"),
         server.url("/good"), "--json"],
        env={"DRAGOMAN_MAX_BYTES": "1000000"},
    )  # fmt: skip
    assert code == 1, output
    assert summary["stored"] == 1
    assert summary["failed"] == {"too_large": 1, "bad_encoding": 1}
    assert "Traceback" not in output
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM articles").fetchone() == (1,)


@pytest.fixture
def extract_runs_out_of_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Extraction of any page whose address ends in /oom raises MemoryError, as a page built for it would."""
    import dragoman.extract

    real_extract = dragoman.extract.extract

    def extract(page: Any) -> Any:
        if (page.source or page.url).endswith("/oom"):
            raise MemoryError
        return real_extract(page)

    monkeypatch.setattr(dragoman.extract, "extract", extract)


def test_memory_error_is_one_failed_item_in_ingest(server, good_pages, tmp_path, extract_runs_out_of_memory):
    """Item 1: a MemoryError on one page fails that page; the next URL is fetched, stored and counted."""
    server.routes["/oom"] = Reply(200, good_pages["interfax"])
    server.routes["/good"] = Reply(200, good_pages["tass"])
    db = tmp_path / "m.db"
    code, summary, output = _cli(
        ["--db", str(db), "--allow-private", "--host-delay", "0", "ingest", server.url("/oom"), server.url("/good"),
         "--json"]
    )  # fmt: skip
    assert code == 1, output
    assert summary["stored"] == 1 and summary["failed"] == {"out_of_memory": 1}
    assert server.hits("/good") == 1


def test_memory_error_is_one_failed_item_in_watch_once(server, good_pages, tmp_path, extract_runs_out_of_memory):
    """Item 1: in ``watch --once`` the item that ran out of memory is failed with one attempt, the feed's other
    item is stored (before the fix the pass crashed and left the item pending with 0 attempts)."""
    server.routes["/oom"] = Reply(200, good_pages["interfax"])
    server.routes["/good"] = Reply(200, good_pages["tass"])
    items = [{"title": "a", "link": server.url("/oom")}, {"title": "b", "link": server.url("/good")}]
    server.routes["/feed.xml"] = Reply(200, rss(items), {"Content-Type": "application/rss+xml"})
    db = tmp_path / "w.db"
    _, _, output = _cli(
        ["--db", str(db), "--allow-private", "--host-delay", "0", "watch", "--once", "--feed",
         server.url("/feed.xml"), "--no-print-alerts", "--json"]
    )  # fmt: skip
    assert "Traceback" not in output
    conn = sqlite3.connect(db)
    rows = dict(conn.execute("SELECT url, state || ' ' || attempts || ' ' || COALESCE(reason, '') FROM monitor_items"))
    assert rows[server.url("/oom")] == "failed 1 out_of_memory"
    assert rows[server.url("/good")].startswith("done 1")
    assert conn.execute("SELECT COUNT(*) FROM articles").fetchone() == (1,)


# -- item 4: the private-address guard ------------------------------------------------------------------------


def test_dns_rebinding_connects_only_to_the_checked_address(server, offline, tmp_path):
    """Item 4: the resolver answers a public address to the check and 127.0.0.1 afterwards; the connection
    must go to the checked (public, here refused) address and never reach the loopback server."""
    port = int(server.base.rsplit(":", 1)[1])
    offline.answers["rebind.test"] = [PUBLIC_ADDRESS, "127.0.0.1"]
    server.routes["/secret"] = Reply(200, b"<html>internal</html>")
    settings = _settings(tmp_path, allow_private=False)
    with Fetcher(settings, retry_base=0.01) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(f"http://rebind.test:{port}/secret")
    assert info.value.reason == "connection"
    assert server.log == []  # neither robots.txt nor the page came from the loopback server
    assert offline.lookups == ["rebind.test"]  # resolved once, by the check
    assert {address for address, _ in offline.refused} == {PUBLIC_ADDRESS}


NOT_PUBLIC = [
    "100.64.0.1",  # carrier-grade NAT
    "2002:7f00:1::",  # 6to4 carrying 127.0.0.1
    "2002:a00:1::1",  # 6to4 carrying 10.0.0.1
    "fec0::1",  # deprecated site-local
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::127.0.0.1",  # deprecated IPv4-compatible
    "64:ff9b::7f00:1",  # NAT64 carrying 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 carrying 169.254.169.254
    "64:ff9b:1::a00:1",  # local-use NAT64
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "169.254.169.254",  # cloud metadata
    "fe80::1",
    "0.0.0.0",
    "198.18.0.1",  # benchmarking
    "224.0.0.1",  # multicast
    "ff02::1",
]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_addresses_that_are_not_global_are_refused_before_sending(address, tmp_path):
    """Item 4: with the guard on, a host resolving to any of these is refused and no request is sent."""
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200, text="x"))
    settings = _settings(tmp_path, allow_private=False)
    fetcher = Fetcher(settings, transport=transport, resolver=lambda host: [address])
    with fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch("http://victim.test/page")
    assert info.value.reason == "private_address"
    assert sent == []


def test_public_address_passes_the_guard(tmp_path):
    """Item 4, the control: a public answer is let through (to a mock transport; nothing leaves)."""
    sent: list[str] = []
    transport = httpx.MockTransport(lambda request: sent.append(str(request.url)) or httpx.Response(200, text="ok"))
    settings = _settings(tmp_path, allow_private=False)
    with Fetcher(settings, transport=transport, resolver=lambda host: [PUBLIC_ADDRESS, "2606:4700::1"]) as fetcher:
        assert fetcher.fetch("http://site.test/page").body == b"ok"
    assert sent == ["http://site.test/robots.txt", "http://site.test/page"]


def test_allow_list_admits_loopback_but_not_a_redirect_elsewhere(server, offline, tmp_path):
    """Item 4: with ``127.0.0.1/8`` allowed the loopback server works, and its redirects to 10.0.0.1 or to the
    metadata address are refused before any connection."""
    offline.answers["intranet.test"] = ["10.0.0.1"]
    offline.answers["metadata.test"] = ["169.254.169.254"]
    server.routes["/ok"] = Reply(200, b"<html>ok</html>")
    server.routes["/to-intranet"] = Reply(302, b"", {"Location": "http://intranet.test/admin"})
    server.routes["/to-metadata"] = Reply(302, b"", {"Location": "http://metadata.test/latest/meta-data/"})
    settings = _settings(tmp_path, allow_private=False, allow_networks="127.0.0.1/8")
    with Fetcher(settings) as fetcher:
        assert fetcher.fetch(server.url("/ok")).body == b"<html>ok</html>"
        for path in ("/to-intranet", "/to-metadata"):
            with pytest.raises(FetchError) as info:
                fetcher.fetch(server.url(path))
            assert info.value.reason == "private_address", path
    assert offline.refused == []


def test_bare_allow_private_never_reaches_link_local(server, offline, tmp_path):
    """Item 4: the bare flag (loopback and private networks) does not open link-local metadata addresses."""
    offline.answers["metadata.test"] = ["169.254.169.254"]
    offline.answers["metadata6.test"] = ["fe80::a9fe:a9fe"]
    server.routes["/to-metadata"] = Reply(302, b"", {"Location": "http://metadata.test/latest/meta-data/"})
    server.routes["/to-metadata6"] = Reply(302, b"", {"Location": "http://metadata6.test/"})
    with Fetcher(_settings(tmp_path, allow_private=True)) as fetcher:
        for path in ("/to-metadata", "/to-metadata6"):
            with pytest.raises(FetchError) as info:
                fetcher.fetch(server.url(path))
            assert info.value.reason == "private_address", path
    assert offline.refused == []


def test_link_local_only_when_named():
    """Item 4: link-local is allowed only by a network inside it, not by a wider one that happens to hold it."""
    assert address_allowed("169.254.169.254", parse_allow_list("169.254.169.254/32"))
    assert address_allowed("fe80::1", parse_allow_list("fe80::/64"))
    assert not address_allowed("169.254.169.254", parse_allow_list("0.0.0.0/0"))
    assert not address_allowed("fe80::1", parse_allow_list("::/0"))
    assert address_allowed("10.1.2.3", parse_allow_list("10.0.0.0/8"))
    assert not address_allowed("10.1.2.3", parse_allow_list("127.0.0.1/8, intranet.example"))
    assert parse_allow_list("intranet.example").hosts == frozenset({"intranet.example"})
    with pytest.raises(ConfigError, match="neither a network"):
        parse_allow_list("10.0.0.0/33")


def test_cli_allow_private_takes_networks(server, good_pages, tmp_path):
    """Item 4: ``--allow-private 127.0.0.1/8`` fetches from loopback; ``--allow-private 10.0.0.0/8`` does not;
    a bad network is a usage error (exit 2)."""
    server.routes["/good"] = Reply(200, good_pages["tass"])
    db = str(tmp_path / "c.db")
    base = ["--db", db, "--host-delay", "0"]
    code, summary, output = _cli([*base, "--allow-private", "10.0.0.0/8", "ingest", server.url("/good"), "--json"])
    assert code == 1 and summary["failed"] == {"private_address": 1}, output
    assert server.log == []
    code, summary, output = _cli([*base, "--allow-private", "127.0.0.1/8", "ingest", server.url("/good"), "--json"])
    assert code == 0 and summary["stored"] == 1, output
    code, _, output = _cli([*base, "--allow-private", "10.0.0.0/33", "ingest", server.url("/good")])
    assert code == 2 and "neither a network" in output


# -- item 10: a total deadline per request --------------------------------------------------------------------


class TrickleServer:
    """Answers every connection on 127.0.0.1 one byte per ``interval`` (the headers, or the body after them)."""

    def __init__(self, *, trickle_headers: bool, interval: float = 0.2, body_bytes: int = 60) -> None:
        self.interval = interval
        self.trickle_headers = trickle_headers
        self.body = b"x" * body_bytes
        self.connections = 0
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/slow"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(4096) or b"\r\n\r\n"
                slow_head = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 60 + b"\r\n"
                head = b"Content-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(self.body)
                if not self.trickle_headers:
                    conn.sendall(slow_head + head)
                for byte in slow_head if self.trickle_headers else self.body:
                    if self.stop.wait(self.interval):
                        return
                    conn.sendall(bytes([byte]))
                conn.sendall(head + self.body if self.trickle_headers else b"")
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@pytest.mark.parametrize("trickle_headers", [False, True], ids=["body", "headers"])
def test_trickling_server_hits_the_deadline(trickle_headers, tmp_path):
    """Item 10: one byte every 0.2 s never trips the 1 s per-read timeout; the 1.5 s deadline ends the request
    (it would otherwise take 12 s), and a deadline is not retried inline."""
    slow = TrickleServer(trickle_headers=trickle_headers)
    settings = _settings(tmp_path, respect_robots=False, read_timeout=1.0, fetch_deadline=1.5)
    try:
        started = time.monotonic()
        with Fetcher(settings, retry_base=0.01) as fetcher, pytest.raises(FetchError) as info:
            fetcher.fetch(slow.url)
        elapsed = time.monotonic() - started
    finally:
        slow.close()
    assert info.value.reason == "deadline"
    assert "1.5-second deadline" in info.value.message
    assert 1.4 <= elapsed < 4.0
    assert slow.connections == 1


def test_fetch_deadline_setting():
    """Item 10: the deadline is a setting with an environment variable, and must be positive."""
    assert Settings().fetch_deadline == 120.0
    assert load_settings(None, env={"DRAGOMAN_FETCH_DEADLINE": "2.5"}).fetch_deadline == 2.5
    with pytest.raises(ConfigError, match="fetch_deadline"):
        load_settings(None, env={"DRAGOMAN_FETCH_DEADLINE": "0"})
