"""Hostile scraped content stored as real articles: what the browser receives must be inert text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from serve_corpus import asgi_client_class

from dragoman.article import Article, Block, BlockKind, SentencePair, TranslatedSegment, Translation
from dragoman.serve.app import CSP, create_app
from dragoman.store import open_store

SCRIPT = '<script>alert("x")</script>'
IMG = '<img src=x onerror="alert(1)">'
# What scraped pages really carry: truncated UTF-8 (decoded with replacement), mojibake, controls,
# a right-to-left override, zero-width and combining characters, a noncharacter.
BROKEN = (
    b"\xd0\xa1\xd0\xbb\xd0".decode("utf-8", "replace")
    + " Сломанный юникод \x00\x1b[31m РџСЂРёРІРµС‚ \u202egnp.exe\u202c \u200b\u200d e\u0301\u0301 \ufffe конец"
)
HUGE_TITLE = "Огромный заголовок " + "Ж" * (1024 * 1024)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, int]]]:
    db = tmp_path_factory.mktemp("hostile") / "d.db"
    store = open_store(db)
    ids: dict[str, int] = {}

    def add(name: str, article: Article, english: str | None = None) -> None:
        result = store.ingest(article)
        ids[name] = result.article_id
        if english is not None:
            store.save_translation(
                result.revision_id,
                Translation(
                    engine="test",
                    model_id=f"model {SCRIPT}",
                    translated_at=datetime(2022, 1, 2, tzinfo=UTC),
                    title=TranslatedSegment("title", 0, [SentencePair(article.title, english, [f"flag{SCRIPT}"])]),
                    blocks=[TranslatedSegment("block", 0, [SentencePair(article.blocks[0].text, english)])],
                ),
            )
        store.save_analysis(
            result.revision_id,
            {
                "entities": [{"key": f"PER:{SCRIPT}", "name": f"Name {IMG}", "type": f"PER{SCRIPT}"}],
                "mentions": [{"entity": f"PER:{SCRIPT}", "sentence": 0, "start": 0, "stop": 5}],
                "quotes": [{"speaker": SCRIPT, "unnamed": True, "source_type": IMG, "text": SCRIPT, "sentence": 1}],
                "events": [{"type": SCRIPT, "actor": {"name": IMG, "state": "Russia"}, "date": {"begin": "2022-01-01"},
                            "sentence": 0}],
            },
            "hostile/1",
        )  # fmt: skip

    add(
        "script",
        Article(
            url="javascript:alert(document.cookie)//https://iz.ru/1",
            title=f"Заголовок {SCRIPT} взрыв",
            blocks=[Block(BlockKind.PARAGRAPH, f"Текст {IMG} взрыв {SCRIPT}")],
            outlet=f"iz.ru{SCRIPT}",
            rubric=f"Мир{IMG}",
            authors=[f"Автор {SCRIPT}"],
            published_at=datetime(2022, 1, 1, tzinfo=UTC),
        ),
        english=f"Headline {SCRIPT} explosion {IMG}",
    )
    add(
        "data_url",
        Article(url="data:text/html,<script>alert(1)</script>", title="Дата взрыв",
                blocks=[Block(BlockKind.PARAGRAPH, "Обычный текст.")], published_at=datetime(2022, 1, 3, tzinfo=UTC)),
    )  # fmt: skip
    add(
        "broken",
        Article(url="https://iz.ru/broken", title=f"Взрыв {BROKEN}", blocks=[Block(BlockKind.PARAGRAPH, BROKEN)],
                published_at=datetime(2022, 1, 4, tzinfo=UTC)),
        english=f"Explosion {BROKEN}",
    )  # fmt: skip
    add(
        "huge",
        Article(url="https://iz.ru/huge", title=HUGE_TITLE, blocks=[Block(BlockKind.PARAGRAPH, "Взрыв. Второе.")],
                published_at=datetime(2022, 1, 5, tzinfo=UTC)),
    )  # fmt: skip
    store.close()
    with asgi_client_class()(create_app(db, token="t")) as client:
        yield client, ids


class TagCollector(HTMLParser):
    """What a browser would build: every element with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    """No markup from the data survives: the only script is ours, no event handlers, no script URLs."""
    parser = TagCollector()
    parser.feed(html)
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert scripts == [{"src": "/static/app.js", "defer": None}]
    assert not [tag for tag, _ in parser.tags if tag in ("img", "iframe", "object", "embed", "style", "base")]
    for tag, attrs in parser.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
        for name in ("href", "src", "action"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)


@pytest.mark.parametrize(
    "path",
    ["/?q=взрыв", "/?q=explosion", "/articles/{script}", "/articles/{data_url}", "/articles/{broken}",
     "/entities", "/entities/PER:<script>alert(\"x\")</script>", "/quotes", "/timeline?actor=Russia", "/outlets"],
)  # fmt: skip
def test_hostile_content_is_escaped_everywhere(hostile: tuple[Any, dict[str, int]], path: str) -> None:
    client, ids = hostile
    response = client.get(path.format(**ids))
    assert response.status_code == 200, path
    assert response.headers["content-security-policy"] == CSP
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert_inert(response.text)
    if path in ("/articles/{script}", "/?q=взрыв"):
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in response.text  # shown as text, escaped


def test_script_urls_are_shown_as_text_never_as_links(hostile: tuple[Any, dict[str, int]]) -> None:
    client, ids = hostile
    for name in ("script", "data_url"):
        html = client.get(f"/articles/{ids[name]}").text
        assert 'class="unsafe-url"' in html and "not a web link" in html
        assert 'class="source"' not in html


def test_broken_unicode_and_huge_titles_render(hostile: tuple[Any, dict[str, int]]) -> None:
    client, ids = hostile
    broken = client.get(f"/articles/{ids['broken']}")
    assert broken.status_code == 200
    broken.content.decode("utf-8")  # valid UTF-8 on the wire
    assert "Сломанный" in broken.text
    hits = client.get("/", params={"q": "сломанный"}).text
    assert f'href="/articles/{ids["broken"]}"' in hits
    huge = client.get(f"/articles/{ids['huge']}")
    assert huge.status_code == 200 and len(huge.content) > 1024 * 1024  # the reader shows it all
    listing = client.get("/", params={"q": "огромный"}).text
    assert f'href="/articles/{ids["huge"]}"' in listing
    assert len(listing) < 100_000  # lists clip titles
    api = client.get(f"/api/articles/{ids['broken']}")
    assert api.status_code == 200 and "Сломанный" in api.json()["title"]


def test_hostile_exports_stay_well_formed(hostile: tuple[Any, dict[str, int]], tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    client, _ids = hostile
    tmx = client.get("/export", params={"format": "tmx"})
    root = ET.fromstring(tmx.content)  # parses: control characters and lone surrogates removed
    segs = [seg.text or "" for seg in root.iter("seg")]
    assert any(SCRIPT in s for s in segs)  # kept as data, escaped in the XML
    assert client.get("/export", params={"format": "csv"}).status_code == 200
