"""Outbound HTTP for Comptoir: the only way the application talks to other servers.

Everything Comptoir fetches (feeds, web pages, network APIs, webhooks it calls) goes through
:func:`safe_fetch`, because the addresses come from community managers and from the content
we fetch: without care, one could make the server read its own admin pages, the local network
or a cloud metadata service (server-side request forgery).

What :func:`safe_fetch` guarantees:

* Only ``http`` and ``https``, no credentials in the address, and every address the host
  resolves to must be public (see :func:`check_url`). Unusual numeric spellings of IPv4
  addresses (``2130706433``, ``0x7f.1``, ``127.1``) are refused outright.
* DNS is resolved once per hop and the connection goes to the address that was checked: a
  custom httpcore network backend (:mod:`comptoir.lib.transport`) maps the host name to the
  checked addresses, so a DNS answer that changes between check and connection (DNS
  rebinding) cannot redirect us. The URL keeps its host name, so the ``Host`` header, TLS SNI
  and certificate verification are those of the name, as usual.
* Redirects are followed by hand; each hop is checked again, and credentials (Authorization,
  Cookie, API-key headers) are not forwarded to another origin.
* One wall-clock budget (``COMPTOIR_FETCH_TIMEOUT_SECONDS``) covers DNS, connection, TLS,
  every redirect and the whole body: each socket operation's timeout is clamped to what is
  left, so a server dripping one byte at a time cannot hold a worker.
* The body is streamed and capped (``COMPTOIR_FETCH_MAX_BYTES``) after decompression; we
  decompress ourselves, in small steps, so a gzip bomb never expands past the cap in memory.

Proxies from the environment (``HTTP_PROXY`` …) are ignored: a proxy would resolve the name
itself and defeat the address check.
"""

from __future__ import annotations

import codecs
import concurrent.futures
import email.message
import ipaddress
import json as jsonlib
import re
import socket
import ssl
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from comptoir.lib.i18n import gettext as _
from comptoir.lib.transport import Deadline, PinnedBackend, PinnedTransport, StreamingDecompressor

__all__ = [
    "BadResponse",
    "BlockedTarget",
    "FetchError",
    "FetchResponse",
    "FetchTimeout",
    "NetworkError",
    "PinningTransport",
    "TooLarge",
    "check_url",
    "safe_fetch",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# Headers that carry the caller's identity: they must not follow a redirect to another origin.
# Secrets some APIs take in their own headers (Discourse's Api-Key, and the usual X-Api-Key) count too.
_CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie", "api-key", "api-username", "x-api-key")

# Refused even when private targets are allowed: nothing legitimate lives there, and the
# metadata services hand out cloud credentials.
_NEVER_ALLOWED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "169.254.169.254/32",  # AWS, GCP, Azure, OpenStack metadata
        "169.254.170.2/32",  # AWS ECS task metadata
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "fd00:ec2::254/128",  # AWS metadata over IPv6
        "255.255.255.255/32",
    )
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# WHATWG URL rule: a host whose last label is a number is an IPv4 address, whatever its form.
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)


# --- Errors -----------------------------------------------------------------------------------


class FetchError(Exception):
    """A fetch failed. ``message`` is translated and tells a person what to do about it.

    ``retryable`` says whether trying again later may succeed (a timeout, a 503) or not (a
    refused address, a response too large).
    """

    retryable: bool = True

    def __init__(self, message: str, *, retryable: bool | None = None, url: str | None = None):
        super().__init__(message)
        self.message = message
        self.url = url
        if retryable is not None:
            self.retryable = retryable


class BlockedTarget(FetchError):
    """The address is not one Comptoir may fetch (scheme, credentials, private network…)."""

    retryable = False


class TooLarge(FetchError):
    """The response body is larger than the allowed size."""

    retryable = False


class FetchTimeout(FetchError):
    """The whole fetch took longer than its time budget."""

    retryable = True


class NetworkError(FetchError):
    """The host could not be resolved or reached, or the connection broke."""

    retryable = True


class BadResponse(FetchError):
    """The server answered something unusable: broken HTTP, endless redirects, error status."""

    retryable = False

    def __init__(self, message: str, *, retryable: bool | None = None, url: str | None = None,
                 status: int | None = None):
        super().__init__(message, retryable=retryable, url=url)
        self.status = status


# --- Address checks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    url: httpx.URL
    host: str  # IDNA-encoded, as httpcore will see it
    addresses: tuple[str, ...]


def _allow_private_default(allow_private: bool | None) -> bool:
    if allow_private is None:
        return bool(getattr(settings, "COMPTOIR_FETCH_ALLOW_PRIVATE", False))
    return allow_private


def _parse_url(url: str | httpx.URL) -> httpx.URL:
    if isinstance(url, httpx.URL):
        parsed = url
    else:
        if not isinstance(url, str):
            raise BlockedTarget(_("This address is not valid. Check it and try again."), url=repr(url))
        try:
            # Addresses pasted in forms often carry stray spaces around them.
            parsed = httpx.URL(url.strip())
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise BlockedTarget(_("This address is not valid. Check it and try again."), url=url) from exc
    shown = str(parsed)
    if parsed.scheme not in ("http", "https"):
        raise BlockedTarget(
            _("Only http:// and https:// addresses can be fetched. Check the address and try again."),
            url=shown,
        )
    if not parsed.host:
        raise BlockedTarget(
            _("The address has no host name. It should look like https://example.org/feed."), url=shown
        )
    if parsed.userinfo:
        raise BlockedTarget(
            _(
                "Addresses containing a user name or password are not allowed. Remove them from the "
                "address and enter the credentials in the connection settings instead."
            ),
            url=shown.replace(parsed.userinfo.decode("ascii", "replace") + "@", ""),
        )
    return parsed


def _literal_ip(host: str, url: str) -> IPAddress | None:
    """The IP address written in ``host``, None for a host name; refuses odd numeric forms."""
    candidate = host[:-1] if host.endswith(".") else host
    if ":" in candidate or "%" in candidate:
        try:
            # A zone id (fe80::1%eth0) arrives percent-encoded in URLs.
            return ipaddress.ip_address(candidate.replace("%25", "%"))
        except ValueError as exc:
            raise BlockedTarget(_("This address is not valid. Check it and try again."), url=url) from exc
    if _NUMERIC_LABEL.fullmatch(candidate.rsplit(".", 1)[-1]):
        try:
            return ipaddress.IPv4Address(candidate)
        except ValueError as exc:
            # Resolvers read 2130706433, 0x7f.1 or 127.1 as 127.0.0.1; such spellings are only
            # ever used to slip past filters.
            raise BlockedTarget(
                _(
                    "The address %(host)s is written in an unusual numeric form. Write the IP "
                    "address in the usual dotted form (for example 192.0.2.10) or use a host name."
                )
                % {"host": host},
                url=url,
            ) from exc
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        # DNS64 gives these for IPv4-only sites on IPv6-only networks; judge the IPv4 inside.
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _is_never_allowed(ip: IPAddress) -> bool:
    return ip.is_unspecified or ip.is_multicast or any(ip in net for net in _NEVER_ALLOWED)


def _is_private(ip: IPAddress) -> bool:
    if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or not ip.is_global:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        return ip.is_site_local or (ip.teredo is not None)
    return ip in _CGNAT


def _refuse_ip(ip: IPAddress, host: str, url: str, allow_private: bool) -> None:
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            if _is_never_allowed(ip) or _is_never_allowed(inner):
                raise _never_allowed(host, ip, url)
            if not allow_private and _is_private(inner):
                raise _private(host, ip, url)
            return
    if _is_never_allowed(ip):
        raise _never_allowed(host, ip, url)
    if not allow_private and _is_private(ip):
        raise _private(host, ip, url)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.rstrip(".").replace("%25", "%"))
    except ValueError:
        return False
    return True


def _never_allowed(host: str, ip: IPAddress, url: str) -> BlockedTarget:
    if _is_literal(host):
        message = _(
            "%(ip)s is a special address that Comptoir never fetches. Check the address and use "
            "the public address of the site."
        )
    else:
        message = _(
            "The address %(host)s leads to %(ip)s, a special address that Comptoir never fetches. "
            "Check the address and use the public address of the site."
        )
    shown_ip = host.rstrip(".") if _is_literal(host) else ip  # as the person wrote it
    return BlockedTarget(message % {"host": host, "ip": shown_ip}, url=url)


def _private(host: str, ip: IPAddress, url: str) -> BlockedTarget:
    if _is_literal(host):
        message = _(
            "%(ip)s is a private or local network address, which Comptoir does not fetch for "
            "security reasons. Use a public address; an administrator can allow private "
            "addresses with the COMPTOIR_FETCH_ALLOW_PRIVATE setting."
        )
    else:
        message = _(
            "The address %(host)s leads to a private or local network (%(ip)s), which Comptoir "
            "does not fetch for security reasons. Use a public address; an administrator can "
            "allow private addresses with the COMPTOIR_FETCH_ALLOW_PRIVATE setting."
        )
    shown_ip = host.rstrip(".") if _is_literal(host) else ip  # as the person wrote it
    return BlockedTarget(message % {"host": host, "ip": shown_ip}, url=url)


_dns_pool: concurrent.futures.ThreadPoolExecutor | None = None
_dns_pool_lock = threading.Lock()


def _dns_executor() -> concurrent.futures.ThreadPoolExecutor:
    global _dns_pool
    with _dns_pool_lock:
        if _dns_pool is None:
            _dns_pool = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="comptoir-dns")
        return _dns_pool


def _resolve(host: str, port: int, timeout: float, url: str) -> tuple[str, ...]:
    """Every address ``host`` resolves to, within ``timeout`` seconds."""
    # getaddrinfo has no timeout of its own; running it in a thread lets us give up in time
    # (the thread finishes on its own, bounded by the system resolver's timeouts).
    future = _dns_executor().submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=max(timeout, 0.001))
    except concurrent.futures.TimeoutError as exc:
        raise FetchTimeout(
            _(
                "Looking up %(host)s took too long. Try again later; if it keeps happening, check "
                "the server's DNS configuration."
            )
            % {"host": host},
            url=url,
        ) from exc
    except (OSError, UnicodeError) as exc:
        raise NetworkError(
            _(
                "The host name %(host)s could not be found. Check the spelling of the address, or "
                "try again later if the site is temporarily unavailable."
            )
            % {"host": host},
            url=url,
        ) from exc
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise NetworkError(
            _(
                "The host name %(host)s could not be found. Check the spelling of the address, or "
                "try again later if the site is temporarily unavailable."
            )
            % {"host": host},
            url=url,
        )
    return tuple(addresses)


def _check(url: str | httpx.URL, allow_private: bool, timeout: float) -> _Target:
    parsed = _parse_url(url)
    shown = str(parsed)
    host = parsed.raw_host.decode("ascii")
    display_host = parsed.host
    ip = _literal_ip(host, shown)
    if ip is not None:
        _refuse_ip(ip, display_host, shown, allow_private)
        return _Target(parsed, host, (str(ip),))
    bare = host.rstrip(".")
    if not allow_private and (bare == "localhost" or bare.endswith(".localhost")):
        # RFC 6761: these names are loopback whatever DNS says; no need to ask.
        raise _private(display_host, ipaddress.IPv4Address("127.0.0.1"), shown)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = _resolve(host, port, timeout, shown)
    # Every answer must be acceptable: a mixed answer is the classic way to sneak a private
    # address past a check that only looks at the first one.
    for address in addresses:
        try:
            resolved = ipaddress.ip_address(address)
        except ValueError as exc:
            raise BlockedTarget(_("This address is not valid. Check it and try again."), url=shown) from exc
        _refuse_ip(resolved, display_host, shown, allow_private)
    return _Target(parsed, host, addresses)


def check_url(url: str, *, allow_private: bool | None = None) -> tuple[str, ...]:
    """Raise :class:`BlockedTarget` unless ``url`` is an address Comptoir may fetch; return the IP
    addresses its host resolved to, which are the only ones to connect to (a second lookup could
    answer otherwise: DNS rebinding).

    Refused: schemes other than http(s), a missing host, a user name or password in the
    address, unusual numeric IPv4 spellings, and any host of which at least one resolved
    address is private, loopback, link-local, CGNAT, multicast, reserved or unspecified
    (IPv4-mapped, 6to4 and NAT64 IPv6 addresses are judged by the IPv4 address inside).
    ``allow_private=None`` reads ``settings.COMPTOIR_FETCH_ALLOW_PRIVATE``; even when private
    addresses are allowed, cloud metadata services, multicast and unspecified addresses stay
    refused. A host name that cannot be resolved raises :class:`NetworkError`.
    """
    timeout = float(getattr(settings, "COMPTOIR_FETCH_TIMEOUT_SECONDS", 15))
    return _check(url, _allow_private_default(allow_private), timeout).addresses


class PinningTransport(httpx.BaseTransport):
    """An httpx transport for clients a library builds (an SDK): every request, redirects included,
    is checked like :func:`safe_fetch` checks it and connected only to the addresses checked.
    Time limits are the client's own (``httpx.Timeout``)."""

    def __init__(self, *, allow_private: bool | None = None):
        self._allow_private = allow_private
        self._backend = PinnedBackend(None)
        self._transport = PinnedTransport(self._backend)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout = float(getattr(settings, "COMPTOIR_FETCH_TIMEOUT_SECONDS", 15))
        target = _check(request.url, _allow_private_default(self._allow_private), timeout)
        self._backend.pin(target.host, target.addresses)
        return self._transport.handle_request(request)

    def close(self) -> None:
        self._transport.close()


# --- Body decoding ----------------------------------------------------------------------------


def _decompressor_for(content_encoding: str, host: str, url: str) -> StreamingDecompressor | None:
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return StreamingDecompressor(codings[0])
    raise BadResponse(
        _(
            "%(host)s sent its answer in a compressed format that Comptoir cannot read "
            "(%(encoding)s). Try again later; if it keeps happening, contact the site's owner."
        )
        % {"host": host, "encoding": content_encoding},
        url=url,
    )


# --- Responses --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchResponse:
    """What :func:`safe_fetch` returns: any status (304, 404, 500…) comes back as a response.

    ``headers`` is case-insensitive; ``content`` is the decoded (decompressed) body; ``url`` is
    the final address after redirects; ``redirects`` lists the addresses that redirected.
    """

    status: int
    headers: httpx.Headers
    content: bytes
    url: str
    redirects: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status < 300

    @property
    def encoding(self) -> str:
        """The text encoding: byte order mark, else Content-Type charset, else UTF-8."""
        if self.content.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if self.content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        message = email.message.Message()
        message["content-type"] = self.headers.get("content-type", "")
        charset = message.get_content_charset()
        if charset:
            try:
                name = codecs.lookup(charset).name
            except LookupError:
                return "utf-8"
            # Browsers read latin-1 and ASCII labels as windows-1252, and so do the sites.
            return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name
        return "utf-8"

    @property
    def text(self) -> str:
        """The body as text; undecodable bytes become U+FFFD instead of raising."""
        return self.content.decode(self.encoding, errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises :class:`BadResponse` if it is not valid JSON."""
        try:
            return jsonlib.loads(self.content)
        except (ValueError, RecursionError) as exc:
            raise BadResponse(
                _(
                    "%(host)s did not send valid JSON. Check that the address points to the API "
                    "and not to a web page."
                )
                % {"host": httpx.URL(self.url).host},
                url=self.url,
                status=self.status,
            ) from exc

    def raise_for_status(self) -> FetchResponse:
        """Return self for statuses below 400, raise :class:`BadResponse` otherwise.

        The error is retryable for 408, 425, 429 and 5xx gateway/availability statuses.
        """
        if self.status < 400:
            return self
        host = httpx.URL(self.url).host
        if self.status in _RETRYABLE_STATUSES:
            message = _(
                "%(host)s answered with the error %(status)s. The site is busy or unavailable: "
                "try again later."
            )
            retryable = True
        else:
            message = _(
                "%(host)s answered with the error %(status)s. Check the address and the access "
                "rights of the account used."
            )
            retryable = False
        raise BadResponse(
            message % {"host": host, "status": self.status}, retryable=retryable, url=self.url,
            status=self.status,
        )


# --- safe_fetch -------------------------------------------------------------------------------


def _too_large(host: str, limit: int, url: str) -> TooLarge:
    return TooLarge(
        _(
            "The answer from %(host)s is larger than the %(limit)s limit. Use an address that "
            "returns a smaller document, or ask an administrator to raise COMPTOIR_FETCH_MAX_BYTES."
        )
        % {"host": host, "limit": filesizeformat(limit)},
        url=url,
    )


def _timed_out(host: str, seconds: float, url: str) -> FetchTimeout:
    return FetchTimeout(
        _(
            "%(host)s did not answer within %(seconds)s seconds. Try again later; if it keeps "
            "happening, the site may be down or very slow."
        )
        % {"host": host, "seconds": f"{seconds:g}"},
        url=url,
    )


def _translate_httpx_error(exc: Exception, host: str, deadline: Deadline, url: str) -> FetchError:
    if isinstance(exc, httpx.TimeoutException):
        return _timed_out(host, deadline.seconds, url)
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return NetworkError(
                _(
                    "The secure connection to %(host)s failed because its certificate could not be "
                    "verified. Check that the address is right; a site with an invalid or "
                    "self-signed certificate cannot be fetched."
                )
                % {"host": host},
                retryable=False,
                url=url,
            )
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ProtocolError | httpx.DecodingError):
        return BadResponse(
            _(
                "%(host)s sent an answer that could not be understood. Try again later; if it keeps "
                "happening, contact the site's owner."
            )
            % {"host": host},
            retryable=True,
            url=url,
        )
    return NetworkError(
        _(
            "Could not connect to %(host)s, or the connection was cut. Check the address, or try "
            "again later if the site is temporarily unavailable."
        )
        % {"host": host},
        url=url,
    )


def _read_body(response: httpx.Response, host: str, max_bytes: int, url: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise _too_large(host, max_bytes, url)  # refused before reading a single byte
    decoder = _decompressor_for(response.headers.get("content-encoding", ""), host, url)
    parts: list[bytes] = []
    raw_total = 0
    size = 0
    try:
        for raw in response.iter_raw():
            # The raw stream is capped too: a stream of empty gzip members decodes to nothing
            # but could otherwise run forever.
            raw_total += len(raw)
            if raw_total > max_bytes:
                raise _too_large(host, max_bytes, url)
            pieces = decoder.decode(raw) if decoder is not None else (raw,)
            for piece in pieces:
                size += len(piece)
                if size > max_bytes:
                    raise _too_large(host, max_bytes, url)
                parts.append(piece)
        if decoder is not None:
            tail = decoder.flush()
            size += len(tail)
            if size > max_bytes:
                raise _too_large(host, max_bytes, url)
            parts.append(tail)
    except zlib.error as exc:
        raise BadResponse(
            _(
                "%(host)s sent a compressed answer that is damaged. Try again later; if it keeps "
                "happening, contact the site's owner."
            )
            % {"host": host},
            url=url,
        ) from exc
    return b"".join(parts)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def safe_fetch(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    data: Any = None,
    json: Any = None,
    timeout: float | None = None,
    max_bytes: int | None = None,
    allow_private: bool | None = None,
    max_redirects: int | None = None,
    user_agent: str | None = None,
) -> FetchResponse:
    """Fetch ``url`` safely and return the whole (decoded) response.

    Every hop is checked with :func:`check_url` and connected to the address that was checked.
    ``timeout`` (default ``COMPTOIR_FETCH_TIMEOUT_SECONDS``) is the wall-clock budget for the
    whole fetch, redirects and body included. ``max_bytes`` (default
    ``COMPTOIR_FETCH_MAX_BYTES``) caps the decompressed body. ``max_redirects`` defaults to
    ``COMPTOIR_FETCH_MAX_REDIRECTS``, ``user_agent`` to ``COMPTOIR_FETCH_USER_AGENT``.

    ``data`` is sent as a form when it is a mapping, as is when it is bytes or str; ``json`` is
    sent as JSON. Statuses are not errors: a 304 to a conditional request (If-None-Match,
    If-Modified-Since in ``headers``) or a 404 come back as a :class:`FetchResponse` (see
    :meth:`FetchResponse.raise_for_status`). A 301/302 after POST and a 303 continue as GET
    without body; 307/308 repeat the method and body. Credentials headers (Authorization,
    Cookie) are dropped when a redirect leaves the origin.

    Raises :class:`BlockedTarget`, :class:`TooLarge`, :class:`FetchTimeout`,
    :class:`NetworkError` or :class:`BadResponse`, all subclasses of :class:`FetchError`.
    """
    seconds = float(timeout if timeout is not None else getattr(settings, "COMPTOIR_FETCH_TIMEOUT_SECONDS", 15))
    limit = int(max_bytes if max_bytes is not None else getattr(settings, "COMPTOIR_FETCH_MAX_BYTES", 10 << 20))
    hops_left = int(
        max_redirects if max_redirects is not None else getattr(settings, "COMPTOIR_FETCH_MAX_REDIRECTS", 5)
    )
    private_ok = _allow_private_default(allow_private)
    deadline = Deadline(seconds)

    current = _parse_url(url)
    if params:
        current = current.copy_merge_params(dict(params))
    method = method.upper()
    request_headers = httpx.Headers(headers or {})
    request_headers.pop("host", None)  # the Host header always follows the URL
    request_headers["user-agent"] = user_agent or str(getattr(settings, "COMPTOIR_FETCH_USER_AGENT", "Comptoir"))
    # Only what StreamingDecompressor can undo within the size cap.
    request_headers["accept-encoding"] = "gzip, deflate"
    body: dict[str, Any] = {}
    if json is not None:
        body["json"] = json
    elif isinstance(data, bytes | str):
        body["content"] = data
    elif data is not None:
        body["data"] = data

    backend = PinnedBackend(deadline)
    redirects: list[str] = []
    with httpx.Client(transport=PinnedTransport(backend), follow_redirects=False, trust_env=False) as client:
        while True:
            host = current.host
            shown = str(current)
            if deadline.remaining() <= 0:
                raise _timed_out(host, seconds, shown)
            target = _check(current, private_ok, deadline.remaining())
            backend.pin(target.host, target.addresses)
            left = max(deadline.remaining(), 0.001)
            try:
                with client.stream(
                    method, target.url, headers=request_headers, timeout=httpx.Timeout(left), **body
                ) as response:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECT_STATUSES and location:
                        if hops_left <= 0:
                            raise BadResponse(
                                _(
                                    "%(host)s redirected too many times. The address may be out of "
                                    "date: open it in a browser and use the address it ends on."
                                )
                                % {"host": host},
                                url=shown,
                            )
                        try:
                            following = current.join(location)
                        except (httpx.InvalidURL, TypeError, ValueError) as exc:
                            raise BadResponse(
                                _(
                                    "%(host)s redirected to an invalid address. Contact the site's "
                                    "owner or use another address."
                                )
                                % {"host": host},
                                url=shown,
                            ) from exc
                        hops_left -= 1
                        redirects.append(shown)
                        status = response.status_code
                        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
                            method = "GET"
                            body = {}
                            request_headers.pop("content-type", None)
                        if _origin(following) != _origin(current):
                            for name in _CREDENTIAL_HEADERS:
                                request_headers.pop(name, None)
                        current = following
                        continue
                    content = b"" if method == "HEAD" else _read_body(response, host, limit, shown)
                    return FetchResponse(
                        status=response.status_code,
                        headers=response.headers,
                        content=content,
                        url=shown,
                        redirects=tuple(redirects),
                    )
            except FetchError:
                raise
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
                raise _translate_httpx_error(exc, host, deadline, shown) from exc
