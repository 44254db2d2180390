"""The one HTTP client every network call goes through.

Timeouts, a size cap counted on decoded bytes (so a gzip bomb stops at the cap), redirects followed by hand
(each hop checked; 301/308 remembered), a User-Agent naming dragoman, robots.txt, a per-host delay, retries
with exponential backoff and jitter on 5xx and timeouts, Retry-After honoured on 429/503, anti-bot challenge
pages reported (never evaded), and no requests to private, loopback or link-local addresses unless the user
allows them. httpx errors are mapped to FetchError here.
"""

from __future__ import annotations

import ipaddress
import random
import re
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from dragoman.acquire.page import RawPage
from dragoman.errors import FetchError, RobotsDisallowed
from dragoman.settings import Settings

Resolver = Callable[[str], list[str]]

_ROBOTS_MAX_BYTES = 500_000
_ROBOTS_TTL_SECONDS = 24 * 3600
_RETRY_STATUSES = frozenset({500, 502, 503, 504, 429})
_RETRY_BASE_SECONDS = 1.0
_RETRY_CAP_SECONDS = 60.0
# Longest Retry-After we wait for inside one fetch; a longer one is handed to the caller (the monitor
# reschedules the feed) instead of holding a worker for minutes.
MAX_INLINE_RETRY_AFTER = 120.0
# Markers of bot-challenge pages (Cloudflare, DDoS-Guard, Qrator, Yandex SmartCaptcha, ServicePipe).
_ANTI_BOT = re.compile(
    "cf-chl-|/cdn-cgi/challenge-platform|ddos-guard|qrator|smartcaptcha|showcaptcha|servicepipe"
    "|checking your browser|just a moment\\.\\.\\.|(?:п|П)роверка браузера".encode(),
    re.IGNORECASE,
)
_ANTI_BOT_MAX_BYTES = 100_000  # challenge pages are small; a long article that mentions a captcha is not one


def looks_like_anti_bot(page: RawPage) -> bool:
    """True for a bot-challenge page served instead of the content; such pages are recorded, not solved."""
    if len(page.body) > _ANTI_BOT_MAX_BYTES:
        return False
    content_type = (page.content_type or "text/html").lower()
    return "html" in content_type and _ANTI_BOT.search(page.body) is not None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


def backoff_delay(attempt: int, base: float = _RETRY_BASE_SECONDS, cap: float = _RETRY_CAP_SECONDS) -> float:
    """Exponential backoff with jitter: uniform in [ceiling/2, ceiling], ceiling = base * 2^attempt, capped."""
    ceiling = min(cap, base * (2**attempt))
    return random.uniform(ceiling / 2, ceiling)


def resolve_host(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve host {host}: {exc.strerror}", reason="dns") from exc
    return sorted({str(info[4][0]) for info in infos})


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


class HostThrottle:
    """Keeps at least ``delay`` seconds between two requests to the same host (thread-safe)."""

    def __init__(self, delay: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.delay = delay
        self._sleep = sleep
        self._next_allowed: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str, minimum_delay: float = 0.0) -> None:
        delay = max(self.delay, minimum_delay)
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_allowed.get(host, 0.0))
            self._next_allowed[host] = start + delay
        if start > now:
            self._sleep(start - now)

    def defer(self, host: str, seconds: float) -> None:
        """No request to ``host`` for ``seconds`` (a server's Retry-After applies to all our requests)."""
        with self._lock:
            until = time.monotonic() + seconds
            self._next_allowed[host] = max(self._next_allowed.get(host, 0.0), until)


class Fetcher:
    """Fetches pages politely. ``transport`` and ``resolver`` are injectable for tests."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        resolver: Resolver | None = None,
        retries: int = 1,  # the monitor asks for more; one-shot ingests should fail fast
        retry_base: float = _RETRY_BASE_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or Settings()
        s = self.settings
        self._resolve = resolver or resolve_host
        self.client = httpx.Client(
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            follow_redirects=False,
            headers={"User-Agent": s.full_user_agent, "Accept-Language": "ru,en;q=0.5"},
            transport=transport,
            trust_env=False,
        )
        self.throttle = HostThrottle(s.host_delay, sleep=sleep)
        self._robots: dict[str, tuple[float, RobotFileParser | None]] = {}
        self.retries = retries
        self.retry_base = retry_base
        self._sleep = sleep
        # 301/308 seen so far (old URL -> new URL); the monitor persists them and preloads them here.
        self.permanent_redirects: dict[str, str] = {}

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- checks ---------------------------------------------------------------------------------------

    def check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError(
                f"only http and https URLs can be fetched, not {parts.scheme or 'no'} scheme",
                reason="bad_url",
                source=url,
            )
        if not parts.hostname:
            raise FetchError("URL has no host", reason="bad_url", source=url)
        if self.settings.allow_private:
            return
        host = parts.hostname
        try:
            addresses = [host] if _is_ip_literal(host) else self._resolve(host)
        except FetchError as exc:
            exc.source = url
            raise
        blocked = [a for a in addresses if not is_public_address(a)]
        if blocked or not addresses:
            raise FetchError(
                f"refusing to fetch a private, loopback or link-local address ({', '.join(blocked) or host}); "
                "use --allow-private or DRAGOMAN_ALLOW_PRIVATE=1 to allow it",
                reason="private_address",
                source=url,
            )

    def robots_for(self, url: str) -> RobotFileParser | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        cached = self._robots.get(origin)
        if cached and time.monotonic() - cached[0] < _ROBOTS_TTL_SECONDS:
            return cached[1]
        parser: RobotFileParser | None = RobotFileParser(origin + "/robots.txt")
        try:
            response = self._get_once(origin + "/robots.txt", _ROBOTS_MAX_BYTES)
        except FetchError:
            parser = None  # unreachable robots.txt: treated as no rules (RFC 9309 §2.3.1.4 allows crawling)
        else:
            status = response.status
            assert parser is not None
            if status is not None and 400 <= status < 500:
                parser.parse([])  # no robots.txt: everything allowed
            elif status is not None and status >= 500:
                parser.disallow_all = True  # server error: RFC 9309 says assume complete disallow
            else:
                parser.parse(response.body.decode("utf-8", errors="replace").splitlines())
        self._robots[origin] = (time.monotonic(), parser)
        return parser

    def allowed_by_robots(self, url: str) -> bool:
        parser = self.robots_for(url)
        return True if parser is None else parser.can_fetch(self.settings.user_agent.split("/")[0], url)

    # -- fetching -------------------------------------------------------------------------------------

    def resolve_permanent(self, url: str) -> str:
        """Where earlier 301/308 responses said ``url`` now lives (followed transitively, loops cut)."""
        seen = {url}
        while url in self.permanent_redirects:
            url = self.permanent_redirects[url]
            if url in seen:
                break
            seen.add(url)
        return url

    def fetch(self, url: str, *, headers: dict[str, str] | None = None) -> RawPage:
        """GET ``url`` with every check; raises FetchError with a reason code on any failure.

        A 304 (answer to a conditional request) comes back as a page with status 304 and an empty body.
        An HTTP error's FetchError carries ``retry_after`` (seconds or None) from the Retry-After header.
        """
        seen: list[str] = []
        current = self.resolve_permanent(url)
        for _hop in range(self.settings.max_redirects + 1):
            self.check_url(current)
            if self.settings.respect_robots and not self.allowed_by_robots(current):
                raise RobotsDisallowed("robots.txt disallows this URL", source=current)
            page = self._get_with_retries(current, headers)
            page.source = url
            status = page.status or 0
            if status in (301, 302, 303, 307, 308):
                location = page.headers.get("location")
                if not location:
                    raise FetchError(
                        f"HTTP {status} without a Location header", reason=f"http_{status}", source=current
                    )
                seen.append(current)
                target = urljoin(current, location)
                if target in seen:
                    raise FetchError("redirect loop", reason="redirect_loop", source=url)
                if status in (301, 308):
                    self.permanent_redirects[current] = target
                current = target
                continue
            if status == 304:
                return page
            if status >= 400:
                error = FetchError(f"HTTP {status}", reason=f"http_{status}", source=current)
                error.retry_after = parse_retry_after(page.headers.get("retry-after"))  # type: ignore[attr-defined]
                raise error
            if looks_like_anti_bot(page):
                raise FetchError(
                    "the site answered with a bot-challenge page (recorded as unavailable, not evaded)",
                    reason="anti_bot",
                    source=current,
                )
            return page
        raise FetchError(f"more than {self.settings.max_redirects} redirects", reason="too_many_redirects", source=url)

    def _get_with_retries(self, url: str, headers: dict[str, str] | None) -> RawPage:
        """One hop, retried on 5xx, 429 and timeouts with backoff and jitter; a Retry-After header wins."""
        host = urlsplit(url).hostname or ""
        attempt = 0
        while True:
            try:
                page = self._get_once(url, self.settings.max_bytes, headers=headers)
            except FetchError as exc:
                if exc.reason not in ("timeout", "connection") or attempt >= self.retries:
                    raise
                self._sleep(backoff_delay(attempt, self.retry_base))
                attempt += 1
                continue
            status = page.status or 0
            if status not in _RETRY_STATUSES:
                return page
            retry_after = parse_retry_after(page.headers.get("retry-after"))
            if retry_after is not None and status in (429, 503):
                if retry_after > MAX_INLINE_RETRY_AFTER or attempt >= self.retries:
                    return page  # the caller reschedules (the monitor stores the time in the database)
                # The server said when to come back: no request to this host before then, whoever asks.
                self.throttle.defer(host, retry_after)
                attempt += 1
                continue  # the throttle sleeps until the time the server gave
            if attempt >= self.retries:
                return page
            self._sleep(backoff_delay(attempt, self.retry_base))
            attempt += 1

    def _get_once(self, url: str, max_bytes: int, headers: dict[str, str] | None = None) -> RawPage:
        host = urlsplit(url).hostname or ""
        crawl_delay = 0.0
        cached = self._robots.get(f"{urlsplit(url).scheme}://{urlsplit(url).netloc}")
        if cached and cached[1] is not None:
            crawl_delay = float(cached[1].crawl_delay(self.settings.user_agent.split("/")[0]) or 0.0)
        self.throttle.wait(host, crawl_delay)
        fetched_at = datetime.now(UTC)
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes and response.status_code < 300:
                    raise FetchError(
                        f"page is larger than the {max_bytes:,}-byte cap ({int(declared):,} bytes)",
                        reason="too_large",
                        source=url,
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError(
                            f"page is larger than the {max_bytes:,}-byte cap (after decompression)",
                            reason="too_large",
                            source=url,
                        )
                    chunks.append(chunk)
                return RawPage(
                    url=str(response.url),
                    body=b"".join(chunks),
                    fetched_at=fetched_at,
                    content_type=response.headers.get("content-type"),
                    source=url,
                    status=response.status_code,
                    headers={k.lower(): v for k, v in response.headers.items()},
                )
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out ({type(exc).__name__})", reason="timeout", source=url) from exc
        except httpx.DecodingError as exc:
            raise FetchError(f"cannot decode the response: {exc}", reason="bad_encoding", source=url) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"connection failed: {exc}", reason="connection", source=url) from exc


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
