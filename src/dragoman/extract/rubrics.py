"""The article's rubric, from what the page states, in order of trust (issue 16).

1. JSON-LD ``articleSection``, then the JSON-LD ``BreadcrumbList`` (its last crumb before the headline);
2. ``article:section`` and the other section meta tags, ``itemprop="articleSection"``;
3. the rubric link in the article header (gazeta.ru ``<a class="rubric">`` in ``b_article-header``, lenta.ru
   ``topic-header__rubric``, rbc.ru ``article__header__category``);
4. the ``<title>`` chain "Headline: Subrubric: Rubric: Lenta.ru" (lenta.ru 2015-2023);
5. the URL's section mapped through the outlet table (rbc.ru/politics/ -> «Политика»).
A generic section («Новости», "Главное") is never a rubric: the next source is asked instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree
from lxml import html as lxml_html

from dragoman.extract.metadata import PageMetadata
from dragoman.names.outlets import Outlet, is_generic_section, section_from_url

MAX_RUBRIC_CHARS = 48
# Header rubric links: a link whose class names a rubric or category, inside an article header or a
# breadcrumb, not in a menu or a row of links (menus and lenta.ru's subrubric bar "Все | Стиль | Явления" under
# rubric-header list every rubric of a section; the article's own rubric link stands alone or beside its time).
_HEADER_RUBRIC_LINKS = etree.XPath(
    "//a[contains(@class, 'rubric') or contains(@class, 'category')]"
    "[ancestor::*[contains(@class, 'header') or contains(@class, 'breadcrumb')]]"
    "[not(ancestor::nav or ancestor::*[contains(@class, 'menu') or contains(@class, 'footer')])]"
    "[count(../a) < 3]"
)
_TITLE_CHAIN_SEPARATOR = ": "
# Breadcrumb names may carry decoration (rbc.ru's JSON-LD prefixes each crumb with "✅").
_DECORATION = re.compile(r"^[^\w«\"]+|[\s,;:|/]+$")

Usable = Callable[[str | None], str | None]


def clean_rubric(value: str | None) -> str | None:
    """``value`` without decoration and whitespace; None when it is empty, too long or a generic section."""
    if not value:
        return None
    text = _DECORATION.sub("", " ".join(value.split()))
    if not text or len(text) > MAX_RUBRIC_CHARS or is_generic_section(text):
        return None
    return text


def find_rubric(
    meta: PageMetadata,
    tree: lxml_html.HtmlElement,
    url: str,
    *,
    title: str | None,
    site_names: list[str],
    outlet: Outlet | None,
) -> tuple[str | None, str]:
    """(rubric, where it was found) for the page; (None, "none") when the page states none."""
    names = {n.casefold() for n in site_names if n}
    if outlet is not None:
        names |= {outlet.name.casefold(), outlet.key.casefold(), outlet.name_ru.casefold()} - {""}

    def usable(value: str | None) -> str | None:
        rubric = clean_rubric(value)
        if rubric is None or (title and rubric == title) or rubric.casefold() in names:
            return None
        if any(name in rubric.casefold() for name in names if len(name) >= 3):
            return None  # "РБК", "Lenta.ru" and the like: the site, not a section
        return rubric

    candidates: list[tuple[str, str | None]] = [
        ("json-ld", meta.ld_section),
        ("breadcrumb", _last_crumb(meta.breadcrumb, title, usable)),
        ("meta", meta.meta_section),
        ("header", _header_rubric(tree, usable)),
        ("title", _title_chain_rubric(meta.document_title, site_names, outlet)),
        ("url", section_from_url(outlet, url) if url else None),
    ]
    for source, value in candidates:
        rubric = usable(value)
        if rubric is not None:
            return rubric, source
    return None, "none"


def _last_crumb(crumbs: list[str], title: str | None, usable: Usable) -> str | None:
    for crumb in reversed(crumbs):
        if title and clean_rubric(crumb) == title:
            continue
        if usable(crumb) is not None:
            return crumb
    return None


def _header_rubric(tree: lxml_html.HtmlElement, usable: Usable) -> str | None:
    for checked, link in enumerate(_HEADER_RUBRIC_LINKS(tree)):
        if checked >= 6:
            break
        text = " ".join(link.text_content().split()) or link.get("content")
        if usable(text) is not None:
            return text
    return None


def _title_chain_rubric(document_title: str | None, site_names: list[str], outlet: Outlet | None) -> str | None:
    """«Наука и техника» from "Headline: Космос: Наука и техника: Lenta.ru" (the part before the site name).

    Only a chain that ends with the site's name and has a headline and a rubric before it counts, so a
    headline with a colon in it ("«Цитата»: о чём речь") is not cut into a rubric.
    """
    if not document_title or _TITLE_CHAIN_SEPARATOR not in document_title:
        return None
    parts = [p.strip() for p in document_title.split(_TITLE_CHAIN_SEPARATOR)]
    if len(parts) < 3:
        return None
    names = {n.casefold() for n in site_names if n}
    if outlet is not None:
        names |= {outlet.name.casefold(), outlet.key.casefold()}
    if parts[-1].casefold() not in names:
        return None
    candidate = parts[-2]
    if len(candidate.split()) > 4:
        return None
    return candidate
