"""The openai engine against a real HTTP server on 127.0.0.1 that speaks the chat completions API."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dragoman.errors import TranslateError
from dragoman.pipeline.translate import translate_store
from dragoman.settings import Settings
from dragoman.translate import create_engine
from dragoman.translate.openai_compat import OpenAIEngine

from .test_stage import wmt_articles


def fake_translate(russian: str) -> str:
    """Deterministic stand-in for a model: an English-looking line that encodes the input."""
    return f"EN[{len(russian)}] " + " ".join(w[::-1] for w in russian.split()[:3])


class ChatServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.requests: list[dict[str, Any]] = []
        self.fail_next = 0  # answer HTTP 500 to this many requests
        self.merge_lines = False  # answer multi-line requests with one line too few

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class ChatHandler(BaseHTTPRequestHandler):
    server: ChatServer

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if self.path != "/v1/chat/completions":
            self._send(404, {"error": "not found"})
            return
        if self.server.fail_next > 0:
            self.server.fail_next -= 1
            self._send(500, {"error": "overloaded"})
            return
        lines = body["messages"][-1]["content"].splitlines()
        out = []
        for line in lines:
            match = re.match(r"(\d+)\. (.*)", line)
            assert match is not None
            out.append(f"{match.group(1)}. {fake_translate(match.group(2))}")
        if self.server.merge_lines and len(out) > 1:
            out = [out[0] + " " + out[1].split(". ", 1)[1], *out[2:]]
        reply = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "\n".join(out)}}]}
        self._send(200, reply)

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    server = ChatServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_lines_come_back_in_order(chat_server: ChatServer) -> None:
    engine = OpenAIEngine("qwen-test", base_url=chat_server.base_url, api_key="sk-test", max_batch_sentences=4)
    texts = [f"Предложение номер {i} о переговорах в Женеве." for i in range(10)]
    out = engine.translate_batch(texts)
    assert out.targets == [fake_translate(t) for t in texts]
    assert len(chat_server.requests) == 3  # 4 + 4 + 2 sentences
    first = chat_server.requests[0]
    assert first["body"]["model"] == "qwen-test" and first["auth"] == "Bearer sk-test"
    assert engine.model_id == "openai:qwen-test"


def test_wrong_line_count_retries_sentence_by_sentence(chat_server: ChatServer) -> None:
    chat_server.merge_lines = True
    engine = OpenAIEngine("m", base_url=chat_server.base_url, max_batch_sentences=8)
    texts = [f"Фраза {i}." for i in range(5)]
    out = engine.translate_batch(texts)
    assert out.targets == [fake_translate(t) for t in texts]
    assert len(chat_server.requests) == 1 + 5


def test_server_errors_are_retried_with_backoff(chat_server: ChatServer) -> None:
    chat_server.fail_next = 2
    engine = OpenAIEngine("m", base_url=chat_server.base_url, retries=3, backoff=0.01)
    assert engine.translate_batch(["Привет."]).targets == [fake_translate("Привет.")]
    assert len(chat_server.requests) == 3


def test_endpoint_down_is_one_clear_line() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = OpenAIEngine("m", base_url=f"http://127.0.0.1:{port}/v1", retries=1, backoff=0.01, timeout=2)
    with pytest.raises(TranslateError) as info:
        engine.translate_batch(["Привет."])
    message = str(info.value)
    assert "\n" not in message
    assert f"127.0.0.1:{port}" in message and "failed after 2 tries" in message


def test_client_error_is_not_retried(chat_server: ChatServer) -> None:
    engine = OpenAIEngine("m", base_url=chat_server.base_url.replace("/v1", "/nope"), retries=3, backoff=0.01)
    with pytest.raises(TranslateError, match="HTTP 404"):
        engine.translate_batch(["Привет."])
    assert len(chat_server.requests) == 1


def test_translate_store_with_the_openai_engine(
    chat_server: ChatServer, store_settings: Settings, data_dir: Path, monkeypatch: pytest.MonkeyPatch, open_db: Any
) -> None:
    settings = store_settings
    monkeypatch.setenv("DRAGOMAN_OPENAI_BASE_URL", chat_server.base_url)
    store = open_db(settings.db)
    for article in wmt_articles(data_dir, 3):
        store.ingest(article)
    report = translate_store(store, settings, engine="openai", model="qwen-test")
    assert report.articles == 3 and report.total_failed == 0
    tr = store.get(1).article.translation
    assert tr is not None and tr.engine == "openai" and tr.model_id == "openai:qwen-test"
    for pair in tr.title.sentences:
        assert pair.target.startswith("EN[")


def test_translate_store_with_endpoint_down_stops_with_one_error(
    store_settings: Settings, data_dir: Path, open_db: Any
) -> None:
    settings = store_settings
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = create_engine("openai", settings, model="m", base_url=f"http://127.0.0.1:{port}/v1", retries=0)
    store = open_db(settings.db)
    store.ingest(wmt_articles(data_dir, 1)[0])
    with pytest.raises(TranslateError, match="failed after 1 try"):
        translate_store(store, settings, engine=engine)
    assert store.connection.execute("SELECT count(*) FROM translations").fetchone()[0] == 0
