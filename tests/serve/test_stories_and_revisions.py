"""The reader shows an article's story (its copies in other outlets) and what changed between its revisions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from serve_corpus import asgi_client_class

from dragoman.acquire.dedupe import StoryIndex
from dragoman.article import Article, Block, BlockKind, SentencePair, TranslatedSegment, Translation
from dragoman.serve.app import create_app
from dragoman.store import open_store

LEAD = (
    "Центральный банк России сохранил ключевую ставку на уровне 16 процентов годовых, сообщила пресс-служба "
    "регулятора в пятницу. Решение совет директоров принял единогласно."
)
HOSTILE = "<script>alert('x')</script>"


def article(url: str, outlet: str, title: str, paragraphs: list[str]) -> Article:
    return Article(
        url=url, title=title, outlet=outlet, blocks=[Block(BlockKind.PARAGRAPH, text) for text in paragraphs]
    )


def build(db: Path) -> dict[str, int]:
    first = article("https://tass.ru/ekonomika/1", "tass.ru", "ЦБ сохранил ставку", [LEAD, "Инфляция замедлилась."])
    edited = article(
        "https://tass.ru/ekonomika/1",
        "tass.ru",
        f"ЦБ сохранил ключевую ставку {HOSTILE}",
        [LEAD, f"Инфляция замедлилась до 7,5%. {HOSTILE}"],
    )
    same = article("https://mirror.example/1", "mirror.example", edited.title, [b.text for b in edited.blocks])
    rewrite = article(
        "https://ria.ru/economy/1",
        "ria.ru",
        "Банк России оставил ключевую ставку без изменений",
        [LEAD + " Аналитики ожидали такого решения.", "Инфляция замедлилась до 7,5%."],
    )
    with open_store(db) as store:
        index = StoryIndex(store)
        index.assign(store.ingest(first).article_id, first)
        revised = store.ingest(edited)  # a new revision of the same URL, through the intake hook
        index(revised.article_id, edited, revised)
        edited_id = revised.article_id
        ids = {"edited": edited_id}
        for name, copy in (("same", same), ("rewrite", rewrite)):
            ids[name] = index.assign(store.ingest(copy).article_id, copy).article_id
        # The copy of the edited text matches exactly: the revision replaced the member's hash and signature.
        assert index.assign(ids["same"], same).kind == "exact_hash"
        assert {index.assign(i, store.get(i).article).story_id for i in ids.values()} == {
            index.assign(edited_id, edited).story_id
        }
    return ids


def english(title: str) -> Translation:
    return Translation(
        engine="ctranslate2",
        model_id="opus-mt-ru-en@test",
        translated_at=datetime.now(UTC),
        title=TranslatedSegment("title", 0, [SentencePair("ЦБ", title)]),
        blocks=[],
    )


def test_reader_lists_the_story_and_links_what_changed(tmp_path: Path, store_url: str) -> None:
    db = store_url
    ids = build(db)
    with open_store(db) as store:  # only the first article is translated (as a run cut short leaves it)
        store.save_translation(store.get(ids["edited"]).revision_id, english(f"Central Bank keeps its rate {HOSTILE}"))
    with asgi_client_class()(create_app(db)) as client:
        page = client.get(f"/articles/{ids['edited']}").text
        assert "changed after it was first stored" in page and f'href="/articles/{ids["edited"]}/diff"' in page
        assert "one of 3 articles on this story" in page
        assert f'href="/articles/{ids["same"]}"' in page and f'href="/articles/{ids["rewrite"]}"' in page
        assert "same text" in page and "near copy (" in page
        assert HOSTILE not in page and "&lt;script&gt;" in page
        # The exact copy shows the story's English as its own; the untranslated rewrite links to it.
        same_page = client.get(f"/articles/{ids['same']}").text
        assert 'class="reader bilingual"' in same_page and "same text as" in same_page
        rewrite_page = client.get(f"/articles/{ids['rewrite']}").text
        assert 'class="reader bilingual"' not in rewrite_page and "not translated separately" in rewrite_page
        assert f'href="/articles/{ids["edited"]}">Central Bank keeps its rate &lt;script&gt;' in rewrite_page
        assert HOSTILE not in rewrite_page

        diff = client.get(f"/articles/{ids['edited']}/diff")
        assert diff.status_code == 200 and HOSTILE not in diff.text
        assert '<span class="del">- ЦБ сохранил ставку</span>' in diff.text
        assert '<span class="add">+ ЦБ сохранил ключевую ставку &lt;script&gt;' in diff.text
        assert '<span class="del">-Инфляция замедлилась.</span>' in diff.text

        data = client.get(f"/api/articles/{ids['edited']}/diff").json()
        assert data["title_diff"] == ["- ЦБ сохранил ставку", f"+ ЦБ сохранил ключевую ставку {HOSTILE}"]
        assert (data["old_revision"], data["new_revision"]) == (1, 2)
        assert f"+Инфляция замедлилась до 7,5%. {HOSTILE}" in data["body_diff"]

        story = client.get(f"/api/articles/{ids['rewrite']}/story", params={"limit": 1}).json()
        assert story["article_count"] == 3 and len(story["members"]) == 1
        assert story["members"][0]["article_id"] == ids["edited"] and story["members"][0]["kind"] == "first"

        # One revision only: a clear "not found", on the page and in the API.
        single = client.get(f"/articles/{ids['same']}/diff")
        assert single.status_code == 404 and "only one revision" in single.text
        assert client.get(f"/api/articles/{ids['same']}/diff").status_code == 404
        assert client.get("/api/articles/999/story").status_code == 404
        assert "changed after it was first stored" not in client.get(f"/articles/{ids['same']}").text
