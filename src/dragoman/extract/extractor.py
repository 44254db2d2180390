"""``extract``: one fetched page in, one filled ``Article`` out (or SkipArticle / ExtractError)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import htmldate
import trafilatura
from lxml import etree
from lxml import html as lxml_html

from dragoman.article import Article, Block, BlockKind, RawPage
from dragoman.errors import DragomanError, ExtractError, SkipArticle
from dragoman.extract import authors as authors_mod
from dragoman.extract import body as body_mod
from dragoman.extract import dates
from dragoman.extract.encoding import decode_html
from dragoman.extract.metadata import PageMetadata, clean_title, read_metadata
from dragoman.extract.rubrics import find_rubric
from dragoman.extract.sniff import binary_kind, detect_language, looks_like_html
from dragoman.names.outlets import Outlet, is_english_site, lookup_outlet, outlet_by_key, registered_domain, same_site
from dragoman.urls import is_clean_url

# Raised whenever extraction output changes, so that `reextract --extractor-older-than` finds what to redo.
# 1.1 (issue 16): rubrics from header/title/URL, marked leads only, header chrome pruned, URL-checked dates,
# header bylines, English pages of outlets in the table.
EXTRACTOR_VERSION = f"dragoman-extract/1.1 trafilatura/{trafilatura.__version__}"

MAX_INPUT_BYTES = 10 * 1024 * 1024  # pages beyond this are refused, not parsed (a 50 MB page is an error)
MIN_ARTICLE_CHARS = 200  # body text shorter than this is "too_short" (a wire flash still passes)
MIN_FLASH_CHARS = 80  # ...unless the page says it is an article, then this much is enough

_PARSER = lxml_html.HTMLParser(
    collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True, encoding="utf-8"
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_LANGUAGE_NAMES = {
    "ru": "Russian",
    "uk": "Ukrainian",
    "be": "Belarusian",
    "kk": "Kazakh",
    "latn": "a Latin-script language",
    "und": "no language we can tell",
}
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Datelines that credit a wire agency: "МОСКВА, 26 января. /ТАСС/.", "МОСКВА, 26 янв — РИА Новости.",
# "Москва. 1 ноября. INTERFAX.RU -".
_DATELINE_AGENCY = re.compile(
    r"^.{0,40}?\d{1,2}\s+[а-яё]{3,9}\.?\s*(?:\d{4}\s*)?(?:г\.\s*)?"
    r"(?:[./,\s—–-]*)[/(]?(?P<agency>ТАСС|ИТАР-ТАСС|РИА Новости|ИНТЕРФАКС|Интерфакс|INTERFAX\.RU|ПРАЙМ|"
    r"REGNUM|Укринформ|УНН|Казинформ)[/)]?",
    re.IGNORECASE,
)


def extract(page: RawPage, *, outlet_hint: str | None = None) -> Article:
    """Extract the Russian article in ``page``; raise SkipArticle for non-articles, ExtractError if broken."""
    return extract_document(page, outlet_hint=outlet_hint)


def extract_document(
    page: RawPage, *, outlet_hint: str | None = None, languages: tuple[str, ...] | None = ("ru",)
) -> Article:
    """``extract`` for pages in ``languages`` (None: any language; the benchmark of English pages uses it)."""
    return _guarded(page, lambda: _extract(page, outlet_hint, languages))


T = TypeVar("T")


def _guarded(page: RawPage, work: Callable[[], T]) -> T:
    """Run ``work``; our errors get the page as source, third-party ones become an ExtractError."""
    try:
        return work()
    except DragomanError as error:
        if error.source is None:
            error.source = page.url or page.source
        raise
    except RecursionError as error:
        raise ExtractError("markup too deeply nested to parse", reason="broken_html", source=page.url) from error
    except Exception as error:  # third-party failure: wrap it so a batch can count and go on
        message = f"extraction failed ({type(error).__name__}: {error})"
        raise ExtractError(message, reason="extract", source=page.url) from error


def page_publication_time(page: RawPage, *, outlet_hint: str | None = None) -> tuple[datetime | None, str | None]:
    """(UTC time, display zone) of the page's publication, found as ``extract`` finds it, body or not.

    For evaluation and for pages skipped for their body (an article page whose text did not load).
    """
    return _guarded(page, lambda: _page_publication_time(page, outlet_hint))


def _page_publication_time(page: RawPage, outlet_hint: str | None) -> tuple[datetime | None, str | None]:
    raw = page.body or b""
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw)
    decoded = decode_html(raw[:MAX_INPUT_BYTES], page.content_type)
    tree = _parse(decoded.text)
    meta = read_metadata(tree)
    canonical, _ = _canonical_url(meta, page.url or "")
    outlet = _resolve_outlet([u for u in (canonical, page.url) if u], outlet_hint)
    zone = outlet.timezone if outlet else ("Europe/Moscow" if _russian_domain(canonical or page.url) else None)
    when, shown_zone, _ = _publication_time(meta, tree, canonical or page.url, zone)
    return when, shown_zone


def _gunzip(body: bytes) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(body, MAX_INPUT_BYTES + 1)
    except zlib.error as error:
        raise ExtractError(f"corrupt gzip data ({error})", reason="broken_gzip") from error
    if len(data) > MAX_INPUT_BYTES or decompressor.unconsumed_tail:
        raise ExtractError(
            f"gzip data expands beyond {MAX_INPUT_BYTES // 2**20} MB (a gzip bomb or a huge page); refused",
            reason="too_large",
        )
    return data


def _parse(text: str) -> lxml_html.HtmlElement:
    text = _CONTROL_CHARS.sub("", _XML_DECLARATION.sub("", text, count=1))
    try:
        # Parsing UTF-8 bytes with a declared encoding is faster than parsing str, and ignores <meta charset>.
        tree = lxml_html.document_fromstring(text.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as error:
        raise ExtractError(f"HTML could not be parsed ({error})", reason="broken_html") from error
    if tree is None:
        raise ExtractError("HTML could not be parsed (no document)", reason="broken_html")
    return tree


def _resolve_outlet(urls: list[str], hint: str | None) -> Outlet | None:
    if hint:
        outlet = outlet_by_key(hint) or lookup_outlet(hint if "://" in hint else f"https://{hint}/")
        if outlet is not None:
            return outlet
    for url in urls:
        outlet = lookup_outlet(url)
        if outlet is not None:
            return outlet
    return None


def _absolute_http(url: str | None, base: str) -> str | None:
    """``url`` made absolute against ``base``; None when it is not an article URL.

    A canonical pointing at a site's home page (a common template mistake) would merge every article of
    the site into one in the store, so it is ignored.
    """
    if not url or not url.strip():
        return None
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    elif url.startswith("/") and base.startswith(("http://", "https://")):
        url = "/".join(base.split("/", 3)[:3]) + url
    if not url.startswith(("http://", "https://")):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1": a page's broken canonical is no canonical, not a lost article
        return None
    if parts.path in ("", "/") and not parts.query:
        return None
    return url


def _canonical_url(meta: PageMetadata, page_url: str) -> tuple[str | None, str | None]:
    """(canonical URL to store the article under, a canonical the page claimed but may not have).

    The canonical URL is the article's key in the store, so a page may only name an address on its own
    registered domain or on another domain of the same outlet (outlets.toml aliases); otherwise any page
    could overwrite another outlet's article by claiming its URL. A page read from a local file (or with
    no URL) has no site of its own: it is the user's own saved copy, and its canonical says where it was
    published, so it is trusted. URLs that could carry markup (check_url) are never taken.
    """
    claimed = None
    for candidate in (meta.canonical, meta.url):
        url = _absolute_http(candidate, page_url)
        if url is None or not is_clean_url(url):
            continue
        if not page_url.startswith(("http://", "https://")) or same_site(url, page_url):
            return url, None
        claimed = claimed or url
    return None, claimed


def _publication_time(
    meta: PageMetadata, tree: lxml_html.HtmlElement, url: str, zone: str | None
) -> tuple[datetime | None, str | None, str]:
    """(UTC time, display zone, how it was found) for the page's publication.

    The page's own stamp first (JSON-LD, meta, itemprop); with none, a date the header shows, then the URL's
    date with the header's time. When the URL carries a date, a stamp more than a day away from it is
    suspect (a related article's, a later edit's): it is taken only when two of the page's stamps agree on it.
    """
    from_url = dates.date_from_url(url)
    stamps = [p for p in (dates.parse_datetime(raw) for raw in meta.published) if p and dates.plausible(p.value)]
    if from_url is not None:
        near = [p for p in stamps if _days_apart(p, from_url, zone) <= 1]
        far = [p for p in stamps if p not in near]
        corroborated = [p for p in far if sum(_days_apart(p, q, zone) == 0 for q in far) >= 2]
        stamps = near or corroborated
    if stamps:
        when, shown_zone = dates.localize(stamps[0], zone)
        return when, shown_zone, "metadata"
    shown = _date_shown_on_page(tree)
    if shown is not None and (from_url is None or shown.value.date() == from_url.value.date()):
        when, shown_zone = dates.localize(shown, zone)
        return when, shown_zone, "page"
    if from_url is not None and dates.plausible(from_url.value):
        with_time = _time_shown_on_page(tree, from_url.value)
        when, shown_zone = dates.localize(with_time or from_url, zone)
        return when, shown_zone, "url+page time" if with_time else "url"
    try:
        found = htmldate.find_date(tree, url=url, original_date=True, extensive_search=True)
    except Exception:  # htmldate is a heuristic fallback; its failure only means "no date"
        found = None
    if found:
        parsed = dates.parse_datetime(found)
        if parsed is not None and dates.plausible(parsed.value):
            when, shown_zone = dates.localize(parsed, zone)
            return when, shown_zone, "htmldate"
    return None, zone, "none"


def _days_apart(stamp: dates.ParsedTime, other: dates.ParsedTime, zone: str | None) -> int:
    """Calendar days between two stamps, each read as a local date (an offset-less stamp as written)."""

    def local_date(parsed: dates.ParsedTime) -> datetime:
        if parsed.has_offset and zone:
            return parsed.value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        return parsed.value.replace(tzinfo=None)

    return abs((local_date(stamp).date() - local_date(other).date()).days)


_DATE_ELEMENTS = etree.XPath(
    "//*[contains(@class, 'date') or contains(@class, 'time') or contains(@class, 'publish')"
    " or @itemprop = 'datePublished'][not(self::script or self::style or self::body or self::html)]"
)


def _date_shown_on_page(tree: lxml_html.HtmlElement) -> dates.ParsedTime | None:
    """The first date with a time that the page shows in a date element ("15 августа 2016, 13:43")."""
    for checked, element in enumerate(_DATE_ELEMENTS(tree)):
        if checked >= 8:
            break
        text = " ".join(element.text_content().split())
        if not text or len(text) > 80:
            continue
        parsed = dates.parse_datetime(text)
        if parsed is not None and parsed.has_time and not parsed.has_offset and dates.plausible(parsed.value):
            return parsed
    return None


def _time_shown_on_page(tree: lxml_html.HtmlElement, day: datetime) -> dates.ParsedTime | None:
    """``day`` (the URL's date) at the time a date element of the header shows ("15 авг, 13:43", "13:43")."""
    for checked, element in enumerate(_DATE_ELEMENTS(tree)):
        if checked >= 8:
            break
        found = dates.time_on_day(element.text_content(), day)
        if found is not None:
            return found
    return None


def _dateline_agency(blocks: list[Block], lead: str | None) -> str | None:
    first = lead or next((b.text for b in blocks if b.kind is BlockKind.PARAGRAPH), "")
    match = _DATELINE_AGENCY.match(first[:160])
    return authors_mod.agency_name(match["agency"]) if match else None


def _link_text_share(tree: lxml_html.HtmlElement) -> float:
    """Share of the page's visible text that sits inside links (high on section front pages)."""
    body = tree.find(".//body")
    if body is None:
        return 0.0
    total = 0
    linked = 0
    for element in body.iter():
        if element.tag in ("script", "style", "noscript", "template") or not isinstance(element.tag, str):
            continue
        length = len((element.text or "").strip())
        total += length
        if length and (element.tag == "a" or any(a.tag == "a" for a in element.iterancestors())):
            linked += length
        tail = len((element.tail or "").strip())
        total += tail
        if tail and any(a.tag == "a" for a in element.iterancestors()):
            linked += tail
    return linked / total if total else 0.0


def _extract(page: RawPage, outlet_hint: str | None, languages: tuple[str, ...] | None) -> Article:
    raw = page.body or b""
    if not raw.strip():
        raise SkipArticle("empty page (no bytes)", reason="empty")
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw)
    if len(raw) > MAX_INPUT_BYTES:
        raise ExtractError(
            f"page is {len(raw) / 2**20:.1f} MB, over the {MAX_INPUT_BYTES // 2**20} MB limit; refused",
            reason="too_large",
        )
    kind = binary_kind(raw)
    if kind:
        raise SkipArticle(f"not a web page: {kind}", reason="binary")

    decoded = decode_html(raw, page.content_type)
    text = decoded.text
    if not text.strip():
        raise SkipArticle("empty page (whitespace only)", reason="empty")
    if not looks_like_html(text):
        raise SkipArticle("not HTML (no HTML markup found)", reason="not_html")
    if text.count("\ufffd") > 0.05 * len(text):
        raise ExtractError(f"text is undecodable as {decoded.encoding}", reason="undecodable")

    tree = _parse(text)
    meta = read_metadata(tree)

    base_url = page.url or ""
    canonical, claimed_canonical = _canonical_url(meta, base_url)
    outlet = _resolve_outlet([u for u in (canonical, base_url) if u], outlet_hint)
    site_names = [n for n in (meta.site_name, outlet.name if outlet else None, outlet.name_ru if outlet else None) if n]
    title = clean_title(meta.title, meta.h1, site_names)

    descriptions = [meta.description, meta.meta_description]
    lead_texts = body_mod.lead_element_texts(tree)
    lead_on_page = body_mod.lead_element_text(lead_texts, descriptions)
    marked_leads = body_mod.marked_lead_texts(lead_texts)
    extraction_url = canonical or (base_url if base_url.startswith("http") else None)
    zone = outlet.timezone if outlet else ("Europe/Moscow" if _russian_domain(canonical or base_url) else None)
    # Date and rubric are read before the body is extracted: extraction prunes the header's stamps from the tree.
    published_at, shown_zone, date_method = _publication_time(meta, tree, canonical or base_url, zone)
    rubric, rubric_source = find_rubric(
        meta, tree, canonical or base_url, title=title, site_names=site_names, outlet=outlet
    )
    result = body_mod.run_trafilatura(tree, extraction_url, html_text=text, title=title)
    people, agency = authors_mod.clean_authors([*meta.authors, *meta.author_orgs], exclude=site_names)
    blocks = body_mod.clean_blocks(result.blocks, title=title, captions=meta.captions, authors=people)
    body_blocks = list(blocks)
    lead, blocks = body_mod.split_lead(blocks, descriptions, bold_texts=result.bold_texts, marked=marked_leads)
    if lead is None and lead_on_page and not body_mod.repeated_in(lead_on_page, blocks):
        lead = lead_on_page
    body_text = "\n".join([lead or "", *(b.text for b in blocks)]).strip()

    if not title and not body_text:
        raise SkipArticle("no title and no text found", reason="empty")
    language = detect_language(f"{title or ''}\n{body_text}")
    # English pages of an outlet in the table (tass.com, www.rt.com) are stored as English articles, as
    # imported English documents are: what Russian outlets tell English readers is tracked too; translate
    # leaves them as they are.
    english_site = language == "latn" and is_english_site(outlet, canonical or base_url)
    if english_site:
        language = "en"
    refused = languages is not None and language not in languages and not english_site
    if refused and len(body_text) >= MIN_FLASH_CHARS:
        raise SkipArticle(f"page is not in Russian (it reads as {_LANGUAGE_NAMES[language]})", reason="not_russian")
    if len(body_text) < MIN_ARTICLE_CHARS:
        article_signal = meta.is_article and bool(meta.published)
        if not (article_signal and len(body_text) >= MIN_FLASH_CHARS):
            if meta.is_listing or not meta.is_article or _link_text_share(tree) > 0.5:
                raise SkipArticle("no article body on the page (a section or list page)", reason="no_article")
            raise SkipArticle(f"article text too short ({len(body_text)} characters)", reason="too_short")
    elif not body_mod.is_prose(body_text) or (not meta.is_article and _looks_like_listing(body_blocks)):
        raise SkipArticle("no article body on the page (a list of links or headlines)", reason="no_article")

    if refused:
        raise SkipArticle(f"page is not in Russian (it reads as {_LANGUAGE_NAMES[language]})", reason="not_russian")

    agency = agency or _dateline_agency(blocks, lead)

    key = outlet.key if outlet else registered_domain(canonical or base_url)
    article = Article(
        url=page.url,
        title=title or "",
        blocks=blocks,
        canonical_url=canonical,
        outlet=key,
        outlet_name=outlet.name if outlet else meta.site_name,
        fetched_at=page.fetched_at.astimezone(UTC) if page.fetched_at else None,
        raw_sha256=page.sha256,
        language=language if language in ("ru", "uk", "be", "kk", "en") else (meta.html_lang or language)[:8],
        rubric=rubric,
        published_at=published_at,
        timezone=shown_zone,
        authors=people,
        agency=agency,
        lead=lead,
        extractor="dragoman",
        extractor_version=EXTRACTOR_VERSION,
        source="html",
    )
    article.extra["extract"] = {
        "encoding": decoded.encoding,
        "encoding_method": decoded.method,
        "date": date_method,
        "rubric": rubric_source,
    }
    if claimed_canonical:
        # Kept for the record only: the page is stored under the URL it was fetched from.
        article.extra["extract"]["claimed_canonical_url"] = claimed_canonical
    if english_site:
        article.extra["extract"]["arrived_in"] = "en"  # published in English by the outlet, not translated
    article.content_sha256 = article.compute_content_hash()
    return article


def _russian_domain(url: str) -> bool:
    domain = registered_domain(url) or ""
    return domain.endswith((".ru", ".su", ".xn--p1ai", ".рф"))


def _looks_like_listing(blocks: list[Block]) -> bool:
    """A page with no article markup whose "body" is mostly list items (headline lists)."""
    if not blocks:
        return True
    list_chars = sum(len(b.text) for b in blocks if b.kind is BlockKind.LIST_ITEM)
    paragraph_chars = sum(len(b.text) for b in blocks if b.kind is not BlockKind.LIST_ITEM)
    return list_chars > 2 * paragraph_chars and paragraph_chars < 600


__all__ = ["EXTRACTOR_VERSION", "MAX_INPUT_BYTES", "extract", "extract_document", "page_publication_time"]
