"""The socket-level pieces under :func:`comptoir.lib.fetch.safe_fetch`.

Use ``safe_fetch`` (or ``check_url`` and its addresses), not these: they do no address checking of
their own. They live apart only to keep ``fetch.py`` readable.

* :class:`PinnedBackend` is an httpcore network backend that connects a host name only to
  addresses it was given (the ones ``safe_fetch`` checked), so DNS is never consulted again
  between the check and the connection. The URL keeps its name: Host header, TLS SNI and
  certificate verification are unchanged.
* :func:`connect_first` does the same for a plain socket (IMAP, SMTP): the checked addresses in,
  a connection out.
* :class:`Deadline` and the streams it wraps clamp every connect, TLS handshake, read and
  write to what is left of one wall-clock budget.
* :class:`StreamingDecompressor` undoes gzip/deflate in bounded steps, so the size cap can be
  enforced on decompressed bytes before they pile up in memory.
"""

from __future__ import annotations

import socket
import ssl
import time
import zlib
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx

__all__ = ["Deadline", "PinnedBackend", "PinnedTransport", "StreamingDecompressor", "connect_first"]

_DECODE_STEP = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class Deadline:
    """A wall-clock budget of ``seconds``, started on creation (monotonic clock)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; zero or negative once the budget is spent."""
        return self.end - time.monotonic()

    def clamp(self, timeout: float | None, exc_class: type[Exception]) -> float:
        """``timeout`` shortened to the time left; raises ``exc_class`` if none is left."""
        left = self.remaining()
        if left <= 0:
            raise exc_class("the fetch ran out of time")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every operation ends by the deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline):
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(
            ssl_context, server_hostname, self._deadline.clamp(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Connects a host name only to the addresses pinned for it, never resolving it again.

    With a ``deadline``, every socket operation ends by it; without, the caller's timeouts apply.
    """

    def __init__(self, deadline: Deadline | None):
        self._deadline = deadline
        self._pins: dict[str, tuple[str, ...]] = {}
        self._tcp = httpcore.SyncBackend()

    def pin(self, host: str, addresses: tuple[str, ...]) -> None:
        """Allow connections to ``host`` (IDNA form, as in the URL), to these addresses only."""
        self._pins[host] = addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        """Connect to the first pinned address of ``host`` that accepts, within the deadline."""
        addresses = self._pins.get(host)
        if not addresses:
            # Only reachable if httpx asked for a host nobody checked: refuse, do not resolve.
            raise httpcore.ConnectError(f"refusing to connect to unchecked host {host!r}")
        last_error: Exception | None = None
        for address in addresses:
            try:
                stream = self._tcp.connect_tcp(
                    address,
                    port,
                    self._deadline.clamp(timeout, httpcore.ConnectTimeout) if self._deadline else timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            return _DeadlineStream(stream, self._deadline) if self._deadline else stream
        assert last_error is not None
        raise last_error

    def sleep(self, seconds: float) -> None:
        """Used by httpcore between connection retries (we configure none)."""
        time.sleep(seconds)


def connect_first(
    addresses: tuple[str, ...], port: int, timeout: float | None, source_address: tuple[str, int] | None = None
) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that accepts (IP addresses a check approved: no
    name is resolved here, so the connection goes where the check looked). Raises the last ``OSError``."""
    last_error: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout, source_address)
        except OSError as exc:
            last_error = exc
    raise last_error


_ssl_context: ssl.SSLContext | None = None


def _shared_ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs milliseconds; one context serves every fetch.
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = httpx.create_ssl_context()
    return _ssl_context


class PinnedTransport(httpx.HTTPTransport):
    """An httpx transport (HTTP/1.1, no proxy) whose connections go through a PinnedBackend."""

    def __init__(self, backend: PinnedBackend):
        super().__init__(verify=_shared_ssl_context(), trust_env=False)
        # HTTPTransport takes no network backend; the pool it builds is the one place to give
        # it. httpx is pinned below 0.29, and the DNS-pinning and drip-feed tests in
        # lib/tests/test_fetch.py fail if this stops taking effect.
        self._pool = httpcore.ConnectionPool(
            ssl_context=_shared_ssl_context(), network_backend=backend, http1=True, http2=False
        )


class StreamingDecompressor:
    """Incremental gzip (also concatenated members) or deflate (with or without zlib header).

    :meth:`decode` yields pieces of at most 64 KiB, so a caller counting bytes can stop a
    decompression bomb after one step past its limit. Raises ``zlib.error`` on damaged data.
    """

    def __init__(self, coding: str):
        self._gzip = coding in ("gzip", "x-gzip")
        self._raw_deflate = False
        self._produced = False
        self._head = b""  # deflate bytes kept until we know whether they carry a zlib header
        self._carry = b""  # the start of a next gzip member cut by the network
        self._obj = self._new()

    def _new(self) -> Any:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if self._raw_deflate else zlib.MAX_WBITS)

    def _after_end(self, rest: bytes) -> bytes | None:
        """What to feed a new gzip member after the end of one, or None to stop."""
        if not self._gzip or not rest:
            return None
        if len(rest) < len(_GZIP_MAGIC) and _GZIP_MAGIC.startswith(rest):
            self._carry = rest
            return None
        if rest.startswith(_GZIP_MAGIC):
            self._obj = self._new()
            return rest
        return None  # bytes after the end of the stream are ignored, as browsers do

    def decode(self, data: bytes) -> Iterator[bytes]:
        """Yield the decompressed bytes of ``data``, the next raw piece of the body."""
        if self._obj.eof:
            pending, self._carry = self._carry + data, b""
            following = self._after_end(pending)
            if following is None:
                return
            data = following
        if not self._gzip and not self._produced:
            self._head += data
        buf = data
        while True:
            try:
                out = self._obj.decompress(buf, _DECODE_STEP)
            except zlib.error:
                # "deflate" is sent both with and without the zlib header; retry raw once.
                if self._gzip or self._raw_deflate or self._produced:
                    raise
                self._raw_deflate = True
                self._obj = self._new()
                buf, self._head = self._head, b""
                continue
            if out:
                self._produced = True
                self._head = b""
                yield out
            if self._obj.eof:
                following = self._after_end(self._obj.unused_data)
                if following is None:
                    return
                buf = following
                continue
            buf = self._obj.unconsumed_tail
            if not buf and not out:
                return

    def flush(self) -> bytes:
        """Whatever output is still held once the body has ended."""
        return b"" if self._obj.eof else self._obj.flush()
