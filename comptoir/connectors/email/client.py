"""E-mail: read an IMAP folder, send and reply over SMTP.

``config``: ``imap_host``, ``imap_port``, ``imap_security`` (``none``/``starttls``/``ssl``), the same
three for ``smtp_*``, ``username``, ``from_address``, optional ``from_name``, ``folder`` (default
INBOX), optional ``sent_folder`` (where sent messages are appended), ``timeout`` (seconds),
``batch_size``. ``credentials``: ``password``.

Reading is incremental: the cursor holds the folder's UIDVALIDITY and the last UID seen. When the
server changes UIDVALIDITY the folder is read again from the start; items keep their Message-ID
as external id, so the app's dedupe makes that re-sync harmless. Messages are fetched with
``BODY.PEEK`` on a read-only SELECT: reading never marks mail as read.

When nothing is new and the app set ``wait_seconds``, the read waits with IMAP IDLE (RFC 2177) up to
that long and takes what arrived meanwhile, so a message reaches the inbox seconds after delivery. A
server without IDLE is read by plain polling: the cursor then asks the app for
``PLAIN_POLL_SECONDS`` between two reads (``min_interval_seconds``), one login each.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.policy
import email.utils
import hashlib
import imaplib
import logging
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Iterator
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, LoginError

from comptoir.connectors.base import (
    Action,
    AuthenticationFailed,
    BaseConnector,
    Capabilities,
    ConnectionCheck,
    ConnectorError,
    FetchedItem,
    FetchResult,
    MediaRules,
    OutboundPost,
    OutcomeUnknown,
    RemoteRef,
    register,
)
from comptoir.connectors.email import parsing
from comptoir.connectors.email.pinned import PinnedIMAPClient, PinnedSMTP, PinnedSMTP_SSL
from comptoir.lib.fetch import BlockedTarget, FetchError, check_url
from comptoir.lib.i18n import gettext as _

logger = logging.getLogger(__name__)

SECURITY_NONE, SECURITY_STARTTLS, SECURITY_SSL = "none", "starttls", "ssl"
SECURITY_MODES = (SECURITY_NONE, SECURITY_STARTTLS, SECURITY_SSL)
DEFAULT_PORTS = {
    "imap": {SECURITY_SSL: 993, SECURITY_STARTTLS: 143, SECURITY_NONE: 143},
    "smtp": {SECURITY_SSL: 465, SECURITY_STARTTLS: 587, SECURITY_NONE: 25},
}
DEFAULT_BATCH_SIZE = 50
# Between two reads of a mailbox whose server cannot IDLE (each read is a new login).
PLAIN_POLL_SECONDS = 10
DEFAULT_TIMEOUT = 30.0
# Messages up to this size are fetched whole; bigger ones only their first PARTIAL_FETCH_BYTES
# (text usually comes first; attachments past the cut are not listed).
MAX_FULL_FETCH_BYTES = 8 * 1024 * 1024
PARTIAL_FETCH_BYTES = 1024 * 1024
FETCH_CHUNK_BYTES = 16 * 1024 * 1024
MAX_REFERENCES = 20
# Long subjects are folded over several header lines and cut by many clients: keep them readable.
MAX_SUBJECT_LENGTH = 250
_DOVECOT_TIMING = re.compile(r"\s*\([\d.]+(?: \+ [\d.]+)* secs\)")


@register
class EmailConnector(BaseConnector):
    """One mailbox: IMAP for reading, SMTP for sending."""

    network = "email"
    label = "E-mail"
    # The read itself waits for news (IMAP IDLE, ``wait_seconds``); the pause between two waits lets the other
    # channels of a busy worker have their turn.
    fast_poll_seconds = 5
    capabilities = Capabilities(
        actions=frozenset({Action.READ, Action.PUBLISH, Action.REPLY}),
        max_text_length=None,
        media=MediaRules(
            max_images=20,
            max_videos=5,
            max_image_bytes=10 * 1024 * 1024,
            max_video_bytes=20 * 1024 * 1024,
            image_types=("image/jpeg", "image/png", "image/gif", "image/webp"),
            video_types=("video/mp4", "video/webm", "video/quicktime"),
        ),
        supports_threads=True,
    )

    # --- configuration -----------------------------------------------------------------------

    def _setting(self, service: str, name: str) -> Any:
        return self.config.get(f"{service}_{name}")

    def _security(self, service: str) -> str:
        mode = self._setting(service, "security") or SECURITY_SSL
        if mode not in SECURITY_MODES:
            raise ConnectorError(_("Unknown security mode “%(mode)s”.") % {"mode": mode})
        return mode

    def _endpoint(self, service: str) -> tuple[str, int, str]:
        host = str(self._setting(service, "host") or "").strip()
        if not host:
            raise ConnectorError(
                _("No %(service)s server is set: edit the channel's settings.") % {"service": service.upper()}
            )
        mode = self._security(service)
        port = int(self._setting(service, "port") or DEFAULT_PORTS[service][mode])
        return host, port, mode

    @property
    def folder(self) -> str:
        return self.config.get("folder") or "INBOX"

    @property
    def from_address(self) -> str:
        return self.config.get("from_address") or self.config.get("username") or ""

    @property
    def timeout(self) -> float:
        return float(self.config.get("timeout") or DEFAULT_TIMEOUT)

    def _check_target(self, service: str, host: str, port: int) -> tuple[str, ...]:
        """The addresses ``host`` may be reached at; the connection goes only there (no second lookup)."""
        # Hosts are typed by users: refuse private and loopback targets like any outbound fetch.
        # check_url only knows http(s): the scheme is a stand-in, the host and port are what count.
        try:
            return check_url(f"http://{_bracket(host)}:{port}/")
        except BlockedTarget as exc:
            raise ConnectorError(
                _("%(service)s server %(host)s cannot be used: %(reason)s")
                % {"service": service.upper(), "host": host, "reason": exc.message}
            ) from exc
        except FetchError as exc:  # name not found, DNS timeout
            raise ConnectorError(
                _("%(service)s server %(host)s was not found: check the host name.")
                % {"service": service.upper(), "host": host},
                retryable=exc.retryable,
            ) from exc

    # --- connections -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _imap(self) -> Iterator[IMAPClient]:
        host, port, mode = self._endpoint("imap")
        addresses = self._check_target("imap", host, port)
        context = ssl.create_default_context()
        try:
            client = PinnedIMAPClient(
                addresses, host, port=port, ssl=mode == SECURITY_SSL, ssl_context=context, timeout=self.timeout
            )
        except Exception as exc:
            raise _network_error("IMAP", host, port, exc, self.timeout) from exc
        try:
            try:
                if mode == SECURITY_STARTTLS:
                    try:
                        client.starttls(context)
                    except CapabilityError as exc:
                        raise _no_starttls("IMAP", host, port) from exc
                client.login(self.config.get("username") or "", self.credentials.get("password") or "")
            except ConnectorError:
                raise
            except LoginError as exc:
                raise AuthenticationFailed(
                    _("IMAP server %(host)s refused the user name or password (%(reason)s).")
                    % {"host": host, "reason": _server_text(exc)}
                ) from exc
            except Exception as exc:
                raise _network_error("IMAP", host, port, exc, self.timeout) from exc
            client.normalise_times = False  # aware INTERNALDATE values
            yield client
        except (imaplib.IMAP4.abort, OSError) as exc:
            raise _network_error("IMAP", host, port, exc, self.timeout) from exc
        except imaplib.IMAP4.error as exc:
            raise ConnectorError(
                _("IMAP server %(host)s answered with an error: %(reason)s")
                % {"host": host, "reason": _server_text(exc)},
                retryable=True,
            ) from exc
        finally:
            with contextlib.suppress(Exception):
                client.logout()
            with contextlib.suppress(Exception):
                client.shutdown()

    def _select(self, client: IMAPClient, folder: str, readonly: bool = True) -> dict[bytes, Any]:
        try:
            return client.select_folder(folder, readonly=readonly)
        except imaplib.IMAP4.error as exc:
            raise ConnectorError(
                _(
                    "The folder %(folder)s cannot be opened (%(reason)s). Check its name in the channel's settings."
                )
                % {"folder": folder, "reason": _server_text(exc)}
            ) from exc

    @contextlib.contextmanager
    def _smtp(self) -> Iterator[smtplib.SMTP]:
        host, port, mode = self._endpoint("smtp")
        addresses = self._check_target("smtp", host, port)
        context = ssl.create_default_context()
        try:
            if mode == SECURITY_SSL:
                server: smtplib.SMTP = PinnedSMTP_SSL(addresses, host, port, timeout=self.timeout, context=context)
            else:
                server = PinnedSMTP(addresses, host, port, timeout=self.timeout)
        except Exception as exc:
            raise _network_error("SMTP", host, port, exc, self.timeout) from exc
        try:
            try:
                server.ehlo()
                if mode == SECURITY_STARTTLS:
                    if not server.has_extn("starttls"):
                        raise _no_starttls("SMTP", host, port)
                    server.starttls(context=context)
                    server.ehlo()
                password = self.credentials.get("password") or ""
                if password:
                    server.login(self.config.get("username") or "", password)
            except ConnectorError:
                raise
            except smtplib.SMTPAuthenticationError as exc:
                raise AuthenticationFailed(
                    _("SMTP server %(host)s refused the user name or password (%(reason)s).")
                    % {"host": host, "reason": _server_text(exc)}
                ) from exc
            except smtplib.SMTPNotSupportedError as exc:
                raise ConnectorError(
                    _(
                        "SMTP server %(host)s:%(port)s does not offer the requested feature (%(reason)s). "
                        "Check the port and security mode: many servers only accept a login after STARTTLS."
                    )
                    % {"host": host, "port": port, "reason": _server_text(exc)}
                ) from exc
            except Exception as exc:
                raise _network_error("SMTP", host, port, exc, self.timeout) from exc
            yield server
        finally:
            with contextlib.suppress(Exception):
                server.quit()
            with contextlib.suppress(Exception):
                server.close()

    # --- protocol ----------------------------------------------------------------------------

    def check_connection(self) -> ConnectionCheck:
        """Log in to IMAP (and open the folder) and to SMTP; say which one failed and why."""
        problems: list[str] = []
        try:
            with self._imap() as client:
                self._select(client, self.folder)
        except ConnectorError as exc:
            problems.append(exc.message)
        try:
            with self._smtp():
                pass
        except ConnectorError as exc:
            problems.append(exc.message)
        if problems:
            return ConnectionCheck(ok=False, message=" ".join(problems), account=self.from_address)
        return ConnectionCheck(
            ok=True,
            message=_("Connected: the IMAP and SMTP servers accepted %(user)s.")
            % {"user": self.config.get("username") or ""},
            account=self.from_address,
        )

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        """New messages of the folder since ``cursor``, oldest first, ``batch_size`` at a time."""
        cursor = dict(cursor or {})
        folder = self.folder
        batch_size = max(1, int(self.config.get("batch_size") or DEFAULT_BATCH_SIZE))
        with self._imap() as client:
            info = self._select(client, folder)
            validity = int(info.get(b"UIDVALIDITY") or 0)
            last_uid = int(cursor.get("last_uid") or 0)
            if cursor.get("uidvalidity") != validity or cursor.get("folder", folder) != folder:
                last_uid = 0  # new folder or UIDs renumbered: read everything again, dedupe by id
            uids = self._new_uids(client, last_uid)
            plain_polling = False
            if not uids and self.wait_seconds > 0:
                if client.has_capability("IDLE"):
                    self._idle(client, min(float(self.wait_seconds), self.timeout))
                    uids = self._new_uids(client, last_uid)
                else:
                    plain_polling = True
            batch = uids[:batch_size]
            items = self._fetch_items(client, batch, folder, validity)
        next_cursor: dict[str, Any] = {"folder": folder, "uidvalidity": validity, "last_uid": batch[-1] if batch else last_uid}
        if plain_polling:
            next_cursor["min_interval_seconds"] = PLAIN_POLL_SECONDS
        return FetchResult(items=items, cursor=next_cursor, has_more=len(uids) > len(batch))

    @staticmethod
    def _new_uids(client: IMAPClient, last_uid: int) -> list[int]:
        # "UID n:*" always matches the highest UID, even when it is below n.
        return sorted(uid for uid in client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid)

    @staticmethod
    def _idle(client: IMAPClient, seconds: float) -> None:
        """Wait up to ``seconds`` for the server to announce a new message in the selected folder (IMAP IDLE)."""
        deadline = time.monotonic() + seconds
        client.idle()
        try:
            while (left := deadline - time.monotonic()) > 0:
                # EXISTS: the folder has a new message. Other news (flags, keep-alives) keeps the wait going.
                if any(len(r) > 1 and r[1] == b"EXISTS" for r in client.idle_check(timeout=left)):
                    break
        finally:
            client.idle_done()

    def _fetch_items(
        self, client: IMAPClient, uids: list[int], folder: str, validity: int
    ) -> list[FetchedItem]:
        if not uids:
            return []
        meta = client.fetch(uids, ["RFC822.SIZE", "INTERNALDATE"])
        whole = [
            uid for uid in uids if int(meta.get(uid, {}).get(b"RFC822.SIZE") or 0) <= MAX_FULL_FETCH_BYTES
        ]
        bodies: dict[int, bytes] = {}
        for chunk in _chunks(whole, meta):
            for uid, data in client.fetch(chunk, ["BODY.PEEK[]"]).items():
                bodies[uid] = data.get(b"BODY[]") or b""
        partial = f"BODY.PEEK[]<0.{PARTIAL_FETCH_BYTES}>"
        for uid in (uid for uid in uids if uid not in whole and uid in meta):
            for got_uid, data in client.fetch([uid], [partial]).items():
                bodies[got_uid] = data.get(b"BODY[]<0>") or b""
        items = []
        for uid in uids:
            if uid not in meta or uid not in bodies:
                continue  # expunged between SEARCH and FETCH
            size = int(meta[uid].get(b"RFC822.SIZE") or len(bodies[uid]))
            internal = meta[uid].get(b"INTERNALDATE")
            items.append(
                parsing.build_item(
                    bodies[uid],
                    size=size,
                    internal_date=internal if isinstance(internal, dt.datetime) else None,
                    truncated=uid not in whole,
                    extra_raw={"uid": uid, "uidvalidity": validity, "folder": folder},
                )
            )
        return items

    def check_post(self, post: OutboundPost) -> list[str]:
        """What would stop the message: no recipient, no subject, attachments over the mail rules."""
        problems = super().check_post(post)
        try:
            if not _addresses(post.options.get("to")):
                problems.append(_("No recipient: give at least one address in “To”."))
            _addresses(post.options.get("cc"))
        except ConnectorError as exc:
            problems.append(exc.message)
        except TypeError:
            problems.append(_("No recipient: give at least one address in “To”."))
        if not post.title.strip():
            problems.append(_("An e-mail needs a subject: fill in the title of this version."))
        elif len(post.title) > MAX_SUBJECT_LENGTH:
            problems.append(
                _("The subject is %(length)d characters long; keep it under %(max)d.")
                % {"length": len(post.title), "max": MAX_SUBJECT_LENGTH}
            )
        rules = self.capabilities.media
        images = [m for m in post.media if m.content_type in rules.image_types]
        videos = [m for m in post.media if m.content_type in rules.video_types]
        for media in post.media:
            if media not in images and media not in videos:
                problems.append(
                    _("The file %(name)s (%(type)s) cannot be attached: only images and videos are supported.")
                    % {"name": media.filename, "type": media.content_type}
                )
            elif media in images and len(media.data) > rules.max_image_bytes:
                problems.append(_("The image %(name)s is larger than %(max)d MB.")
                                % {"name": media.filename, "max": rules.max_image_bytes // (1024 * 1024)})
            elif media in videos and len(media.data) > rules.max_video_bytes:
                problems.append(_("The video %(name)s is larger than %(max)d MB.")
                                % {"name": media.filename, "max": rules.max_video_bytes // (1024 * 1024)})
        if len(images) > rules.max_images or len(videos) > rules.max_videos:
            problems.append(_("Too many attachments: at most %(images)d images and %(videos)d videos.")
                            % {"images": rules.max_images, "videos": rules.max_videos})
        return problems

    def publish(self, post: OutboundPost, idempotency_key: str) -> RemoteRef:
        """Send ``post`` to ``post.options["to"]`` (and ``cc``); the Message-ID comes from the key."""
        to = _addresses(post.options.get("to"))
        cc = _addresses(post.options.get("cc"))
        if not to:
            raise ConnectorError(_("No recipient: give at least one address in “To”."))
        text = post.text if not post.link else f"{post.text}\n\n{post.link}"
        msg = self._compose(
            to=to,
            cc=cc,
            subject=post.title,
            text=text,
            message_id=self.message_id_for(idempotency_key),
            in_reply_to=post.in_reply_to if parsing.MESSAGE_ID_RE.fullmatch(post.in_reply_to or "") else "",
            media=post.media,
        )
        return self._deliver(msg, to + cc)

    def find_published(self, idempotency_key: str) -> RemoteRef | None:
        """Look for the message in the Sent folder; without one configured, nothing can be found."""
        sent = self.config.get("sent_folder")
        if not sent:
            return None
        message_id = self.message_id_for(idempotency_key)
        with self._imap() as client:
            if not client.folder_exists(sent):
                return None
            self._select(client, sent)
            if self._find_uid(client, message_id) is None:
                return None
        return RemoteRef(external_id=message_id, raw={"folder": sent})

    def reply(self, item_external_id: str, text: str, idempotency_key: str) -> RemoteRef:
        """Answer the sender of a message of the folder, threaded with In-Reply-To and References."""
        if not parsing.MESSAGE_ID_RE.fullmatch(item_external_id or ""):
            raise ConnectorError(
                _(
                    "This message has no Message-ID, so a reply cannot be threaded: answer it from your mail client."
                )
            )
        with self._imap() as client:
            self._select(client, self.folder)
            uid = self._find_uid(client, item_external_id)
            if uid is None:
                raise ConnectorError(
                    _(
                        "The original message is no longer in the folder %(folder)s: it may have been moved or deleted."
                    )
                    % {"folder": self.folder}
                )
            headers = client.fetch([uid], ["BODY.PEEK[HEADER]"])[uid].get(b"BODY[HEADER]") or b""
        original = email.message_from_bytes(headers, policy=email.policy.compat32)
        name, address = parsing.parse_address(
            parsing.raw_header(original, "Reply-To") or parsing.raw_header(original, "From")
        )
        if not address:
            raise ConnectorError(_("The original message has no sender address to reply to."))
        subject = parsing.decode_words(parsing.raw_header(original, "Subject"))
        if not subject.lower().startswith(("re:", "re :")):
            subject = f"Re: {subject}".strip()
        references = list(
            dict.fromkeys(
                [*parsing.message_ids(parsing.raw_header(original, "References")), item_external_id]
            )
        )
        if len(references) > MAX_REFERENCES:  # RFC 5322 §3.6.4: keep the thread's root and the latest
            references = [references[0], *references[-(MAX_REFERENCES - 1) :]]
        msg = self._compose(
            to=[email.utils.formataddr((name, address)) if name else address],
            cc=[],
            subject=subject,
            text=text,
            message_id=self.message_id_for(idempotency_key),
            in_reply_to=item_external_id,
            references=references,
        )
        return self._deliver(msg, [address])

    # --- helpers -----------------------------------------------------------------------------

    def message_id_for(self, idempotency_key: str) -> str:
        """The Message-ID of what this account sends for ``idempotency_key``: stable across retries."""
        digest = hashlib.sha256(f"{self.from_address}\n{idempotency_key}".encode()).hexdigest()[:32]
        domain = self.from_address.rpartition("@")[2] or "comptoir.invalid"
        return f"<{digest}.comptoir@{domain}>"

    def _find_uid(self, client: IMAPClient, message_id: str) -> int | None:
        # SEARCH HEADER is a substring match: confirm the exact Message-ID before trusting a hit.
        uids = client.search(["HEADER", "Message-ID", message_id])
        if not uids:
            return None
        for uid, data in client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]).items():
            value = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER.FIELDS")), b"")
            if message_id in parsing.message_ids(parsing.decode_bytes(value)):
                return uid
        return None

    def _compose(
        self,
        *,
        to: list[str],
        cc: list[str],
        subject: str,
        text: str,
        message_id: str,
        in_reply_to: str = "",
        references: list[str] | None = None,
        media: tuple = (),
    ) -> EmailMessage:
        msg = EmailMessage(policy=email.policy.SMTP)
        try:
            msg["From"] = Address(
                display_name=self.config.get("from_name") or "", addr_spec=self.from_address
            )
            msg["To"] = ", ".join(to)
            if cc:
                msg["Cc"] = ", ".join(cc)
        except (ValueError, IndexError) as exc:
            raise ConnectorError(_("An address is not valid: %(reason)s") % {"reason": exc}) from exc
        msg["Subject"] = " ".join((subject or "").split())
        msg["Date"] = email.utils.format_datetime(dt.datetime.now(dt.UTC))
        msg["Message-ID"] = message_id
        if in_reply_to:
            msg["In-Reply-To"] = in_reply_to
            msg["References"] = " ".join(references or [in_reply_to])
        msg.set_content(text)
        for item in media:
            maintype, _sep, subtype = (item.content_type or "application/octet-stream").partition("/")
            msg.add_attachment(
                item.data, maintype=maintype, subtype=subtype or "octet-stream", filename=item.filename
            )
        return msg

    def _deliver(self, msg: EmailMessage, recipients: list[str]) -> RemoteRef:
        envelope_to = [_bare_address(r) for r in recipients]
        with self._smtp() as server:
            try:
                refused = server.send_message(msg, from_addr=self.from_address, to_addrs=envelope_to)
            except smtplib.SMTPRecipientsRefused as exc:
                raise ConnectorError(
                    _("The SMTP server refused every recipient: %(recipients)s.")
                    % {"recipients": ", ".join(exc.recipients)}
                ) from exc
            except smtplib.SMTPSenderRefused as exc:
                raise ConnectorError(
                    _("The SMTP server refused the sender address %(address)s (%(reason)s).")
                    % {"address": self.from_address, "reason": _server_text(exc)},
                    retryable=400 <= exc.smtp_code < 500,
                ) from exc
            except smtplib.SMTPDataError as exc:
                raise ConnectorError(
                    _("The SMTP server refused the message (%(reason)s).") % {"reason": _server_text(exc)},
                    retryable=400 <= exc.smtp_code < 500,
                    status=exc.smtp_code,
                ) from exc
            except smtplib.SMTPNotSupportedError as exc:
                raise ConnectorError(
                    _("The SMTP server cannot send this message (%(reason)s).")
                    % {"reason": _server_text(exc)}
                ) from exc
            except OSError as exc:  # includes SMTPServerDisconnected and timeouts during DATA
                raise OutcomeUnknown(
                    _("The connection to the SMTP server broke while sending: the message may have left.")
                ) from exc
        raw: dict[str, Any] = {"recipients": envelope_to}
        if refused:
            raw["refused"] = sorted(refused)
        sent = self.config.get("sent_folder")
        if sent:
            raw["sent_folder"] = sent
            try:
                self._append_sent(sent, msg)
            except (ConnectorError, imaplib.IMAP4.error) as exc:
                # The mail has left: a missing copy in Sent must not turn into a failed delivery.
                logger.warning("Sent e-mail %s not copied to %s: %s", msg["Message-ID"], sent, exc)
                raw["sent_copy_error"] = str(exc)
        return RemoteRef(external_id=str(msg["Message-ID"]), raw=raw)

    def _append_sent(self, folder: str, msg: EmailMessage) -> None:
        with self._imap() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, msg.as_bytes(), flags=[b"\\Seen"], msg_time=dt.datetime.now(dt.UTC))


def _chunks(uids: list[int], meta: dict[int, dict[bytes, Any]]) -> Iterator[list[int]]:
    """Group UIDs so one FETCH brings back at most FETCH_CHUNK_BYTES (bounded memory)."""
    chunk: list[int] = []
    total = 0
    for uid in uids:
        size = int(meta.get(uid, {}).get(b"RFC822.SIZE") or 0)
        if chunk and total + size > FETCH_CHUNK_BYTES:
            yield chunk
            chunk, total = [], 0
        chunk.append(uid)
        total += size
    if chunk:
        yield chunk


def _addresses(value: Any) -> list[str]:
    if not value:
        return []
    values = [value] if isinstance(value, str) else list(value)
    out = []
    for name, address in email.utils.getaddresses([str(v) for v in values]):
        if not address or "@" not in address:
            raise ConnectorError(_("“%(value)s” is not a valid e-mail address.") % {"value": name or address})
        out.append(email.utils.formataddr((name, address)) if name else address)
    return out


def _bare_address(value: str) -> str:
    return email.utils.parseaddr(value)[1] or value


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _server_text(exc: Exception) -> str:
    """The server's own words from an IMAP/SMTP exception, short and printable."""
    if isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return f"{exc.smtp_code} {text}"[:300]
    arg = exc.args[0] if exc.args else exc
    text = arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg)
    if text[:2] in ("b'", 'b"') and text[-1:] == text[1]:  # imapclient passes repr(bytes)
        text = text[2:-1]
    return _DOVECOT_TIMING.sub("", text).strip().rstrip(".")[:300]


def _no_starttls(service: str, host: str, port: int) -> ConnectorError:
    return ConnectorError(
        _(
            "%(service)s server %(host)s:%(port)s does not offer STARTTLS. Choose SSL/TLS "
            "(usually on port 993 for IMAP, 465 for SMTP) or check the port."
        )
        % {"service": service, "host": host, "port": port}
    )


def _network_error(service: str, host: str, port: int, exc: BaseException, timeout: float) -> ConnectorError:
    """A message a community manager can act on for a failed connection."""
    where = {"service": service, "host": host, "port": port}
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = _(
            "%(service)s server %(host)s:%(port)s: its TLS certificate is not valid (%(reason)s)."
        ) % {**where, "reason": exc.verify_message or exc.reason}
        return ConnectorError(message)
    if isinstance(exc, ssl.SSLError) or (isinstance(exc, imaplib.IMAP4.error) and "tls" in str(exc).lower()):
        message = _(
            "%(service)s server %(host)s:%(port)s: the TLS handshake failed (%(reason)s). "
            "Check that the security mode matches the port (SSL/TLS usually on 993 and 465, STARTTLS on 143 and 587)."
        ) % {**where, "reason": getattr(exc, "reason", None) or exc}
        return ConnectorError(message)
    if isinstance(exc, socket.gaierror):
        return ConnectorError(
            _("%(service)s server %(host)s was not found: check the host name.") % where, retryable=True
        )
    if isinstance(exc, ConnectionRefusedError):
        return ConnectorError(
            _("%(service)s server %(host)s:%(port)s refused the connection: check the host and port.")
            % where,
            retryable=True,
        )
    if isinstance(exc, TimeoutError):
        return ConnectorError(
            _("%(service)s server %(host)s:%(port)s did not answer within %(seconds)d seconds.")
            % {**where, "seconds": int(timeout)},
            retryable=True,
        )
    return ConnectorError(
        _("%(service)s server %(host)s:%(port)s: connection failed (%(reason)s).")
        % {**where, "reason": _server_text(exc) if isinstance(exc, Exception) else exc},
        retryable=True,
    )
