"""Turn raw RFC 5322 messages into :class:`FetchedItem` values, whatever the charset junk.

Mail in the wild declares unknown charsets, lies about them, puts raw 8-bit bytes in headers,
breaks base64 and truncates MIME trees. Nothing here raises on such input: every decoding step
has a fallback (declared charset → UTF-8 → cp1252 with replacement characters), and
:func:`build_item` turns even an unparsable message into an item holding what could be read.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email
import email.header
import email.policy
import email.utils
import hashlib
import itertools
import logging
import re
from email.message import Message
from typing import Any

from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.lib.sanitize import clean_html, clean_text, html_to_text

logger = logging.getLogger(__name__)

MAX_HEADERS = 100
MAX_HEADER_CHARS = 2000
MAX_TEXT_CHARS = 200_000
MAX_HTML_CHARS = 500_000
MAX_MEDIA = 50
MAX_MIME_DEPTH = 20

MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FOLD_RE = re.compile(r"\r?\n[ \t]*")

# Charsets that lie in practice (WHATWG treats latin-1 and ascii labels as windows-1252).
_CHARSET_ALIASES = {
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "us-ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "x-sjis": "shift_jis",
    "utf8": "utf-8",
}


def _codec(charset: str | None) -> str | None:
    """The Python text codec for a declared charset, or None when unknown or not a text codec."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # codecs.lookup also knows bytes-to-bytes codecs (base64, zlib, rot13…): not charsets.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode ``data`` with its declared charset, else UTF-8, else cp1252; never raises."""
    tried: list[str] = []
    for name in (_codec(charset), "utf-8"):
        if name is None or name in tried:
            continue
        tried.append(name)
        try:
            return data.decode(name)
        except (UnicodeError, LookupError, TypeError, ValueError):
            continue
    return data.decode("cp1252", errors="replace")


def _unescape(value: str) -> str:
    """Undo the surrogateescape the stdlib parser applies to raw 8-bit header bytes."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return decode_bytes(value.encode("utf-8", errors="surrogateescape"))
    return value


def _clean_header(value: str, limit: int = MAX_HEADER_CHARS) -> str:
    value = _FOLD_RE.sub(" ", value)
    return _CONTROL_RE.sub("", value).strip()[:limit]


def decode_words(value: str | None) -> str:
    """Decode RFC 2047 encoded words (``=?utf-8?q?...?=``) in a raw header value."""
    if not value:
        return ""
    value = _unescape(str(value))
    try:
        parts = email.header.decode_header(_FOLD_RE.sub(" ", value))
    except Exception:  # the stdlib raises assorted errors on broken encoded words
        return _clean_header(value)
    out = []
    for chunk, charset in parts:
        out.append(chunk if isinstance(chunk, str) else decode_bytes(chunk, charset))
    return _clean_header("".join(out))


def message_ids(value: str | None) -> list[str]:
    """Every ``<id>`` in a Message-ID, In-Reply-To or References header, in order."""
    if not value:
        return []
    return MESSAGE_ID_RE.findall(_unescape(str(value)))


def parse_date(value: str | None) -> dt.datetime | None:
    """An aware UTC datetime from a Date header, or None when missing, broken or implausible."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(_clean_header(_unescape(str(value))))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # "-0000": UTC with no claim about the local zone (RFC 5322 §3.3)
        parsed = parsed.replace(tzinfo=dt.UTC)
    parsed = parsed.astimezone(dt.UTC)
    now = dt.datetime.now(dt.UTC)
    if parsed.year < 1980 or parsed > now + dt.timedelta(days=2):
        return None
    return parsed


def parse_address(value: str | None) -> tuple[str, str]:
    """(display name, address) of a From/Reply-To header, decoding an encoded display name."""
    if not value:
        return "", ""
    raw = _FOLD_RE.sub(" ", _unescape(str(value)))
    try:
        name, address = email.utils.parseaddr(raw)
    except Exception:  # parseaddr has raised on pathological input in some Python versions
        name, address = "", ""
    if not address and "@" in raw:
        match = re.search(r"[^\s<>\"',;]+@[^\s<>\"',;]+", raw)
        address = match.group(0) if match else ""
    return decode_words(name), _clean_header(address, 320)


def header_block(raw: bytes) -> bytes:
    """The header section of a raw message (up to the first empty line)."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        index = raw.find(sep)
        if index != -1:
            return raw[:index]
    return raw


def fallback_id(raw: bytes) -> str:
    """A stable id for a message without a Message-ID: a hash of its header section."""
    return "sha256:" + hashlib.sha256(header_block(raw)).hexdigest()[:40]


def _headers(msg: Message) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in itertools.islice(msg.raw_items(), MAX_HEADERS):
        key = _clean_header(_unescape(str(name)), 100).lower()
        text = decode_words(value if isinstance(value, str) else str(value))
        if key in headers:  # Received and friends repeat
            joined = headers[key] + "\n" + text
            headers[key] = joined[: MAX_HEADER_CHARS * 4]
        else:
            headers[key] = text
    return headers


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # broken RFC 2231 parameters
        name = ""
    return decode_words(name)[:255]


def _payload(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # broken transfer encodings; compat32 is lenient but not everywhere
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", errors="surrogateescape")
    return b""


class _Body:
    def __init__(self) -> None:
        self.plain: str | None = None
        self.html: str | None = None
        self.media: list[dict[str, Any]] = []


def _walk(part: Message, body: _Body, depth: int = 0) -> None:
    if depth > MAX_MIME_DEPTH:
        return
    ctype = part.get_content_type()
    if part.is_multipart() and ctype != "message/rfc822":
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            if isinstance(sub, Message):
                _walk(sub, body, depth + 1)
        return
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    filename = _filename(part)
    is_text = ctype in ("text/plain", "text/html")
    if is_text and disposition != "attachment":
        if ctype == "text/plain" and body.plain is None:
            body.plain = decode_bytes(_payload(part), part.get_content_charset())
            return
        if ctype == "text/html" and body.html is None:
            body.html = decode_bytes(_payload(part), part.get_content_charset())
            return
    if len(body.media) >= MAX_MEDIA:
        return
    if ctype == "message/rfc822":
        try:
            size = len(part.as_bytes())
        except Exception:  # a broken attached message: list it without a size
            size = 0
        body.media.append({"filename": filename or "message.eml", "content_type": ctype, "size": size})
        return
    if is_text and not filename and disposition != "attachment":
        return  # a second text alternative or a text part after the first: not an attachment
    body.media.append({"filename": filename, "content_type": ctype, "size": len(_payload(part))})


def raw_header(msg: Message, name: str) -> str | None:
    """The first ``name`` header as stored, raw 8-bit bytes still surrogate-escaped.

    ``msg.get()`` would turn such a value into a ``Header`` whose text has lost the bytes.
    """
    wanted = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == wanted:
            return value if isinstance(value, str) else str(value)
    return None


def _first(ids: list[str]) -> str:
    return ids[0] if ids else ""


def build_item(
    raw: bytes,
    *,
    size: int | None = None,
    internal_date: dt.datetime | None = None,
    truncated: bool = False,
    extra_raw: dict[str, Any] | None = None,
) -> FetchedItem:
    """Parse one raw message into an item; a message that cannot be parsed still yields one."""
    extra = {"size": size if size is not None else len(raw), "truncated": truncated, **(extra_raw or {})}
    fallback_date = internal_date.astimezone(dt.UTC) if internal_date and internal_date.tzinfo else None
    try:
        return _build(raw, extra, fallback_date)
    except Exception as exc:  # one bad message must never sink the batch
        logger.warning("Unparsable e-mail message (%s bytes): %r", len(raw), exc)
        external_id = fallback_id(raw)
        return FetchedItem(
            external_id=external_id,
            thread_external_id=external_id,
            kind=ItemKind.EMAIL,
            text=clean_text(decode_bytes(raw[len(header_block(raw)) :][:MAX_TEXT_CHARS])).strip(),
            published_at=fallback_date,
            raw={**extra, "headers": {}, "error": f"{type(exc).__name__}: {exc}"[:500]},
        )


def _build(raw: bytes, extra: dict[str, Any], fallback_date: dt.datetime | None) -> FetchedItem:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    own_id = _first(message_ids(raw_header(msg, "Message-ID")))
    references = message_ids(raw_header(msg, "References"))
    in_reply_to = message_ids(raw_header(msg, "In-Reply-To"))
    parent = _first(in_reply_to) or (references[-1] if references else "")
    external_id = own_id or fallback_id(raw)
    thread = _first(references) or parent or external_id

    name, address = parse_address(raw_header(msg, "From"))
    author = (
        Author(network="email", handle=address.lower(), display_name=name or address) if address else None
    )

    body = _Body()
    _walk(msg, body)
    html = ""
    if body.html is not None:
        html = clean_html(body.html[:MAX_HTML_CHARS])
    if body.plain is not None and body.plain.strip():
        text = body.plain
    elif body.html is not None:
        text = html_to_text(body.html[:MAX_HTML_CHARS])
    else:
        text = body.plain or ""
    text = clean_text(text, max_length=MAX_TEXT_CHARS).strip()

    defects = [type(d).__name__ for d in msg.defects][:20]
    return FetchedItem(
        external_id=external_id,
        kind=ItemKind.EMAIL,
        title=clean_text(decode_words(raw_header(msg, "Subject")), max_length=998),
        text=text,
        html=html,
        author=author,
        published_at=parse_date(raw_header(msg, "Date")) or fallback_date,
        parent_external_id=parent,
        thread_external_id=thread,
        media=tuple(body.media),
        raw={**extra, "headers": _headers(msg), **({"defects": defects} if defects else {})},
    )
