"""The article body: trafilatura finds it, we turn its XML into ordered blocks and drop the clutter.

Clutter goes in two places, both bounded so that running text is never cut: before trafilatura,
small elements whose class names a caption, credit, teaser, share or subscription box; after it, whole
short blocks that are clutter (a "Читайте также" line, a photo credit, a caption the JSON-LD names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from dragoman.article import Block, BlockKind
from dragoman.extract.authors import split_authors

# Removed from the page before trafilatura looks for the body: captions, credits, inline teasers, share
# and subscription boxes, found by class name. Each kind has a text-length cap so that a page whose
# container happens to carry such a class (<body class="... f_caption_muted ...">) loses nothing.
_CLUTTER_CLASSES: tuple[tuple[str, int], ...] = (
    ("caption", 400),
    ("photo-credit", 400),
    ("photo_credit", 400),
    ("read-also", 1000),
    ("readalso", 1000),
    ("read_also", 1000),
    ("share", 300),
    ("subscri", 400),
)
_CONTAINERS = frozenset({"html", "body", "main", "article", "section"})
FALLBACK_BELOW_CHARS = 500  # a fast extraction shorter than this is retried with trafilatura's fallbacks


@lru_cache(maxsize=512)
def _candidates_xpath(names: tuple[str, ...], figcaption: bool) -> etree.XPath | None:
    parts = ["//figcaption"] if figcaption else []
    if names:
        parts.append("//*[" + " or ".join(f"contains(@class, '{name}')" for name in names) + "]")
    return etree.XPath(" | ".join(parts)) if parts else None


def _text_longer_than(element: etree._Element, limit: int) -> bool:
    total = 0
    for piece in element.itertext():
        total += len(piece.strip())
        if total >= limit:
            return True
    return False


def _is_clutter_element(element: etree._Element) -> bool:
    if element.tag == "figcaption":
        return True
    if element.tag in _CONTAINERS:
        return False
    classes = element.get("class") or ""
    limit = max((cap for name, cap in _CLUTTER_CLASSES if name in classes), default=0)
    return limit > 0 and not _text_longer_than(element, limit)


def prune_clutter(tree: lxml_html.HtmlElement, html_text: str | None = None) -> None:
    """Remove caption, teaser, share and subscription elements, keeping the text that follows them.

    ``html_text``, the page source, lets the XPath test only class names that occur at all (it is costly).
    """
    if html_text is None:
        names = tuple(name for name, _ in _CLUTTER_CLASSES)
        figcaption = True
    else:
        names = tuple(name for name, _ in _CLUTTER_CLASSES if name in html_text)
        figcaption = "<figcaption" in html_text or "<FIGCAPTION" in html_text
    xpath = _candidates_xpath(names, figcaption)
    if xpath is None:
        return
    for element in xpath(tree):
        if _is_clutter_element(element):
            _remove_keeping_tail(element)


_SHORT = 300  # only blocks shorter than this are candidates for clutter rules
_CLUTTER_START = re.compile(
    r"(?i)^\s*(?:"
    r"(?:читайте|смотрите|см\.|читать)\s+(?:также|еще|ещё|тоже)|"
    r"(?:подписывайтесь|подпишитесь|подписаться|следите за (?:нами|новостями))|"
    r"(?:фото|фотография|видео|иллюстрация|инфографика|скриншот|коллаж|источник фото|источник изображения)"
    r"\s*(?::|—|–|-|©)|"
    r"(?:ошибка в тексте|нашли ошибку)|"
    r"(?:реклама|erid)\b|"
    r"©|"
    r"поделиться\b"
    r")"
)
_SECTION_HEADINGS = re.compile(
    r"(?i)^\s*(?:читайте также|смотрите также|по теме|новости по теме|материалы по теме|ещ[её] по теме|"
    r"другие новости|похожие новости|популярное|самое читаемое|самое интересное|главные новости|"
    r"лента новостей|последние новости|новости партнеров|новости партнёров)\s*:?\s*$"
)
_PROMO = re.compile(r"(?i)(telegram|телеграм|дзен|dzen|вконтакте|\bvk\b|whatsapp|viber|rutube|youtube)")
# Calls to the reader, not reports: "Подписывайтесь на наш канал", "Читайте «Известия» в Telegram".
_PROMO_VERB = re.compile(
    r"(?i)(подписывайтесь|подпишитесь|подписаться|читайте (?:нас|[^.]{0,40}? в )|следите за|присоединяйтесь|"
    r"смотрите нас|наш(?:ем|его)? (?:telegram|телеграм)?[- ]?канал)"
)
_COPYRIGHT = re.compile(
    r"(?i)(все права защищены|при (?:полном или частичном )?(?:использовании|цитировании)|"
    r"перепечатка .{0,40}запрещена)"
)
# A line that is only a date and time ("26 января 2022, 00:01", "14.05.2025, 20:28", "20:28 14.05.2025").
_DATE_ONLY = re.compile(
    r"(?i)^\s*(?:(?:обновлено|опубликовано|дата публикации)\s*:?\s*)?"
    r"(?:\d{1,2}:\d{2}[,\s|]*)?\d{1,2}(?:\s+[а-яёa-z]{3,9}\.?|[./]\d{1,2}[./])\s*(?:\d{4})?\s*(?:г\.|года)?"
    r"(?:[,\s|]*(?:в\s*)?\d{1,2}:\d{2})?\s*$"
)
# Header chrome: publication and update stamps alone, as article headers show them above the headline
# (ria.ru "09:24 11.06.2022 (обновлено: 09:28 11.06.2022)" in div.article__info-date and
# span.article__info-date-modified, as public RIA parsers select them; "Обновлено 12 июня 2022, 10:00 мск").
_STAMP = (
    r"(?:\d{1,2}:\d{2}[,\s|]*)?\d{1,2}(?:\s+[а-яёa-z]{3,9}\.?|[./]\d{1,2}[./]?)\s*(?:\d{4})?\s*(?:г\.|года)?"
    r"(?:[,\s|]*(?:в\s*)?\d{1,2}:\d{2})?\s*(?:мск|msk)?"
)
_STAMP_LABEL = r"(?:обновлено|обновлен[оа]?|изменено|опубликовано|дата публикации|updated|published)\s*:?\s*"
_HEADER_CHROME = re.compile(
    rf"(?i)^\s*(?:{_STAMP_LABEL})?(?:{_STAMP})?\s*(?:[(\[]?\s*{_STAMP_LABEL}{_STAMP}\s*[)\]]?)?\s*$"
)
# One scan finds both kinds of candidates: stamps (class date/time/modified/updated) and headline repeats
# (class title/headline, no paragraph inside; not <h1>: trafilatura leaves the headline out itself and uses
# the <h1> to find the article).
_CHROME_CLASSES = ("date", "time", "modified", "updated")
_HEADLINE_CLASSES = ("title", "headline")
# Elements with a class, filtered in Python: twice as fast as six contains() tests in the XPath.
_CLASSED_ELEMENTS = etree.XPath("//*[@class][not(self::html or self::body or self::main or self::article or self::h1)]")


def is_header_chrome(text: str) -> bool:
    """True for a line that is only a publication or update stamp ("09:24 11.06.2022 (обновлено: 09:28)")."""
    text = " ".join(text.split())
    return bool(text) and len(text) < 120 and any(c.isdigit() for c in text) and bool(_HEADER_CHROME.match(text))


def _remove_keeping_tail(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail and tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def prune_header_chrome(tree: lxml_html.HtmlElement, title: str | None) -> None:
    """Remove the header's time stamps and the headline's repeats, so that a short body does not take them in.

    Only elements whose whole text is a stamp (class date/time/modified/updated) or exactly the headline
    (class title/headline, no paragraph inside) go; text around them stays.
    """
    title_key = _norm(title) if title and len(title) >= 10 else ""
    for element in _CLASSED_ELEMENTS(tree):
        if element.getparent() is not None and _is_stamp_or_headline(element, title_key):
            _remove_keeping_tail(element)


def _is_stamp_or_headline(element: etree._Element, title_key: str) -> bool:
    classes = element.get("class") or ""
    if any(name in classes for name in _CHROME_CLASSES):
        return is_header_chrome(element.text_content())
    return bool(
        title_key
        and any(name in classes for name in _HEADLINE_CLASSES)
        and element.tag in ("div", "span", "a", "p")
        and element.find(".//p") is None
        and _norm(element.text_content()) == title_key
    )


_SHARE_WORDS_TEXT = (
    "поделиться вконтакте вк одноклассники ok telegram телеграм whatsapp viber facebook twitter x email "
    "e-mail скопировать ссылку копировать share мой мир livejournal"
)
_SHARE_WORDS = frozenset(_SHARE_WORDS_TEXT.split())


_SENTENCE_END = re.compile(r"[.!?…](?:[»\"”)]*)(?:\s|$)|[。！？]")
_WORD = re.compile(r"[^\W\d_]{2,}")


def is_prose(text: str) -> bool:
    """Running text has sentence ends; lists of headlines, regions or tags do not."""
    ends = len(_SENTENCE_END.findall(text))
    words = _WORD.findall(text)
    capitalised = sum(1 for w in words if w[0].isupper())
    cyrillic = sum(1 for w in words if "\u0400" <= w[0] <= "\u04ff")
    # Menus and headline lists are mostly capitalised words; prose is mostly lower case. Russian prose
    # capitalises far fewer words than English headline-style text, so its bound is tighter.
    bound = 0.5 if cyrillic > len(words) / 2 else 0.75
    return ends >= 1 and ends * 1000 >= len(text) and capitalised < bound * len(words)


@dataclass(slots=True)
class BodyResult:
    blocks: list[Block]
    bold_texts: frozenset[str] = frozenset()  # normalised texts of wholly bold paragraphs (leads on many sites)


_BOLD_PARAGRAPHS = etree.XPath("//p[b or strong]")


def bold_paragraphs(tree: lxml_html.HtmlElement, limit: int = 5) -> frozenset[str]:
    """Normalised texts of the first paragraphs that are bold from end to end (<p><strong>...</strong></p>)."""
    found: set[str] = set()
    for paragraph in _BOLD_PARAGRAPHS(tree):
        whole = _norm(paragraph.text_content())
        bold = _norm(" ".join(c.text_content() for c in paragraph if c.tag in ("b", "strong")))
        if len(whole) >= 40 and whole == bold:
            found.add(whole)
            if len(found) >= limit:
                break
    return frozenset(found)


def _inline_text(element: etree._Element) -> str:
    """Text of an element with <lb/> read as a space, whitespace collapsed."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.tag == "lb":
            parts.append(" ")
        elif node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return " ".join("".join(parts).split())


def _blocks_from_xml(body: etree._Element) -> BodyResult:
    blocks: list[Block] = []
    for element in body:
        tag = element.tag
        if tag == "head":
            text = _inline_text(element)
            if text:
                blocks.append(Block(BlockKind.SUBHEADING, text))
        elif tag == "p" or tag == "code":
            text = _inline_text(element)
            if text:
                blocks.append(Block(BlockKind.PARAGRAPH, text))
        elif tag == "quote":
            text = _inline_text(element)
            if text:
                blocks.append(Block(BlockKind.BLOCKQUOTE, text))
        elif tag == "list":
            for item in element.iter("item"):
                text = _inline_text(item)
                if text:
                    blocks.append(Block(BlockKind.LIST_ITEM, text))
        elif tag == "table":
            for row in element.iter("row"):
                cells = [_inline_text(cell) for cell in row.iter("cell")]
                text = " | ".join(c for c in cells if c)
                if text:
                    blocks.append(Block(BlockKind.PARAGRAPH, text))
        else:
            text = _inline_text(element)
            if text:
                blocks.append(Block(BlockKind.PARAGRAPH, text))
        # Text trafilatura leaves between blocks (a tail) is body text too.
        tail = " ".join((element.tail or "").split())
        if tail:
            blocks.append(Block(BlockKind.PARAGRAPH, tail))
    return BodyResult(blocks)


def run_trafilatura(
    tree: lxml_html.HtmlElement,
    url: str | None,
    *,
    prune: bool = True,
    html_text: str | None = None,
    title: str | None = None,
) -> BodyResult:
    """trafilatura's body of the page as blocks (empty when it finds none). Prunes ``tree`` in place."""
    bold_texts = bold_paragraphs(tree)
    if prune:
        prune_clutter(tree, html_text)
        prune_header_chrome(tree, title)
    # trafilatura's own extractor alone ("fast") scores higher on the benchmark than with its readability
    # and jusText fallbacks, and runs faster; the fallbacks are kept for pages where it finds little.
    result = _trafilatura_blocks(tree, url, fast=True)
    text = "\n".join(b.text for b in result.blocks)
    prose = is_prose(text)
    if len(text) < FALLBACK_BELOW_CHARS or not prose:
        fallback = _trafilatura_blocks(tree, url, fast=False)
        fallback_text = "\n".join(b.text for b in fallback.blocks)
        if is_prose(fallback_text) and (not prose or len(fallback_text) > len(text)):
            result = fallback
    result.bold_texts = bold_texts
    return result


def _trafilatura_blocks(tree: lxml_html.HtmlElement, url: str | None, *, fast: bool) -> BodyResult:
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        with_metadata=False,
        include_comments=False,
        include_formatting=False,
        include_tables=True,
        include_images=False,
        include_links=False,
    )
    if document is None or getattr(document, "body", None) is None:
        return BodyResult([])
    return _blocks_from_xml(document.body)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold().replace("ё", "е")).split())


def is_clutter(text: str, captions: frozenset[str] = frozenset()) -> bool:
    """A whole block that is a teaser, promo, credit, share widget, copyright line or a known caption."""
    if len(text) >= _SHORT:
        return False
    if _CLUTTER_START.match(text) or _SECTION_HEADINGS.match(text) or (len(text) < 60 and _DATE_ONLY.match(text)):
        return True
    if is_header_chrome(text):
        return True
    if captions and _norm(text) in captions:
        return True
    if len(text) < 250 and _PROMO.search(text) and _PROMO_VERB.search(text):
        return True
    if len(text) < 200 and _COPYRIGHT.search(text):
        return True
    words = [w for w in re.split(r"[\s,|•·/]+", text.casefold()) if w]
    return bool(words) and len(words) <= 12 and all(w in _SHARE_WORDS for w in words)


_PHOTO_CREDIT = re.compile(r"(?i)^\s*(?:фото|фотография|иллюстрация|скриншот|коллаж)\s*(?::|—|–|-|©)")


def _looks_like_caption(block: Block) -> bool:
    text = block.text.rstrip()
    return block.kind is BlockKind.PARAGRAPH and len(text) < 250 and not text.endswith((".", "!", "?", "…", ":", "»"))


def _is_byline(text: str, author_keys: frozenset[str]) -> bool:
    """A short block naming only the article's authors ("Ярослав Кузишин, Антон Зелинский")."""
    if not author_keys or len(text) > 200:
        return False
    parts = split_authors(text)
    return bool(parts) and all(_norm(part) in author_keys for part in parts)


def clean_blocks(
    blocks: list[Block], *, title: str | None, captions: list[str], authors: list[str] | None = None
) -> list[Block]:
    """Drop clutter blocks, bylines and the repeated title; after a "Читайте также" heading drop its teasers."""
    caption_keys = frozenset(_norm(c) for c in captions if c)
    author_keys = frozenset(_norm(a) for a in authors or () if a)
    title_key = _norm(title) if title else None
    kept: list[Block] = []
    in_teasers = False
    for block in blocks:
        if in_teasers:
            if block.kind is BlockKind.LIST_ITEM or (len(block.text) < 160 and not block.text.endswith((".", ":"))):
                continue
            in_teasers = False
        if _SECTION_HEADINGS.match(block.text):
            in_teasers = True
            continue
        if block.kind is BlockKind.SUBHEADING and title_key and _norm(block.text) == title_key:
            continue
        if is_clutter(block.text, caption_keys) or _is_byline(block.text, author_keys):
            # A photo credit right after a short line with no sentence end: that line was the caption.
            if _PHOTO_CREDIT.match(block.text) and kept and _looks_like_caption(kept[-1]):
                kept.pop()
            continue
        kept.append(block)
    return kept


_LEAD_ELEMENTS = etree.XPath(
    "//*[self::p or self::div or self::h2 or self::h3 or self::span]"
    "[contains(@class, 'intro') or contains(@class, 'lead') or contains(@class, 'subtitle')"
    " or contains(@class, 'announce') or contains(@class, 'anons') or contains(@class, 'summary')"
    # rbc.ru marks its overview paragraph <div class="article__text__overview"> (the dev-set page 09-rbc).
    " or contains(@class, 'overview')]"
)


def lead_element_texts(tree: lxml_html.HtmlElement, limit: int = 20) -> list[str]:
    """Texts of the first elements the page marks as a lead (class intro/lead/subtitle/announce/overview...)."""
    texts = []
    for checked, element in enumerate(_LEAD_ELEMENTS(tree)):
        if checked >= limit:
            break
        texts.append(" ".join(element.text_content().split()))
    return texts


def marked_lead_texts(lead_texts: list[str]) -> frozenset[str]:
    """Normalised ``lead_element_texts``: what the page marks as a lead.

    A description that repeats the first paragraph makes that paragraph a lead only when the page marks it
    so (a news item whose description is its first paragraph keeps it as a paragraph).
    """
    return frozenset(key for key in (_norm(text) for text in lead_texts) if 30 <= len(key) <= 1500)


def _is_marked(text_key: str, marked: frozenset[str]) -> bool:
    return any(text_key == m or text_key.startswith(m[:80]) or m.startswith(text_key[:80]) for m in marked)


def lead_element_text(lead_texts: list[str], descriptions: list[str | None]) -> str | None:
    """The lead element's text (of ``lead_element_texts``) that the page's description repeats.

    Such a lead often sits outside the block trafilatura picks as the body (football.ua's <p class="intro">).
    """
    keys = {_norm(d) for d in descriptions if d and len(d) >= 30}
    if not keys:
        return None
    for text in lead_texts:
        if 30 <= len(text) <= 800 and _norm(text) in keys:
            return text
    return None


def repeated_in(text: str, blocks: list[Block]) -> bool:
    """True when one block already says most of ``text`` (tass.ru's deck restates its second paragraph)."""
    words = set(_norm(text).split())
    if not words:
        return True
    return any(len(words & set(_norm(block.text).split())) >= 0.7 * len(words) for block in blocks)


def split_lead(
    blocks: list[Block],
    descriptions: list[str | None],
    *,
    bold_texts: frozenset[str] = frozenset(),
    marked: frozenset[str] | None = None,
) -> tuple[str | None, list[Block]]:
    """Take the lead out of the blocks: a subtitle or first paragraph the page's description repeats.

    A fully bold first paragraph counts as the lead too. A description that is not on the page is not
    made into a lead (it may be a teaser written for search engines). With ``marked`` (the page's lead
    elements, ``marked_lead_texts``), a first paragraph is a lead only when the page marks it as one:
    news sites fill the description with the first paragraph of items that have no lead.
    """
    keys = [_norm(d) for d in descriptions if d]
    keys = [k.removesuffix("...").strip() for k in keys if len(k) >= 20]
    for index, block in enumerate(blocks[:3]):
        if block.kind not in (BlockKind.SUBHEADING, BlockKind.PARAGRAPH):
            continue
        text_key = _norm(block.text)
        for key in keys:
            # The description may repeat the block after a dateline ("Москва. 1 ноября. INTERFAX.RU - ...").
            position = text_key.find(key[:60])
            if text_key == key or (0 <= position <= 80 and len(key) >= 30):
                if block.kind is BlockKind.PARAGRAPH and index > 0:
                    break  # a paragraph lead must be the first block
                if block.kind is BlockKind.PARAGRAPH and marked is not None and not _is_marked(text_key, marked):
                    break  # the description only repeats the first paragraph: it stays a paragraph
                return block.text, blocks[:index] + blocks[index + 1 :]
    if blocks and blocks[0].kind is BlockKind.PARAGRAPH and len(blocks) > 1 and _norm(blocks[0].text) in bold_texts:
        return blocks[0].text, blocks[1:]
    return None, blocks
