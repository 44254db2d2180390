"""The store owns all SQL: no string outside ``store/`` and ``search/`` looks like a SQL statement.

The source is read with ``ast`` (string constants, f-string parts joined), so SQL in comments and
docstrings does not count, and SQL assembled from pieces is seen as the statement it starts.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dragoman"
SQL_HOMES = ("store", "search")

# A statement's opening words: a verb and what SQL puts right after it. Prose rarely says "SELECT x FROM"
# or "INSERT INTO"; the pairs keep English sentences ("select the rows") out.
SQL_STATEMENT = re.compile(
    r"^\s*(?:"
    r"SELECT\s+[\w*().,\s'\"]+?\s+FROM\s"
    r"|SELECT\s+(?:count|sum|max|min|1|DISTINCT|to_regclass)\b"
    r"|INSERT\s+(?:OR\s+\w+\s+)?INTO\s"
    r"|UPDATE\s+\w+\s+SET\s"
    r"|DELETE\s+FROM\s+[\w\"?]+\s*(?:WHERE\s|;|$)"
    r"|CREATE\s+(?:UNIQUE\s+|VIRTUAL\s+|TEMP\s+)?(?:TABLE|INDEX|TRIGGER|VIEW)\s"
    r"|DROP\s+(?:TABLE|INDEX|TRIGGER|VIEW)\s"
    r"|ALTER\s+TABLE\s"
    r"|WITH\s+\w+\s*(?:\([^)]*\))?\s+AS\s*\("
    r"|PRAGMA\s"
    r")",
    re.IGNORECASE | re.DOTALL,
)


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string constant with its line; an f-string's literal parts joined (its fields as ``?``)."""
    found: list[tuple[int, str]] = []
    inside_fstring: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                inside_fstring.add(id(value))
                parts.append(value.value if isinstance(value, ast.Constant) else "?")
            found.append((node.lineno, "".join(str(p) for p in parts)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inside_fstring:
            found.append((node.lineno, node.value))
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(first.value.lineno)
    return ids


def sql_outside_the_store() -> dict[str, list[str]]:
    """``{module: ["line: statement", ...]}`` for SQL statements in modules outside store/ and search/."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module.split("/")[0] in SQL_HOMES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for line, text in _strings(tree):
            if line not in docstrings and SQL_STATEMENT.match(text):
                found.setdefault(module, []).append(f"{line}: {' '.join(text.split())[:80]}")
    return found


def test_the_detector_finds_sql_and_leaves_prose_alone() -> None:
    """What the scan counts as SQL (so the test below can fail, and fails only on SQL)."""
    for statement in (
        "SELECT id, url FROM articles WHERE id = ?",
        "select count(*) from translations",
        "INSERT INTO alerts (watch_id) VALUES (?) ON CONFLICT DO NOTHING",
        "INSERT OR IGNORE INTO story_members VALUES (?, ?)",
        "UPDATE crawl_items SET state = ? WHERE url = ?",
        "DELETE FROM entity_mentions WHERE article_id = ?",
        "CREATE TABLE IF NOT EXISTS feeds (url TEXT PRIMARY KEY)",
        "WITH recent AS (SELECT 1) SELECT * FROM recent",
    ):
        assert SQL_STATEMENT.match(statement), statement
    for prose in (
        "Select the articles to translate.",
        "update the glossary and run again",
        "delete from the list",
        "created table of contents",
        "Only this outlet (repeatable), e.g. iz.ru.",
    ):
        assert not SQL_STATEMENT.match(prose), prose
    tree = ast.parse('x = f"SELECT id FROM {table} WHERE a = ?"\n"""SELECT docstrings FROM prose"""\n')
    assert [text for _line, text in _strings(tree) if SQL_STATEMENT.match(text)] == [
        "SELECT id FROM ? WHERE a = ?",
        "SELECT docstrings FROM prose",
    ]


def test_no_sql_outside_store_and_search() -> None:
    found = sql_outside_the_store()
    listing = "\n".join(f"{module}:\n  " + "\n  ".join(lines) for module, lines in found.items())
    assert not found, f"SQL outside store/ and search/ (move it into a store repository):\n{listing}"


# A store's connections: ``connection`` and ``sql`` (the wrapped one) and ``raw`` (the driver's). Code outside
# store/ and search/ asks a repository (``store.front``, ``store.stories`` ...) instead; the names are rare
# enough elsewhere that any attribute spelled so counts.
CONNECTION_ATTRIBUTES = frozenset({"connection", "sql", "raw"})


def connections_outside_the_store() -> dict[str, list[str]]:
    """``{module: ["line: .name", ...]}`` for attribute reads of a store's connections outside store/ and
    search/ (serve/ above all: the web pages read through repositories)."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module.split("/")[0] in SQL_HOMES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in CONNECTION_ATTRIBUTES:
                found.setdefault(module, []).append(f"{node.lineno}: .{node.attr}")
    return found


def test_the_connection_detector_sees_attribute_reads() -> None:
    tree = ast.parse("rows = st.connection.execute('x')\nraw = store.raw\nname = 'store.connection'\n")
    seen = [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in CONNECTION_ATTRIBUTES]
    assert sorted(seen) == ["connection", "raw"]


def test_no_store_connection_outside_store_and_search() -> None:
    found = connections_outside_the_store()
    listing = "\n".join(f"{module}:\n  " + "\n  ".join(lines) for module, lines in found.items())
    assert not found, f"a store's connection used outside store/ and search/ (use a repository):\n{listing}"
