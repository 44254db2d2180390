"""The one HTTP client every network call goes through.

Timeouts per read and a total deadline per request, a size cap counted on decoded bytes while decoding (the
body is decompressed here a bounded piece at a time, so gzip and brotli bombs stop at the cap; stacked or
unknown encodings are refused), redirects followed by hand (each hop checked; 301/308 remembered), a
User-Agent naming dragoman, robots.txt, a per-host delay, retries with exponential backoff and jitter on 5xx
and timeouts, Retry-After honoured on 429/503, anti-bot challenge pages reported (never evaded), and no
requests to addresses that are not globally routable unless the user allows them; the connection goes to the
address that was checked (no second DNS lookup to rebind). httpx errors are mapped to FetchError here.
"""

from __future__ import annotations

import contextvars
import ipaddress
import random
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpcore
import httpx

from dragoman.article import RawPage
from dragoman.errors import FetchError, RobotsDisallowed
from dragoman.settings import AllowList, Settings

try:  # brotli >= 1.2 can bound the output of one step (output_buffer_limit); older versions cannot
    import brotli
except ImportError:  # pragma: no cover - brotli is a dependency, but br is simply not offered without it
    brotli = None

_DECODE_ERRORS: tuple[type[Exception], ...] = (zlib.error,) if brotli is None else (zlib.error, brotli.error)

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
    return list(dict.fromkeys(str(info[4][0]) for info in infos))  # the system's preference order, once each


# Ranges that carry an IPv4 address inside an IPv6 one; the embedded address must be public too.
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: translates into the local network
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d form
_LINK_LOCAL = (ipaddress.IPv4Network("169.254.0.0/16"), ipaddress.IPv6Network("fe80::/10"))


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_public_address(address: str) -> bool:
    """True only for a globally routable unicast address (``is_global``), embedded IPv4 addresses included.

    ``is_global`` alone still counts 6to4 (2002::/16), NAT64 (64:ff9b::/96) and IPv4-compatible addresses as
    global whatever IPv4 address they carry, and local-use NAT64 and fec0::/10 site-local as global; those are
    checked here.
    """
    ip = _ip(address)
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local or ip in _IPV4_COMPATIBLE or ip in _NAT64_LOCAL:
            return False
        if ip.sixtofour is not None:
            return is_public_address(str(ip.sixtofour))
        if ip in _NAT64_WELL_KNOWN:
            return is_public_address(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    return True


def address_allowed(address: str, allow: AllowList) -> bool:
    """A public address, or one the user allowed; link-local only when a link-local network is named."""
    if is_public_address(address):
        return True
    ip = _ip(address)
    if any(ip in link_local for link_local in _LINK_LOCAL):
        # Cloud metadata lives here (169.254.169.254): "allow 0.0.0.0/0" or a bare --allow-private is not
        # consent to reach it, only a network inside the link-local range is.
        return any(
            ip in network and any(network.subnet_of(ll) for ll in _LINK_LOCAL if ll.version == network.version)
            for network in allow.networks
        )
    return any(ip in network for network in allow.networks)


# -- decoding -----------------------------------------------------------------------------------------------

_DECODE_STEP = 64 * 1024  # most bytes one decoding step may produce: memory stays near cap + step


class _ZlibDecoder:
    """gzip or deflate, a bounded piece at a time (``max_length``), so one small chunk cannot become a gigabyte."""

    def __init__(self, coding: str) -> None:
        self._deflate = coding == "deflate"
        self._decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
        self._started = False

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._decoder.eof:
            return  # bytes after the end of the stream are ignored, as httpx and browsers do
        try:
            piece = self._decoder.decompress(data, _DECODE_STEP)
        except zlib.error:
            if not (self._deflate and not self._started):
                raise
            # "deflate" is often sent raw, without the zlib header (httpx and browsers accept both).
            self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)
            piece = self._decoder.decompress(data, _DECODE_STEP)
        self._started = True
        yield piece
        while self._decoder.unconsumed_tail and not self._decoder.eof:
            yield self._decoder.decompress(self._decoder.unconsumed_tail, _DECODE_STEP)

    def finish(self) -> Iterator[bytes]:
        """What zlib still holds after the last input, drained in bounded pieces too."""
        while self._started and not self._decoder.eof:
            piece = self._decoder.decompress(b"", _DECODE_STEP)
            if not piece:
                return
            yield piece


class _BrotliDecoder:
    """brotli, a bounded piece at a time (``output_buffer_limit``, brotli >= 1.2)."""

    def __init__(self) -> None:
        assert brotli is not None
        self._decoder = brotli.Decompressor()

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._decoder.is_finished():
            return
        piece = self._decoder.process(data, output_buffer_limit=_DECODE_STEP)
        yield piece
        # Until it can take input again, brotli must be called with none; each call gives one more piece.
        while piece and not self._decoder.can_accept_more_data():
            piece = self._decoder.process(b"", output_buffer_limit=_DECODE_STEP)
            yield piece

    def finish(self) -> Iterator[bytes]:
        return iter(())


class _IdentityDecoder:
    def decode(self, data: bytes) -> Iterator[bytes]:
        yield data

    def finish(self) -> Iterator[bytes]:
        return iter(())


_BROTLI_BOUNDED = brotli is not None and hasattr(brotli.Decompressor(), "can_accept_more_data")
ACCEPT_ENCODING = "gzip, deflate, br" if _BROTLI_BOUNDED else "gzip, deflate"


def _decoder_for(content_encoding: str | None, url: str) -> _ZlibDecoder | _BrotliDecoder | _IdentityDecoder:
    codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > 1:
        # Each layer multiplies the expansion; no real site stacks them, bombs do.
        raise FetchError(
            f"refusing a response compressed more than once (Content-Encoding: {content_encoding})",
            reason="bad_encoding",
            source=url,
        )
    if not codings:
        return _IdentityDecoder()
    if codings[0] in ("gzip", "x-gzip", "deflate"):
        return _ZlibDecoder("deflate" if codings[0] == "deflate" else "gzip")
    if codings[0] == "br" and _BROTLI_BOUNDED:
        return _BrotliDecoder()
    raise FetchError(
        f"unsupported Content-Encoding {codings[0]!r} (dragoman accepts {ACCEPT_ENCODING})",
        reason="bad_encoding",
        source=url,
    )


# -- connections ----------------------------------------------------------------------------------------------

# When the current request must be over (time.monotonic()); set per request on the thread that makes it.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("dragoman_fetch_deadline", default=None)


def _within_deadline(timeout: float | None) -> float | None:
    """The socket timeout for one operation: the per-read timeout, cut to what is left of the deadline."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write also ends at the request's deadline (trickled headers too)."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _within_deadline(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within_deadline(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _within_deadline(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Connects only to addresses the Fetcher checked for a host, never resolving the name again.

    httpcore hands over the URL's host; TLS still uses that name for SNI and certificate checks and the Host
    header is untouched, only the TCP connection goes to the pinned address (a rebinding DNS server gets one
    answer, and it is the one we checked).
    """

    def __init__(self) -> None:
        self._connect = httpcore.SyncBackend()
        self._pins: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def pin(self, host: str, addresses: Iterable[str]) -> None:
        with self._lock:
            self._pins[host] = list(addresses)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        with self._lock:
            addresses = list(self._pins.get(host, ()))
        if not addresses:
            raise httpcore.ConnectError(f"{host} was not checked before connecting")
        error: Exception | None = None
        for address in addresses:
            try:
                stream = self._connect.connect_tcp(
                    address, port, _within_deadline(timeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc  # the next checked address, as a browser would
                continue
            return _DeadlineStream(stream)
        assert error is not None
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by dragoman")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _pinned_transport(backend: PinnedBackend) -> httpx.HTTPTransport:
    """httpx's transport with our network backend (httpx has no argument for it; its pool is swapped)."""
    transport = httpx.HTTPTransport(trust_env=False)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False), network_backend=backend
    )
    return transport


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
        self._allow = s.private_allow_list
        # Every connection goes to an address check_url approved (an injected transport makes none).
        self._pins = PinnedBackend()
        self.client = httpx.Client(
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            follow_redirects=False,
            headers={
                "User-Agent": s.full_user_agent,
                "Accept-Language": "ru,en;q=0.5",
                "Accept-Encoding": ACCEPT_ENCODING,  # only what _decoder_for can decode with a bound
            },
            transport=transport or _pinned_transport(self._pins),
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
        """Refuse what may not be fetched, and pin the checked addresses that the connection will use."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError(
                f"only http and https URLs can be fetched, not {parts.scheme or 'no'} scheme",
                reason="bad_url",
                source=url,
            )
        try:
            # httpx's own spelling of the host (IDNA, no brackets) is the name the connection asks for.
            host = httpx.URL(url).raw_host.decode("ascii").lower()
        except (httpx.InvalidURL, UnicodeError) as exc:
            raise FetchError(f"not a valid URL: {exc}", reason="bad_url", source=url) from exc
        if not host:
            raise FetchError("URL has no host", reason="bad_url", source=url)
        try:
            addresses = [host] if _is_ip_literal(host) else self._resolve(host)
        except FetchError as exc:
            exc.source = url
            raise
        if host not in self._allow.hosts:
            blocked = [a for a in addresses if not address_allowed(a, self._allow)]
            if blocked or not addresses:
                named = blocked[0] if blocked else host
                raise FetchError(
                    f"refusing to fetch an address that is not public ({', '.join(blocked) or host}); "
                    f"if it is yours, allow it with --allow-private {named} (a network or host name; "
                    "or DRAGOMAN_ALLOW_NETWORKS)",
                    reason="private_address",
                    source=url,
                )
        self._pins.pin(host, addresses)

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
        deadline_seconds = self.settings.fetch_deadline
        deadline = time.monotonic() + deadline_seconds
        token = _DEADLINE.set(deadline)
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes and response.status_code < 300:
                    raise FetchError(
                        f"page is larger than the {max_bytes:,}-byte cap ({int(declared):,} bytes)",
                        reason="too_large",
                        source=url,
                    )
                body = self._read_body(response, url, max_bytes, deadline)
                return RawPage(
                    url=str(response.url),
                    body=body,
                    fetched_at=fetched_at,
                    content_type=response.headers.get("content-type"),
                    source=url,
                    status=response.status_code,
                    headers={k.lower(): v for k, v in response.headers.items()},
                )
        except httpx.TimeoutException as exc:
            if time.monotonic() >= deadline:
                raise FetchError(
                    f"no complete answer within the {deadline_seconds:g}-second deadline (fetch_deadline)",
                    reason="deadline",
                    source=url,
                ) from exc
            raise FetchError(f"timed out ({type(exc).__name__})", reason="timeout", source=url) from exc
        except (httpx.DecodingError, *_DECODE_ERRORS) as exc:
            raise FetchError(f"cannot decode the response: {exc}", reason="bad_encoding", source=url) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"connection failed: {exc}", reason="connection", source=url) from exc
        except MemoryError as exc:
            # One page that exhausts memory is one failed page; what it took is freed as this unwinds.
            raise FetchError("ran out of memory reading the response", reason="out_of_memory", source=url) from exc
        finally:
            _DEADLINE.reset(token)

    @staticmethod
    def _read_body(response: httpx.Response, url: str, max_bytes: int, deadline: float) -> bytes:
        """The decoded body, decoded here (not by httpx) a bounded piece at a time and counted against the cap."""
        chunks: list[bytes] = []
        size = 0

        def pieces() -> Iterator[bytes]:
            if response.is_stream_consumed:  # an injected transport's in-memory response, read by httpx already
                yield response.content
                return
            decoder = _decoder_for(response.headers.get("content-encoding"), url)
            for raw in response.iter_raw():
                yield from decoder.decode(raw)
            yield from decoder.finish()

        for piece in pieces():
            size += len(piece)
            if size > max_bytes:
                raise FetchError(
                    f"page is larger than the {max_bytes:,}-byte cap (after decompression)",
                    reason="too_large",
                    source=url,
                )
            if time.monotonic() > deadline:  # an injected transport or a fast trickle between socket reads
                raise httpx.ReadTimeout("the request's deadline has passed")
            chunks.append(piece)
        return b"".join(chunks)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
