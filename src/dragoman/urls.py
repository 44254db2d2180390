"""What a URL stored in a record may look like.

Scraped pages, feeds and researchers' records all hand us URLs that later reach a web page, a Markdown
file, a CSV cell or a terminal. A URL with spaces, angle brackets, quotes or control characters is never a
real address (browsers percent-encode them); it is how markup gets smuggled into an export. Such a URL is
refused where a record is built, so every later stage can rely on it.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

# Characters that a URL never carries unencoded and that change meaning in HTML, Markdown, CSV or a terminal.
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f<>\"'`\\{}|^\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_URL_LENGTH = 8192
WEB_SCHEMES = frozenset({"http", "https"})
RECORD_SCHEMES = frozenset({"http", "https", "file"})


def check_url(value: object, *, schemes: frozenset[str] = WEB_SCHEMES, field: str = "url") -> str:
    """``value`` as a clean absolute URL, or ValueError saying what is wrong with it.

    Leading and trailing whitespace is dropped; anything else that a URL cannot hold unencoded is refused.
    """
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string, not {type(value).__name__}")
    url = value.strip()
    if not url:
        raise ValueError(f"{field} is empty")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"{field} is longer than {MAX_URL_LENGTH} characters")
    bad = _FORBIDDEN.search(url)
    if bad is not None:
        raise ValueError(f"{field} contains a character a URL cannot hold ({bad.group()!r})")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValueError(f"{field} is not a URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise ValueError(f"{field} must start with one of {allowed}: {url[:80]!r}")
    if scheme != "file" and not parts.netloc:
        raise ValueError(f"{field} has no host: {url[:80]!r}")
    return url


def is_clean_url(value: object, *, schemes: frozenset[str] = WEB_SCHEMES) -> bool:
    """True when :func:`check_url` accepts ``value``."""
    try:
        check_url(value, schemes=schemes)
    except ValueError:
        return False
    return True


def escape_url(url: str) -> str:
    """``url`` with every character :func:`check_url` refuses percent-encoded, for writing it out.

    The last defence where a stored URL is printed into Markdown, a text document or a terminal: spaces,
    angle brackets, quotes and control characters come out as inert ``%XX`` and cannot open markup.
    """
    return _FORBIDDEN.sub(lambda found: quote(found.group(), safe="", errors="replace"), url)


# -- secrets in URLs -----------------------------------------------------------------------------------

REDACTED = "REDACTED"
# Query parameters that carry credentials in webhook and API URLs (?token=, ?api_key=, ?sig=, ?password= ...).
_SECRET_PARAM = re.compile(r"token|key|secret|pass|pwd|sig|auth|credential|session|hmac|code", re.IGNORECASE)
_URL_IN_TEXT = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>()\[\]]+", re.IGNORECASE)
_LETTER = re.compile(r"[a-z]", re.IGNORECASE)
_DIGIT = re.compile(r"[0-9]")


def _secret_path_segment(segment: str) -> bool:
    """Slack and Discord put the secret in the path (``/services/T0/B0/<24 chars>``): long random tokens."""
    return len(segment) >= 32 or (len(segment) >= 16 and bool(_LETTER.search(segment)) and bool(_DIGIT.search(segment)))


def redact_url(url: str) -> str:
    """``url`` with its secrets replaced by REDACTED: user:password@, credential-like query values, long random
    path segments and the fragment. For showing or storing a URL a user gave us (a webhook), never for fetching.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = "&".join(
        f"{name}={REDACTED}" if sep and _SECRET_PARAM.search(name) else f"{name}{sep}{value}"
        for name, sep, value in (piece.partition("=") for piece in parts.query.split("&"))
    )
    path = "/".join(REDACTED if _secret_path_segment(segment) else segment for segment in parts.path.split("/"))
    return urlunsplit((parts.scheme, netloc, path, query, REDACTED if parts.fragment else ""))


def redact_text(text: str, *urls: str) -> str:
    """``text`` (an error message, say) with every URL in it redacted, the given ``urls`` first, verbatim."""
    for url in urls:
        if url:
            text = text.replace(url, redact_url(url))
    return _URL_IN_TEXT.sub(_redact_match, text)


def _redact_match(match: re.Match[str]) -> str:
    url = match.group()
    trailing = len(url) - len(url.rstrip(".,;:!?"))  # punctuation of the sentence, not of the URL
    return redact_url(url[: len(url) - trailing]) + url[len(url) - trailing :]
