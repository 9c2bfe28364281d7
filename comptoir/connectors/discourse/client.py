"""Discourse connector, built on Discourse's published REST API (OpenAPI in tests/data).

Authentication: an admin-created API key sent as ``Api-Key`` with ``Api-Username`` (the
account that acts). Moderation needs that account to be staff (moderator or admin).

Reading (``config["mode"]``)
  ``posts`` (default): ``GET /posts.json``, newest first, paged back with ``before=<id>``. The
  cursor keeps the highest post id seen; when a whole page is new, ``has_more`` is set and the
  next call pages back until it meets the last seen id. The first poll takes one page and does
  not backfill the forum's history. Each post is a ``forum_post`` item: external id = post id,
  thread = ``topic:<topic_id>``, title = the topic's title, parent = the post it answers
  (``reply_to_post_number``, or the topic's first post) when that post was seen recently —
  Discourse gives only the parent's *number*, so the cursor keeps a bounded map of
  (topic, number) → post id. Unresolved parents stay empty; ``raw`` keeps ``topic_id``,
  ``post_number`` and ``reply_to_post_number``. Category names come from ``/categories.json``,
  cached in the cursor for a day.
  ``topics``: ``GET /latest.json?order=created``, one item per new topic, external id
  ``topic:<id>`` (the same key posts use as their thread), text = title (+ excerpt).

Publishing
  A new topic is ``POST /posts.json`` with ``title``, ``raw``, ``category`` (``options
  ["category"]`` or ``config["default_category"]``) and ``external_id`` derived from the
  idempotency key; a post in a topic uses ``options["topic_id"]``; a reply adds
  ``reply_to_post_number``. Every published ``raw`` ends with an invisible HTML comment
  ``<!-- comptoir:<digest> -->`` so :meth:`find_published` can recognise a post whose outcome
  was unknown (topics are found by their ``external_id``, posts by that marker among the
  latest posts).

Moderation (the API user must be staff)
  HIDE: Discourse's API has no "hide" endpoint. Staff hide a post by flagging it with "take
  action": ``POST /post_actions.json`` ``{id, post_action_type_id: 4 (inappropriate),
  take_action: "true"}`` — PostActionCreator then hides the post at once and agrees with
  other flags (Discourse's post_actions_controller / post_action_creator). ``take_action`` is
  not in the OpenAPI description; it is sent as the string "true" because the controller
  compares with that string. Hiding a topic item (``topic:<id>``) unlists it
  (``PUT /t/{id}/status.json`` status=visible, enabled=false).
  DELETE: ``DELETE /posts/{id}.json``, or ``DELETE /t/{id}.json`` for a topic item.
  MUTE: ``PUT /admin/users/{id}/silence.json`` for ``config["mute_days"]`` days (default 7).
  BAN: ``PUT /admin/users/{id}/suspend.json``, ``config["ban_days"]`` days or, when unset,
  1000 years (Discourse's own "forever"). Targets of MUTE and BAN are member ids (the item's
  ``author.external_id``).

Webhooks: :func:`verify_webhook` and :func:`parse_webhook` (post_created, post_edited,
topic_created; other events give no items).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

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
from comptoir.connectors.http import parse_time, status_error
from comptoir.lib.fetch import FetchError, FetchResponse, FetchTimeout, NetworkError, safe_fetch
from comptoir.lib.i18n import gettext as _
from comptoir.lib.sanitize import clean_html, clean_text, html_to_text
from comptoir.lib.timeutil import retry_after_seconds

NETWORK = "discourse"
# Discourse's default max_post_length site setting; our text leaves room for the invisible
# idempotency marker appended to every post.
MAX_POST_LENGTH = 32_000
MAX_TEXT_LENGTH = MAX_POST_LENGTH - 100
# Discourse's default site settings (min_post_length, min_first_post_length, min_topic_title_length,
# max_topic_title_length); a forum may change the minimums (the channel's settings can say so).
DEFAULT_MIN_POST_LENGTH = 20
DEFAULT_MIN_TITLE_LENGTH = 15
MAX_TITLE_LENGTH = 255
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
CATEGORY_CACHE_SECONDS = 24 * 3600
# (topic, post number) → post id entries kept in the cursor to resolve parents.
POST_NUMBER_CACHE_SIZE = 500
POST_ACTION_INAPPROPRIATE = 4
POST_TYPE_SMALL_ACTION = 3
DEFAULT_MUTE_DAYS = 7
FOREVER_DAYS = 1000 * 365
SIGNATURE_HEADER = "X-Discourse-Event-Signature"
EVENT_HEADER = "X-Discourse-Event"
INSTANCE_HEADER = "X-Discourse-Instance"
_MARKER_RE = re.compile(r"<!-- comptoir:([0-9a-f]{32}) -->")


def _marker_digest(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]


def _topic_external_id(idempotency_key: str) -> str:
    # Discourse accepts [A-Za-z0-9_-]{1,50} as a topic's external_id.
    return "comptoir-" + _marker_digest(idempotency_key)


def _int(value: Any) -> int | None:
    """An integer from Discourse, which documents some as strings (reply_to_post_number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _str(value: Any) -> str:
    return clean_text(value) if isinstance(value, str) else ""


def _retry_after(response: FetchResponse) -> float | None:
    # Discourse also says how long to wait in its JSON error body.
    seconds = retry_after_seconds(response.headers.get("retry-after"))
    if seconds is not None:
        return seconds
    try:
        wait = json.loads(response.content).get("extras", {}).get("wait_seconds")
    except (ValueError, AttributeError, RecursionError):
        return None
    return float(wait) if isinstance(wait, int | float) and not isinstance(wait, bool) else None


def _discourse_errors(response: FetchResponse) -> str:
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError):
        return ""
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list):
        return clean_text(" ".join(str(e) for e in errors[:5]))[:500]
    return ""


def _absolute(base_url: str, path: str) -> str:
    if not path:
        return ""
    if path.startswith(("http://", "https://")):
        return path
    if path.startswith("//"):
        return "https:" + path
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def post_to_item(
    post: Mapping[str, Any],
    base_url: str,
    *,
    categories: Mapping[str, Any] | None = None,
    known_posts: Mapping[str, int] | None = None,
) -> FetchedItem | None:
    """Turn one post object (``/posts.json``, ``/posts/{id}.json`` or a webhook) into an item.

    Returns None for objects that are not usable posts (no id, deleted, small actions).
    ``known_posts`` maps ``"<topic_id>/<post_number>"`` to post ids to resolve the parent.
    """
    post_id = _int(post.get("id"))
    topic_id = _int(post.get("topic_id"))
    if post_id is None or topic_id is None:
        return None
    if post.get("deleted_at") or post.get("user_deleted") is True:
        return None
    if _int(post.get("post_type")) == POST_TYPE_SMALL_ACTION:
        return None
    post_number = _int(post.get("post_number")) or 0
    reply_to = _int(post.get("reply_to_post_number"))
    cooked = _str(post.get("cooked"))
    text = html_to_text(cooked) if cooked else _str(post.get("raw"))
    username = _str(post.get("username"))
    author = None
    if username:
        avatar = _str(post.get("avatar_template")).replace("{size}", "96")
        user_id = _int(post.get("user_id"))
        author = Author(
            network=NETWORK,
            handle=username,
            display_name=_str(post.get("name")) or _str(post.get("display_username")),
            url=_absolute(base_url, "/u/" + quote(username)),
            avatar_url=_absolute(base_url, avatar),
            external_id=str(user_id) if user_id is not None else "",
        )
    parent = ""
    parent_number = reply_to or (1 if post_number > 1 else None)
    if parent_number and known_posts:
        parent_id = known_posts.get(f"{topic_id}/{parent_number}")
        parent = str(parent_id) if parent_id else ""
    category_id = _int(post.get("category_id"))
    category = (categories or {}).get(str(category_id)) if category_id is not None else None
    slug = _str(post.get("topic_slug")) or "-"
    post_url = _str(post.get("post_url")) or f"/t/{quote(slug)}/{topic_id}/{post_number}"
    engagement = {
        name: value
        for name, key in (("replies", "reply_count"), ("reads", "reads"), ("quotes", "quote_count"))
        if (value := _int(post.get(key))) is not None
    }
    for action in post.get("actions_summary") or []:
        if isinstance(action, dict) and _int(action.get("id")) == 2 and _int(action.get("count")) is not None:
            engagement["likes"] = _int(action.get("count")) or 0
    return FetchedItem(
        external_id=str(post_id),
        kind=ItemKind.FORUM_POST,
        text=text,
        author=author,
        title=html_to_text(_str(post.get("topic_title"))),
        url=_absolute(base_url, post_url),
        html=clean_html(cooked, base_url=base_url.rstrip("/") + "/") if cooked else "",
        published_at=parse_time(post.get("created_at")),
        parent_external_id=parent,
        thread_external_id=f"topic:{topic_id}",
        engagement=engagement,
        raw={
            "topic_id": topic_id,
            "post_number": post_number,
            "reply_to_post_number": reply_to,
            "category_id": category_id,
            "category": category or {},
            "hidden": post.get("hidden") is True,
            "post_type": _int(post.get("post_type")),
            "updated_at": _str(post.get("updated_at")),
        },
    )


def topic_to_item(
    topic: Mapping[str, Any],
    base_url: str,
    *,
    users: Mapping[int, Mapping[str, Any]] | None = None,
    categories: Mapping[str, Any] | None = None,
) -> FetchedItem | None:
    """Turn a topic (``/latest.json`` entry or ``topic_created`` webhook) into an item."""
    topic_id = _int(topic.get("id"))
    title = html_to_text(_str(topic.get("title")))
    if topic_id is None or not title or topic.get("deleted_at"):
        return None
    creator: Mapping[str, Any] | None = (
        topic.get("created_by") if isinstance(topic.get("created_by"), dict) else None
    )
    if creator is None and users:
        for poster in topic.get("posters") or []:
            if isinstance(poster, dict) and "Original Poster" in _str(poster.get("description")):
                creator = users.get(_int(poster.get("user_id")) or -1)
                break
    author = None
    if creator and _str(creator.get("username")):
        username = _str(creator.get("username"))
        user_id = _int(creator.get("id"))
        author = Author(
            network=NETWORK,
            handle=username,
            display_name=_str(creator.get("name")),
            url=_absolute(base_url, "/u/" + quote(username)),
            avatar_url=_absolute(base_url, _str(creator.get("avatar_template")).replace("{size}", "96")),
            external_id=str(user_id) if user_id is not None else "",
        )
    excerpt = html_to_text(_str(topic.get("excerpt")))
    category_id = _int(topic.get("category_id"))
    slug = _str(topic.get("slug")) or "-"
    return FetchedItem(
        external_id=f"topic:{topic_id}",
        kind=ItemKind.FORUM_POST,
        text=f"{title}\n\n{excerpt}" if excerpt else title,
        author=author,
        title=title,
        url=_absolute(base_url, f"/t/{quote(slug)}/{topic_id}"),
        published_at=parse_time(topic.get("created_at")),
        thread_external_id=f"topic:{topic_id}",
        engagement={
            name: value
            for name, key in (("replies", "reply_count"), ("views", "views"), ("likes", "like_count"))
            if (value := _int(topic.get(key))) is not None
        },
        raw={
            "topic_id": topic_id,
            "category_id": category_id,
            "category": (categories or {}).get(str(category_id), {}) if category_id is not None else {},
            "tags": [t for t in topic.get("tags") or [] if isinstance(t, str)][:20],
        },
    )


# --- Webhooks ---------------------------------------------------------------------------------


def verify_webhook(secret: str, body: bytes, signature_header: str | None) -> bool:
    """Check ``X-Discourse-Event-Signature`` (``sha256=<hex HMAC of the raw body>``).

    Discourse signs only when the webhook has a secret; with an empty ``secret`` this refuses.
    """
    if not secret or not signature_header:
        return False
    prefix, sep, given = signature_header.strip().partition("=")
    if not sep or prefix.lower() != "sha256" or not given.isascii():
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name.lower():
                return candidate
    return value or ""


def parse_webhook(body: bytes, headers: Mapping[str, str], *, base_url: str = "") -> list[FetchedItem]:
    """Items carried by a Discourse webhook request (verify it first).

    ``post_created`` and ``post_edited`` give the post, ``topic_created`` the topic (external
    id ``topic:<id>``); ping and every other event give nothing. Links are built on
    ``X-Discourse-Instance``, else ``base_url``. Parents cannot be resolved offline: they are
    left empty, ``raw`` keeps ``reply_to_post_number``.
    """
    event = _header(headers, EVENT_HEADER).strip()
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise ConnectorError(_("The Discourse webhook body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise ConnectorError(_("The Discourse webhook body is not a JSON object."))
    instance = _header(headers, INSTANCE_HEADER).strip()
    base = instance if instance.startswith(("https://", "http://")) else base_url
    if event in ("post_created", "post_edited") and isinstance(data.get("post"), dict):
        item = post_to_item(data["post"], base)
    elif event == "topic_created" and isinstance(data.get("topic"), dict):
        item = topic_to_item(data["topic"], base)
    else:
        return []
    if item is None:
        return []
    return [dataclasses.replace(item, raw={**item.raw, "event": event})]


# --- Connector --------------------------------------------------------------------------------


@register
class DiscourseConnector(BaseConnector):
    """A Discourse forum, through one API key acting as one user (see the module docstring)."""

    network: ClassVar[str] = NETWORK
    label: ClassVar[str] = "Discourse"
    capabilities: ClassVar[Capabilities] = Capabilities(
        actions=frozenset(
            {Action.READ, Action.PUBLISH, Action.REPLY, Action.HIDE, Action.DELETE, Action.MUTE, Action.BAN}
        ),
        max_text_length=MAX_TEXT_LENGTH,
        supports_threads=True,
        supports_formatting=True,
    )

    # --- HTTP ---

    @property
    def base_url(self) -> str:
        return str(self.config.get("base_url", "")).rstrip("/")

    def _headers(self) -> dict[str, str]:
        return {
            "Api-Key": str(self.credentials.get("api_key", "")),
            "Api-Username": str(self.credentials.get("api_username", "")),
            "Accept": "application/json",
        }

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        creates: bool = False,
        allow_statuses: tuple[int, ...] = (),
    ) -> FetchResponse:
        """One API call; statuses become :class:`ConnectorError` with a message for the CM.

        ``creates``: a timeout may have created the post, so it is :class:`OutcomeUnknown`.
        """
        if not self.base_url:
            raise ConnectorError(_("This Discourse channel has no forum address; reconnect it."))
        try:
            response = safe_fetch(
                self.base_url + path,
                method=method,
                headers=self._headers(),
                params=params,
                json=body,
                max_bytes=MAX_RESPONSE_BYTES,
            )
        except (FetchTimeout, NetworkError) as exc:
            if creates:
                raise OutcomeUnknown(exc.message) from exc
            raise ConnectorError(exc.message, retryable=exc.retryable) from exc
        except FetchError as exc:
            raise ConnectorError(
                exc.message, retryable=exc.retryable, status=getattr(exc, "status", None)
            ) from exc
        status = response.status
        if status < 300 or status in allow_statuses:
            return response
        detail = _discourse_errors(response)
        refused = AuthenticationFailed(
            _("Discourse refused the API key. Create a new key in the forum's admin and reconnect."), status=status
        )
        server = _("Discourse (%(host)s)") % {"host": urlsplit(self.base_url).hostname or ""}
        shared = status_error(status, server=server, refused=refused, retry_after=_retry_after(response))
        if shared is not None:
            raise shared
        if status == 403:
            raise ConnectorError(
                _(
                    "Discourse refused this action for %(user)s: the API key or this user lacks the "
                    "permission (moderation needs a moderator or admin account). %(detail)s"
                )
                % {"user": self.credentials.get("api_username", ""), "detail": detail},
                status=status,
            )
        if status == 404:
            raise ConnectorError(
                _("Discourse did not find %(path)s: it was deleted or is not visible to this account.")
                % {"path": path},
                status=status,
            )
        raise ConnectorError(
            _("Discourse refused the request (%(status)d): %(detail)s")
            % {"status": status, "detail": detail or "-"},
            status=status,
        )

    def _json(self, response: FetchResponse) -> dict[str, Any]:
        try:
            data = json.loads(response.content)
        except (ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            raise ConnectorError(
                _("The forum did not answer like a Discourse API (no JSON). Check the forum address."),
                status=response.status,
            )
        return data

    # --- Connection ---

    def check_connection(self) -> ConnectionCheck:
        username = str(self.credentials.get("api_username", ""))
        try:
            data = self._json(self._call("GET", f"/u/{quote(username, safe='')}.json"))
        except ConnectorError as exc:
            return ConnectionCheck(ok=False, message=exc.message)
        user: dict[str, Any] = data["user"] if isinstance(data.get("user"), dict) else {}
        name = _str(user.get("username")) or username
        if user.get("admin") is True or user.get("moderator") is True:
            message = _("Connected to %(forum)s as %(user)s (staff: moderation is available).")
        else:
            message = _(
                "Connected to %(forum)s as %(user)s. This account is not staff: hiding, deleting "
                "other members' posts and sanctions will be refused."
            )
        return ConnectionCheck(
            ok=True, message=message % {"forum": self.base_url, "user": name}, account=name
        )

    # --- Reading ---

    def _categories(self, cursor: dict[str, Any]) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)
        fetched_at = parse_time(cursor.get("categories_at"))
        if fetched_at and (now - fetched_at).total_seconds() < CATEGORY_CACHE_SECONDS:
            return dict(cursor.get("categories") or {})
        try:
            data = self._json(self._call("GET", "/categories.json", params={"include_subcategories": "true"}))
        except ConnectorError as exc:
            if exc.retryable or exc.status == 429:
                raise
            # Names are a comfort: a forum hiding its category list must not stop reading.
            return dict(cursor.get("categories") or {})
        categories: dict[str, Any] = {}

        def collect(entries: Any) -> None:
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and _int(entry.get("id")) is not None:
                    categories[str(_int(entry["id"]))] = {
                        "name": _str(entry.get("name")),
                        "slug": _str(entry.get("slug")),
                    }
                    collect(entry.get("subcategory_list"))

        collect((data.get("category_list") or {}).get("categories"))
        cursor["categories"] = categories
        cursor["categories_at"] = now.isoformat()
        return categories

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        cursor = dict(cursor or {})
        categories = self._categories(cursor)
        if self.config.get("mode") == "topics":
            return self._fetch_topics(cursor, categories)
        return self._fetch_posts(cursor, categories)

    def _fetch_posts(self, cursor: dict[str, Any], categories: dict[str, Any]) -> FetchResult:
        last = _int(cursor.get("last_post_id")) or 0
        before = _int(cursor.get("before"))
        data = self._json(self._call("GET", "/posts.json", params={"before": before} if before else None))
        posts = [
            p for p in data.get("latest_posts") or [] if isinstance(p, dict) and _int(p.get("id")) is not None
        ]
        known: dict[str, int] = dict(cursor.get("post_numbers") or {})
        for post in posts:
            if _int(post.get("topic_id")) and _int(post.get("post_number")):
                known[f"{_int(post['topic_id'])}/{_int(post['post_number'])}"] = _int(post["id"]) or 0
        fresh = [p for p in posts if (_int(p["id"]) or 0) > last]
        items = [
            item
            for p in sorted(fresh, key=lambda p: _int(p["id"]) or 0)
            if (item := post_to_item(p, self.base_url, categories=categories, known_posts=known)) is not None
        ]
        ids = [_int(p["id"]) or 0 for p in posts]
        high = max([_int(cursor.get("high_post_id")) or 0, last, *ids])
        # Keep the most recent posts: replies mostly answer recent ones.
        recent = sorted(known.items(), key=lambda kv: kv[1], reverse=True)[:POST_NUMBER_CACHE_SIZE]
        next_cursor = {k: v for k, v in cursor.items() if k in ("categories", "categories_at")}
        next_cursor["post_numbers"] = dict(recent)
        first_run = not last and not before
        if not first_run and posts and len(fresh) == len(posts) and min(ids) > last + 1:
            # A whole page of new posts: older new ones may sit behind it; page back.
            next_cursor.update(last_post_id=last, high_post_id=high, before=min(ids))
            return FetchResult(items=items, cursor=next_cursor, has_more=True)
        next_cursor["last_post_id"] = high
        return FetchResult(items=items, cursor=next_cursor)

    def _fetch_topics(self, cursor: dict[str, Any], categories: dict[str, Any]) -> FetchResult:
        last = _int(cursor.get("last_topic_id")) or 0
        data = self._json(self._call("GET", "/latest.json", params={"order": "created"}))
        users = {
            uid: u
            for u in data.get("users") or []
            if isinstance(u, dict) and (uid := _int(u.get("id"))) is not None
        }
        topics = [
            t
            for t in (data.get("topic_list") or {}).get("topics") or []
            if isinstance(t, dict) and (_int(t.get("id")) or 0) > last
        ]
        items = [
            item
            for t in sorted(topics, key=lambda t: _int(t["id"]) or 0)
            if t.get("archetype", "regular") == "regular"
            and (item := topic_to_item(t, self.base_url, users=users, categories=categories)) is not None
        ]
        next_cursor = {k: v for k, v in cursor.items() if k in ("categories", "categories_at")}
        next_cursor["last_topic_id"] = max([last, *(_int(t["id"]) or 0 for t in topics)])
        return FetchResult(items=items, cursor=next_cursor)

    # --- Publishing ---

    def _raw_with_marker(self, text: str, idempotency_key: str, link: str = "") -> str:
        raw = text.rstrip()
        if link and link not in raw:
            raw += "\n\n" + link
        return raw + f"\n\n<!-- comptoir:{_marker_digest(idempotency_key)} -->"

    def _ref(self, data: Mapping[str, Any]) -> RemoteRef:
        post_id = _int(data.get("id"))
        if post_id is None:
            raise ConnectorError(_("Discourse accepted the post but did not say where it is."))
        topic_id = _int(data.get("topic_id"))
        post_number = _int(data.get("post_number"))
        url = _str(data.get("post_url")) or (
            f"/t/{quote(_str(data.get('topic_slug')) or '-')}/{topic_id}/{post_number}" if topic_id else ""
        )
        return RemoteRef(
            external_id=str(post_id),
            url=_absolute(self.base_url, url),
            raw={"topic_id": topic_id, "post_number": post_number},
        )

    def _create(self, body: dict[str, Any]) -> RemoteRef:
        return self._ref(self._json(self._call("POST", "/posts.json", body=body, creates=True)))

    def _setting_int(self, name: str, default: int) -> int:
        value = self.config.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default

    def check_post(self, post: OutboundPost) -> list[str]:
        """What Discourse would refuse: media (not supported yet), a new topic without a title, a title or a
        post shorter than the forum's minimum (Discourse's defaults: 15 and 20 characters; the channel's
        ``min_topic_title_length`` / ``min_post_length`` settings when set), a text over the maximum."""
        problems = super().check_post(post)
        if post.media:
            problems.append(_("Comptoir cannot attach files to Discourse posts yet; remove the media."))
        text = post.text.strip()
        if post.link and post.link not in text:
            text = f"{text}\n\n{post.link}" if text else post.link
        min_post = self._setting_int("min_post_length", DEFAULT_MIN_POST_LENGTH)
        if text and len(text) < min_post:
            problems.append(
                _("The text is %(length)d characters long; this forum wants at least %(min)d.")
                % {"length": len(text), "min": min_post}
            )
        if _int(post.options.get("topic_id")) is None and not post.in_reply_to:
            title = post.title.strip()
            min_title = self._setting_int("min_topic_title_length", DEFAULT_MIN_TITLE_LENGTH)
            if not title:
                problems.append(_("A new Discourse topic needs a title."))
            elif len(title) < min_title:
                problems.append(
                    _("The topic title is %(length)d characters long; this forum wants at least %(min)d.")
                    % {"length": len(title), "min": min_title}
                )
            elif len(title) > MAX_TITLE_LENGTH:
                problems.append(
                    _("The topic title is %(length)d characters long; Discourse accepts %(max)d at most.")
                    % {"length": len(title), "max": MAX_TITLE_LENGTH}
                )
        return problems

    def publish(self, post: OutboundPost, idempotency_key: str) -> RemoteRef:
        if post.media:
            raise NotSupported(_("Comptoir cannot attach files to Discourse posts yet; remove the media."))
        if post.in_reply_to:
            return self.reply(post.in_reply_to, post.text, idempotency_key)
        problems = self.capabilities.check_text(post.text)
        if problems:
            raise ConnectorError(" ".join(problems))
        body: dict[str, Any] = {"raw": self._raw_with_marker(post.text, idempotency_key, post.link)}
        topic_id = _int(post.options.get("topic_id"))
        if topic_id is not None:
            body["topic_id"] = topic_id
            return self._create(body)
        if not post.title.strip():
            raise ConnectorError(_("A new Discourse topic needs a title."))
        body["title"] = post.title.strip()
        body["external_id"] = _topic_external_id(idempotency_key)
        category = _int(post.options.get("category")) or _int(self.config.get("default_category"))
        if category is not None:
            body["category"] = category
        return self._create(body)

    def reply(self, item_external_id: str, text: str, idempotency_key: str) -> RemoteRef:
        problems = self.capabilities.check_text(text)
        if problems:
            raise ConnectorError(" ".join(problems))
        body: dict[str, Any] = {"raw": self._raw_with_marker(text, idempotency_key)}
        if item_external_id.startswith("topic:"):
            topic_id = _int(item_external_id.removeprefix("topic:"))
            if topic_id is None:
                raise ConnectorError(_("%(id)s is not a Discourse topic.") % {"id": item_external_id})
            body["topic_id"] = topic_id
            return self._create(body)
        post_id = self._post_id(item_external_id)
        target = self._json(self._call("GET", f"/posts/{post_id}.json"))
        topic_id, post_number = _int(target.get("topic_id")), _int(target.get("post_number"))
        if topic_id is None or post_number is None:
            raise ConnectorError(
                _("Discourse did not say which topic post %(id)s belongs to.") % {"id": post_id}
            )
        body.update(topic_id=topic_id, reply_to_post_number=post_number)
        return self._create(body)

    def find_published(self, idempotency_key: str) -> RemoteRef | None:
        response = self._call(
            "GET", f"/t/external_id/{_topic_external_id(idempotency_key)}.json", allow_statuses=(404,)
        )
        if response.status == 200:
            topic = self._json(response)
            posts = (topic.get("post_stream") or {}).get("posts") or []
            first = next((p for p in posts if isinstance(p, dict) and _int(p.get("post_number")) == 1), None)
            if first is not None:
                return self._ref(first)
        digest = _marker_digest(idempotency_key)
        username = str(self.credentials.get("api_username", "")).lower()
        data = self._json(self._call("GET", "/posts.json"))
        for post in data.get("latest_posts") or []:
            if not isinstance(post, dict) or _str(post.get("username")).lower() != username:
                continue
            match = _MARKER_RE.search(_str(post.get("raw")))
            if match and match.group(1) == digest:
                return self._ref(post)
        return None

    # --- Moderation ---

    def _post_id(self, external_id: str) -> int:
        post_id = _int(external_id)
        if post_id is None:
            raise ConnectorError(_("%(id)s is not a Discourse post id.") % {"id": external_id})
        return post_id

    def _user_id(self, external_id: str) -> int:
        user_id = _int(external_id)
        if user_id is None:
            raise ConnectorError(
                _("%(id)s is not a Discourse member id; sanctions target the author of a post.")
                % {"id": external_id}
            )
        return user_id

    def _days(self, key: str, default: int) -> int:
        days = _int(self.config.get(key))
        return days if days and days > 0 else default

    def moderate(self, action: Action, target_external_id: str, reason: str = "") -> None:
        action = Action(action)
        if not self.capabilities.can(action):
            raise self._unsupported(str(action))
        reason = reason.strip() or _("Community guidelines not respected.")
        topic_id = (
            _int(target_external_id.removeprefix("topic:"))
            if target_external_id.startswith("topic:")
            else None
        )
        if action == Action.HIDE and topic_id is not None:
            self._call("PUT", f"/t/{topic_id}/status.json", body={"status": "visible", "enabled": "false"})
        elif action == Action.HIDE:
            self._call(
                "POST",
                "/post_actions.json",
                body={
                    "id": self._post_id(target_external_id),
                    "post_action_type_id": POST_ACTION_INAPPROPRIATE,
                    "take_action": "true",
                },
            )
        elif action == Action.DELETE and topic_id is not None:
            self._call("DELETE", f"/t/{topic_id}.json")
        elif action == Action.DELETE:
            self._call("DELETE", f"/posts/{self._post_id(target_external_id)}.json")
        elif action == Action.MUTE:
            until = dt.datetime.now(dt.UTC) + dt.timedelta(days=self._days("mute_days", DEFAULT_MUTE_DAYS))
            self._call(
                "PUT",
                f"/admin/users/{self._user_id(target_external_id)}/silence.json",
                body={"silenced_till": until.isoformat().replace("+00:00", "Z"), "reason": reason},
            )
        elif action == Action.BAN:
            until = dt.datetime.now(dt.UTC) + dt.timedelta(days=self._days("ban_days", FOREVER_DAYS))
            self._call(
                "PUT",
                f"/admin/users/{self._user_id(target_external_id)}/suspend.json",
                body={"suspend_until": until.date().isoformat(), "reason": reason},
            )
        else:
            raise self._unsupported(str(action))
