"""Bluesky (AT Protocol): read the account's posts, its mentions and replies, and searches; publish.

``config``: ``service`` (the account's server, ``https://bsky.social`` by default), ``handle``
(e.g. ``comptoir.bsky.social``), optional ``streams`` (any of ``posts``, ``notifications``; both by
default), ``searches`` (search queries), ``web_url`` (where links to posts point,
``https://bsky.app`` by default) and ``timeout`` (seconds). ``credentials``: ``app_password``, and
``session`` once logged in.

Bluesky allows only a few password logins per account (30 per 5 minutes, 300 per day), so the
connector keeps its session: after every call ``credentials["session"]`` holds the current
session string (access and refresh tokens), which the app stores back on the channel
(:meth:`~comptoir.connectors.base.BaseConnector.updated_credentials`). The next call reuses it and
refreshes it when the access token expires; the app password is used only when there is no
session or its refresh is refused.

A post's declared language (``langs``, often the app's default) is kept only when language
detection agrees or is unsure (:func:`comptoir.understanding.lang.checked`).

Every request (the login server, then the account's own PDS named in its DID document) is
checked like :func:`comptoir.lib.fetch.safe_fetch` checks it, and connected only to the addresses
checked (:class:`comptoir.lib.fetch.PinningTransport`: no DNS rebinding).

Reading is incremental: per stream, the cursor keeps the time the newest item was indexed; pages
are read back until that time. The first read takes the latest page of each stream. An owned
account is read every ``fast_poll_seconds``: a read costs a few requests (the session check, posts,
notifications, the notified posts, one per search), far under Bluesky's 3,000 per 5 minutes, and
never a password login (those are 30 per 5 minutes).

Publishing: Bluesky has no idempotency key, so the record carries a marker (a hash of the key)
in an extra field, ``comptoirIdempotency``; :meth:`BlueskyConnector.find_published` lists the
account's latest records on its PDS to find it.

Moderation: ``DELETE`` removes one of the account's own posts (``at://`` URI); ``MUTE`` and
``BLOCK`` take an account (DID ``did:…``, handle, or the ``at://`` URI of one of its posts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from atproto import Client, models
from atproto_client.exceptions import (
    AtProtocolError,
    BadRequestError,
    LoginRequiredError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.models.common import XrpcError
from atproto_client.request import Request
from atproto_server.exceptions import InvalidTokenError
from pydantic import ValidationError

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
    NotSupported,
    OutboundPost,
    OutcomeUnknown,
    RemoteRef,
    register,
)
from comptoir.connectors.http import parse_time, status_error
from comptoir.connectors.servers import check_server_url
from comptoir.lib.fetch import BlockedTarget, FetchError, PinningTransport
from comptoir.lib.i18n import gettext as _
from comptoir.lib.sanitize import clean_html
from comptoir.lib.timeutil import retry_after_seconds
from comptoir.understanding import lang

NETWORK = "bluesky"
DEFAULT_SERVICE = "https://bsky.social"
DEFAULT_WEB_URL = "https://bsky.app"
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
STREAMS = ("posts", "notifications")
MARKER = "comptoirIdempotency"
POST_COLLECTION = "app.bsky.feed.post"
PAGE_SIZE = 50
MAX_PAGES = 10
FIND_LIMIT = 100
NOTIFICATION_REASONS = ("mention", "reply", "quote")

_MAYBE_SENT = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
_AUTH_ERRORS = ("ExpiredToken", "InvalidToken", "AuthenticationRequired", "AccountTakedown", "AuthFactorTokenRequired")
_URI_RE = re.compile(r"^at://(?P<repo>did:[a-z]+:[A-Za-z0-9._:%-]+|[A-Za-z0-9.-]+)/(?P<collection>[a-zA-Z0-9.]+)/(?P<rkey>[A-Za-z0-9._~:-]{1,512})$")
_DID_RE = re.compile(r"^did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}$")
_HANDLE_RE = re.compile(r"^@?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]?)$", re.IGNORECASE)


def grapheme_length(text: str) -> int:
    """How many characters a person sees in ``text`` (what Bluesky's 300 limit counts).

    An approximation of Unicode grapheme clusters that handles accents, emoji with skin tones,
    joined emoji (ZWJ sequences), flags and keycaps.
    """
    count = 0
    joined = False
    regional_pending = False
    for char in text:
        code = ord(char)
        if joined:
            joined = False
            continue
        if code == 0x200D:
            joined = True
            continue
        if (
            unicodedata.category(char) in ("Mn", "Mc", "Me")
            or 0xFE00 <= code <= 0xFE0F  # variation selectors
            or 0x1F3FB <= code <= 0x1F3FF  # skin tones
            or 0xE0020 <= code <= 0xE007F  # tag characters (subdivision flags)
        ):
            continue
        if 0x1F1E6 <= code <= 0x1F1FF:  # a flag is two regional indicators
            regional_pending = not regional_pending
            if not regional_pending:
                continue
        else:
            regional_pending = False
        count += 1
    return count


def marker(idempotency_key: str) -> str:
    """What a published record carries to be found again: a hash, so the key itself stays private."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def facets_to_html(text: str, facets: list[Any] | None, web_url: str = DEFAULT_WEB_URL) -> str:
    """The post as HTML: links, mentions and hashtags of its facets become links."""
    data = text.encode("utf-8")
    spans = []
    for facet in facets or []:
        try:
            start, end = facet.index.byte_start, facet.index.byte_end
            feature = facet.features[0]
        except (AttributeError, IndexError):
            continue
        if not (0 <= start < end <= len(data)):
            continue
        if isinstance(feature, models.AppBskyRichtextFacet.Link):
            href = feature.uri
        elif isinstance(feature, models.AppBskyRichtextFacet.Mention):
            href = f"{web_url}/profile/{quote(feature.did, safe=':')}"
        elif isinstance(feature, models.AppBskyRichtextFacet.Tag):
            href = f"{web_url}/hashtag/{quote(feature.tag, safe='')}"
        else:
            continue
        spans.append((start, end, href))
    parts: list[str] = []
    position = 0
    for start, end, href in sorted(spans):
        if start < position:
            continue  # overlapping facets: keep the first
        parts.append(html.escape(data[position:start].decode("utf-8", "replace")))
        label = html.escape(data[start:end].decode("utf-8", "replace"))
        parts.append(f'<a href="{html.escape(href)}">{label}</a>')
        position = end
    parts.append(html.escape(data[position:].decode("utf-8", "replace")))
    return clean_html("<p>" + "".join(parts).replace("\n", "<br>") + "</p>")


@register
class BlueskyConnector(BaseConnector):
    """One Bluesky account, through its PDS (which forwards reads to the Bluesky AppView)."""

    network = NETWORK
    label = "Bluesky"
    # Mentions and replies reach the inbox within seconds: ~4 requests a read, ~120 per 5 minutes.
    fast_poll_seconds = 10
    capabilities = Capabilities(
        actions=frozenset(
            {Action.READ, Action.PUBLISH, Action.REPLY, Action.DELETE, Action.MUTE, Action.BLOCK}
        ),
        max_text_length=MAX_GRAPHEMES,
        media=MediaRules(
            max_images=4,
            max_image_bytes=1_000_000,
            image_types=("image/jpeg", "image/png", "image/webp", "image/gif"),
            alt_text_max_length=2000,
        ),
        supports_threads=True,
        supports_formatting=False,
        supports_content_warning=False,
        supports_visibility=False,
    )

    def __init__(self, config: dict[str, Any] | None = None, credentials: dict[str, Any] | None = None):
        super().__init__(config, credentials)
        self._client: Client | None = None
        self._from_session = False
        self._did = ""
        self._handle = ""

    # --- session --------------------------------------------------------------------------------

    @property
    def _service(self) -> str:
        return check_server_url(self.config.get("service"), server=_("Bluesky server"), example="https://bsky.social", default=DEFAULT_SERVICE)

    @property
    def _web_url(self) -> str:
        web = self.config.get("web_url")
        return web.rstrip("/") if isinstance(web, str) and web.startswith(("https://", "http://")) else DEFAULT_WEB_URL

    def _remember(self, event: Any, session: Any) -> None:
        self._did, self._handle = session.did, session.handle
        self.credentials["session"] = session.encode()

    def _login(self, *, use_session: bool = True) -> Client:
        service = self._service
        handle = str(self.config.get("handle") or "").strip().lstrip("@")
        password = self.credentials.get("app_password")
        session = self.credentials.get("session") if use_session else None
        if not session and not (handle and isinstance(password, str) and password):
            raise AuthenticationFailed(_("No Bluesky handle and app password are stored for this account. Reconnect it."))
        # Every request (the login server, then the PDS its DID document names, redirects) is checked
        # and connected only to the addresses checked.
        request = Request(timeout=httpx.Timeout(self._timeout()), transport=PinningTransport(), trust_env=False)
        client = Client(base_url=service, request=request)
        client.on_session_change(self._remember)
        self._from_session = False
        if isinstance(session, str) and session:
            try:
                client.login(session_string=session, fetch_bsky_profile=False)
                self._client = client
                self._from_session = True
                return client
            except (AtProtocolError, ValueError):
                # A damaged session string: forget it and log in with the app password.
                self.credentials.pop("session", None)
                if not (handle and isinstance(password, str) and password):
                    raise
        client.login(handle, password, fetch_bsky_profile=False)
        self._client = client
        return client

    def _api[T](self, work: Callable[[Client], T], *, what: str, creates: bool = False) -> T:
        """Run ``work`` with a logged-in client and turn every failure into a connector error."""
        try:
            try:
                return work(self._client or self._login())
            except (UnauthorizedError, BadRequestError, LoginRequiredError, InvalidTokenError) as exc:
                # A stored session may have expired or be damaged: log in with the app password, once.
                if not self._from_session or not self.credentials.get("app_password") or not _session_problem(exc):
                    raise
                self.credentials.pop("session", None)
                return work(self._login(use_session=False))
        except BlockedTarget as exc:
            raise ConnectorError(exc.message) from exc
        except FetchError as exc:
            raise ConnectorError(exc.message, retryable=exc.retryable) from exc
        except (AtProtocolError, ValidationError, httpx.HTTPError) as exc:
            raise self._error(exc, what=what, creates=creates) from exc

    def _error(self, exc: Exception, *, what: str, creates: bool) -> ConnectorError:
        host = urlsplit(self._service).hostname or ""
        status = _status(exc)
        name = _error_name(exc)
        detail = _error_message(exc)
        refused = AuthenticationFailed(
            _(
                "Bluesky (%(host)s) refused the handle or app password: it was revoked or mistyped. "
                "Reconnect the account with a new app password."
            )
            % {"host": host},
            status=status,
        )
        if _session_problem(exc):
            return refused
        if isinstance(exc, RateLimitExceededError):
            status = 429
        server = _("Bluesky (%(host)s)") % {"host": host}
        shared = status_error(status, server=server, refused=refused, retry_after=_wait(exc))
        if shared is not None:
            return shared
        if isinstance(exc, httpx.HTTPError) or (isinstance(exc, NetworkError) and status is None):
            # The SDK wraps timeouts and connection errors, but lets protocol errors through.
            transport = exc if isinstance(exc, httpx.HTTPError) else exc.__cause__
            if creates and isinstance(transport, _MAYBE_SENT):
                return OutcomeUnknown(
                    _(
                        "Bluesky (%(host)s) did not confirm in time whether the post was published. "
                        "Comptoir will check before trying again."
                    )
                    % {"host": host}
                )
            return ConnectorError(
                _("Could not reach Bluesky (%(host)s), or it did not answer in time. Comptoir will try again later.")
                % {"host": host},
                retryable=True,
            )
        if isinstance(exc, ValidationError):
            return ConnectorError(
                _("Bluesky (%(host)s) sent an answer Comptoir does not understand while trying to %(what)s.")
                % {"host": host, "what": what},
                retryable=True,
            )
        if detail or name:
            return ConnectorError(
                _("Bluesky could not %(what)s: %(detail)s") % {"what": what, "detail": detail or name}, status=status
            )
        if status:
            return ConnectorError(
                _("Bluesky (%(host)s) could not %(what)s: it answered with the error %(status)d and no reason.")
                % {"host": host, "what": what, "status": status},
                status=status,
            )
        return ConnectorError(
            _("Bluesky (%(host)s) could not %(what)s and gave no reason. Comptoir will try again later.")
            % {"host": host, "what": what},
            retryable=True,
        )

    @property
    def did(self) -> str:
        if not self._did:
            self._api(lambda c: c, what=_("log in"))
        return self._did

    def check_connection(self) -> ConnectionCheck:
        """Log in and read the account's profile."""
        try:
            profile = self._api(
                lambda c: c.com.atproto.repo.describe_repo(models.ComAtprotoRepoDescribeRepo.Params(repo=self._did)),
                what=_("read the account"),
            )
        except ConnectorError as exc:
            return ConnectionCheck(ok=False, message=exc.message)
        handle = f"@{profile.handle}"
        return ConnectionCheck(
            ok=True,
            message=_("Connected to Bluesky as %(handle)s.") % {"handle": handle},
            account=handle,
        )

    # --- reading --------------------------------------------------------------------------------

    def _searches(self) -> list[str]:
        searches = self.config.get("searches") or []
        if not isinstance(searches, list | tuple):
            return []
        return [s.strip() for s in searches if isinstance(s, str) and s.strip()][:20]

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        """Own posts, mentions/replies/quotes and search results since ``cursor`` (oldest first)."""
        cursor = dict(cursor or {})
        searches_cursor = dict(cursor.get("searches") or {}) if isinstance(cursor.get("searches"), dict) else {}
        items: dict[str, FetchedItem] = {}
        streams = self._configured("streams", STREAMS)

        if "posts" in streams:
            def author_page(client: Client, page: str | None) -> tuple[list[Any], str | None]:
                response = client.app.bsky.feed.get_author_feed(
                    models.AppBskyFeedGetAuthorFeed.Params(
                        actor=self.did, limit=PAGE_SIZE, cursor=page, filter="posts_with_replies"
                    )
                )
                # Reposts are someone else's post, shown on the account's page: not ours to list.
                return [f.post for f in response.feed if f.reason is None], response.cursor

            posts, cursor["posts"] = self._read(author_page, cursor.get("posts"), _("read the account's posts"))
            for post in posts:
                self._add(items, post)

        if "notifications" in streams:
            def notification_page(client: Client, page: str | None) -> tuple[list[Any], str | None]:
                response = client.app.bsky.notification.list_notifications(
                    models.AppBskyNotificationListNotifications.Params(
                        limit=PAGE_SIZE, cursor=page, reasons=list(NOTIFICATION_REASONS)
                    )
                )
                found = [n for n in response.notifications if n.reason in NOTIFICATION_REASONS]
                return found, response.cursor

            notes, cursor["notifications"] = self._read(
                notification_page, cursor.get("notifications"), _("read the notifications")
            )
            # Notifications hold the record only: the full posts bring counts, embeds and threads.
            reasons = {n.uri: n.reason for n in notes}
            for post in self._posts(list(reasons)):
                self._add(items, post, comment=reasons.get(post.uri) == "reply")

        for query in self._searches():
            def search_page(client: Client, page: str | None, query: str = query) -> tuple[list[Any], str | None]:
                response = client.app.bsky.feed.search_posts(
                    models.AppBskyFeedSearchPosts.Params(q=query, sort="latest", limit=PAGE_SIZE, cursor=page)
                )
                return response.posts, response.cursor

            found, searches_cursor[query] = self._read(search_page, searches_cursor.get(query), _("search posts"))
            for post in found:
                self._add(items, post)
        if searches_cursor:
            cursor["searches"] = {q: v for q, v in searches_cursor.items() if q in self._searches() and v}

        ordered = sorted(
            items.values(), key=lambda i: (i.published_at or dt.datetime.min.replace(tzinfo=dt.UTC), i.external_id)
        )
        return FetchResult(items=ordered, cursor={k: v for k, v in cursor.items() if v}, has_more=False)

    def _read(
        self, page_of: Callable[[Client, str | None], tuple[list[Any], str | None]], since: Any, what: str
    ) -> tuple[list[Any], str | None]:
        """Entries indexed after ``since``, reading pages back until there; and the new watermark."""
        watermark = parse_time(since)
        entries: list[Any] = []
        page: str | None = None
        for _page in range(MAX_PAGES if watermark else 1):
            batch, page = self._api(lambda c, page=page: page_of(c, page), what=what)
            fresh = [e for e in batch if watermark is None or (parse_time(e.indexed_at) or watermark) > watermark]
            entries.extend(fresh)
            if not page or len(fresh) < len(batch) or not batch:
                break
        times = [t for t in (parse_time(e.indexed_at) for e in entries) if t is not None]
        newest = max([*times, *([watermark] if watermark else [])], default=None)
        return entries, newest.isoformat().replace("+00:00", "Z") if newest else None

    def _posts(self, uris: list[str]) -> list[Any]:
        posts: list[Any] = []
        for start in range(0, len(uris), 25):
            chunk = uris[start : start + 25]
            response = self._api(
                lambda c, chunk=chunk: c.app.bsky.feed.get_posts(models.AppBskyFeedGetPosts.Params(uris=chunk)),
                what=_("read posts"),
            )
            posts.extend(response.posts)
        return posts

    def _add(self, items: dict[str, FetchedItem], post: Any, *, comment: bool = False) -> None:
        record = post.record
        if not isinstance(record, models.AppBskyFeedPost.Record):
            return
        reply = record.reply
        if comment:
            kind = ItemKind.COMMENT  # an answer to one of the account's posts
        elif reply is not None:
            kind = ItemKind.REPLY
        else:
            kind = ItemKind.POST
        rkey = post.uri.rsplit("/", 1)[-1]
        author = post.author
        media: tuple[dict[str, Any], ...] = ()
        embed = post.embed
        if isinstance(embed, models.AppBskyEmbedImages.View):
            media = tuple(
                {"type": "image", "url": image.fullsize, "preview_url": image.thumb, "description": image.alt or ""}
                for image in embed.images
            )
        items[post.uri] = FetchedItem(
            external_id=post.uri,
            kind=kind,
            text=record.text,
            author=Author(
                network=NETWORK,
                handle=f"@{author.handle}",
                display_name=author.display_name or "",
                url=f"{self._web_url}/profile/{author.handle}",
                avatar_url=author.avatar or "",
                external_id=author.did,
            ),
            url=f"{self._web_url}/profile/{author.handle}/post/{rkey}",
            html=facets_to_html(record.text, record.facets, self._web_url),
            language=lang.checked((record.langs or [""])[0], record.text),
            published_at=parse_time(record.created_at) or parse_time(post.indexed_at),
            parent_external_id=reply.parent.uri if reply is not None else "",
            thread_external_id=reply.root.uri if reply is not None else "",
            engagement={
                "replies": post.reply_count or 0,
                "reposts": post.repost_count or 0,
                "likes": post.like_count or 0,
                "quotes": post.quote_count or 0,
            },
            media=media,
            raw=post.model_dump(mode="json", by_alias=True, exclude_none=True),
        )

    # --- publishing -----------------------------------------------------------------------------

    def text_length(self, post: OutboundPost) -> int:
        """Bluesky's count: graphemes (what a person sees) of the text; the link goes in a card, not the text."""
        return grapheme_length(post.text.strip())

    def check_post(self, post: OutboundPost) -> list[str]:
        """Problems that would make Bluesky refuse ``post`` (empty when it can be sent)."""
        problems: list[str] = []
        text = post.text.strip()
        if not text and not post.media:
            problems.append(_("The text is empty."))
        length = self.text_length(post)
        if length > MAX_GRAPHEMES:
            problems.append(
                _("The text is %(length)d characters long; Bluesky accepts %(max)d at most.")
                % {"length": length, "max": MAX_GRAPHEMES}
            )
        elif len(text.encode("utf-8")) > MAX_BYTES:
            problems.append(_("The text is too long for Bluesky once encoded (3000 bytes at most)."))
        # What publish() refuses, said before the post is scheduled rather than when it is due.
        if post.content_warning:
            problems.append(_("Bluesky has no content warnings: remove it from this version of the post."))
        if post.visibility and post.visibility != "public":
            problems.append(_("Every Bluesky post is public: remove the visibility from this version of the post."))
        rules = self.capabilities.media
        if len(post.media) > rules.max_images:
            problems.append(_("A Bluesky post carries at most %(max)d images.") % {"max": rules.max_images})
        for media in post.media:
            if media.content_type not in rules.image_types:
                problems.append(
                    _("The file %(name)s (%(type)s) cannot be posted to Bluesky: only images are supported.")
                    % {"name": media.filename, "type": media.content_type}
                )
            elif len(media.data) > rules.max_image_bytes:
                problems.append(
                    _("The image %(name)s is larger than Bluesky's 1 MB limit.") % {"name": media.filename}
                )
            if len(media.alt_text) > rules.alt_text_max_length:
                problems.append(
                    _("The description of %(name)s is longer than %(max)d characters.")
                    % {"name": media.filename, "max": rules.alt_text_max_length}
                )
        return problems

    def publish(self, post: OutboundPost, idempotency_key: str) -> RemoteRef:
        """Publish a post with its links, mentions and hashtags as facets, images, and reply refs."""
        if post.content_warning:
            raise NotSupported(_("Bluesky has no content warnings: remove it from this version of the post."))
        if post.visibility and post.visibility != "public":
            raise NotSupported(_("Every Bluesky post is public: remove the visibility from this version of the post."))
        problems = self.check_post(post)
        if problems:
            raise ConnectorError(" ".join(problems))
        if not idempotency_key:
            raise ValueError("publish() needs an idempotency key")
        text = post.text.strip()
        reply = self._reply_ref(post.in_reply_to) if post.in_reply_to else None
        facets = self._api(lambda c: c.detect_facets(text), what=_("prepare the post")) if text else []
        embed: Any = None
        if post.media:
            images = []
            for media in post.media:
                blob = self._api(lambda c, data=media.data: c.upload_blob(data), what=_("upload an image")).blob
                images.append(models.AppBskyEmbedImages.Image(alt=media.alt_text, image=blob))
            embed = models.AppBskyEmbedImages.Main(images=images)
        elif post.link:
            embed = models.AppBskyEmbedExternal.Main(
                external=models.AppBskyEmbedExternal.External(uri=post.link, title=post.title or post.link, description="")
            )
        language = post.options.get("language")
        record = models.AppBskyFeedPost.Record(
            text=text,
            created_at=dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
            facets=facets or None,
            reply=reply,
            embed=embed,
            langs=[language] if isinstance(language, str) and re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", language) else None,
            **{MARKER: marker(idempotency_key)},
        )
        created = self._api(
            lambda c: c.com.atproto.repo.create_record(
                models.ComAtprotoRepoCreateRecord.Data(repo=self.did, collection=POST_COLLECTION, record=record)
            ),
            what=_("publish the post"),
            creates=True,
        )
        return self._ref(created.uri, created.cid, record.model_dump(mode="json", by_alias=True, exclude_none=True))

    def _ref(self, uri: str, cid: str, record: dict[str, Any]) -> RemoteRef:
        rkey = uri.rsplit("/", 1)[-1]
        profile = self._handle or self.did
        return RemoteRef(
            external_id=uri,
            url=f"{self._web_url}/profile/{profile}/post/{rkey}",
            raw={"uri": uri, "cid": cid, "record": record},
        )

    def _reply_ref(self, uri: str) -> models.AppBskyFeedPost.ReplyRef:
        if not _URI_RE.match(uri or ""):
            raise ConnectorError(_("“%(value)s” is not a Bluesky post.") % {"value": str(uri)[:120]})
        found = self._posts([uri])
        if not found:
            raise ConnectorError(_("The post to answer no longer exists on Bluesky."))
        parent = found[0]
        parent_ref = models.ComAtprotoRepoStrongRef.Main(uri=parent.uri, cid=parent.cid)
        root_ref = parent_ref
        if isinstance(parent.record, models.AppBskyFeedPost.Record) and parent.record.reply is not None:
            root_ref = parent.record.reply.root
        return models.AppBskyFeedPost.ReplyRef(parent=parent_ref, root=root_ref)

    def find_published(self, idempotency_key: str) -> RemoteRef | None:
        """The post published with ``idempotency_key`` among the account's latest records, or None."""
        wanted = marker(idempotency_key)
        response = self._api(
            lambda c: c.com.atproto.repo.list_records(
                models.ComAtprotoRepoListRecords.Params(repo=self.did, collection=POST_COLLECTION, limit=FIND_LIMIT)
            ),
            what=_("look for the post"),
        )
        for entry in response.records:
            value = entry.value
            extra = getattr(value, "model_extra", None) or {}
            found = extra.get(MARKER) if isinstance(extra, dict) else None
            if found is None and isinstance(value, dict):
                found = value.get(MARKER)
            if found == wanted:
                raw = value.model_dump(mode="json", by_alias=True, exclude_none=True) if hasattr(value, "model_dump") else value
                return self._ref(entry.uri, entry.cid, raw)
        return None

    def reply(self, item_external_id: str, text: str, idempotency_key: str) -> RemoteRef:
        """Answer a post in its thread."""
        return self.publish(OutboundPost(text=text, in_reply_to=item_external_id), idempotency_key)

    # --- moderation -----------------------------------------------------------------------------

    def moderate(self, action: Action, target_external_id: str, reason: str = "") -> None:
        """Delete an own post, or mute or block an account."""
        action = Action(action)
        if action == Action.DELETE:
            match = _URI_RE.match(target_external_id or "")
            if not match or match["collection"] != POST_COLLECTION:
                raise ConnectorError(_("“%(value)s” is not a Bluesky post.") % {"value": str(target_external_id)[:120]})
            if match["repo"] not in (self.did, self._handle):
                raise NotSupported(
                    _("Bluesky only lets an account delete its own posts: mute or block the author instead.")
                )
            self._api(
                lambda c: c.com.atproto.repo.delete_record(
                    models.ComAtprotoRepoDeleteRecord.Data(repo=self.did, collection=POST_COLLECTION, rkey=match["rkey"])
                ),
                what=_("delete the post"),
            )
        elif action == Action.MUTE:
            actor = self._actor(target_external_id)
            self._api(
                lambda c: c.app.bsky.graph.mute_actor(models.AppBskyGraphMuteActor.Data(actor=actor)),
                what=_("mute the account"),
            )
        elif action == Action.BLOCK:
            actor = self._actor(target_external_id)
            block = models.AppBskyGraphBlock.Record(
                subject=actor, created_at=dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
            )
            self._api(
                lambda c: c.com.atproto.repo.create_record(
                    models.ComAtprotoRepoCreateRecord.Data(repo=self.did, collection="app.bsky.graph.block", record=block)
                ),
                what=_("block the account"),
            )
        else:
            raise self._unsupported(str(action))

    def _actor(self, target: str) -> str:
        """The DID of the account named by ``target`` (DID, handle or the URI of one of its posts)."""
        target = (target or "").strip()
        match = _URI_RE.match(target)
        if match:
            target = match["repo"]
        if _DID_RE.match(target):
            return target
        if _HANDLE_RE.match(target):
            handle = target.lstrip("@")
            return self._api(
                lambda c: c.resolve_handle(handle).did, what=_("find the account %(handle)s") % {"handle": handle}
            )
        raise ConnectorError(_("“%(value)s” is not a Bluesky account.") % {"value": target[:120]})


def _session_problem(exc: Exception) -> bool:
    if isinstance(exc, LoginRequiredError | InvalidTokenError):
        return True
    return _status(exc) == 401 or _error_name(exc) in _AUTH_ERRORS


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None) if isinstance(exc, RequestErrorBase) else None
    return getattr(response, "status_code", None)


def _content(exc: Exception) -> Any:
    response = getattr(exc, "response", None) if isinstance(exc, RequestErrorBase) else None
    return getattr(response, "content", None)


def _error_name(exc: Exception) -> str:
    content = _content(exc)
    if isinstance(content, XrpcError):
        return content.error or ""
    if isinstance(content, dict):
        return str(content.get("error") or "")
    return ""


def _error_message(exc: Exception) -> str:
    content = _content(exc)
    if isinstance(content, XrpcError):
        return (content.message or content.error or "")[:300]
    if isinstance(content, dict):
        return str(content.get("message") or content.get("error") or "")[:300]
    return ""


def _wait(exc: Exception) -> float | None:
    """Seconds the server asked us to wait, from its rate-limit reset or its Retry-After header."""
    if isinstance(exc, RateLimitExceededError):
        if exc.retry_after is not None:
            return exc.retry_after
        if exc.reset_at is not None:
            return max((exc.reset_at - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)
    response = getattr(exc, "response", None) if isinstance(exc, RequestErrorBase) else None
    headers = getattr(response, "headers", None) or {}
    return retry_after_seconds(headers.get("retry-after") if isinstance(headers, dict) else None)
