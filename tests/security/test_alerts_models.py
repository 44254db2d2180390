"""Issue 13, items 7 (webhook alerts: an outbox off the ingest path, secrets redacted) and 12 (`models install`).

Item 7 runs `dragoman watch --once` against a real feed and a real webhook on 127.0.0.1 and counts the POSTs;
item 12 installs real (random-weight) CTranslate2 models and hostile directories and archives through the CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest
from click.testing import CliRunner, Result

from dragoman.acquire.alerts import AlertEngine, DeliveryThread, WebhookSink, add_watch
from dragoman.article import Article, Block, BlockKind
from dragoman.cli import main
from dragoman.pipeline.watch import Intake
from dragoman.settings import Settings
from dragoman.store import SQLiteStore
from dragoman.translate.ct2 import CTranslate2Engine
from dragoman.translate.models import resolve_model
from dragoman.translate.random_model import build_random_marian_model, russian_sentences, train_sentencepiece

# -- item 7: webhook alerts ---------------------------------------------------------------------------------

ARTICLES = 5
SECRET = "s3cr3t-T0KEN-value"


class HookServer:
    """127.0.0.1 only: a full-text RSS feed of ARTICLES items naming «Минобороны», and webhooks that answer
    with a set status and count the POSTs they receive."""

    def __init__(self) -> None:
        self.status: dict[str, int] = {}
        self.posts: dict[str, list[dict[str, Any]]] = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path == "/robots.txt":
                    self._reply(200, b"User-agent: *\nAllow: /\n")
                elif self.path == "/feed.xml":
                    self._reply(200, outer.feed(), "application/rss+xml")
                else:
                    self._reply(404, b"not found")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?")[0]
                with outer.lock:
                    outer.posts.setdefault(path, []).append(json.loads(body))
                    status = outer.status.get(path, 404)
                self._reply(status, b"{}", "application/json")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def feed(self) -> bytes:
        items = "".join(
            f"<item><title>Заявление Минобороны {n}</title><link>{self.base}/news/{n}</link>"
            f"<yandex:full-text>{escape(f'Минобороны сообщило об учениях номер {n}. Учения пройдут в мае.')}"
            "</yandex:full-text></item>"
            for n in range(ARTICLES)
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:yandex="http://news.yandex.ru">'
            f"<channel><title>test</title>{items}</channel></rss>"
        ).encode()

    def hook(self, path: str, status: int, *, secret: str | None = None) -> str:
        self.status[path] = status
        if secret is None:
            return f"{self.base}{path}"
        return f"http://hookuser:{secret}@{self.base.removeprefix('http://')}{path}?channel=news&token={secret}"

    def post_count(self, path: str) -> int:
        with self.lock:
            return len(self.posts.get(path, []))

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hooks() -> Iterator[HookServer]:
    server = HookServer()
    yield server
    server.close()


def _watch_once(db: Path, hooks: HookServer, *webhooks: str) -> Result:
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(db), "watchlist", "add", "term", "Минобороны"]).exit_code == 0
    args = ["--db", str(db), "--allow-private", "--host-delay", "0", "watch", "--once", "--no-stories"]
    args += ["--feed", hooks.base + "/feed.xml", "--no-print-alerts"]
    for url in webhooks:
        args += ["--webhook", url]
    return runner.invoke(main, args)


def _alert_rows(db: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT * FROM alerts ORDER BY id").fetchall()


def _database_text(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return "\n".join(conn.iterdump())


def test_dead_webhook_costs_one_post_per_run_not_one_per_article(tmp_path: Path, hooks: HookServer) -> None:
    """Item 7: a webhook answering 500 made `watch --once` over 5 articles send 60 POSTs (every article
    retried every undelivered alert 4 times on the storing thread). Now storing only records alerts, and the
    delivery after the batch tries the dead webhook once, then leaves the alerts pending with a backoff."""
    db = tmp_path / "w.db"
    result = _watch_once(db, hooks, hooks.hook("/dead", 500))
    assert result.exit_code == 0, result.output
    assert hooks.post_count("/dead") == 1
    assert "alerts: delivered 0, retrying later 1, failed 0, not tried yet 4" in result.stderr
    rows = _alert_rows(db)
    assert len(rows) == ARTICLES and {r["state"] for r in rows} == {"pending"}
    tried = [r for r in rows if r["attempts"]]
    assert len(tried) == 1 and "HTTP 500" in tried[0]["last_error"]
    with sqlite3.connect(db) as conn:
        stored_at = conn.execute("SELECT max(unixepoch(first_seen_at)) FROM articles").fetchone()[0]
    assert tried[0]["next_attempt_at"] >= stored_at + 25  # backoff: not retried before about a minute


def test_dead_webhook_alert_is_failed_after_the_attempt_cap(tmp_path: Path, hooks: HookServer) -> None:
    """Item 7: each alert is tried at most max_attempts times, with backoff between tries, then `failed`."""
    url = hooks.hook("/dead", 503)
    now = [1_000_000.0]
    with SQLiteStore(tmp_path / "a.db") as store:
        add_watch(store, "term", "Минобороны")
        sink = WebhookSink(url)
        engine = AlertEngine(store, [sink], max_attempts=3, clock=lambda: now[0])
        intake = Intake(store, [engine])
        for n in range(2):
            text = f"Минобороны сообщило об учениях {n}."
            intake.take(Article(url=f"https://tass.ru/{n}", title=text, blocks=[Block(BlockKind.PARAGRAPH, text)]))
        assert hooks.post_count("/dead") == 0  # storing sends nothing
        engine.deliver_pending()
        engine.deliver_pending()  # same moment: the first alert waits out its backoff, the second is tried
        assert hooks.post_count("/dead") == 2
        assert engine.deliver_pending().retrying == 0 and hooks.post_count("/dead") == 2  # both back off
        for _ in range(10):
            now[0] += 7200
            engine.deliver_pending()
        sink.close()
        rows = store.connection.execute("SELECT state, attempts FROM alerts").fetchall()
    assert [tuple(r) for r in rows] == [("failed", 3), ("failed", 3)]
    assert hooks.post_count("/dead") == 6  # 2 alerts x 3 attempts, then nothing more


def test_delivery_run_caps_and_the_watch_delivery_thread(tmp_path: Path, hooks: HookServer) -> None:
    """Item 7: one delivery run is capped (alerts, seconds), and `watch`'s delivery thread sends alerts from its
    own connection while the storing thread goes on."""
    url = hooks.hook("/ok", 200)
    db = tmp_path / "t.db"
    with SQLiteStore(db) as store:
        add_watch(store, "outlet", "tass.ru")
        sink = WebhookSink(url)
        engine = AlertEngine(store, [sink])
        intake = Intake(store, [engine])
        for n in range(4):
            intake.take(_tass_article(n))
        assert engine.deliver_pending(max_seconds=0).deferred == 4 and hooks.post_count("/ok") == 0
        assert engine.deliver_pending(max_alerts=3).delivered == 3 and hooks.post_count("/ok") == 3
        delivery = DeliveryThread(lambda: SQLiteStore(db), [sink], interval=0.05)
        delivery.start()
        for n in range(4, 8):
            intake.take(_tass_article(n))
        for _ in range(200):
            if hooks.post_count("/ok") == 8:
                break
            time.sleep(0.05)
        delivery.stop()
        sink.close()
    assert hooks.post_count("/ok") == 8
    assert {r["state"] for r in _alert_rows(db)} == {"delivered"}


def _tass_article(n: int) -> Article:
    return Article(
        url=f"https://tass.ru/{n}",
        title=f"Новость {n}",
        outlet="tass.ru",
        blocks=[Block(BlockKind.PARAGRAPH, "Текст.")],
    )


def test_healthy_webhook_gets_exactly_one_post_per_alert(tmp_path: Path, hooks: HookServer) -> None:
    """Item 7: with a webhook answering 200, each alert is POSTed once, and later runs send nothing again."""
    db = tmp_path / "w.db"
    url = hooks.hook("/ok", 200)
    result = _watch_once(db, hooks, url)
    assert result.exit_code == 0, result.output
    assert hooks.post_count("/ok") == ARTICLES
    assert sorted(p["title"] for p in hooks.posts["/ok"]) == [f"Заявление Минобороны {n}" for n in range(ARTICLES)]
    assert {r["state"] for r in _alert_rows(db)} == {"delivered"}
    again = CliRunner().invoke(main, ["--db", str(db), "alerts", "--deliver", "--webhook", url])
    assert again.exit_code == 0, again.output
    assert hooks.post_count("/ok") == ARTICLES


def test_webhook_secrets_are_redacted_in_the_database_and_the_cli(tmp_path: Path, hooks: HookServer) -> None:
    """Item 7: the webhook URL's ?token= (and user:password@) was stored in alerts.last_error and delivered_to
    and printed by `dragoman alerts`. Now only a redacted form is kept or shown."""
    db = tmp_path / "w.db"
    good = hooks.hook("/ok", 200, secret=SECRET + "A")
    bad = hooks.hook("/dead", 500, secret=SECRET + "B")
    result = _watch_once(db, hooks, good, bad)
    assert result.exit_code == 0, result.output
    assert hooks.post_count("/ok") == ARTICLES and hooks.post_count("/dead") == 1
    rows = _alert_rows(db)
    assert all("webhook:http://REDACTED@127.0.0.1" in r["delivered_to"] for r in rows)
    assert any("token=REDACTED" in (r["last_error"] or "") for r in rows)
    assert SECRET not in _database_text(db)
    assert SECRET not in result.output
    listed = CliRunner().invoke(main, ["--db", str(db), "alerts"])
    assert listed.exit_code == 0 and "pending (http://REDACTED@127.0.0.1:" in listed.stdout, listed.output
    for args in (["alerts", "--json"], ["alerts", "--undelivered"], ["alerts", "--deliver", "--webhook", bad]):
        shown = CliRunner().invoke(main, ["--db", str(db), *args])
        assert shown.exit_code == 0, shown.output
        assert SECRET not in shown.output and "token=REDACTED" in shown.output
    refused = CliRunner().invoke(main, ["--db", str(db), "alerts", "--deliver", "--webhook", f"ftp://u:{SECRET}@h/x"])
    assert refused.exit_code == 2 and SECRET not in refused.output and "REDACTED" in refused.output


def test_httpx_error_messages_with_the_url_are_redacted(tmp_path: Path) -> None:
    """Item 7: an httpx error that quotes the request URL must not put the webhook's token in last_error."""
    url = f"https://hooks.example/x?token={SECRET}"

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect to {request.url}", request=request)

    with SQLiteStore(tmp_path / "a.db") as store:
        add_watch(store, "outlet", "tass.ru")
        sink = WebhookSink(url, transport=httpx.MockTransport(refuse))  # nothing leaves the process
        engine = AlertEngine(store, [sink])
        Intake(store, [engine]).take(
            Article(
                url="https://tass.ru/1",
                title="Новость",
                outlet="tass.ru",
                blocks=[Block(BlockKind.PARAGRAPH, "Текст.")],
            )
        )
        assert engine.deliver_pending().retrying == 1
        (error,) = store.connection.execute("SELECT last_error FROM alerts").fetchone()
    assert "ConnectError: cannot connect to https://hooks.example/x?token=REDACTED" in error
    assert SECRET not in _database_text(tmp_path / "a.db")


def test_migration_drops_secrets_stored_by_earlier_versions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 7: a database written before the outbox kept webhook URLs with their tokens; migration 405
    removes them and keeps the delivery state."""
    import dragoman.store.sqlite as sqlite_store
    from dragoman.store.migrations import all_migrations

    db = tmp_path / "old.db"
    monkeypatch.setattr(sqlite_store, "all_migrations", lambda: [m for m in all_migrations() if m.version < 405])
    raw = f"webhook:https://hooks.example/x?token={SECRET}"
    with SQLiteStore(db) as store:
        watch = add_watch(store, "term", "газ")
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO alerts (watch_id, article_id, created_at, payload, delivered_to, delivered_at, attempts)"
                " VALUES (?, 1, '2025-01-01', '{}', ?, '2025-01-01', 1)",
                (watch.id, json.dumps([raw, "print"])),
            )
            conn.execute(
                "INSERT INTO alerts (watch_id, article_id, created_at, payload, delivered_to, attempts, last_error)"
                " VALUES (?, 2, '2025-01-01', '{}', ?, 2, ?)",
                (watch.id, json.dumps([raw, "print"]), f"{raw}: webhook did not accept the alert (HTTP 500)"),
            )
    assert SECRET in _database_text(db)
    monkeypatch.undo()
    with SQLiteStore(db):
        pass
    rows = _alert_rows(db)
    assert [(r["state"], json.loads(r["delivered_to"]), r["last_error"]) for r in rows] == [
        ("delivered", [], None),
        ("pending", ["print"], None),
    ]
    assert SECRET not in _database_text(db)


# -- item 12: models install -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_parts(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, Path]:
    """A real tiny Marian model directory and an Argos package directory (random weights)."""
    sentences = russian_sentences([data_dir / "wmt_ru_en" / "newstest2019.ru-en.ru"], limit=2000)
    root = tmp_path_factory.mktemp("models-src")
    spm = train_sentencepiece(sentences, root / "ru", vocab_size=400)
    return {
        "marian": build_random_marian_model(root / "tiny-opus", spm, seed=1),
        "argos": build_random_marian_model(root / "translate-ru_en-1_0", spm, seed=2, layout="argos"),
    }


@pytest.fixture
def models_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("DRAGOMAN_MAX_MODEL_BYTES", raising=False)
    home = tmp_path / "installed"
    monkeypatch.setenv("DRAGOMAN_MODELS", str(home))
    yield home


def _tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _zip_dir(folder: Path, archive: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                zf.write(file, (Path(folder.name) / file.relative_to(folder)).as_posix())
        for name, data in (extra or {}).items():
            zf.writestr(f"{folder.name}/{name}", data)
    return archive


def _cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def _assert_clean_refusal(result: Result, models_home: Path, *, says: str) -> None:
    """One line on stderr, exit 1, no traceback, and nothing (not even a staging folder) in the models dir."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot install") and says in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not models_home.exists() or list(models_home.iterdir()) == []
    listed = _cli("models", "list", "--json")
    assert listed.exit_code == 0 and listed.stdout.strip() == "[]"


def test_clean_argos_package_still_installs_and_translates(tmp_path: Path, model_parts, models_home: Path) -> None:
    """Item 12: the hardened installer still takes a real package (the positive case)."""
    archive = _zip_dir(model_parts["argos"], tmp_path / "translate-ru_en-1_0.argosmodel")
    result = _cli("models", "install", str(archive))
    assert result.exit_code == 0, result.output
    layout = resolve_model(Settings(models_dir=models_home), "argos-ru-en-0.0")
    out = CTranslate2Engine(layout, device="cpu").translate_batch(["Москва."], max_decoding_length=3)
    assert len(out.targets) == 1
    assert [p.name for p in models_home.iterdir()] == ["argos-ru-en-0.0"]  # no staging folder left


def test_zip_bomb_over_the_size_cap_is_refused_and_keeps_the_installed_model(
    tmp_path: Path, model_parts, models_home: Path
) -> None:
    """Item 12: a small archive that unpacks beyond max_model_bytes is refused from its headers; nothing is
    written, and a model already installed under that name stays in place."""
    cap = _tree_bytes(model_parts["argos"]) + 1_000_000
    bomb = _zip_dir(model_parts["argos"], tmp_path / "bomb.argosmodel", {"padding.bin": bytes(30_000_000)})
    assert bomb.stat().st_size < cap  # small on disk, 30 MB unpacked
    env = {"DRAGOMAN_MAX_MODEL_BYTES": str(cap)}
    result = _cli("models", "install", str(bomb), env=env)
    _assert_clean_refusal(result, models_home, says=f"more than {cap:,} bytes")

    good = _zip_dir(model_parts["argos"], tmp_path / "good.argosmodel")
    assert _cli("models", "install", str(good), "--name", "ru-en", env=env).exit_code == 0
    again = _cli("models", "install", str(bomb), "--name", "ru-en", env=env)
    assert again.exit_code == 1 and "Traceback" not in again.output
    assert sorted(p.name for p in models_home.iterdir()) == ["ru-en"]
    assert _tree_bytes(models_home / "ru-en") < cap
    assert resolve_model(Settings(models_dir=models_home), "ru-en").family == "argos"


def test_model_directory_with_symlink_out_is_refused_without_copying(tmp_path: Path, model_parts, models_home) -> None:
    """Item 12: a symlink to a file outside the model is refused, not followed; the secret is not copied."""
    secret = tmp_path / "secret.txt"
    secret.write_text("PRIVATE-KEY-MATERIAL")
    model = tmp_path / "evil-model"
    shutil.copytree(model_parts["marian"], model)
    (model / "notes.txt").symlink_to(secret)
    result = _cli("models", "install", str(model))
    _assert_clean_refusal(result, models_home, says="notes.txt is a symbolic link")


def test_model_directory_with_symlink_to_root_is_refused_before_copying(
    tmp_path: Path, model_parts, models_home: Path
) -> None:
    """Item 12: a link to `/` inside the model is seen with lstat and refused; no file of the disk is read."""
    model = tmp_path / "root-model"
    shutil.copytree(model_parts["marian"], model)
    (model / "sub").mkdir()
    (model / "sub" / "everything").symlink_to("/")
    result = _cli("models", "install", str(model))
    _assert_clean_refusal(result, models_home, says="everything is a symbolic link")


def test_symlink_loop_and_hard_link_are_refused(tmp_path: Path, model_parts, models_home: Path) -> None:
    """Item 12: a symlink loop gave a raw shutil.Error traceback; a hard link is refused like a symlink."""
    model = tmp_path / "loop-model"
    shutil.copytree(model_parts["marian"], model)
    (model / "loop").symlink_to(model / "loop")
    result = _cli("models", "install", str(model))
    _assert_clean_refusal(result, models_home, says="loop is a symbolic link")
    (model / "loop").unlink()
    os.link(model / "model.bin", model / "weights-copy.bin")
    linked = _cli("models", "install", str(model))
    _assert_clean_refusal(linked, models_home, says="hard link")


@pytest.mark.timeout(60)
def test_fifo_in_model_directory_is_refused_without_hanging(tmp_path: Path, model_parts, models_home) -> None:
    """Item 12: a FIFO inside the directory is refused (never opened, so nothing waits for a writer)."""
    model = tmp_path / "fifo-model"
    shutil.copytree(model_parts["marian"], model)
    os.mkfifo(model / "pipe")
    result = _cli("models", "install", str(model))
    _assert_clean_refusal(result, models_home, says="pipe is a FIFO")


def test_zip_entry_under_a_symlinked_directory_is_refused(tmp_path: Path, models_home: Path) -> None:
    """Item 12: an archive with a symlink entry (`pkg/model -> /tmp`) and a file below it gave a traceback."""
    archive = tmp_path / "link.argosmodel"
    with zipfile.ZipFile(archive, "w") as zf:
        link = zipfile.ZipInfo("pkg/model")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, str(tmp_path))
        zf.writestr("pkg/model/model.bin", b"x" * 10)
    result = _cli("models", "install", str(archive))
    _assert_clean_refusal(result, models_home, says="'pkg/model' is a symbolic link")
    assert not (tmp_path / "model.bin").exists()
