"""The plain-text document format, Markdown and JSON renderings, and reading the text format back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dragoman.article import Article, Block, BlockKind, SentencePair, TranslatedSegment, Translation
from dragoman.formats.document import parse_text_document, render_json, render_markdown, render_text


def izvestia_article() -> Article:
    return Article(
        url="https://iz.ru/1281923/ekaterina-postnikova-tatiana-baikova/x",
        title="Непостпредственно: восстановит ли РФ свою миссию при НАТО",
        lead="На каких условиях альянс предложил ей это сделать",
        blocks=[
            Block(BlockKind.PARAGRAPH, "Москва не будет восстанавливать дипмиссию при Североатлантическом альянсе."),
            Block(BlockKind.SUBHEADING, "Риторический оборот"),
            Block(BlockKind.PARAGRAPH, "Россия пока не будет восстанавливать постпредство при НАТО."),
        ],
        outlet="iz.ru",
        rubric="Мир",
        published_at=datetime(2022, 1, 25, 21, 1, tzinfo=UTC),
        timezone="Europe/Moscow",
        authors=["Екатерина Постникова", "Татьяна Байкова"],
    )


def translated(article: Article) -> Article:
    def seg(role: str, index: int, *pairs: tuple[str, str]) -> TranslatedSegment:
        return TranslatedSegment(role, index, [SentencePair(s, t) for s, t in pairs])

    article.translation = Translation(
        engine="ctranslate2",
        model_id="opus-mt-ru-en",
        translated_at=datetime(2022, 1, 26, tzinfo=UTC),
        title=seg("title", 0, (article.title, "Non-permanent: will the Russian Federation restore its mission")),
        lead=seg("lead", 0, (article.lead or "", "Under what conditions did the alliance offer it")),
        blocks=[
            seg("block", 0, (article.blocks[0].text, "Moscow will not restore its diplomatic mission.")),
            seg("block", 1, (article.blocks[1].text, "Rhetorical turn")),
            seg("block", 2, (article.blocks[2].text, "Russia will not yet restore"), ("", "its mission.")),
        ],
        rubric="World",
        authors=["Ekaterina Postnikova", "Tatyana Baykova"],
    )
    return article


def test_text_format_line_by_line_for_a_translated_article() -> None:
    lines = render_text(translated(izvestia_article())).splitlines()
    title = "Non-permanent: will the Russian Federation restore its mission"
    assert lines[0] == title
    assert lines[1] == "WORLD January 26, 2022, 00:01 MSK (UTC+03:00)"
    assert lines[2] == f"{title} Ekaterina Postnikova, Tatyana Baykova"
    assert lines[3] == "Under what conditions did the alliance offer it"
    # The subheading is its own line, never run into the paragraph before it.
    assert lines[4:7] == [
        "Moscow will not restore its diplomatic mission.",
        "Rhetorical turn",
        "Russia will not yet restore its mission.",
    ]
    assert lines[-1] == "Translated from Original Document: Russian To English: " + izvestia_article().url
    assert "PEACE" not in render_text(translated(izvestia_article()))


def test_untranslated_article_does_not_claim_a_translation() -> None:
    text = render_text(izvestia_article())
    lines = text.splitlines()
    assert lines[1] == "МИР January 26, 2022, 00:01 MSK (UTC+03:00)"
    assert lines[-1] == "Original Document: Russian: " + izvestia_article().url
    assert "Translated" not in text


def test_markdown_escapes_scraped_markup() -> None:
    article = izvestia_article()
    article.blocks.append(Block(BlockKind.PARAGRAPH, "<script>alert(1)</script> [click](javascript:alert(1))"))
    md = render_markdown(article)
    assert "## Риторический оборот" in md
    assert "<script>" not in md and "[click](" not in md
    assert "\\<script\\>" in md and "\\[click\\]" in md


def test_json_rendering_is_the_record() -> None:
    article = translated(izvestia_article())
    assert Article.from_json(render_json(article)) == article


def test_the_users_example_document_parses_and_renders_back(shared_dir: Path) -> None:
    source = (shared_dir / "examples" / "izvestia-2022-01-26.txt").read_text(encoding="utf-8")
    doc = parse_text_document(source)
    assert doc.language == "en"
    assert doc.title.startswith("Non-permanent: will the Russian Federation restore its mission to NATO")
    assert doc.authors == ["Ekaterina Postnikova", "Tatyana Baikova"]
    assert doc.url.startswith("https://iz.ru/1281923/")
    assert doc.published_at == datetime(2022, 1, 25, 21, 1, tzinfo=UTC)  # 00:01 Moscow time
    assert len(doc.blocks) == 11
    assert doc.blocks[0].text.startswith("Moscow will not restore its diplomatic mission")
    rendered = render_text(doc).splitlines()
    original = source.strip().splitlines()
    assert rendered[0] == original[0]
    assert rendered[1] == original[1] + " MSK (UTC+03:00)"  # now with its zone
    assert rendered[3:] == original[3:]
    assert parse_text_document(render_text(doc)).published_at == doc.published_at


@pytest.mark.parametrize(
    "text, message",
    [
        ("only a title", "needs a title"),
        ("T\nnot a dateline\nT A B\nbody\nTranslated from Original Document: Russian To English: u", "second line"),
        ("T\nWORLD January 1, 2022, 10:00\nT\nbody\nno source here", "last line"),
    ],
)
def test_text_that_is_not_a_document_says_what_is_missing(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_text_document(text)
