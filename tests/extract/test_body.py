"""Body cleaning: clutter blocks go, running text stays; the lead is taken out of the blocks."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from dragoman.article import Block, BlockKind
from dragoman.extract.body import bold_paragraphs, clean_blocks, is_clutter, split_lead

P = BlockKind.PARAGRAPH


@pytest.mark.parametrize(
    "text",
    [
        "Читайте также: Путин провел переговоры с премьером Малайзии",
        "Читайте также",
        "Смотрите также:",
        "По теме",
        "Подписывайтесь на «Известия» в Telegram",
        "Читайте нас в Дзене",
        "Фото: Дмитрий Азаров, Коммерсантъ",
        "Фото: РИА Новости/Сергей Пятаков",
        "Видео: Telegram-канал «Операция Z»",
        '© 2006-2019 ООО "ВИДАВНИЦТВО УКРАЇНСЬКИЙ МЕДІА ДІМ". Все права защищены.',
        "Поделиться",
        "ВКонтакте Одноклассники Telegram",
        "26 января 2022, 00:01",
        "14.05.2025, 20:28",
        "Обновлено: 3 мая 2021 в 12:30",
    ],
)
def test_clutter(text: str) -> None:
    assert is_clutter(text)


@pytest.mark.parametrize(
    "text",
    [
        "Фотограф Дмитрий Азаров снимал переговоры в Кремле весь день.",
        "26 января 2022 года в Москве прошло совещание.",
        "Президент России Владимир Путин встретился с премьер-министром Малайзии Анваром Ибрагимом.",
        # Long blocks are never clutter, whatever they start with.
        "Читайте также " + "длинный абзац настоящего текста статьи " * 10,
        "В Telegram-канале ведомства сообщили, что подписание соглашения перенесено на следующую неделю, "
        "а переговоры продолжатся в Стамбуле.",
    ],
)
def test_not_clutter(text: str) -> None:
    assert not is_clutter(text)


def test_clean_blocks_drops_title_captions_and_teaser_lists() -> None:
    blocks = [
        Block(BlockKind.SUBHEADING, "Легкий троннинг"),
        Block(P, "Первый абзац статьи."),
        Block(P, "Анвар Ибрагим очень близко к сердцу принял рассказ"),
        Block(BlockKind.SUBHEADING, "По теме:"),
        Block(BlockKind.LIST_ITEM, "Путин встретился с премьером Малайзии"),
        Block(BlockKind.LIST_ITEM, "Ушаков рассказал о переговорах"),
        Block(P, "Второй абзац статьи, который идет после врезки."),
    ]
    kept = clean_blocks(
        blocks, title="Легкий троннинг", captions=["Анвар Ибрагим очень близко к сердцу принял рассказ"]
    )
    assert [b.text for b in kept] == ["Первый абзац статьи.", "Второй абзац статьи, который идет после врезки."]


def test_lead_from_subtitle_matching_the_description() -> None:
    blocks = [
        Block(BlockKind.SUBHEADING, "Как развеселили себя президент России и премьер Малайзии"),
        Block(P, "14 мая президент России встретился с премьером."),
    ]
    lead, rest = split_lead(blocks, ["Как развеселили себя президент России и премьер Малайзии"])
    assert lead == "Как развеселили себя президент России и премьер Малайзии"
    assert [b.text for b in rest] == ["14 мая президент России встретился с премьером."]


def test_lead_from_first_paragraph_after_a_dateline() -> None:
    first = "Москва. 1 ноября. INTERFAX.RU - Верховный суд США вынес временный запрет на экстрадицию россиянина."
    blocks = [Block(P, first), Block(P, "Второй абзац.")]
    lead, rest = split_lead(blocks, ["Верховный суд США вынес временный запрет на экстрадицию россиянина."])
    assert lead == first
    assert len(rest) == 1


def test_description_not_on_the_page_is_not_a_lead() -> None:
    blocks = [Block(P, "Первый абзац статьи о другом."), Block(P, "Второй абзац.")]
    lead, rest = split_lead(blocks, ["Описание для поисковиков, которого нет в тексте статьи"])
    assert lead is None
    assert rest == blocks


def test_wholly_bold_first_paragraph_is_the_lead() -> None:
    page = lxml_html.document_fromstring(
        "<html><body><article><h1>Заголовок</h1>"
        "<p><strong>В Москве открыли новый участок ЦКАД, движение запустили в субботу утром.</strong></p>"
        "<p>Первый абзац основного текста, <b>в котором</b> есть выделение, но он не весь жирный.</p>"
        "</article></body></html>"
    )
    bold = bold_paragraphs(page)
    assert len(bold) == 1
    blocks = [
        Block(P, "В Москве открыли новый участок ЦКАД, движение запустили в субботу утром."),
        Block(P, "Первый абзац основного текста, в котором есть выделение, но он не весь жирный."),
    ]
    lead, rest = split_lead(blocks, [], bold_texts=bold)
    assert lead == "В Москве открыли новый участок ЦКАД, движение запустили в субботу утром."
    assert len(rest) == 1
    # The partly bold paragraph is not a lead.
    lead, rest = split_lead(blocks[1:] + blocks[:1], [], bold_texts=bold)
    assert lead is None


def test_byline_block_is_dropped_but_a_sentence_naming_the_authors_stays() -> None:
    blocks = [
        Block(P, "Текст статьи, который упоминает Ярослава Кузишина как эксперта."),
        Block(P, "Ярослав Кузишин, Антон Зелинский, Карина Гасимова"),
    ]
    kept = clean_blocks(
        blocks, title=None, captions=[], authors=["Ярослав Кузишин", "Антон Зелинский", "Карина Гасимова"]
    )
    assert [b.text for b in kept] == [blocks[0].text]


def test_caption_before_a_photo_credit_is_dropped() -> None:
    blocks = [
        Block(P, "Первый абзац статьи."),
        Block(P, "Анвар Ибрагим очень близко к сердцу принял рассказ Владимира Путина"),
        Block(P, "Фото: Дмитрий Азаров, Коммерсантъ"),
        Block(P, "Второй абзац статьи."),
        Block(P, "Это предложение заканчивается точкой."),
        Block(P, "Фото: РИА Новости"),
    ]
    kept = clean_blocks(blocks, title=None, captions=[])
    assert [b.text for b in kept] == [
        "Первый абзац статьи.",
        "Второй абзац статьи.",
        "Это предложение заканчивается точкой.",
    ]
