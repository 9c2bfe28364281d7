"""Matrix: read the timelines of chosen rooms, post messages and threaded replies, moderate.

``config``: ``homeserver`` (base URL of the account's homeserver, e.g. ``https://matrix.org``),
``user_id`` (``@name:server``), ``rooms`` (room ids ``!id:server`` or aliases ``#name:server``),
optional ``publish_room`` (where posts go; the first room by default), ``reply_style``
(``thread``, the default, or ``reply``) and ``timeout`` (seconds). ``credentials``:
``access_token``.

matrix-nio is asynchronous; each public method runs its own short event loop, so the
connector is used like the others, from plain synchronous code. Encrypted rooms are not read
(there is no end-to-end encryption support here).

External ids carry the room: ``!room:server/$event`` for a message. A user is named by their
id ``@name:server``; ``!room:server/@name:server`` names them in one room.

Reading is incremental with the ``/sync`` token as cursor. When a room had more new messages
than one sync returns, the gap is read back with ``/messages`` (up to a bound). An owned room is read
with a long-poll: when the app sets ``wait_seconds``, the sync waits on the homeserver up to that long
for a new message and returns as soon as one is posted (``fast_poll_seconds`` is then only the pause
between two waits). The first read, without a token, never waits.

Publishing uses the idempotency key to derive the transaction id: the homeserver answers a
repeated transaction with the event it already created. The event also carries a marker (a
hash of the key) under ``comptoir.idempotency``, which :meth:`MatrixConnector.find_published`
looks for among the account's recent messages.

Moderation: ``DELETE`` redacts a message, ``BAN`` bans a user (from one room, or from every
configured room), and :meth:`MatrixConnector.kick` removes a user without banning.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import hashlib
import html
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from django.utils import translation
from django.utils.translation import ngettext
from nio import AsyncClient, AsyncClientConfig, MessageDirection
from nio.responses import (
    JoinedRoomsResponse,
    JoinResponse,
    RoomBanResponse,
    RoomGetEventResponse,
    RoomKickResponse,
    RoomMessagesResponse,
    RoomRedactResponse,
    RoomResolveAliasResponse,
    RoomSendResponse,
    SyncResponse,
    WhoamiResponse,
)

from comptoir.connectors.base import (
    Action,
    AuthenticationFailed,
    Author,
    BaseConnector,
    Capabilities,
    ConnectionCheck,
    ConnectorError,
    FetchedItem,
    FetchResult,
    ItemKind,
    NotSupported,
    OutboundPost,
    OutcomeUnknown,
    RemoteRef,
    register,
)
from comptoir.connectors.http import status_error
from comptoir.connectors.servers import check_server_url
from comptoir.lib.fetch import BlockedTarget, FetchError, FetchTimeout, check_url, safe_fetch
from comptoir.lib.i18n import gettext as _
from comptoir.lib.sanitize import clean_html, html_to_text
from comptoir.lib.timeutil import retry_after_seconds

NETWORK = "matrix"
# "Test the connection": a homeserver that has not finished the TLS handshake by then never will.
PROBE_SECONDS = 3
# The spec limits an event to 65 536 bytes; this leaves room for the HTML body and the envelope.
MAX_TEXT_LENGTH = 16_000
MARKER = "comptoir.idempotency"
TIMELINE_LIMIT = 50
BACKFILL_PAGE = 100
BACKFILL_MAX_PAGES = 5
FIND_LIMIT = 100
MESSAGE_TYPES = ("m.text", "m.notice", "m.emote", "m.image", "m.file", "m.video", "m.audio")

_USER_RE = re.compile(r"^@[^\s:/]+:[^\s/]+$")
# Since room version 12 a room id is only a hash ("!abc…"); before, it named its server ("!abc:server").
_ROOM_RE = re.compile(r"^![^\s/:]+(?::[^\s/]+)?$")
_ALIAS_RE = re.compile(r"^#[^\s:/]+:[^\s/]+$")
_EVENT_RE = re.compile(r"^\$[^\s/]+$")
_URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
# Reply fallbacks (before Matrix 1.13): quoted lines of the parent, then a blank line.
_REPLY_FALLBACK_RE = re.compile(r"\A(?:>[^\n]*\n)+\n")
_MX_REPLY_RE = re.compile(r"<mx-reply>.*?</mx-reply>", re.DOTALL | re.IGNORECASE)


def marker(idempotency_key: str) -> str:
    """What a published event carries to be found again: a hash, so the key itself stays private."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def split_id(external_id: str) -> tuple[str, str]:
    """``!room:server/$event`` → (room, event); ``!room:server/@user:server`` → (room, user)."""
    room, sep, rest = (external_id or "").partition("/")
    if not sep or not _ROOM_RE.match(room) or not (_EVENT_RE.match(rest) or _USER_RE.match(rest)):
        raise ConnectorError(_("“%(value)s” is not a Matrix message id.") % {"value": str(external_id)[:120]})
    return room, rest


def text_to_html(text: str) -> str:
    """Plain text as Matrix HTML: escaped, links made clickable, line breaks kept."""
    parts: list[str] = []
    last = 0
    for match in _URL_RE.finditer(text):
        parts.append(html.escape(text[last : match.start()]))
        url = match.group(0)
        parts.append(f'<a href="{html.escape(url)}">{html.escape(url)}</a>')
        last = match.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts).replace("\n", "<br>")


def _run[T](coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on a private event loop, even when called from async code."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # The helper thread would not see the caller's active language: carry it over.
    language = translation.get_language()

    def run_in_language() -> T:
        with translation.override(language):
            return asyncio.run(coro)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run_in_language).result()


class _CheckingResolver(AbstractResolver):
    """Resolves like the system, then refuses addresses Comptoir may not reach (and pins the rest)."""

    def __init__(self) -> None:
        self._resolver = aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._resolver.resolve(host, port, family)
        for result in results:
            ip = ipaddress.ip_address(result["host"])
            literal = f"[{ip}]" if ip.version == 6 else str(ip)
            check_url(f"http://{literal}/")  # raises BlockedTarget
        return results

    async def close(self) -> None:
        await self._resolver.close()


class _Redirected(Exception):
    pass


async def _refuse_redirect(session: Any, context: Any, params: Any) -> None:
    # A homeserver's API does not redirect; following one could lead anywhere.
    raise _Redirected(str(params.response.headers.get("Location", "")))


@register
class MatrixConnector(BaseConnector):
    """One Matrix account and the rooms it looks after."""

    network = NETWORK
    label = "Matrix"
    # The read itself waits for news (long-poll, ``wait_seconds``); the pause between two waits lets the other
    # channels of a busy worker have their turn.
    fast_poll_seconds = 5
    capabilities = Capabilities(
        actions=frozenset({Action.READ, Action.PUBLISH, Action.REPLY, Action.DELETE, Action.BAN}),
        max_text_length=MAX_TEXT_LENGTH,
        supports_threads=True,
        supports_formatting=True,
        supports_content_warning=False,
        supports_visibility=False,
    )

    # --- plumbing -------------------------------------------------------------------------------

    @property
    def _homeserver(self) -> str:
        return check_server_url(self.config.get("homeserver"), server=_("Matrix homeserver"), example="https://matrix.org")

    @property
    def _host(self) -> str:
        return urlsplit(self._homeserver).hostname or ""

    @property
    def _user_id(self) -> str:
        user_id = self.config.get("user_id")
        return user_id if isinstance(user_id, str) else ""

    def _rooms(self) -> list[str]:
        rooms = self.config.get("rooms") or []
        if not isinstance(rooms, list | tuple):
            return []
        return [r.strip() for r in rooms if isinstance(r, str) and (_ROOM_RE.match(r.strip()) or _ALIAS_RE.match(r.strip()))]

    def _call[T](self, work: Callable[[AsyncClient], Awaitable[T]], *, sends: bool = False, waits: float = 0) -> T:
        """Run ``work`` with a logged-in client; translate transport failures into connector errors.

        ``waits``: seconds the homeserver may hold a request on purpose (a long-poll), added to the timeout.
        """
        homeserver = self._homeserver
        token = self.credentials.get("access_token")
        if not isinstance(token, str) or not token.strip():
            raise AuthenticationFailed(_("No Matrix access token is stored for this account. Reconnect it."))
        try:
            check_url(homeserver)
        except BlockedTarget as exc:
            raise ConnectorError(exc.message) from exc
        except FetchError as exc:
            raise ConnectorError(exc.message, retryable=exc.retryable) from exc
        timeout = self._timeout()
        # Whether a writing request left this machine: a failure after that may hide a success.
        wrote = False

        async def note_write(session: Any, context: Any, params: Any) -> None:
            nonlocal wrote
            if params.method != "GET":
                wrote = True

        async def main() -> T:
            config = AsyncClientConfig(
                max_limit_exceeded=0, max_timeouts=0, request_timeout=timeout, store_sync_tokens=False
            )
            client = AsyncClient(homeserver, self._user_id, config=config)
            client.access_token = token.strip()
            trace = aiohttp.TraceConfig()
            trace.on_request_redirect.append(_refuse_redirect)
            trace.on_request_headers_sent.append(note_write)
            client.client_session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(resolver=_CheckingResolver()),
                timeout=aiohttp.ClientTimeout(total=timeout + waits),
                trace_configs=[trace],
                trust_env=False,
            )
            try:
                return await work(client)
            finally:
                await client.close()

        try:
            return _run(main())
        except BlockedTarget as exc:
            raise ConnectorError(exc.message) from exc
        except _Redirected as exc:
            raise ConnectorError(
                _(
                    "The Matrix homeserver %(host)s redirected to %(location)s. Use the address of the "
                    "homeserver itself (ask its administrators, or look at https://%(host)s/.well-known/matrix/client)."
                )
                % {"host": self._host, "location": str(exc)[:200]}
            ) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            if sends and wrote:
                raise OutcomeUnknown(
                    _(
                        "The Matrix homeserver %(host)s did not confirm in time whether the message was "
                        "sent. Comptoir will check before trying again."
                    )
                    % {"host": self._host}
                ) from exc
            if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
                message = _("Could not connect to the Matrix homeserver %(host)s. Check the address, or try again later.")
            else:
                message = _("The Matrix homeserver %(host)s did not answer in time. Comptoir will try again later.")
            raise ConnectorError(message % {"host": self._host}, retryable=True) from exc

    def _ok(self, response: Any, expected: type | tuple[type, ...], what: str) -> Any:
        """Return ``response`` if it is the expected type, else raise the matching error."""
        if isinstance(response, expected):
            return response
        errcode = getattr(response, "status_code", None) or ""
        message = getattr(response, "message", "") or ""
        transport = getattr(response, "transport_response", None)
        status = getattr(transport, "status", None)
        headers = getattr(transport, "headers", None) or {}
        host = self._host
        refused = AuthenticationFailed(
            _(
                "The Matrix homeserver %(host)s refused the access token: it expired, was revoked or "
                "mistyped. Reconnect the account with a new token."
            )
            % {"host": host},
            status=status,
        )
        if errcode in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
            raise refused
        retry_after = retry_after_seconds(headers.get("Retry-After"))
        if errcode == "M_LIMIT_EXCEEDED":
            status = 429
            retry_ms = getattr(response, "retry_after_ms", None)
            retry_after = retry_ms / 1000 if retry_ms else retry_after
        server = _("The Matrix homeserver %(host)s") % {"host": host}
        shared = status_error(status, server=server, refused=refused, retry_after=retry_after)
        if shared is not None:
            raise shared
        if status is None:
            raise ConnectorError(
                _("The Matrix homeserver %(host)s sent an answer Comptoir does not understand. Comptoir will try again later.")
                % {"host": host},
                retryable=True,
            )
        if errcode == "M_FORBIDDEN" or status == 403:
            raise ConnectorError(
                _(
                    "Matrix refused to %(what)s: the account is not in that room or lacks the power "
                    "level needed. (%(detail)s)"
                )
                % {"what": what, "detail": message[:200]},
                status=status,
            )
        if errcode == "M_NOT_FOUND" or status == 404:
            raise ConnectorError(
                _("Matrix could not %(what)s: the room or message was not found. (%(detail)s)")
                % {"what": what, "detail": message[:200]},
                status=status,
            )
        raise ConnectorError(
            _("Matrix could not %(what)s: %(detail)s") % {"what": what, "detail": (message or errcode)[:200]},
            status=status,
        )

    async def _resolve_rooms(self, client: AsyncClient, rooms: list[str]) -> list[str]:
        resolved = []
        for room in rooms:
            if room.startswith("#"):
                response = self._ok(
                    await client.room_resolve_alias(room), RoomResolveAliasResponse, _("find the room %(room)s") % {"room": room}
                )
                room = response.room_id
            if room not in resolved:
                resolved.append(room)
        return resolved

    # --- connection -----------------------------------------------------------------------------

    def _probe(self) -> str | None:
        """Why the homeserver cannot be reached securely, found within seconds; None when it answers.

        A person waits for "Test the connection". An https:// address on a port that speaks plain
        HTTP (``https://`` is what the form adds to ``matrix.example.org``) never finishes the TLS
        handshake: the server waits for a request line that never comes. Say so, and say whether
        the server answers over http://, instead of waiting out the whole timeout.
        """
        try:
            safe_fetch(self._homeserver + "/_matrix/client/versions", timeout=PROBE_SECONDS, max_redirects=0)
        except FetchTimeout:
            pass
        except FetchError:
            return None  # refused, not found, redirected…: the check itself says what is wrong
        else:
            return None
        parts = urlsplit(self._homeserver)
        if parts.scheme == "https":
            plain = f"http://{parts.netloc}{parts.path}"
            try:
                versions = safe_fetch(plain + "/_matrix/client/versions", timeout=PROBE_SECONDS, max_redirects=0)
                speaks_matrix = versions.ok and "versions" in versions.json()
            except (FetchError, TypeError):
                speaks_matrix = False
            if speaks_matrix:
                return _(
                    "The homeserver %(host)s did not open a secure (https) connection within %(seconds)d seconds, "
                    "but it answers over plain http. If that is intended (a server on your own network), write its "
                    "address with http://, e.g. %(url)s; otherwise check the address."
                ) % {"host": parts.netloc, "seconds": PROBE_SECONDS, "url": plain}
        return _(
            "The homeserver %(host)s did not open a connection within %(seconds)d seconds. Check the address and "
            "port: Element shows it in Settings → Help & About → Advanced → Homeserver."
        ) % {"host": parts.netloc, "seconds": PROBE_SECONDS}

    def check_connection(self) -> ConnectionCheck:
        """Check the token and that the account is in every configured room (joining if invited)."""
        try:
            problem = self._probe()
        except ConnectorError as exc:
            return ConnectionCheck(ok=False, message=exc.message)
        if problem:
            return ConnectionCheck(ok=False, message=problem)
        rooms = self._rooms()

        async def work(client: AsyncClient) -> ConnectionCheck:
            me = self._ok(await client.whoami(), WhoamiResponse, _("identify the account"))
            if self._user_id and me.user_id != self._user_id:
                return ConnectionCheck(
                    ok=False,
                    message=_("This token belongs to %(actual)s, not to %(expected)s.")
                    % {"actual": me.user_id, "expected": self._user_id},
                )
            if not rooms:
                return ConnectionCheck(ok=False, message=_("Choose at least one room to follow."), account=me.user_id)
            joined = set(self._ok(await client.joined_rooms(), JoinedRoomsResponse, _("list the rooms")).rooms)
            for room in rooms:
                try:
                    room_id = (await self._resolve_rooms(client, [room]))[0]
                except ConnectorError:
                    return ConnectionCheck(
                        ok=False,
                        message=_("The room %(room)s does not exist, or this homeserver cannot find it.")
                        % {"room": room},
                        account=me.user_id,
                    )
                if room_id in joined:
                    continue
                response = await client.join(room_id)
                if not isinstance(response, JoinResponse):
                    return ConnectionCheck(
                        ok=False,
                        message=_(
                            "The account %(user)s is not in the room %(room)s and cannot join it. Invite "
                            "it to the room, then try again."
                        )
                        % {"user": me.user_id, "room": room},
                        account=me.user_id,
                    )
            return ConnectionCheck(
                ok=True,
                message=ngettext(
                    "Connected to %(host)s as %(user)s, following %(count)d room.",
                    "Connected to %(host)s as %(user)s, following %(count)d rooms.",
                    len(rooms),
                )
                % {"host": self._host, "user": me.user_id, "count": len(rooms)},
                account=me.user_id,
            )

        try:
            return self._call(work)
        except ConnectorError as exc:
            return ConnectionCheck(ok=False, message=exc.message)

    # --- reading --------------------------------------------------------------------------------

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        """Messages posted in the configured rooms since ``cursor`` (the last sync token)."""
        rooms = self._rooms()
        since = (cursor or {}).get("since")
        if not isinstance(since, str) or not since:
            since = None
        # Long-poll only from a token: the first sync returns the rooms' recent history at once anyway.
        waits = max(0.0, float(self.wait_seconds or 0)) if since else 0.0

        async def work(client: AsyncClient) -> FetchResult:
            room_ids = await self._resolve_rooms(client, rooms)
            sync_filter = {
                "room": {
                    "rooms": room_ids,
                    "timeline": {"limit": TIMELINE_LIMIT, "types": ["m.room.message"]},
                    "state": {"lazy_load_members": True},
                    "ephemeral": {"not_types": ["*"]},
                    "account_data": {"not_types": ["*"]},
                },
                "presence": {"not_types": ["*"]},
                "account_data": {"not_types": ["*"]},
            }
            # nio lifts the request timeout for /sync (made for long polling): put it back, plus the wait asked for.
            response = self._ok(
                await asyncio.wait_for(
                    client.sync(timeout=int(waits * 1000), sync_filter=sync_filter, since=since), self._timeout() + waits
                ),
                SyncResponse,
                _("read the rooms"),
            )
            items: dict[str, FetchedItem] = {}
            for room_id, room in response.rooms.join.items():
                if room_id not in room_ids:
                    continue
                sources = [e.source for e in room.timeline.events]
                if since and room.timeline.limited and room.timeline.prev_batch:
                    sources = await self._backfill(client, room_id, room.timeline.prev_batch, since) + sources
                names = client.rooms.get(room_id)
                for source in sources:
                    item = self._item(room_id, source, names)
                    if item is not None:
                        items[item.external_id] = item
            ordered = sorted(items.values(), key=lambda i: i.published_at or dt.datetime.min.replace(tzinfo=dt.UTC))
            return FetchResult(items=ordered, cursor={"since": response.next_batch}, has_more=False)

        return self._call(work, waits=waits)

    async def _backfill(self, client: AsyncClient, room_id: str, start: str, stop: str) -> list[dict[str, Any]]:
        # The sync skipped part of the room's history: read it back page by page, down to the
        # previous sync's token.
        older: list[dict[str, Any]] = []
        token = start
        for _page in range(BACKFILL_MAX_PAGES):
            response = self._ok(
                await client.room_messages(
                    room_id, start=token, end=stop, limit=BACKFILL_PAGE, message_filter={"types": ["m.room.message"]}
                ),
                RoomMessagesResponse,
                _("read the room history"),
            )
            older.extend(e.source for e in response.chunk)
            if not response.chunk or not response.end or response.end == token:
                break
            token = response.end
        older.reverse()  # /messages pages backwards
        return older

    def _item(self, room_id: str, source: dict[str, Any], room: Any) -> FetchedItem | None:
        content = source.get("content")
        event_id = source.get("event_id")
        if not isinstance(content, dict) or not isinstance(event_id, str) or source.get("type") != "m.room.message":
            return None
        msgtype = content.get("msgtype")
        relates = content.get("m.relates_to") if isinstance(content.get("m.relates_to"), dict) else {}
        if msgtype not in MESSAGE_TYPES or relates.get("rel_type") == "m.replace":
            return None  # redacted, unknown, or an edit of an earlier message
        body = str(content.get("body") or "")
        in_reply_to = relates.get("m.in_reply_to") if isinstance(relates.get("m.in_reply_to"), dict) else {}
        parent = str(in_reply_to.get("event_id") or "")
        thread = str(relates.get("event_id") or "") if relates.get("rel_type") == "m.thread" else ""
        if parent:
            body = _REPLY_FALLBACK_RE.sub("", body)
        formatted = ""
        if content.get("format") == "org.matrix.custom.html" and isinstance(content.get("formatted_body"), str):
            formatted = clean_html(_MX_REPLY_RE.sub("", content["formatted_body"]))
        if thread and relates.get("is_falling_back"):
            parent = thread  # a thread message whose "reply" is only there for older clients
        sender = str(source.get("sender") or "")
        display_name = (room.user_name(sender) if room is not None else None) or ""
        media: tuple[dict[str, Any], ...] = ()
        if msgtype in ("m.image", "m.file", "m.video", "m.audio"):
            info = content.get("info") if isinstance(content.get("info"), dict) else {}
            media = (
                {
                    "type": str(msgtype).removeprefix("m."),
                    "url": str(content.get("url") or ""),
                    "content_type": str(info.get("mimetype") or ""),
                    "description": body,
                },
            )
        timestamp = source.get("origin_server_ts")
        published = dt.datetime.fromtimestamp(timestamp / 1000, tz=dt.UTC) if isinstance(timestamp, int) else None
        return FetchedItem(
            external_id=f"{room_id}/{event_id}",
            kind=ItemKind.REPLY if (parent or thread) else ItemKind.POST,
            text=body if not formatted or msgtype != "m.text" else (html_to_text(formatted) or body),
            author=Author(
                network=NETWORK,
                handle=sender,
                display_name=display_name if display_name != sender else "",
                url=f"https://matrix.to/#/{quote(sender, safe='@:')}",
                external_id=sender,
            ),
            url=f"https://matrix.to/#/{quote(room_id, safe='!:')}/{quote(event_id, safe='$')}",
            html=formatted,
            published_at=published,
            parent_external_id=f"{room_id}/{parent}" if parent else "",
            thread_external_id=f"{room_id}/{thread}" if thread else "",
            media=media,
            raw=source,
        )

    # --- publishing -----------------------------------------------------------------------------

    def check_post(self, post: OutboundPost) -> list[str]:
        """Problems that would stop ``post`` from being sent (empty when it can be)."""
        problems = self.capabilities.check_text(post.text)
        if post.media:
            problems.append(_("Sending images or files to Matrix is not supported yet."))
        if post.content_warning:
            problems.append(_("Matrix has no content warnings: remove it from this version of the post."))
        if post.visibility and post.visibility != "public":
            problems.append(_("Matrix rooms have no per-message visibility: remove it from this version of the post."))
        return problems

    def _content(self, post: OutboundPost, idempotency_key: str) -> dict[str, Any]:
        text = post.text.strip()
        if post.link and post.link not in text:
            text = f"{text}\n\n{post.link}"
        custom_html = post.options.get("html")
        body_html = clean_html(custom_html) if isinstance(custom_html, str) and custom_html.strip() else text_to_html(text)
        return {
            "msgtype": "m.text",
            "body": text,
            "format": "org.matrix.custom.html",
            "formatted_body": body_html,
            MARKER: marker(idempotency_key),
        }

    def _target_room(self, post: OutboundPost) -> str:
        room = post.options.get("room") or self.config.get("publish_room") or next(iter(self._rooms()), "")
        if not isinstance(room, str) or not (_ROOM_RE.match(room) or _ALIAS_RE.match(room)):
            raise ConnectorError(_("No Matrix room to publish to: choose one in the channel settings."))
        return room

    def publish(self, post: OutboundPost, idempotency_key: str) -> RemoteRef:
        """Send a message (plain and HTML body) to the publishing room; ``in_reply_to`` makes it a reply."""
        if post.in_reply_to:
            return self._reply(post.in_reply_to, post, idempotency_key)
        problems = self.check_post(post)
        if problems:
            raise (NotSupported if (post.media or post.content_warning or post.visibility) else ConnectorError)(
                " ".join(problems)
            )
        room = self._target_room(post)
        return self._send(room, self._content(post, idempotency_key), idempotency_key)

    def _send(self, room: str, content: dict[str, Any], idempotency_key: str) -> RemoteRef:
        if not idempotency_key:
            raise ValueError("publish() needs an idempotency key")

        async def work(client: AsyncClient) -> RemoteRef:
            room_id = (await self._resolve_rooms(client, [room]))[0]
            response = self._ok(
                await client.room_send(room_id, "m.room.message", content, tx_id=f"comptoir-{marker(idempotency_key)}"),
                RoomSendResponse,
                _("send the message"),
            )
            return self._ref(room_id, response.event_id, content)

        return self._call(work, sends=True)

    def _ref(self, room_id: str, event_id: str, content: dict[str, Any]) -> RemoteRef:
        return RemoteRef(
            external_id=f"{room_id}/{event_id}",
            url=f"https://matrix.to/#/{quote(room_id, safe='!:')}/{quote(event_id, safe='$')}",
            raw={"room_id": room_id, "event_id": event_id, "content": content},
        )

    def find_published(self, idempotency_key: str) -> RemoteRef | None:
        """The message sent with ``idempotency_key``, among the account's recent messages, or None."""
        wanted = marker(idempotency_key)
        rooms = self._rooms()
        publish_room = self.config.get("publish_room")
        if isinstance(publish_room, str) and publish_room in rooms:
            rooms.remove(publish_room)
            rooms.insert(0, publish_room)

        async def work(client: AsyncClient) -> RemoteRef | None:
            message_filter = {"types": ["m.room.message"], "senders": [self._user_id]} if self._user_id else {
                "types": ["m.room.message"]
            }
            for room_id in await self._resolve_rooms(client, rooms):
                response = self._ok(
                    await client.room_messages(
                        room_id, start="", direction=MessageDirection.back, limit=FIND_LIMIT,
                        message_filter=message_filter,
                    ),
                    RoomMessagesResponse,
                    _("read the room history"),
                )
                for event in response.chunk:
                    content = event.source.get("content")
                    if isinstance(content, dict) and content.get(MARKER) == wanted:
                        return self._ref(room_id, event.source["event_id"], content)
            return None

        return self._call(work)

    def reply(self, item_external_id: str, text: str, idempotency_key: str) -> RemoteRef:
        """Answer a message in its thread (or as a quoted reply with ``reply_style = "reply"``)."""
        return self._reply(item_external_id, OutboundPost(text=text), idempotency_key)

    def _reply(self, item_external_id: str, post: OutboundPost, idempotency_key: str) -> RemoteRef:
        problems = self.check_post(post)
        if problems:
            raise ConnectorError(" ".join(problems))
        room_id, event_id = split_id(item_external_id)
        if not event_id.startswith("$"):
            raise ConnectorError(_("“%(value)s” is not a Matrix message id.") % {"value": item_external_id[:120]})

        async def parent_of(client: AsyncClient) -> dict[str, Any]:
            response = self._ok(await client.room_get_event(room_id, event_id), RoomGetEventResponse, _("find the message"))
            return response.event.source

        parent = self._call(parent_of)
        content = self._content(post, idempotency_key)
        parent_content = parent.get("content") if isinstance(parent.get("content"), dict) else {}
        parent_rel = parent_content.get("m.relates_to") if isinstance(parent_content.get("m.relates_to"), dict) else {}
        thread_root = parent_rel.get("event_id") if parent_rel.get("rel_type") == "m.thread" else None
        if self.config.get("reply_style") == "reply" and not thread_root:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": event_id}}
        else:
            content["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": thread_root or event_id,
                # Answering the thread's last message: the quote is only for clients without threads.
                "is_falling_back": not thread_root,
                "m.in_reply_to": {"event_id": event_id},
            }
        sender = parent.get("sender")
        if isinstance(sender, str) and sender != self._user_id:
            content["m.mentions"] = {"user_ids": [sender]}
        return self._send(room_id, content, idempotency_key)

    # --- moderation -----------------------------------------------------------------------------

    def moderate(self, action: Action, target_external_id: str, reason: str = "") -> None:
        """Redact a message (``DELETE``) or ban a user (``BAN``)."""
        action = Action(action)
        if action == Action.DELETE:
            room_id, event_id = split_id(target_external_id)
            if not event_id.startswith("$"):
                raise ConnectorError(_("“%(value)s” is not a Matrix message id.") % {"value": target_external_id[:120]})

            async def redact(client: AsyncClient) -> None:
                self._ok(
                    await client.room_redact(room_id, event_id, reason=reason or None),
                    RoomRedactResponse,
                    _("remove the message"),
                )

            self._call(redact)
        elif action == Action.BAN:
            self._membership(target_external_id, reason, ban=True)
        else:
            raise self._unsupported(str(action))

    def kick(self, target: str, reason: str = "") -> None:
        """Remove a user from a room (they may come back, unlike a ban)."""
        self._membership(target, reason, ban=False)

    def _membership(self, target: str, reason: str, *, ban: bool) -> None:
        target = (target or "").strip()
        if _USER_RE.match(target):
            rooms, user = self._rooms(), target
        else:
            room_id, rest = split_id(target)
            rooms, user = [room_id], rest

        async def work(client: AsyncClient) -> None:
            room_ids = await self._resolve_rooms(client, rooms)
            target_user = user
            for room_id in room_ids:
                if target_user.startswith("$"):
                    # Naming a message bans (or kicks) its author.
                    response = self._ok(
                        await client.room_get_event(room_id, target_user), RoomGetEventResponse, _("find the message")
                    )
                    target_user = response.event.sender
                if ban:
                    self._ok(await client.room_ban(room_id, target_user, reason=reason or None), RoomBanResponse,
                             _("ban %(user)s") % {"user": target_user})
                else:
                    self._ok(await client.room_kick(room_id, target_user, reason=reason or None), RoomKickResponse,
                             _("remove %(user)s from the room") % {"user": target_user})

        self._call(work)
