"""IMAP and SMTP connections that go to the addresses Comptoir checked, never resolving the host again.

:func:`comptoir.lib.fetch.check_url` resolves the mail server's name and refuses private
addresses; a second lookup by ``imaplib`` or ``smtplib`` could answer otherwise (DNS rebinding)
and reach the local network. These classes connect to the checked addresses instead. The host
name stays the one typed, so TLS (SNI, certificate verification, STARTTLS) is checked against it.
"""

from __future__ import annotations

import smtplib
import socket
import ssl

from imapclient import IMAPClient, tls
from imapclient.imap4 import IMAP4WithTimeout

from comptoir.lib.transport import connect_first


class _IMAP4(IMAP4WithTimeout):
    def __init__(self, addresses: tuple[str, ...], host: str, port: int, timeout: float | None):
        self._addresses = addresses
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        return connect_first(self._addresses, self.port, timeout if timeout is not None else self._timeout)


class _IMAP4_TLS(tls.IMAP4_TLS):
    def __init__(self, addresses: tuple[str, ...], host: str, port: int, context: ssl.SSLContext, timeout: float | None):
        self._addresses = addresses
        super().__init__(host, port, context, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        sock = connect_first(self._addresses, self.port, timeout if timeout is not None else self._timeout)
        return tls.wrap_socket(sock, self.ssl_context, self.host)


class PinnedIMAPClient(IMAPClient):
    """``IMAPClient(host, …)`` connecting only to ``addresses``."""

    def __init__(self, addresses: tuple[str, ...], host: str, **kwargs):
        self._addresses = tuple(addresses)
        super().__init__(host, **kwargs)

    def _create_IMAP4(self):
        connect_timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return _IMAP4_TLS(self._addresses, self.host, self.port, self.ssl_context, connect_timeout)
        return _IMAP4(self._addresses, self.host, self.port, connect_timeout)


class PinnedSMTP(smtplib.SMTP):
    """``smtplib.SMTP(host, port, …)`` connecting only to ``addresses``."""

    def __init__(self, addresses: tuple[str, ...], host: str, port: int, **kwargs):
        self._addresses = tuple(addresses)
        super().__init__(host, port, **kwargs)

    def _get_socket(self, host, port, timeout):
        return connect_first(self._addresses, port, timeout, self.source_address)


class PinnedSMTP_SSL(smtplib.SMTP_SSL):
    """``smtplib.SMTP_SSL(host, port, …)`` connecting only to ``addresses``."""

    def __init__(self, addresses: tuple[str, ...], host: str, port: int, **kwargs):
        self._addresses = tuple(addresses)
        super().__init__(host, port, **kwargs)

    def _get_socket(self, host, port, timeout):
        sock = connect_first(self._addresses, port, timeout, self.source_address)
        return self.context.wrap_socket(sock, server_hostname=self._host)
