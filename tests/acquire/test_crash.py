"""kill -9 the watcher mid-run, restart it: nothing lost, nothing stored twice, (almost) nothing fetched twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from .conftest import Reply

ITEMS = 16


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_sigkill_then_restart_loses_nothing_and_stores_nothing_twice(server, tmp_path, real_pages, make_rss):
    template = real_pages["interfax"].decode("utf-8")
    items = []
    for n in range(ITEMS):
        # Distinct articles: each page gets its own canonical URL and title.
        page = template.replace("https://www.interfax.ru/world/682606", f"https://www.interfax.ru/world/{n}").replace(
            "Израиль приостановил процедуру экстрадиции граждан", f"Новость номер {n} о процедуре экстрадиции"
        )
        server.routes[f"/news/{n}"] = Reply(200, page.encode(), delay=0.05)  # slow enough to be killed mid-run
        items.append({"title": f"n{n}", "link": server.url(f"/news/{n}")})
    server.routes["/feed.xml"] = Reply(200, make_rss(items))
    db = tmp_path / "watch.db"
    command = [
        sys.executable,
        "-m",
        "dragoman.cli",
        "--db",
        str(db),
        "--allow-private",
        "--host-delay",
        "0",
        "-q",
        "watch",
        "--feed",
        server.url("/feed.xml"),
        "--poll-interval",
        "0",
        "--no-print-alerts",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    victim = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline:
        if db.exists():
            try:
                stored = _count(db, "SELECT count(*) FROM articles")
            except sqlite3.OperationalError:
                stored = 0  # tables not created yet
        if stored >= ITEMS // 3:
            break
        time.sleep(0.02)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    assert ITEMS // 3 <= stored < ITEMS, "the watcher should have been killed mid-run"

    finished = subprocess.run([*command[:-3], "--once", "--no-print-alerts"], env=env, capture_output=True, timeout=120)
    assert finished.returncode == 0, finished.stderr.decode()
    assert _count(db, "SELECT count(*) FROM articles") == ITEMS
    assert _count(db, "SELECT count(*) FROM revisions") == ITEMS  # nothing stored twice
    assert _count(db, "SELECT count(*) FROM monitor_items WHERE state = 'done'") == ITEMS
    assert _count(db, "SELECT count(*) FROM story_members") == ITEMS  # every article has its story
    page_fetches = sum(server.hits(f"/news/{n}") for n in range(ITEMS))
    # At most the articles in flight when the process died (one per host worker) are fetched again.
    assert ITEMS <= page_fetches <= ITEMS + 1
