"""Generic inbound webhook: a channel gets a secret, a sender POSTs signed JSON items to it.

Nothing is fetched: the app's view receives the request and hands the raw body and headers to
:meth:`WebhookConnector.verify_request` then :func:`parse_payload`. This module holds no view.

Payload (UTF-8 JSON, at most 1 MB)
----------------------------------
Either one item as a JSON object, or ``{"items": [item, ...]}`` with at most 500 items::

    {"items": [{
        "id": "ticket-1842",                      # required, string or integer, unique per channel
        "text": "Bonjour, ma commande…",           # required, plain text, at most 100 000 characters
        "title": "Commande en retard",            # optional
        "kind": "post",                            # optional: post, comment, reply, direct_message,
                                                   #   email, forum_post, review, article (default post)
        "author": {"handle": "marie.d", "name": "Marie Dupont", "url": "https://…"},   # optional
        "url": "https://support.example/t/1842",   # optional, http(s)
        "published_at": "2026-03-01T09:30:00+01:00",   # optional, ISO 8601 with a time zone
        "parent_id": "ticket-1841",                # optional: the item this one answers
        "thread_id": "ticket-1800",                # optional: the conversation it belongs to
        "lang": "fr",                              # optional language tag
        "meta": {"anything": "kept as is"}         # optional object, stored with the item
    }]}

Any other key is refused, so that a typo (``"txt"``) is reported instead of silently dropped.
The call is **all or nothing**: when one item is wrong the whole payload is refused and the
error names every bad field with its index (``items[3].text: must be a string``), so a sender
can fix and resend the batch without wondering which items were kept. Ingestion deduplicates on
``id``, so resending items that were already accepted is harmless.

Signature
---------
Header ``X-Comptoir-Signature: sha256=<hex>``, the HMAC-SHA256 of the message with the channel
secret. With a timestamp header ``X-Comptoir-Timestamp: <Unix seconds>`` the message is
``timestamp + "." + body`` and the request is refused when the timestamp is more than five
minutes away from our clock (replay protection). Without the timestamp header the message is
the raw body alone; a channel can require the timestamp (``require_timestamp`` in its config,
the default). Example for a sender::

    ts=$(date +%s)
    sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$SECRET" -hex | cut -d' ' -f2)
    curl -H "X-Comptoir-Timestamp: $ts" -H "X-Comptoir-Signature: sha256=$sig" \
         -H 'Content-Type: application/json' --data-binary "$body" "$URL"
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from comptoir.connectors.base import (
    Action,
    Author,
    BaseConnector,
    Capabilities,
    ConnectionCheck,
    ConnectorError,
    FetchedItem,
    FetchResult,
    ItemKind,
    register,
)
from comptoir.lib.sanitize import clean_text

SIGNATURE_HEADER = "X-Comptoir-Signature"
TIMESTAMP_HEADER = "X-Comptoir-Timestamp"
MAX_BODY_BYTES = 1024 * 1024
MAX_ITEMS = 500
MAX_TEXT_LENGTH = 100_000
MAX_TITLE_LENGTH = 1_000
MAX_ID_LENGTH = 255
MAX_SHORT_FIELD_LENGTH = 500
MAX_URL_LENGTH = 2_000
TIMESTAMP_TOLERANCE_SECONDS = 300
# Past this many problems the sender has enough to fix; listing thousands helps no one.
MAX_REPORTED_ERRORS = 20

ITEM_FIELDS = frozenset(
    {"id", "text", "title", "kind", "author", "url", "published_at", "parent_id", "thread_id", "lang", "meta"}
)
AUTHOR_FIELDS = frozenset({"handle", "name", "url", "avatar_url", "id"})
_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def sign(secret: str, body: bytes, timestamp: str | int | None = None) -> str:
    """Return the ``X-Comptoir-Signature`` value a sender puts on ``body``."""
    message = body if timestamp is None else f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    body: bytes,
    header: str | None,
    timestamp: str | None = None,
    *,
    now: float | None = None,
    tolerance: int = TIMESTAMP_TOLERANCE_SECONDS,
) -> bool:
    """Say whether ``header`` is a valid signature of ``body`` (and ``timestamp``) for ``secret``.

    With ``timestamp`` (the ``X-Comptoir-Timestamp`` value, Unix seconds) the signed message is
    ``timestamp + "." + body`` and a timestamp more than ``tolerance`` seconds away from ``now``
    fails. The comparison is constant-time. Never raises on malformed input: it returns False.
    """
    if not secret or not header:
        return False
    if timestamp is not None:
        timestamp = timestamp.strip()
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            return False
        current = time.time() if now is None else now
        if abs(current - int(timestamp)) > tolerance:
            return False
    header = header.strip()
    prefix, sep, given = header.partition("=")
    if not sep or prefix.strip().lower() != "sha256":
        return False
    given = given.strip().lower()
    if not given.isascii():
        return False
    expected = sign(secret, body, timestamp).removeprefix("sha256=")
    return hmac.compare_digest(expected, given)


class _Problems:
    """Collects ``path: message`` lines so one refusal lists every bad field."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.lines.append(f"{path}: {message}")

    def raise_if_any(self) -> None:
        if not self.lines:
            return
        shown = self.lines[:MAX_REPORTED_ERRORS]
        more = len(self.lines) - len(shown)
        summary = "; ".join(shown)
        if more:
            summary += "; " + ngettext("and %(count)d more problem", "and %(count)d more problems", more) % {
                "count": more
            }
        raise ConnectorError(
            _("The payload was refused, nothing was kept: %(problems)s") % {"problems": summary}
        )


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(_("the key %(key)s appears twice in one object") % {"key": json.dumps(key)})
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(_("%(name)s is not valid JSON") % {"name": name})


def _load_json(body: bytes) -> Any:
    if len(body) > MAX_BODY_BYTES:
        raise ConnectorError(
            _("The payload is %(size)d bytes; at most %(max)d bytes are accepted in one call.")
            % {"size": len(body), "max": MAX_BODY_BYTES}
        )
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConnectorError(
            _("The payload is not UTF-8 text (bad byte at position %(position)d).") % {"position": exc.start}
        ) from None
    if not text.strip():
        raise ConnectorError(_("The payload is empty; send a JSON object."))
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ConnectorError(
            _("The payload is not valid JSON: %(error)s (line %(line)d, column %(column)d).")
            % {"error": exc.msg, "line": exc.lineno, "column": exc.colno}
        ) from None
    except ValueError as exc:
        raise ConnectorError(_("The payload is not valid JSON: %(error)s.") % {"error": exc}) from None
    except RecursionError:
        raise ConnectorError(_("The payload is nested too deeply.")) from None


def _string(value: Any, path: str, problems: _Problems, *, max_length: int, required: bool = False) -> str:
    if value is None:
        if required:
            problems.add(path, _("is required"))
        return ""
    if not isinstance(value, str):
        problems.add(path, _("must be a string"))
        return ""
    if len(value) > max_length:
        problems.add(
            path,
            _("is %(length)d characters long; at most %(max)d") % {"length": len(value), "max": max_length},
        )
        return ""
    return value


def _identifier(value: Any, path: str, problems: _Problems, *, required: bool) -> str:
    if value is None or value == "":
        if required:
            problems.add(path, _("is required"))
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.add(path, _("must be a string or an integer"))
        return ""
    value = str(value)
    if len(value) > MAX_ID_LENGTH:
        problems.add(
            path,
            _("is %(length)d characters long; at most %(max)d")
            % {"length": len(value), "max": MAX_ID_LENGTH},
        )
        return ""
    if _CONTROL_RE.search(value) or value != value.strip():
        problems.add(path, _("must not contain control characters or surrounding spaces"))
        return ""
    return value


def _url(value: Any, path: str, problems: _Problems) -> str:
    url = _string(value, path, problems, max_length=MAX_URL_LENGTH)
    if url and (
        not re.match(r"^https?://[^\s/?#]+", url, re.IGNORECASE) or _CONTROL_RE.search(url) or " " in url
    ):
        problems.add(path, _("must be an absolute http:// or https:// address"))
        return ""
    return url


def _datetime(value: Any, path: str, problems: _Problems) -> dt.datetime | None:
    raw = _string(value, path, problems, max_length=64)
    if not raw:
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        problems.add(path, _("must be an ISO 8601 date and time, e.g. 2026-03-01T09:30:00+01:00"))
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        problems.add(path, _("must include a time zone (Z or +01:00)"))
        return None
    return parsed.astimezone(dt.UTC)


def _author(value: Any, path: str, problems: _Problems) -> Author | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add(path, _("must be an object with at least a handle"))
        return None
    for key in sorted(set(value) - AUTHOR_FIELDS):
        problems.add(f"{path}.{key}", _("unknown field"))
    handle = _string(
        value.get("handle"), f"{path}.handle", problems, max_length=MAX_SHORT_FIELD_LENGTH, required=True
    )
    if handle and not clean_text(handle).strip():
        problems.add(f"{path}.handle", _("must not be blank"))
    name = _string(value.get("name"), f"{path}.name", problems, max_length=MAX_SHORT_FIELD_LENGTH)
    url = _url(value.get("url"), f"{path}.url", problems)
    avatar_url = _url(value.get("avatar_url"), f"{path}.avatar_url", problems)
    external_id = _identifier(value.get("id"), f"{path}.id", problems, required=False)
    if not handle:
        return None
    return Author(
        network=WebhookConnector.network,
        handle=clean_text(handle).strip(),
        display_name=clean_text(name).strip(),
        url=url,
        avatar_url=avatar_url,
        external_id=external_id,
    )


def _item(value: Any, path: str, problems: _Problems) -> FetchedItem | None:
    if not isinstance(value, dict):
        problems.add(path, _("must be an object"))
        return None
    before = len(problems.lines)
    for key in sorted(set(value) - ITEM_FIELDS):
        problems.add(f"{path}.{key}", _("unknown field"))
    external_id = _identifier(value.get("id"), f"{path}.id", problems, required=True)
    text = _string(value.get("text"), f"{path}.text", problems, max_length=MAX_TEXT_LENGTH, required=True)
    if (
        isinstance(value.get("text"), str)
        and not clean_text(text).strip()
        and len(value["text"]) <= MAX_TEXT_LENGTH
    ):
        problems.add(f"{path}.text", _("must not be empty"))
    title = _string(value.get("title"), f"{path}.title", problems, max_length=MAX_TITLE_LENGTH)
    kind_value = value.get("kind", ItemKind.POST.value)
    kind = ItemKind.POST
    if not isinstance(kind_value, str) or kind_value not in {k.value for k in ItemKind}:
        problems.add(
            f"{path}.kind",
            _("must be one of %(choices)s") % {"choices": ", ".join(k.value for k in ItemKind)},
        )
    else:
        kind = ItemKind(kind_value)
    author = _author(value.get("author"), f"{path}.author", problems)
    url = _url(value.get("url"), f"{path}.url", problems)
    published_at = _datetime(value.get("published_at"), f"{path}.published_at", problems)
    parent_id = _identifier(value.get("parent_id"), f"{path}.parent_id", problems, required=False)
    thread_id = _identifier(value.get("thread_id"), f"{path}.thread_id", problems, required=False)
    lang = _string(value.get("lang"), f"{path}.lang", problems, max_length=35)
    if lang and not _LANG_RE.match(lang):
        problems.add(f"{path}.lang", _("must be a language tag such as fr or en-GB"))
    meta = value.get("meta")
    if meta is not None and not isinstance(meta, dict):
        problems.add(f"{path}.meta", _("must be an object"))
    if len(problems.lines) > before:
        return None
    return FetchedItem(
        external_id=external_id,
        kind=kind,
        text=clean_text(text),
        author=author,
        title=clean_text(title).strip(),
        url=url,
        language=lang.lower(),
        published_at=published_at,
        parent_external_id=parent_id,
        thread_external_id=thread_id,
        raw={"meta": meta} if meta else {},
    )


def parse_payload(body: bytes) -> list[FetchedItem]:
    """Turn a webhook body into items, or raise :class:`ConnectorError` naming every bad field.

    All or nothing: either every item is valid and returned, or none is.
    """
    data = _load_json(body)
    problems = _Problems()
    if isinstance(data, dict) and "items" in data:
        extra = sorted(set(data) - {"items"})
        for key in extra:
            problems.add(key, _('unknown field (a batch holds only "items")'))
        entries = data["items"]
        if not isinstance(entries, list):
            problems.add("items", _("must be a list of objects"))
            problems.raise_if_any()
        if len(entries) > MAX_ITEMS:
            raise ConnectorError(
                _("The payload holds %(count)d items; at most %(max)d are accepted in one call.")
                % {"count": len(entries), "max": MAX_ITEMS}
            )
        paths = [f"items[{index}]" for index in range(len(entries))]
    elif isinstance(data, dict):
        entries, paths = [data], ["item"]
    else:
        raise ConnectorError(_('The payload must be a JSON object: one item, or {"items": [...]}.'))

    items: list[FetchedItem] = []
    seen: dict[str, str] = {}
    for entry, path in zip(entries, paths, strict=True):
        item = _item(entry, path, problems)
        if item is None:
            continue
        if item.external_id in seen:
            problems.add(f"{path}.id", _("repeats the id of %(other)s") % {"other": seen[item.external_id]})
            continue
        seen[item.external_id] = path
        items.append(item)
    problems.raise_if_any()
    return items


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # Django's request.headers is case-insensitive; a plain dict from elsewhere may not be.
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, candidate in headers.items():
            if key.lower() == lowered:
                return candidate
    return value


@register
class WebhookConnector(BaseConnector):
    """An inbound-only channel: items arrive by signed POST, nothing is polled or published.

    ``credentials["secret"]`` signs requests; ``config["require_timestamp"]`` (default True)
    refuses requests without ``X-Comptoir-Timestamp``.
    """

    polled = False
    network: ClassVar[str] = "webhook"
    label: ClassVar[str] = gettext_lazy("Inbound webhook")  # type: ignore[assignment]
    capabilities: ClassVar[Capabilities] = Capabilities(
        actions=frozenset({Action.READ}), max_text_length=MAX_TEXT_LENGTH
    )

    max_body_bytes: ClassVar[int] = MAX_BODY_BYTES

    def check_connection(self) -> ConnectionCheck:
        if not self.credentials.get("secret"):
            return ConnectionCheck(
                ok=False, message=_("This webhook has no secret; reconnect it to create one.")
            )
        return ConnectionCheck(
            ok=True,
            message=_("Ready: signed POST requests to this channel's address are accepted."),
            account=str(self.config.get("name", "")),
        )

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        # Items are pushed to us; a poll has nothing to collect.
        return FetchResult(items=[], cursor=dict(cursor or {}))

    def verify_request(self, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> bool:
        """Check the signature headers of an incoming request against this channel's secret."""
        timestamp = _header(headers, TIMESTAMP_HEADER)
        if timestamp is None and self.config.get("require_timestamp", True):
            return False
        return verify_signature(
            str(self.credentials.get("secret", "")),
            body,
            _header(headers, SIGNATURE_HEADER),
            timestamp,
            now=now,
        )

    def parse(self, body: bytes) -> list[FetchedItem]:
        """Items of a verified request (same as :func:`parse_payload`)."""
        return parse_payload(body)
