"""The web server under attack (issue 13): hostile parameters (item 6), a cache grown by distinct queries
(item 11), DNS rebinding and reads without authentication (item 14).

Requests go to the app in process (the serve tests' client) or to `dragoman serve` on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fastapi.routing import APIRoute

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serve"))  # the serve tests' corpus builder
from serve_corpus import Corpus, asgi_client_class, build_corpus

from dragoman.cli import main
from dragoman.search.query import MAX_QUERY_DEPTH, QueryError, parse_query
from dragoman.search.sqlite import compile_query
from dragoman.serve.app import (
    OVERVIEW_CACHE_ENTRIES,
    READ_COOKIE,
    TTLCache,
    allowed_hosts_for,
    create_app,
    exposure_warnings,
)

NESTED_QUERY = "(" * 400 + "a"
HUGE_NUMBER = "9" * 21  # beyond SQLite's 64-bit integers: OverflowError before item 6
READ_TOKEN = "read-3c9a1e"
WRITE_TOKEN = "write-77f0b2"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Corpus:
    return build_corpus(tmp_path_factory.mktemp("web") / "dragoman.db", data_dir, n_articles=12)


@pytest.fixture(scope="module")
def client(corpus: Corpus) -> Iterator[Any]:
    with asgi_client_class()(create_app(corpus.db), raise_server_exceptions=False) as test_client:
        yield test_client


# -- item 6: 500s that should be 400s ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/api/search"])
def test_deeply_nested_query_is_a_400_with_a_message(client: Any, path: str) -> None:
    """Item 6: 400 "(" then "a" ended in RecursionError (500); now the query-syntax error, 400."""
    response = client.get(path, params={"q": NESTED_QUERY})
    assert response.status_code == 400
    message = response.json()["detail"] if path.startswith("/api/") else response.text
    assert f"nests parentheses more than {MAX_QUERY_DEPTH} deep" in message
    if path == "/":
        assert 'class="error"' in response.text and 'name="q"' in response.text  # the form, to correct it


def test_query_parser_limits_depth_and_length_and_stays_flat() -> None:
    """Item 6: the parser raises QueryError (the documented error) for deep or huge queries; stray ")" no
    longer build one tree level each (compile_query recursed 999 levels for "a)a)a)...")."""
    with pytest.raises(QueryError, match="nests parentheses"):
        parse_query(NESTED_QUERY)
    with pytest.raises(QueryError, match="characters long"):
        parse_query("a " * 50_000)
    parse_query("(" * MAX_QUERY_DEPTH + "a" + ")" * MAX_QUERY_DEPTH)  # the limit itself is allowed
    with pytest.raises(QueryError, match="no matching"):  # issue 14: a stray ")" is refused, at once
        parse_query("a)" * 999)
    flat = parse_query("a " * 999)
    assert compile_query(flat, "en") is not None and compile_query(flat, "ru") is not None


@pytest.mark.parametrize("path", ["/", "/api/search"])
def test_very_long_query_is_a_400_with_the_limit(client: Any, path: str) -> None:
    """Item 6: a 60 KB query is refused with the limit in the message (not 422, not 500)."""
    response = client.get(path, params={"q": "a " * 30_000})
    assert response.status_code == 400
    assert "at most 2000 characters" in (response.json()["detail"] if path.startswith("/api/") else response.text)
    if path == "/":
        assert response.headers["content-type"].startswith("text/html")


def test_cli_search_with_a_nested_query_is_one_line_and_exit_2(corpus: Corpus) -> None:
    """Item 6: `dragoman search` printed a RecursionError traceback; now one line and exit 2 (bad usage)."""
    result = CliRunner().invoke(main, ["--db", str(corpus.db), "-q", "search", "--", NESTED_QUERY])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "nests parentheses" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("path", ["/", "/api/search", "/export", "/api/export"])
def test_last_and_first_representable_days_are_accepted(client: Any, corpus: Corpus, path: str) -> None:
    """Item 6: until=9999-12-31 raised ValueError (year 10000) because the day after was computed; the last
    day now means "no upper limit", and 0001-01-01 "no lower limit": the same answer as no dates."""
    unfiltered = client.get(path)
    for dates in ({"until": "9999-12-31"}, {"since": "0001-01-01"}, {"since": "0001-01-01", "until": "9999-12-31"}):
        response = client.get(path, params=dates)
        assert response.status_code == 200, dates
        if path == "/api/search":
            assert response.json()["total"] == unfiltered.json()["total"] == len(corpus.ids)
        elif path.endswith("export"):
            assert response.text == unfiltered.text and response.text.count("\n") == len(corpus.ids)
        else:
            assert f"<strong>{len(corpus.ids)}</strong> articles" in response.text


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/quotes", "page"),
        ("/", "page"),
        ("/api/search", "page"),
        ("/api/quotes", "offset"),
        ("/api/quotes", "limit"),
        ("/api/entities", "limit"),
        ("/api/articles/1/story", "limit"),
    ],
)
def test_huge_page_numbers_are_a_400_naming_the_parameter(client: Any, path: str, name: str) -> None:
    """Item 6: /quotes?page=999999999999999999999 ended in OverflowError (500); every paginated route now
    answers 400 that names the parameter and its bound (HTML for pages, JSON under /api)."""
    response = client.get(path, params={name: HUGE_NUMBER})
    assert response.status_code == 400
    if path.startswith("/api/"):
        detail = response.json()["detail"]
        assert re.fullmatch(rf"bad parameter {name}: Input should be less than or equal to \d+", detail)
    else:
        assert response.headers["content-type"].startswith("text/html")
        assert f"bad parameter {name}: Input should be less than or equal to" in response.text


HOSTILE_VALUES = [NESTED_QUERY, "a)" * 999, "x" * 3000, HUGE_NUMBER, "-" + HUGE_NUMBER, "0", "-1", "9999-12-31",
                  "0001-01-01", "\x00\x1b[31m", '"', "NaN", "1e308", "%"]  # fmt: skip


def query_parameters(dependant: Any) -> list[str]:
    """The query parameter names a route reads, its dependencies' (SearchParams) included."""
    names = [param.alias for param in dependant.query_params]
    for sub in dependant.dependencies:
        names.extend(query_parameters(sub))
    return names


def test_no_get_route_answers_500_to_hostile_parameters(client: Any, corpus: Corpus) -> None:
    """Item 6, the sweep: every GET route from app.routes, each of its query parameters set alone to each
    hostile value (one at a time, so that no other parameter's 422 hides a failure), and huge path ids:
    nothing answers 5xx."""
    routes = [r for r in client.app.routes if isinstance(r, APIRoute) and "GET" in r.methods]
    assert len(routes) >= 20
    failures = []
    tried = 0
    for route in routes:
        names = query_parameters(route.dependant)
        path = re.sub(r"\{[^}]+\}", str(corpus.ids[0]), route.path)
        requests = [(path, {name: value}) for name in names for value in HOSTILE_VALUES]
        if "{" in route.path:
            requests.append((re.sub(r"\{[^}]+\}", HUGE_NUMBER, route.path), {}))
        for url, params in requests:
            response = client.get(url, params=params)
            tried += 1
            if response.status_code >= 500:
                failures.append(f"{url} {str(params)[:40]}: {response.status_code}")
    assert tried > 500 and not failures


# -- item 11: the page cache is bounded ----------------------------------------------------------------


def test_entity_list_cache_keeps_a_bounded_number_of_queries(corpus: Corpus) -> None:
    """Item 11: every distinct /entities?q= stayed cached for ever (85 -> 113 MB after 3,000 requests);
    after N + 40 distinct queries the cache holds at most N entries."""
    app = create_app(corpus.db)
    with asgi_client_class()(app) as test_client:
        for n in range(OVERVIEW_CACHE_ENTRIES + 40):
            assert test_client.get("/entities", params={"q": f"query {n}"}).status_code == 200
    assert len(app.state.cache) == OVERVIEW_CACHE_ENTRIES


def test_cache_evicts_the_least_recently_used() -> None:
    """Item 11: a key read again stays; the oldest unread one goes."""
    cache = TTLCache(ttl=60, max_entries=2)
    computed: list[str] = []

    def value(key: str) -> Any:
        return cache.get(key, lambda: computed.append(key) or key)

    value("a"), value("b"), value("a"), value("c")  # b is now the least recently used
    value("a"), value("b")
    assert computed == ["a", "b", "c", "b"] and len(cache) == 2


# -- item 14: Host allow-list, read token, tokens out of `ps` ----------------------------------------


def test_host_header_of_another_name_is_refused(corpus: Corpus) -> None:
    """Item 14: a DNS-rebinding page (evil.example resolving to 127.0.0.1) could read /api/export; the
    served names (loopback ones for a loopback bind) still work, on any port, IPv6 in brackets."""
    app = create_app(corpus.db, allowed_hosts=allowed_hosts_for("127.0.0.1", ["reader.lan"]))
    with asgi_client_class()(app, base_url="http://127.0.0.1:8080") as test_client:
        refused = test_client.get("/api/export", headers={"Host": "evil.example:8080"})
        assert refused.status_code == 400 and "schema_version" not in refused.text
        for host in ("127.0.0.1:8080", "localhost:8080", "[::1]:8080", "reader.lan", "LOCALHOST"):
            assert test_client.get("/api/export", headers={"Host": host}).status_code == 200, host
    assert allowed_hosts_for("0.0.0.0") == ["*"]  # a wildcard bind cannot know its names: it warns instead
    assert allowed_hosts_for("::", ["news.example"]) == ["localhost", "127.0.0.1", "[::1]", "news.example"]


@pytest.mark.parametrize("path", ["/", "/api/search", "/api/export", "/articles/1", "/openapi.json"])
def test_read_token_is_required_everywhere(corpus: Corpus, path: str) -> None:
    """Item 14: reads needed no authentication; with a read token, none or a wrong one gets 401, the read or
    the write token as a bearer gets 200."""
    with asgi_client_class()(create_app(corpus.db, token=WRITE_TOKEN, read_token=READ_TOKEN)) as test_client:
        missing = test_client.get(path)
        assert missing.status_code == 401 and "read token" in missing.text
        assert test_client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert test_client.get(path, headers={"Authorization": f"Bearer {READ_TOKEN}x"}).status_code == 401
        for secret in (READ_TOKEN, WRITE_TOKEN):
            assert test_client.get(path, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        assert test_client.get("/static/app.css").status_code == 200  # assets carry no corpus data


def test_browser_gets_the_read_token_once_as_a_strict_cookie(corpus: Corpus) -> None:
    """Item 14: /?token= sets an HttpOnly SameSite=Strict cookie and redirects to the address without the
    token; the redirect never leaves the site ("//evil.example" is a path here)."""
    with asgi_client_class()(create_app(corpus.db, read_token=READ_TOKEN)) as test_client:
        wrong = test_client.get("/", params={"token": "wrong"}, follow_redirects=False)
        assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
        opened = test_client.get("/", params={"q": "Путин", "token": READ_TOKEN}, follow_redirects=False)
        assert opened.status_code == 303 and opened.headers["location"] == "/?q=%D0%9F%D1%83%D1%82%D0%B8%D0%BD"
        cookie = opened.headers["set-cookie"]
        assert cookie.startswith(f"{READ_COOKIE}={READ_TOKEN};") and "HttpOnly" in cookie
        assert "samesite=strict" in cookie.lower()
        assert test_client.get("/quotes").status_code == 200  # the client now sends the cookie
    with asgi_client_class()(create_app(corpus.db, read_token=READ_TOKEN)) as fresh_client:
        sneaky = fresh_client.get(f"http://testserver//evil.example/?token={READ_TOKEN}", follow_redirects=False)
        assert sneaky.status_code == 303 and sneaky.headers["location"] == "/evil.example/"


def test_non_loopback_bind_warns_and_suggests_a_read_token() -> None:
    """Item 14: `serve --host 0.0.0.0` said nothing; the warning says who can read and what to do."""
    (warning, hosts) = exposure_warnings("0.0.0.0", 8080, read_token=None, allowed_hosts=["*"])
    assert "anyone who can reach this port can read the whole corpus" in warning
    assert "DRAGOMAN_READ_TOKEN" in warning and "--allowed-host" in hosts
    with_token = exposure_warnings("192.0.2.7", 8080, read_token="t", allowed_hosts=["192.0.2.7"])
    assert len(with_token) == 1 and "DRAGOMAN_READ_TOKEN" not in with_token[0]
    assert exposure_warnings("127.0.0.1", 8080, read_token=None, allowed_hosts=allowed_hosts_for("127.0.0.1")) == []
    assert exposure_warnings("::1", 8080, read_token=None, allowed_hosts=allowed_hosts_for("::1")) == []


@pytest.fixture
def started_apps(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, str]]:
    """`dragoman serve` runs up to uvicorn.run, which records the app and the host instead of binding."""
    import uvicorn

    started: list[tuple[Any, str]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **_: started.append((app, host)))
    return started


def test_serve_command_warns_and_takes_tokens_from_env_and_files(
    corpus: Corpus, tmp_path: Path, started_apps: list[tuple[Any, str]]
) -> None:
    """Item 14: the CLI warns for a non-loopback bind and for --token on the command line (visible in ps),
    and takes the read token from DRAGOMAN_READ_TOKEN or --read-token-file, the write token from a file."""
    runner = CliRunner()
    db = ["--db", str(corpus.db)]
    exposed = runner.invoke(main, [*db, "-q", "serve", "--host", "0.0.0.0", "--token", WRITE_TOKEN])
    assert exposed.exit_code == 0 and started_apps[-1][1] == "0.0.0.0"
    assert "anyone who can reach this port can read the whole corpus" in exposed.stderr
    assert "--token on the command line is visible to other users" in exposed.stderr

    from_env = runner.invoke(main, [*db, "serve"], env={"DRAGOMAN_READ_TOKEN": READ_TOKEN})
    assert from_env.exit_code == 0 and "warning" not in from_env.stderr
    (read_file := tmp_path / "read-token").write_text(f"{READ_TOKEN}-file\n", encoding="utf-8")
    (write_file := tmp_path / "token").write_text(WRITE_TOKEN, encoding="utf-8")
    files = ["--read-token-file", str(read_file), "--token-file", str(write_file)]
    from_file = runner.invoke(main, [*db, "serve", *files])
    assert from_file.exit_code == 0 and "warning" not in from_file.stderr

    base = {"base_url": "http://127.0.0.1:8080"}
    with asgi_client_class()(started_apps[-2][0], **base) as env_client:
        assert env_client.get("/api/stats").status_code == 401
        assert env_client.get("/api/stats", headers={"Authorization": f"Bearer {READ_TOKEN}"}).status_code == 200
        assert env_client.get("/api/stats", headers={"Host": "evil.example"}).status_code == 400
    with asgi_client_class()(started_apps[-1][0], **base) as file_client:
        assert file_client.get("/api/stats", headers={"Authorization": f"Bearer {READ_TOKEN}"}).status_code == 401
        assert file_client.get("/api/stats", headers={"Authorization": f"Bearer {READ_TOKEN}-file"}).status_code == 200
        reindex = file_client.post("/api/reindex", headers={"Authorization": f"Bearer {WRITE_TOKEN}"})
        assert reindex.status_code == 200

    (empty := tmp_path / "empty").write_text("\n", encoding="utf-8")
    refused = runner.invoke(main, [*db, "serve", "--read-token-file", str(empty)])
    assert refused.exit_code == 2 and "is empty" in refused.stderr and len(started_apps) == 3


def test_served_on_loopback_refuses_a_rebinding_host(corpus: Corpus) -> None:
    """Item 14, end to end: `dragoman serve` on 127.0.0.1 answers Host 127.0.0.1 and refuses evil.example,
    whose DNS a rebinding page would point at 127.0.0.1, before it reads anything."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DRAGOMAN_READ_TOKEN": READ_TOKEN}
    cmd = [sys.executable, "-m", "dragoman.cli", "--db", str(corpus.db), "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    url = f"http://127.0.0.1:{port}/api/export"
    auth = {"Authorization": f"Bearer {READ_TOKEN}"}
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answered = httpx.get(url, headers=auth, timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert answered.status_code == 200 and answered.text.count("\n") == len(corpus.ids)
        rebound = httpx.get(url, headers={**auth, "Host": f"evil.example:{port}"}, timeout=5)
        assert rebound.status_code == 400 and "schema_version" not in rebound.text
        assert httpx.get(url, timeout=5).status_code == 401
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
