"""Metadata from JSON-LD (graphs, lists, malformed), OpenGraph and <meta>."""

from __future__ import annotations

from lxml import html

from dragoman.extract.metadata import clean_title, read_metadata


def _meta(head: str, body: str = "<p>x</p>"):
    return read_metadata(html.document_fromstring(f"<html><head>{head}</head><body>{body}</body></html>"))


def test_json_ld_graph_with_reportage_type() -> None:
    meta = _meta(
        """<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "Известия"},
        {"@type": ["ReportageNewsArticle"], "headline": "Заголовок", "datePublished": "2022-01-26T00:01:00+03:00",
         "author": [{"@type": "Person", "name": "Екатерина Постникова"}, {"@type": "Organization", "name": "ТАСС"}],
         "articleSection": ["Мир", "Политика"], "description": "Лид"}]}</script>"""
    )
    assert meta.is_article
    assert meta.title == "Заголовок"
    assert meta.published[0] == "2022-01-26T00:01:00+03:00"
    assert meta.authors == ["Екатерина Постникова"]
    assert meta.author_orgs == ["ТАСС"]
    assert meta.section == "Мир"
    assert meta.description == "Лид"


def test_malformed_json_ld_is_tolerated() -> None:
    meta = _meta(
        """<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Есть запятая",}</script>
        <script type="application/ld+json">{this is not json</script>
        <meta property="og:title" content="Из OpenGraph">"""
    )
    assert meta.title == "Есть запятая"
    meta = _meta(
        """<script type="application/ld+json">{broken</script><meta property="og:title" content="Из OpenGraph">"""
    )
    assert meta.title == "Из OpenGraph"


def test_json_ld_list_and_breadcrumb() -> None:
    meta = _meta(
        """<script type="application/ld+json">[{"@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": 2, "item": {"@id": "/rubric/5", "name": "Мир"}},
        {"@type": "ListItem", "position": 1, "item": {"@id": "/", "name": "Коммерсантъ"}}]},
        {"@type": "Article", "headline": "Т", "image": [{"@type": "ImageObject", "caption": "Подпись к фото"}]}]
        </script>"""
    )
    assert meta.breadcrumb == ["Коммерсантъ", "Мир"]
    assert meta.captions == ["Подпись к фото"]


def test_opengraph_and_meta() -> None:
    meta = _meta(
        """<meta property="og:type" content="article"><meta property="og:url" content="https://iz.ru/1/x">
        <meta property="article:published_time" content="2022-01-26T00:01:00+03:00">
        <meta property="article:section" content="Мир"><meta name="author" content="Иван Петров">
        <meta property="og:site_name" content="Известия"><meta name="description" content="Описание &amp; лид">
        <link rel="canonical" href="https://iz.ru/1/canonical">"""
    )
    assert meta.is_article
    assert meta.url == "https://iz.ru/1/x"
    assert meta.canonical == "https://iz.ru/1/canonical"
    assert meta.published == ["2022-01-26T00:01:00+03:00"]
    assert meta.section == "Мир"
    assert meta.authors == ["Иван Петров"]
    assert meta.site_name == "Известия"
    assert meta.meta_description == "Описание & лид"


def test_time_element_and_title_fallback() -> None:
    meta = _meta("<title>Заголовок страницы</title>", '<h1>Заголовок</h1><time datetime="2020-01-13T17:04">x</time>')
    assert meta.title == "Заголовок страницы"
    assert meta.h1 == "Заголовок"
    assert meta.published == ["2020-01-13T17:04"]
    assert not meta.is_article


def test_clean_title() -> None:
    assert clean_title("Легкий троннинг — Коммерсантъ", None, ["Коммерсантъ"]) == "Легкий троннинг"
    assert clean_title("Заголовок | Известия", None, ["Известия", "Izvestia"]) == "Заголовок"
    # A dash inside a headline stays when what follows is not the site's name.
    assert clean_title("Путин — о переговорах", None, ["Известия"]) == "Путин — о переговорах"
    assert clean_title("Заголовок статьи - РБК", "Заголовок статьи", []) == "Заголовок статьи"
    assert clean_title(None, "Из h1", []) == "Из h1"
