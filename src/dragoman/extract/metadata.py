"""Page metadata from JSON-LD, OpenGraph and <meta>: what the publisher states about the article."""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml import html as lxml_html

ARTICLE_TYPES = frozenset(
    {
        "newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
        "backgroundnewsarticle", "reviewnewsarticle", "blogposting", "socialmediaposting", "liveblogposting",
        "scholarlyarticle", "techarticle", "report",
    }
)  # fmt: skip
LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "website"})

_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "article:published",
    "mediator_published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "dc.date.issued",
    "dcterms.created",
    "dc.date",
    "date",
    "sailthru.date",
    "parsely-pub-date",
    "og:pubdate",
    "article.published",
    "created",
)
_AUTHOR_META = ("author", "article:author", "mediator_author", "og:article:author", "dc.creator", "sailthru.author")
_SECTION_META = ("article:section", "og:article:section", "mediator_theme", "section", "news_keywords_section")


@dataclass(slots=True)
class PageMetadata:
    title: str | None = None
    h1: str | None = None
    description: str | None = None  # og:description / JSON-LD description
    meta_description: str | None = None  # <meta name="description">
    url: str | None = None  # og:url
    canonical: str | None = None
    site_name: str | None = None
    published: list[str] = field(default_factory=list)  # raw candidates, best first
    authors: list[str] = field(default_factory=list)
    author_orgs: list[str] = field(default_factory=list)
    section: str | None = None  # the stated section: JSON-LD articleSection, else meta_section
    ld_section: str | None = None  # JSON-LD articleSection alone
    meta_section: str | None = None  # article:section and other meta tags, itemprop="articleSection"
    document_title: str | None = None  # the <title> element as written ("Headline: Rubric: Lenta.ru")
    breadcrumb: list[str] = field(default_factory=list)
    html_lang: str | None = None
    og_type: str | None = None
    is_article: bool = False  # JSON-LD or og:type says this page is an article
    is_listing: bool = False  # JSON-LD says collection/list page
    captions: list[str] = field(default_factory=list)  # image captions named in JSON-LD


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        value = " ".join(html_lib.unescape(value).split())
        return value or None
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("@value") or value.get("text"))
    if isinstance(value, list) and value:
        return _text(value[0])
    return None


def _loads_lenient(raw: str) -> Any:
    raw = raw.strip()
    raw = re.sub(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$", "", raw).strip()
    if not raw:
        return None
    try:
        return json.loads(raw, strict=False)
    except ValueError:
        pass
    # Common publisher mistakes: trailing commas, several objects glued together, stray semicolons.
    fixed = re.sub(r",\s*([}\]])", r"\1", raw).rstrip(";")
    try:
        return json.loads(fixed, strict=False)
    except ValueError:
        pass
    try:
        return json.loads("[" + re.sub(r"}\s*{", "},{", fixed) + "]", strict=False)
    except ValueError:
        return None


def _walk(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 6:
        return
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, depth + 1)
    elif isinstance(node, dict):
        yield node
        if "@graph" in node:
            yield from _walk(node["@graph"], depth + 1)
        main = node.get("mainEntity")
        if isinstance(main, dict | list):
            yield from _walk(main, depth + 1)


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.lower() for v in values if isinstance(v, str)}


def _person_names(value: Any) -> tuple[list[str], list[str]]:
    people: list[str] = []
    orgs: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            people.append(item)
        elif isinstance(item, dict):
            name = _text(item.get("name"))
            if not name:
                continue
            if _types(item) & {"organization", "newsmediaorganization"}:
                orgs.append(name)
            else:
                people.append(name)
    return people, orgs


def _read_json_ld(tree: lxml_html.HtmlElement, meta: PageMetadata) -> None:
    article: dict[str, Any] | None = None
    for script in tree.iterfind(".//script[@type]"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        data = _loads_lenient(script.text or "")
        for node in _walk(data):
            types = _types(node)
            if types & ARTICLE_TYPES:
                if article is None:
                    article = node
            elif types & LISTING_TYPES and "itemListElement" in node:
                meta.is_listing = True
            elif "breadcrumblist" in types and not meta.breadcrumb:
                meta.breadcrumb = _breadcrumb(node)
    if article is None:
        return
    meta.is_article = True
    meta.title = _text(article.get("headline")) or _text(article.get("name"))
    meta.description = _text(article.get("description"))
    for key in ("datePublished", "dateCreated", "uploadDate"):
        value = _text(article.get(key))
        if value:
            meta.published.append(value)
    people, orgs = _person_names(article.get("author"))
    meta.authors.extend(people)
    meta.author_orgs.extend(orgs)
    section = article.get("articleSection")
    meta.section = meta.ld_section = _text(section)
    main = article.get("mainEntityOfPage")
    meta.url = _text(article.get("url")) or (main.get("@id") if isinstance(main, dict) else _text(main))
    images = article.get("image")
    for image in images if isinstance(images, list) else [images]:
        if isinstance(image, dict):
            caption = _text(image.get("caption") or image.get("description"))
            if caption:
                meta.captions.append(caption)


def _breadcrumb(node: dict[str, Any]) -> list[str]:
    items = node.get("itemListElement")
    if not isinstance(items, list):
        return []
    named: list[tuple[int, str]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        name = _text(item.get("name")) or _text(item.get("item"))
        position = item.get("position")
        if name:
            named.append((position if isinstance(position, int) else len(named) + 1, name))
    return [name for _, name in sorted(named)]


_MICRODATA_AUTHORS = etree.XPath("//*[@itemprop='author']")
_MICRODATA_SECTION = etree.XPath("//*[@itemprop='articleSection']")


_BYLINE_ELEMENTS = etree.XPath("//*[contains(@class, 'author') or contains(@class, 'byline')]")
# "Автор: Олеся Жуковень" (inform.kz); old rbc.ru headers write the label without a colon ("Автор Иван Петров",
# .article__authors__row as public RBC parsers read it), so a capitalised name may follow the label directly.
_BYLINE_LABEL = re.compile(r"^(?i:автор(?:ы)?|текст|by)(?:\s*:\s*|\s+(?=[A-ZА-ЯЁ]))(.+)$")
# Name elements of a byline in the header: rbc.ru span.article__authors__author__name, ria.ru
# .article__author-name (public parsers of both select these); never inside a photo's credit or caption.
_AUTHOR_NAME_ELEMENTS = etree.XPath(
    "//*[contains(@class, 'author') and contains(@class, 'name')][not(self::meta or self::img)]"
    "[not(contains(@class, 'photo') or contains(@class, 'image') or contains(@class, 'credit'))]"
    "[not(ancestor::figure or ancestor::figcaption or ancestor::*[contains(@class, 'photo')"
    " or contains(@class, 'caption') or contains(@class, 'credit') or contains(@class, 'image')])]"
)
_NAME_WORDS = re.compile(r"^[A-ZА-ЯЁ][\w’'-]+(?:\s+[A-ZА-ЯЁ][\w’'.-]+){1,3}$")


def _byline_authors(tree: lxml_html.HtmlElement) -> list[str]:
    """A visible byline: an author-class element reading "Автор: Олеся Жуковень" (inform.kz), else the header's
    author-name elements ("Иван Петров" in rbc.ru's span.article__authors__author__name)."""
    for checked, element in enumerate(_BYLINE_ELEMENTS(tree)):
        if checked >= 20:
            break
        text = " ".join(element.text_content().split())
        match = _BYLINE_LABEL.match(text) if len(text) < 150 else None
        if match:
            return [match.group(1)]
    names: list[str] = []
    for checked, element in enumerate(_AUTHOR_NAME_ELEMENTS(tree)):
        if checked >= 12 or len(names) >= 6:
            break
        text = " ".join(element.text_content().split())
        if _NAME_WORDS.match(text) and text not in names:
            names.append(text)
    return names


def _microdata_value(tree: lxml_html.HtmlElement, xpath: etree.XPath) -> str | None:
    for element in xpath(tree):
        value = element.get("content") if element.tag == "meta" else element.text_content()
        value = " ".join(html_lib.unescape(value or "").split())
        if value:
            return value
    return None


def _microdata_authors(tree: lxml_html.HtmlElement) -> list[str]:
    """Names in schema.org microdata (itemprop="author", its itemprop="name" when it has one)."""
    names: list[str] = []
    for element in _MICRODATA_AUTHORS(tree):
        name_element = element.find('.//*[@itemprop="name"]')
        source = name_element if name_element is not None else element
        value = source.get("content") if source.tag == "meta" else source.text_content()
        value = " ".join(html_lib.unescape(value or "").split())
        if value and value not in names:
            names.append(value)
        if len(names) >= 6:
            break
    return names


def read_metadata(tree: lxml_html.HtmlElement) -> PageMetadata:
    """Collect title, description, dates, authors and section as the page states them."""
    meta = PageMetadata()
    _read_json_ld(tree, meta)
    metas: dict[str, str] = {}
    meta_authors: list[str] = []
    for element in tree.iterfind(".//meta"):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").strip().lower()
        content = element.get("content")
        if not key or content is None:
            continue
        content = " ".join(html_lib.unescape(content).split())
        if key in _AUTHOR_META and content:
            meta_authors.append(content)
        metas.setdefault(key, content)
    for link in tree.iterfind(".//link[@rel]"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            meta.canonical = link.get("href", "").strip()
            break

    og_title = metas.get("og:title") or metas.get("twitter:title")
    meta.title = meta.title or og_title
    meta.description = metas.get("og:description") or meta.description or metas.get("twitter:description")
    meta.meta_description = metas.get("description")
    meta.url = metas.get("og:url") or meta.url
    meta.site_name = metas.get("og:site_name") or metas.get("application-name")
    meta.og_type = (metas.get("og:type") or "").lower() or None
    if meta.og_type and meta.og_type.startswith("article"):
        meta.is_article = True
    meta.published.extend(metas[k] for k in _PUBLISHED_META if metas.get(k))
    for time_element in tree.iterfind(".//time[@datetime]"):
        if time_element.get("itemprop", "").lower() in ("datepublished", "") or time_element.get("pubdate"):
            meta.published.append(time_element.get("datetime", ""))
            break
    if not meta.authors:
        meta.authors.extend(_microdata_authors(tree))
    if not meta.authors:
        meta.authors.extend(_byline_authors(tree))
    if not meta.authors:
        meta.authors.extend(a for a in meta_authors if "://" not in a)
    meta.meta_section = next((metas[k] for k in _SECTION_META if metas.get(k)), None)
    if not meta.meta_section:
        meta.meta_section = _microdata_value(tree, _MICRODATA_SECTION)
    meta.section = meta.section or meta.meta_section
    root = tree.getroottree().getroot()
    meta.html_lang = (root.get("lang") or root.get("xml:lang") or metas.get("content-language") or "").lower() or None
    h1 = tree.find(".//h1")
    if h1 is not None:
        meta.h1 = " ".join(h1.text_content().split()) or None
    title_element = tree.find(".//title")
    if title_element is not None and title_element.text:
        meta.document_title = " ".join(title_element.text.split())
    meta.document_title = meta.document_title or metas.get("title")
    meta.title = meta.title or meta.document_title
    return meta


_SITE_SUFFIX = re.compile(r"\s+[|—–\-:·•]\s+[^|—–\-]{2,60}$")


def clean_title(title: str | None, h1: str | None, site_names: list[str]) -> str | None:
    """The headline without a " | Outlet" suffix; prefers the <h1> when the title is it plus a suffix."""
    if not title:
        return h1
    title = " ".join(title.split())
    if h1 and len(h1) >= 10 and title != h1 and title.startswith(h1):
        return h1
    match = _SITE_SUFFIX.search(title)
    if match:
        suffix = match.group(0).strip(" |—–-:·•").casefold()
        if any(name and (name.casefold() in suffix or suffix in name.casefold()) for name in site_names):
            return title[: match.start()].strip()
    return title
