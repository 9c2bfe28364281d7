"""Mastodon: read the home timeline, mentions, conversations and hashtags; publish; moderate.

``config``: ``server`` (base URL of the account's server, e.g. ``https://mastodon.social``),
``handle`` (``@name@domain``), optional ``streams`` (any of ``home``, ``mentions``, ``direct``;
all three by default), ``hashtags`` (names without ``#``), ``max_characters`` (the server's limit,
written back by :meth:`MastodonConnector.check_connection`), ``account_id`` (idem), and
``timeout`` (seconds). ``credentials``: ``access_token`` (scopes ``read write``).

Every request goes through :func:`comptoir.lib.fetch.safe_fetch`, so the server address is
checked (no private network unless ``COMPTOIR_FETCH_ALLOW_PRIVATE``) on every hop.

Reading is incremental: the cursor keeps, per stream, the newest id seen and asks for what came
after it (``min_id``). The first read only takes the latest page of each stream. An owned account is
read every ``fast_poll_seconds`` (mentions and direct messages reach the inbox within seconds); the
cursor's ``min_interval_seconds`` spaces reads that cost many requests (hashtags, busy conversations)
so that reading uses at most half of Mastodon's default limit (300 requests per 5 minutes per account):
publishing, replies and moderation keep the other half.

Publishing sends Mastodon's ``Idempotency-Key`` header. Mastodon remembers a key for one hour
and answers a repeated key with the status it already created, *before* validating the
request: :meth:`MastodonConnector.find_published` uses that to look a post up by its key with an
empty (invalid) request, which can never create a status. After that hour the lookup cannot
tell, and returns None.

A status's content warning (``spoiler_text``) is the item's ``title``.

Moderation targets: ``DELETE`` and ``REPORT`` take a status id (``FetchedItem.external_id``);
``BLOCK`` and ``MUTE`` take an account id (``Author.external_id``) or a handle ``@name@domain``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

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
    MediaRules,
    OutboundMedia,
    OutboundPost,
    OutcomeUnknown,
    RemoteRef,
    register,
)
from comptoir.connectors.http import parse_time, status_error
from comptoir.connectors.servers import check_server_url
from comptoir.lib.fetch import BlockedTarget, FetchError, FetchResponse, safe_fetch
from comptoir.lib.i18n import gettext as _
from comptoir.lib.sanitize import clean_html, html_to_text
from comptoir.lib.timeutil import retry_after_seconds

NETWORK = "mastodon"
DEFAULT_MAX_CHARACTERS = 500
STREAMS = ("home", "mentions", "direct")
VISIBILITIES = ("public", "unlisted", "private", "direct")
PAGE_SIZE = 40
# Reading spends at most this many requests per second of an account's budget (150 per 5 minutes: half of
# Mastodon's default 300), whatever the streams and hashtags.
READ_REQUESTS_PER_SECOND = 0.5
# Mastodon counts every link as 23 characters and a remote mention as its local part only.
URL_WEIGHT = 23
MEDIA_TIMEOUT_SECONDS = 120.0
MEDIA_PROCESSING_WAIT_SECONDS = 30.0
_URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_REMOTE_MENTION_RE = re.compile(r"(?<![\w/])(@[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)@[\w.-]+\w", re.IGNORECASE)
_ID_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")

# Transport errors after which the request may have reached the server.
_MAYBE_SENT = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


def status_length(text: str) -> int:
    """The length Mastodon gives ``text``: links weigh 23 characters, ``@name@domain`` only ``@name``."""
    text = _URL_RE.sub("x" * URL_WEIGHT, text)
    text = _REMOTE_MENTION_RE.sub(r"\1", text)
    return len(text)


def _retry_after(headers: httpx.Headers) -> float | None:
    seconds = retry_after_seconds(headers.get("retry-after"))
    if seconds is not None:
        return seconds
    reset = parse_time(headers.get("x-ratelimit-reset"))
    if reset is not None:
        return max((reset - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)
    return None


def _id_key(value: str) -> tuple[int, int | str]:
    # Mastodon ids are numbers in strings; compare them as numbers, other servers' ids as text.
    return (0, int(value)) if value.isdigit() else (1, value)


def _newest(ids: list[str], current: str | None) -> str | None:
    candidates = [i for i in ids if i] + ([current] if current else [])
    return max(candidates, key=_id_key) if candidates else None


@register
class MastodonConnector(BaseConnector):
    """One Mastodon account, through its server's REST API."""

    network = NETWORK
    label = "Mastodon"
    # Read home, mentions and conversations every 10 s: 3 requests, 90 per 5 minutes of the 300 allowed.
    fast_poll_seconds = 10
    capabilities = Capabilities(
        actions=frozenset(
            {
                Action.READ,
                Action.PUBLISH,
                Action.REPLY,
                Action.DELETE,
                Action.BLOCK,
                Action.MUTE,
                Action.REPORT,
                Action.DIRECT_MESSAGES,
            }
        ),
        max_text_length=DEFAULT_MAX_CHARACTERS,
        media=MediaRules(
            max_images=4,
            max_videos=1,
            max_image_bytes=16 * 1024 * 1024,
            max_video_bytes=99 * 1024 * 1024,
            image_types=("image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"),
            video_types=("video/mp4", "video/webm", "video/quicktime"),
            alt_text_max_length=1500,
        ),
        supports_threads=True,
        supports_formatting=False,
        supports_content_warning=True,
        supports_visibility=True,
        # Mastodon remembers an Idempotency-Key for one hour (a little less, to keep a margin).
        lookup_window_seconds=55 * 60,
    )

    def __init__(self, config: dict[str, Any] | None = None, credentials: dict[str, Any] | None = None):
        super().__init__(config, credentials)
        max_characters = self.config.get("max_characters")
        if isinstance(max_characters, int) and not isinstance(max_characters, bool) and max_characters > 0:
            # Each server sets its own limit; the instance's capabilities say this server's.
            self.capabilities = replace(type(self).capabilities, max_text_length=max_characters)  # type: ignore[misc]
        self._me: dict[str, Any] | None = None
        self._requests_made = 0

    # --- HTTP ---------------------------------------------------------------------------------

    @property
    def _base(self) -> str:
        return check_server_url(self.config.get("server"), server=_("Mastodon server"), example="https://mastodon.social")

    @property
    def _host(self) -> str:
        return urlsplit(self._base).hostname or ""

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        creates: bool = False,
    ) -> FetchResponse:
        """Send one API request; ``creates`` marks a request whose timeout leaves the outcome unknown."""
        token = self.credentials.get("access_token")
        if not isinstance(token, str) or not token.strip():
            raise AuthenticationFailed(_("No Mastodon access token is stored for this account. Reconnect it."))
        self._requests_made += 1
        request_headers = {"Authorization": f"Bearer {token.strip()}", "Accept": "application/json"}
        request_headers.update(headers or {})
        url = self._base + path
        if params:
            url = str(httpx.URL(url, params=params))
        try:
            response = safe_fetch(
                url,
                method=method,
                headers=request_headers,
                json=json,
                data=body,
                timeout=timeout or self._timeout(),
            )
        except BlockedTarget as exc:
            raise ConnectorError(exc.message) from exc
        except FetchError as exc:
            if creates and isinstance(exc.__cause__, _MAYBE_SENT):
                raise OutcomeUnknown(
                    _(
                        "Mastodon (%(host)s) did not confirm in time whether the post was published. "
                        "Comptoir will check before trying again."
                    )
                    % {"host": self._host}
                ) from exc
            raise ConnectorError(exc.message, retryable=exc.retryable) from exc
        if not response.ok:
            raise self._error(response)
        return response

    def _json(self, response: FetchResponse) -> Any:
        if not response.content.strip():
            return {}
        try:
            return response.json()
        except FetchError as exc:
            raise ConnectorError(exc.message, retryable=True, status=response.status) from exc

    def _get(self, path: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None) -> Any:
        return self._json(self._request("GET", path, params=params))

    def _error(self, response: FetchResponse) -> ConnectorError:
        detail = ""
        try:
            payload = response.json()
            if isinstance(payload, dict):
                detail = str(payload.get("error") or payload.get("error_description") or "")[:300]
        except FetchError:
            detail = ""
        status = response.status
        host = self._host
        refused = AuthenticationFailed(
            _(
                "Mastodon (%(host)s) refused the access token: it was revoked or mistyped. "
                "Reconnect the account with a new token."
            )
            % {"host": host},
            status=status,
        )
        server = _("Mastodon (%(host)s)") % {"host": host}
        shared = status_error(status, server=server, refused=refused, retry_after=_retry_after(response.headers))
        if shared is not None:
            return shared
        if status == 403:
            message = _(
                "Mastodon (%(host)s) refused this action (error 403). The token may lack the "
                "“write” permission, or the account is suspended."
            ) % {"host": host}
        elif status == 404:
            message = _("Mastodon (%(host)s) does not know this post or account any more (error 404).") % {
                "host": host
            }
        elif status == 422:
            message = _("Mastodon (%(host)s) rejected the request: %(detail)s") % {
                "host": host,
                "detail": detail or _("no reason given"),
            }
        elif detail:
            message = _("Mastodon (%(host)s) answered with the error %(status)d: %(detail)s") % {
                "host": host, "status": status, "detail": detail}
        else:
            message = _("Mastodon (%(host)s) answered with the error %(status)d.") % {"host": host, "status": status}
        return ConnectorError(message, retryable=False, status=status)

    # --- Account --------------------------------------------------------------------------------

    def _account(self) -> dict[str, Any]:
        if self._me is None:
            me = self._get("/api/v1/accounts/verify_credentials")
            if not isinstance(me, dict) or not me.get("id"):
                raise ConnectorError(_("Mastodon (%(host)s) sent an unexpected answer.") % {"host": self._host})
            self._me = me
        return self._me

    def _handle_of(self, account: dict[str, Any]) -> str:
        acct = str(account.get("acct") or account.get("username") or "")
        return f"@{acct}" if "@" in acct else f"@{acct}@{self._host}"

    def check_connection(self) -> ConnectionCheck:
        """Check the token; on success also record the server's limit and the account id in ``config``."""
        try:
            me = self._account()
        except ConnectorError as exc:
            return ConnectionCheck(ok=False, message=exc.message)
        handle = self._handle_of(me)
        expected = str(self.config.get("handle") or "").lstrip("@").partition("@")[0]
        if expected and expected.lower() != str(me.get("username") or "").lower():
            return ConnectionCheck(
                ok=False,
                message=_("This token belongs to %(actual)s, not to %(expected)s.")
                % {"actual": handle, "expected": self.config["handle"]},
                account=handle,
            )
        self.config["account_id"] = str(me["id"])
        try:
            instance = self._get("/api/v2/instance")
            limit = instance["configuration"]["statuses"]["max_characters"]
        except (ConnectorError, KeyError, TypeError):
            limit = None
        if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
            self.config["max_characters"] = limit
            self.capabilities = replace(type(self).capabilities, max_text_length=limit)  # type: ignore[misc]
        return ConnectionCheck(
            ok=True,
            message=_("Connected to %(host)s as %(handle)s.") % {"host": self._host, "handle": handle},
            account=handle,
        )

    # --- Reading --------------------------------------------------------------------------------

    def _hashtags(self) -> list[str]:
        tags = self.config.get("hashtags") or []
        if not isinstance(tags, list | tuple):
            return []
        return [str(t).lstrip("#") for t in tags if isinstance(t, str) and t.strip("# ")]

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        """Statuses that arrived since ``cursor`` in every configured stream (oldest first)."""
        cursor = dict(cursor or {})
        requests_before = self._requests_made
        account_id = self.config.get("account_id")
        me = {"id": str(account_id)} if account_id else self._account()
        items: dict[str, FetchedItem] = {}
        has_more = False

        def page(path: str, key: str, extra: list[tuple[str, Any]] | None = None) -> list[dict[str, Any]]:
            nonlocal has_more
            since = cursor.get(key)
            params: list[tuple[str, Any]] = [("limit", PAGE_SIZE), *(extra or [])]
            if since:
                params.append(("min_id", since))
            entries = self._get(path, params)
            if not isinstance(entries, list):
                raise ConnectorError(_("Mastodon (%(host)s) sent an unexpected answer.") % {"host": self._host})
            entries = [e for e in entries if isinstance(e, dict)]
            cursor[key] = _newest([str(e.get("id", "")) for e in entries], since)
            if since and len(entries) >= PAGE_SIZE:
                has_more = True
            return entries

        streams = self._configured("streams", STREAMS)
        if "home" in streams:
            for status in page("/api/v1/timelines/home", "home"):
                self._add(items, status, me)
        if "mentions" in streams:
            for notification in page("/api/v1/notifications", "mentions", [("types[]", "mention")]):
                if isinstance(notification.get("status"), dict):
                    self._add(items, notification["status"], me)
        for tag in self._hashtags():
            for status in page(f"/api/v1/timelines/tag/{quote(tag, safe='')}", f"tag:{tag.lower()}"):
                self._add(items, status, me)
        if "direct" in streams:
            has_more = self._fetch_direct(cursor, items, me) or has_more

        ordered = sorted(
            items.values(), key=lambda i: (i.published_at or dt.datetime.min.replace(tzinfo=dt.UTC), i.external_id)
        )
        # The next read waits long enough for this one's requests to fit the reading budget.
        cursor["min_interval_seconds"] = math.ceil((self._requests_made - requests_before) / READ_REQUESTS_PER_SECOND)
        return FetchResult(items=ordered, cursor={k: v for k, v in cursor.items() if v}, has_more=has_more)

    def _fetch_direct(self, cursor: dict[str, Any], items: dict[str, FetchedItem], me: dict[str, Any]) -> bool:
        # Conversations are listed by their latest status; each conversation that moved since the
        # last read is read in full (its context) so that no message of a busy exchange is missed.
        since = cursor.get("direct")
        conversations = self._get("/api/v1/conversations", [("limit", PAGE_SIZE)])
        if not isinstance(conversations, list):
            raise ConnectorError(_("Mastodon (%(host)s) sent an unexpected answer.") % {"host": self._host})
        seen: list[str] = []
        moved = 0
        for conversation in conversations:
            last = conversation.get("last_status") if isinstance(conversation, dict) else None
            if not isinstance(last, dict) or not last.get("id"):
                continue
            last_id = str(last["id"])
            if since and _id_key(last_id) <= _id_key(since):
                continue
            moved += 1
            seen.append(last_id)
            statuses = [last]
            if since:
                context = self._get(f"/api/v1/statuses/{quote(last_id, safe='')}/context")
                if isinstance(context, dict):
                    statuses += [s for s in context.get("ancestors") or [] if isinstance(s, dict)]
            for status in statuses:
                status_id = str(status.get("id", ""))
                if status.get("visibility") == "direct" and (not since or _id_key(status_id) > _id_key(since)):
                    self._add(items, status, me)
        cursor["direct"] = _newest(seen, since)
        return bool(since) and moved >= PAGE_SIZE

    def _add(self, items: dict[str, FetchedItem], status: dict[str, Any], me: dict[str, Any]) -> None:
        if isinstance(status.get("reblog"), dict):
            status = status["reblog"]
        item = self._item(status, me)
        if item is not None:
            items[item.external_id] = item

    def _author(self, account: dict[str, Any]) -> Author:
        return Author(
            network=NETWORK,
            handle=self._handle_of(account),
            display_name=str(account.get("display_name") or account.get("username") or ""),
            url=str(account.get("url") or ""),
            avatar_url=str(account.get("avatar_static") or account.get("avatar") or ""),
            external_id=str(account.get("id") or ""),
        )

    def _item(self, status: dict[str, Any], me: dict[str, Any]) -> FetchedItem | None:
        status_id = str(status.get("id") or "")
        if not status_id:
            return None
        parent = str(status.get("in_reply_to_id") or "")
        if status.get("visibility") == "direct":
            kind = ItemKind.DIRECT_MESSAGE
        elif parent and str(status.get("in_reply_to_account_id") or "") == str(me.get("id")):
            kind = ItemKind.COMMENT  # an answer to one of our own posts
        elif parent:
            kind = ItemKind.REPLY
        else:
            kind = ItemKind.POST
        content = str(status.get("content") or "")
        account = status.get("account") if isinstance(status.get("account"), dict) else {}
        media = tuple(
            {
                "type": str(m.get("type") or ""),
                "url": str(m.get("url") or m.get("remote_url") or ""),
                "preview_url": str(m.get("preview_url") or ""),
                "description": str(m.get("description") or ""),
            }
            for m in status.get("media_attachments") or []
            if isinstance(m, dict)
        )
        return FetchedItem(
            external_id=status_id,
            kind=kind,
            text=html_to_text(content),
            author=self._author(account),
            title=str(status.get("spoiler_text") or ""),
            url=str(status.get("url") or status.get("uri") or ""),
            html=clean_html(content),
            language=str(status.get("language") or ""),
            published_at=parse_time(status.get("created_at")),
            parent_external_id=parent,
            engagement={
                "replies": int(status.get("replies_count") or 0),
                "reposts": int(status.get("reblogs_count") or 0),
                "likes": int(status.get("favourites_count") or 0),
            },
            media=media,
            raw=status,
        )

    # --- Publishing -----------------------------------------------------------------------------

    def _status_text(self, post: OutboundPost) -> str:
        text = post.text.strip()
        if post.link and post.link not in text:
            text = f"{text}\n\n{post.link}" if text else post.link
        return text

    def text_length(self, post: OutboundPost) -> int:
        """Mastodon's count: every link weighs 23 characters, the content warning counts too."""
        return status_length(self._status_text(post)) + len(post.content_warning)

    def check_post(self, post: OutboundPost) -> list[str]:
        """Problems that would make Mastodon refuse ``post`` (empty when it can be sent)."""
        problems: list[str] = []
        text = self._status_text(post)
        if not text and not post.media:
            problems.append(_("The text is empty."))
        limit = self.capabilities.max_text_length or DEFAULT_MAX_CHARACTERS
        length = self.text_length(post)
        if length > limit:
            problems.append(
                _(
                    "The post is %(length)d characters long (links count as 23, the content warning "
                    "counts too); this Mastodon server accepts %(max)d at most."
                )
                % {"length": length, "max": limit}
            )
        if post.visibility and post.visibility not in VISIBILITIES:
            problems.append(
                _("Unknown visibility “%(value)s”: use public, unlisted, private or direct.")
                % {"value": post.visibility[:50]}
            )
        problems += _check_media(post.media, self.capabilities.media)
        return problems

    def publish(self, post: OutboundPost, idempotency_key: str) -> RemoteRef:
        """Publish a status (with media, visibility, content warning, reply) once per key."""
        problems = self.check_post(post)
        if problems:
            raise ConnectorError(" ".join(problems))
        if not idempotency_key:
            raise ValueError("publish() needs an idempotency key")
        media_ids = [self._upload(m) for m in post.media]
        body: dict[str, Any] = {"status": self._status_text(post)}
        if media_ids:
            body["media_ids"] = media_ids
        if post.visibility:
            body["visibility"] = post.visibility
        if post.content_warning:
            body["spoiler_text"] = post.content_warning
            body["sensitive"] = True
        if post.in_reply_to:
            body["in_reply_to_id"] = post.in_reply_to
        language = post.options.get("language")
        if isinstance(language, str) and re.fullmatch(r"[a-z]{2,3}", language):
            body["language"] = language
        response = self._request(
            "POST", "/api/v1/statuses", json=body, headers={"Idempotency-Key": idempotency_key}, creates=True
        )
        return self._ref(self._json(response))

    def _ref(self, status: Any) -> RemoteRef:
        if not isinstance(status, dict) or not status.get("id"):
            raise ConnectorError(_("Mastodon (%(host)s) sent an unexpected answer.") % {"host": self._host})
        return RemoteRef(external_id=str(status["id"]), url=str(status.get("url") or status.get("uri") or ""), raw=status)

    def _upload(self, media: OutboundMedia) -> str:
        multipart = httpx.Request(
            "POST",
            "https://upload.invalid/",
            files={"file": (media.filename or "upload", media.data, media.content_type)},
            data={"description": media.alt_text} if media.alt_text else None,
        )
        body = multipart.read()
        response = self._request(
            "POST",
            "/api/v2/media",
            body=body,
            headers={"Content-Type": multipart.headers["content-type"]},
            timeout=max(self._timeout(), MEDIA_TIMEOUT_SECONDS),
        )
        attachment = self._json(response)
        if not isinstance(attachment, dict) or not attachment.get("id"):
            raise ConnectorError(_("Mastodon (%(host)s) sent an unexpected answer.") % {"host": self._host})
        media_id = str(attachment["id"])
        # 202 means the server is still processing (video, large image): a status cannot use it yet.
        deadline = time.monotonic() + MEDIA_PROCESSING_WAIT_SECONDS
        while response.status == 202 or not attachment.get("url"):
            if time.monotonic() > deadline:
                raise ConnectorError(
                    _("Mastodon (%(host)s) is still processing the media. Comptoir will try again later.")
                    % {"host": self._host},
                    retryable=True,
                )
            time.sleep(1)
            response = self._request("GET", f"/api/v1/media/{quote(media_id, safe='')}")
            attachment = self._json(response)
            if not isinstance(attachment, dict):
                break
        return media_id

    def find_published(self, idempotency_key: str) -> RemoteRef | None:
        """The status published with ``idempotency_key`` in the last hour, or None.

        Sends an empty status with the key: Mastodon answers a known key with its status before
        looking at the request, and refuses the empty request (422) otherwise, creating nothing.
        """
        if not idempotency_key:
            return None
        try:
            response = self._request(
                "POST", "/api/v1/statuses", json={}, headers={"Idempotency-Key": idempotency_key}
            )
        except ConnectorError as exc:
            if exc.status == 422:
                return None
            raise
        return self._ref(self._json(response))

    def reply(self, item_external_id: str, text: str, idempotency_key: str) -> RemoteRef:
        """Answer a status: mention its author, keep its visibility (a DM stays a DM) and its CW."""
        parent = self._get(f"/api/v1/statuses/{quote(_checked_id(item_external_id), safe='')}")
        if not isinstance(parent, dict):
            raise ConnectorError(_("Mastodon (%(host)s) sent an unexpected answer.") % {"host": self._host})
        me = self._account()
        mentions = []
        accounts = [parent.get("account") or {}, *(parent.get("mentions") or [])]
        for account in accounts:
            if not isinstance(account, dict) or str(account.get("id")) == str(me.get("id")):
                continue
            mention = self._handle_of(account)
            local = f"@{account.get('acct', '')}"
            if mention not in mentions and mention not in text and not re.search(rf"{re.escape(local)}\b", text):
                mentions.append(mention)
        full_text = " ".join([*mentions, text.strip()]) if mentions else text.strip()
        visibility = parent.get("visibility") if parent.get("visibility") in ("private", "direct") else ""
        post = OutboundPost(
            text=full_text,
            in_reply_to=str(parent["id"]),
            visibility=str(visibility or ""),
            content_warning=str(parent.get("spoiler_text") or ""),
        )
        return self.publish(post, idempotency_key)

    # --- Moderation -----------------------------------------------------------------------------

    def moderate(self, action: Action, target_external_id: str, reason: str = "") -> None:
        """Delete one of our statuses, block or mute an account, or report a status."""
        action = Action(action)
        if action == Action.DELETE:
            self._request("DELETE", f"/api/v1/statuses/{quote(_checked_id(target_external_id), safe='')}")
        elif action in (Action.BLOCK, Action.MUTE):
            account_id = self._account_id(target_external_id)
            self._request("POST", f"/api/v1/accounts/{quote(account_id, safe='')}/{action.value}")
        elif action == Action.REPORT:
            status = self._get(f"/api/v1/statuses/{quote(_checked_id(target_external_id), safe='')}")
            account = status.get("account") if isinstance(status, dict) else None
            if not isinstance(account, dict) or not account.get("id"):
                raise ConnectorError(_("Mastodon (%(host)s) sent an unexpected answer.") % {"host": self._host})
            body: dict[str, Any] = {"account_id": str(account["id"]), "status_ids": [str(status["id"])]}
            if reason:
                body["comment"] = reason[:1000]
            # Remote accounts: let their own server's moderators see the report too.
            body["forward"] = "@" in str(account.get("acct") or "")
            self._request("POST", "/api/v1/reports", json=body)
        else:
            raise self._unsupported(str(action))

    def unmoderate(self, action: Action, target_external_id: str) -> None:
        """Undo a block or a mute of an account (a sanction that ended or was lifted)."""
        action = Action(action)
        if action not in (Action.BLOCK, Action.MUTE):
            raise self._unsupported(str(action))
        account_id = self._account_id(target_external_id)
        self._request("POST", f"/api/v1/accounts/{quote(account_id, safe='')}/un{action.value}")

    def _account_id(self, target: str) -> str:
        target = (target or "").strip()
        if "@" in target:
            name, _sep, domain = target.lstrip("@").partition("@")
            own_domains = {self._host, str(self.config.get("handle") or "").rpartition("@")[2].lower()}
            acct = name if domain.lower() in own_domains else f"{name}@{domain}"
            account = self._get("/api/v1/accounts/lookup", {"acct": acct})
            if not isinstance(account, dict) or not account.get("id"):
                raise ConnectorError(_("Mastodon (%(host)s) sent an unexpected answer.") % {"host": self._host})
            return str(account["id"])
        return _checked_id(target)


def _checked_id(value: str) -> str:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise ConnectorError(_("“%(value)s” is not a Mastodon id.") % {"value": str(value)[:80]})
    return value


def _check_media(media: tuple[OutboundMedia, ...], rules: MediaRules) -> list[str]:
    problems: list[str] = []
    images = [m for m in media if m.content_type in rules.image_types]
    videos = [m for m in media if m.content_type in rules.video_types]
    for m in media:
        if m not in images and m not in videos:
            problems.append(
                _("The file %(name)s (%(type)s) is not a type this network accepts.")
                % {"name": m.filename, "type": m.content_type}
            )
        elif (m in images and len(m.data) > rules.max_image_bytes) or (
            m in videos and len(m.data) > rules.max_video_bytes
        ):
            problems.append(_("The file %(name)s is too large for this network.") % {"name": m.filename})
        if rules.alt_text_max_length and len(m.alt_text) > rules.alt_text_max_length:
            problems.append(
                _("The description of %(name)s is longer than %(max)d characters.")
                % {"name": m.filename, "max": rules.alt_text_max_length}
            )
    if videos and (images or len(videos) > rules.max_videos):
        problems.append(_("A post can carry either one video or up to %(max)d images.") % {"max": rules.max_images})
    elif len(images) > rules.max_images:
        problems.append(_("A post can carry at most %(max)d images.") % {"max": rules.max_images})
    return problems
