"""Hypothesis strategies for untrusted input: bytes, mutated real pages, feeds, sitemaps, JSONL records, queries.

Shared by the property tests (tests/security/test_properties.py) and the long fuzz run (bench/fuzz.py), so both
feed the same inputs. Real pages are the seeds for HTML: mutations of what outlets really serve reach deeper into
the extractor than random bytes do.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from dragoman.article import RawPage

SHARED_DATA = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()

# Exceptions an entry point may let escape: the project's own tree (errors.py) and nothing else.
# A third-party or built-in exception reaching the caller is a crash: one bad input could stop a batch.

URLS = [
    "https://lenta.ru/news/2024/01/15/sanktsii/",
    "https://www.kommersant.ru/doc/7715044",
    "https://ria.ru/20240115/ukraina-1921234567.html",
    "https://iz.ru/1634567/2024-01-15/statia",
    "https://example.com/",
    "http://127.0.0.1:8080/page?x=1#frag",
    "https://[::1]/a",
    "https://xn--80aswg.xn--p1ai/новости/1",
    "file:///tmp/page.html",
    "",
    "not a url",
    "https://iz.ru/1> <img src=x onerror=alert(1)>",
    "https://a..b/%zz%00",
    "javascript:alert(1)",
]
CONTENT_TYPES = [
    None,
    "text/html",
    "text/html; charset=utf-8",
    "text/html; charset=windows-1251",
    "text/html; charset=koi8-r",
    "text/html; charset=utf-16",
    "text/html; charset=utf-7",
    "text/html; charset=x-no-such-charset",
    "text/html; charset=",
    'text/html; charset="utf-8',
    "application/octet-stream",
    "application/pdf",
    "image/png",
    "text/plain; charset=utf-32",
]
CHARSETS = ["utf-8", "windows-1251", "koi8-r", "utf-16", "utf-16be", "utf-32", "utf-7", "iso-2022-jp", "x-bogus", ""]
# Encodings the whole page is re-encoded in (the meta tag may then say something else).
REENCODINGS = ["utf-8", "cp1251", "koi8_r", "utf-16", "utf-16-le", "utf-32", "utf-8-sig", "cp866"]
TAG_SNIPPETS = [
    b"<script>",
    b"</html>",
    b"<body>",
    b"</body></html><html><body>",
    b"<![CDATA[",
    b"<!--",
    b"-->",
    b'<meta property="article:published_time" content="99999-99-99T99:99:99+99:99">',
    b'<meta property="article:published_time" content="0001-01-01T00:00:00">',
    b'<meta property="article:published_time" content="9999-12-31T23:59:59-23:59">',
    b'<meta name="date" content="1e400">',
    b'<time datetime="-1">',
    b'<link rel="canonical" href="https://www.kommersant.ru/doc/1">',
    b'<link rel="canonical" href="http://[::1">',
    b'<link rel="canonical" href="https://xn--/\x00">',
    b'<meta property="og:url" content="//evil.example/%">',
    b'<meta name="author" content="">',
    b'<script type="application/ld+json">{"@type":"NewsArticle","datePublished":1e999,"author":[[[{}]]]}</script>',
    b'<script type="application/ld+json">{"@graph":[{"@type":["NewsArticle"],"headline":{"a":1}}]}</script>',
    b'<script type="application/ld+json">[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[</script>',
    b"<table><tr><td>",
    "<p>МОСКВА, 26 января. /ТАСС/.".encode(),
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xed\xa0\x80",  # a UTF-8-encoded lone surrogate
    b"&#0;&#xD800;&#x110000;&#99999999999;",
    b"<?xml version='1.0' encoding='utf-16'?>",
    b'<?xml-stylesheet href="x"?>',
    b"<svg><foreignObject><math><mi><style>",
    b"<base href='https://evil.example/'>",
]
NESTING_TAGS = [b"div", b"p", b"b", b"table", b"ul", b"span", b"article", b"blockquote"]


@cache
def seed_pages() -> tuple[bytes, ...]:
    """Real saved pages (six outlet pages and the htmldate evaluation pages): the seeds for HTML mutations."""
    paths = sorted((SHARED_DATA / "outlet_pages").glob("*.html"))
    paths += sorted((SHARED_DATA / "html_ru" / "htmldate_eval" / "pages").glob("*.html"))[:4]
    pages = [path.read_bytes() for path in paths]
    kommersant = SHARED_DATA / "html_ru" / "fundus" / "ru" / "Kommersant_2025_05_14.html.gz"
    if kommersant.exists():
        pages.append(gzip.decompress(kommersant.read_bytes()))
    if not pages:
        raise FileNotFoundError(f"no seed pages under {SHARED_DATA}; the property tests need ../shared/data")
    return tuple(pages)


# -- mutations of a byte string ------------------------------------------------------------------------


@st.composite
def _mutation(draw: st.DrawFn, data: bytes) -> bytes:
    """One mutation of ``data``: what a broken server, a truncated download or a hostile page produces."""
    size = len(data)
    at = draw(st.integers(0, size))
    kind = draw(
        st.sampled_from(
            ["flip", "truncate", "window", "splice_tag", "splice_bytes", "nest", "huge_attr", "charset", "delete"]
        )
    )
    if kind == "flip" and size:
        at = min(at, size - 1)
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    if kind == "truncate":
        return data[:at]
    if kind == "window":
        # A slice from anywhere: keeps the fuzz fast on large pages and cuts markup mid-element.
        length = draw(st.integers(0, 40_000))
        return data[at : at + length]
    if kind == "splice_tag":
        return data[:at] + draw(st.sampled_from(TAG_SNIPPETS)) + data[at:]
    if kind == "splice_bytes":
        return data[:at] + draw(st.binary(max_size=64)) + data[at:]
    if kind == "nest":
        tag = draw(st.sampled_from(NESTING_TAGS))
        depth = draw(st.sampled_from([10, 255, 256, 257, 1_000, 5_000, 20_000]))
        tail = (b"</" + tag + b">") * depth if draw(st.booleans()) else b""
        return data[:at] + (b"<" + tag + b">") * depth + tail + data[at:]
    if kind == "huge_attr":
        length = draw(st.sampled_from([1_000, 65_536, 1_000_000]))
        name = draw(st.sampled_from([b"content", b"href", b"class", b"datetime", b"data-x"]))
        filler = draw(st.sampled_from([b"x", b"\xd0\xb0", b"&amp;", b" ", b'"']))
        return data[:at] + b'<meta name="date" ' + name + b'="' + filler * length + b'">' + data[at:]
    if kind == "charset":
        charset = draw(st.sampled_from(CHARSETS)).encode()
        return data[:at] + b'<meta charset="' + charset + b'">' + data[at:]
    if kind == "delete" and size:
        length = draw(st.integers(1, 2_000))
        return data[:at] + data[at + length :]
    return data


@st.composite
def mutated(draw: st.DrawFn, data: bytes, max_mutations: int = 4) -> bytes:
    for _ in range(draw(st.integers(0, max_mutations))):
        data = draw(_mutation(data))
    return data


@st.composite
def _reencoded(draw: st.DrawFn, data: bytes) -> bytes:
    """The page's text in another encoding (its meta charset left as it was, so the two may disagree)."""
    encoding = draw(st.sampled_from(REENCODINGS))
    return data.decode("utf-8", "replace").encode(encoding, "replace")


# -- pages for extract ---------------------------------------------------------------------------------


@st.composite
def _page(draw: st.DrawFn, body: bytes) -> RawPage:
    if draw(st.integers(0, 9)) == 0:
        # Pages may arrive gzipped (a saved .html.gz, a server that ignored Accept-Encoding), whole or cut.
        body = gzip.compress(body, compresslevel=1)
        if draw(st.booleans()):
            body = body[: draw(st.integers(0, len(body)))]
    return RawPage(
        url=draw(st.sampled_from(URLS)),
        body=body,
        content_type=draw(st.sampled_from(CONTENT_TYPES)),
        source="fuzz",
    )


def random_byte_pages() -> st.SearchStrategy[RawPage]:
    """Random bytes, sometimes behind an HTML or gzip prefix so the sniffers let them through to the parser."""
    prefixes = st.sampled_from([b"", b"<html><body>", b"<!DOCTYPE html><p>", b"\x1f\x8b", b"\xef\xbb\xbf<"])
    body = st.builds(lambda prefix, rest: prefix + rest, prefixes, st.binary(max_size=4_096))
    return body.flatmap(_page)


def mutated_html_pages() -> st.SearchStrategy[RawPage]:
    """Real outlet pages, mutated: bytes flipped, cut, spliced with tags, nested deep, re-encoded."""

    @st.composite
    def build(draw: st.DrawFn) -> RawPage:
        body = draw(st.sampled_from(seed_pages()))
        cut = draw(st.integers(0, 3))
        if cut:
            # Most inputs are a part of a page (its start, or a slice from anywhere): a whole page costs ~50 ms.
            start = 0 if cut == 1 else draw(st.integers(0, len(body)))
            body = body[start : start + draw(st.integers(0, 60_000))]
        if draw(st.integers(0, 4)) == 0:
            body = draw(_reencoded(body))
        return draw(_page(draw(mutated(body))))

    return build()


# -- feeds and sitemaps --------------------------------------------------------------------------------

_XML_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "&amp;",
            "&lt;script&gt;",
            "&#0;",
            "&#xFFFF;",
            "&#x110000;",
            "&undefined;",
            "&lol9;",
            "<![CDATA[Санкции ]]>",
            "<![CDATA[]]]]><![CDATA[>]]>",
            "https://lenta.ru/news/2024/01/15/x/",
            "  https://iz.ru/1  ",
            "http://[::1",
            "Санкции против России",
        ]
    ),
)
_XML_DATES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "Mon, 15 Jan 2024 10:00:00 +0300",
            "Mon, 15 Jan 99999 10:00:00 +0300",
            "Mon, 15 Jan 0000 10:00:00 +0300",
            "Mon, 15 Jan 2024 10:00:00 +9999",
            "Mon, 15 Jan 2024 10:00:00 +99999999999999999999",
            "Fri, 31 Dec 9999 23:59:59 -2359",
            "Mon, 01 Jan 0001 00:00:00 +2359",
            "Mon, 15 Jan 2024 99:99:99 GMT",
            "Mon, 32 Foo 2024",
            "2024-01-15T10:00:00Z",
            "2024-01-15T10:00:00+23:59",
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+01:00",
            "0001-01-01",
            "2024-02-30",
            "1e20",
            "",
            " ",
        ]
    ),
)
_DOCTYPES = [
    "",
    '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>',
    '<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
    '<!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>',
    '<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/rss.dtd">',
    '<!DOCTYPE rss [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
]


def _element(name: str, text: str, attrs: str = "") -> str:
    return f"<{name}{attrs}>{text}</{name}>"


@st.composite
def _feed_item(draw: st.DrawFn, atom: bool) -> str:
    parts = []
    if draw(st.booleans()):
        parts.append(_element("title", draw(_XML_TEXT)))
    if atom:
        rel = draw(st.sampled_from(["", ' rel="alternate"', ' rel="self"', ' rel=""']))
        parts.append(f'<link{rel} href="{draw(_XML_TEXT).replace(chr(34), "")}"/>')
        parts.append(_element(draw(st.sampled_from(["published", "updated"])), draw(_XML_DATES)))
    else:
        parts.append(_element("link", draw(_XML_TEXT)))
        parts.append(_element("pubDate", draw(_XML_DATES)))
    if draw(st.booleans()):
        tag = draw(st.sampled_from(["yandex:full-text", "content:encoded", "content", "full-text"]))
        parts.append(_element(tag, draw(_XML_TEXT)))
    name = "entry" if atom else "item"
    return _element(name, "".join(draw(st.permutations(parts))))


@st.composite
def _feed_text(draw: st.DrawFn) -> str:
    atom = draw(st.booleans())
    items = "".join(draw(st.lists(_feed_item(atom), max_size=5)))
    doctype = draw(st.sampled_from(_DOCTYPES))
    if draw(st.integers(0, 5)) == 0:
        depth = draw(st.sampled_from([100, 256, 1_000, 10_000]))
        items += "<x>" * depth + "</x>" * depth
    if atom:
        body = f'<feed xmlns="http://www.w3.org/2005/Atom">{items}</feed>'
    else:
        body = (
            '<rss version="2.0" xmlns:yandex="http://news.yandex.ru" '
            f'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>{items}</channel></rss>'
        )
    return '<?xml version="1.0" encoding="UTF-8"?>' + doctype + body


@st.composite
def _sitemap_text(draw: st.DrawFn) -> str:
    index = draw(st.booleans())
    entry_tag = "sitemap" if index else "url"
    entries = []
    for _ in range(draw(st.integers(0, 5))):
        parts = [_element("loc", draw(_XML_TEXT)), _element("lastmod", draw(_XML_DATES))]
        if draw(st.booleans()):
            parts.append(
                "<news:news>"
                + _element("news:title", draw(_XML_TEXT))
                + _element("news:publication_date", draw(_XML_DATES))
                + "</news:news>"
            )
        entries.append(_element(entry_tag, "".join(parts)))
    root = draw(st.sampled_from(["sitemapindex" if index else "urlset", "html", "rss"]))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        + draw(st.sampled_from(_DOCTYPES)).replace("rss", root)
        + f'<{root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        + 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        + "".join(entries)
        + f"</{root}>"
    )


def _xml_documents(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "cp1251"]))
        data = draw(text).encode(encoding, "replace")
        if draw(st.integers(0, 7)) == 0:
            data = gzip.compress(data, compresslevel=1)
        return draw(mutated(data, max_mutations=2))

    return st.one_of(build(), st.binary(max_size=2_048))


def feed_documents() -> st.SearchStrategy[bytes]:
    """RSS 2.0 and Atom feeds with odd links, dates, entities, DOCTYPEs and nesting; then mutated; or random bytes."""
    return _xml_documents(_feed_text())


def sitemap_documents() -> st.SearchStrategy[bytes]:
    """Sitemaps and sitemap indexes (Google News ones too), possibly gzipped, then mutated; or random bytes."""
    return _xml_documents(_sitemap_text())


# -- JSONL records -------------------------------------------------------------------------------------

RECORD_FIELDS = [
    "url",
    "title",
    "text",
    "body",
    "lead",
    "published",
    "published_at",
    "date",
    "authors",
    "author",
    "rubric",
    "topic",
    "language",
    "canonical_url",
    "timezone",
    "outlet",
    "blocks",
    "extra",
    "translation",
    "analysis",
    "fetched_at",
    "schema_version",
]
_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**20, -(10**20), 2**63, 2**64 + 1, 10**400, 0, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        [
            "https://iz.ru/case/x",
            "Санкции против России",
            "2024-01-15T10:00:00",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59-23:59",
            "2024-01-15 10:00",
            "1e20",
            "Europe/Moscow",
            "Not/AZone",
            "../../../../etc/localtime",
            "\ud800",
            "\x00\x1b]0;title\x07",
            "paragraph",
        ]
    ),
)
JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from([*RECORD_FIELDS, "kind"]), inner),
    max_leaves=12,
)


@st.composite
def _record(draw: st.DrawFn) -> dict[str, Any]:
    """A record with the loader's field names and values of any JSON type, starting from a good record."""
    record: dict[str, Any] = {"url": "https://iz.ru/case/x", "title": "Заголовок", "text": "Санкции. " * 30}
    if draw(st.integers(0, 3)) == 0:
        # A full dragoman record (what `export --format jsonl` writes), then fields given wrong types.
        record.update(
            schema_version=draw(st.sampled_from([1, 2, 99, "2", None])),
            blocks=draw(
                st.lists(
                    st.fixed_dictionaries(
                        {"kind": st.sampled_from(["paragraph", "heading", "bogus"]) | JSON_VALUES, "text": JSON_VALUES}
                    ),
                    max_size=3,
                )
                | JSON_VALUES
            ),
        )
    for key in draw(st.lists(st.sampled_from(RECORD_FIELDS), max_size=5)):
        record[key] = draw(JSON_VALUES)
    if draw(st.integers(0, 7)) == 0:
        del record["url"]
    return record


@st.composite
def jsonl_lines(draw: st.DrawFn) -> str:
    """One JSONL line: a mistyped record, a bare JSON value, deep nesting, or broken JSON."""
    kind = draw(st.integers(0, 9))
    if kind <= 5:
        return json.dumps(draw(_record()), ensure_ascii=draw(st.booleans()))
    if kind == 6:
        return json.dumps(draw(JSON_VALUES))
    if kind == 7:
        # json.loads raises RecursionError on deep nesting; json.dumps cannot even write it, so build the text.
        depth = draw(st.sampled_from([100, 1_000, 10_000, 100_000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        field = draw(st.sampled_from(["extra", "lead", "title", "blocks", "authors"]))
        head = f'{{"url":"https://iz.ru/case/x","title":"x","text":"y","{field}":'
        return head + opener * depth + "1" + closer * depth + "}"
    if kind == 8:
        good = json.dumps(draw(_record()))
        return good[: draw(st.integers(0, len(good)))]
    return draw(st.text(max_size=200)).replace("\n", " ")


def jsonl_files() -> st.SearchStrategy[list[str]]:
    """The lines of one JSONL file (a good line last, so we can see the batch go on)."""
    return st.lists(jsonl_lines(), min_size=1, max_size=4)


# -- search queries ------------------------------------------------------------------------------------

_QUERY_ALPHABET = st.sampled_from(
    list("()\"*:^-+ \t\n{}[]\\/'.,;!?|&~@#$%\x00") + list("санкциипутинаёЁ") + list("abcxyz019")
)
_QUERY_WORDS = st.sampled_from(
    ["OR", "AND", "NOT", "NEAR", "NEAR(", "NEAR/3", "санкции", "Путин", "president*", "-газ", "+нефть", '"', "*",
     "^", "title_ru:", "{title_ru body_ru}:", "((", "))", "-", "+", "ё", "a*b", "*санкц"]
)  # fmt: skip


@st.composite
def query_strings(draw: st.DrawFn) -> str:
    """What a user (or an attacker) types into the search box: FTS5 syntax, operators, Cyrillic, deep parens."""
    kind = draw(st.integers(0, 9))
    if kind <= 4:
        return " ".join(draw(st.lists(_QUERY_WORDS | st.text(_QUERY_ALPHABET, max_size=8), max_size=12)))
    if kind <= 7:
        return draw(st.text(_QUERY_ALPHABET, max_size=60))
    if kind == 8:
        depth = draw(st.integers(1, 2_000))
        opener = draw(st.sampled_from(["(", "-(", "NOT (", "a OR (", '"a" AND (']))
        return opener * depth + "a" + ")" * draw(st.integers(0, depth))
    return draw(st.text(max_size=80))
