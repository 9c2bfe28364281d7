"""The shape every network connector has.

A connector talks to one network for one connected account (a channel) or one listening source.
It never touches the database: apps call it with plain values and store the dataclasses it
returns. Each network lives in ``comptoir/connectors/<network>/`` with ``client.py`` (a class
implementing :class:`Connector`), ``forms.py`` (how a community manager connects an account) and
``tests/``.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from comptoir.lib.i18n import code_and_params
from comptoir.lib.i18n import gettext as translated


class Action(StrEnum):
    """What a connector may be able to do on its network."""

    READ = "read"
    PUBLISH = "publish"
    REPLY = "reply"
    HIDE = "hide"
    DELETE = "delete"
    BAN = "ban"
    MUTE = "mute"
    BLOCK = "block"
    REPORT = "report"
    DIRECT_MESSAGES = "direct_messages"


ACTION_LABELS = {
    Action.READ: _("Read"),
    Action.PUBLISH: _("Publish"),
    Action.REPLY: _("Reply"),
    Action.HIDE: _("Hide"),
    Action.DELETE: _("Delete"),
    Action.BAN: _("Ban"),
    Action.MUTE: _("Mute"),
    Action.BLOCK: _("Block"),
    Action.REPORT: _("Report"),
    Action.DIRECT_MESSAGES: _("Direct messages"),
}


class ItemKind(StrEnum):
    POST = "post"
    COMMENT = "comment"
    REPLY = "reply"
    DIRECT_MESSAGE = "direct_message"
    EMAIL = "email"
    FORUM_POST = "forum_post"
    REVIEW = "review"
    ARTICLE = "article"


@dataclass(frozen=True)
class MediaRules:
    """Limits a network puts on attached media."""

    max_images: int = 0
    max_videos: int = 0
    max_image_bytes: int = 0
    max_video_bytes: int = 0
    image_types: tuple[str, ...] = ()
    video_types: tuple[str, ...] = ()
    alt_text_max_length: int = 0


@dataclass(frozen=True)
class Capabilities:
    """What a connector can do and the limits a post must respect."""

    actions: frozenset[Action]
    max_text_length: int | None = None
    media: MediaRules = field(default_factory=MediaRules)
    supports_threads: bool = False
    supports_formatting: bool = False
    supports_content_warning: bool = False
    supports_visibility: bool = False
    # How long (seconds) ``find_published`` can still find a post by its key; None: as long as the post exists.
    lookup_window_seconds: int | None = None

    def can(self, action: Action | str) -> bool:
        return Action(action) in self.actions

    def check_text(self, text: str) -> list[str]:
        """Return human-readable problems of ``text`` on this network (empty when it fits)."""
        problems: list[str] = []
        if not text.strip():
            problems.append(str(_("The text is empty.")))
        if self.max_text_length is not None and len(text) > self.max_text_length:
            problems.append(
                str(_("The text is %(length)d characters long; this network accepts %(max)d at most."))
                % {"length": len(text), "max": self.max_text_length}
            )
        return problems


@dataclass(frozen=True)
class Author:
    """Who wrote an item, as the network names them."""

    network: str
    handle: str
    display_name: str = ""
    url: str = ""
    avatar_url: str = ""
    external_id: str = ""


@dataclass(frozen=True)
class FetchedItem:
    """One thing that came in from a network, before it is stored."""

    external_id: str
    kind: ItemKind
    text: str
    author: Author | None = None
    title: str = ""
    url: str = ""
    html: str = ""
    language: str = ""
    published_at: dt.datetime | None = None
    parent_external_id: str = ""
    thread_external_id: str = ""
    engagement: dict[str, int] = field(default_factory=dict)
    media: tuple[dict[str, Any], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FetchResult:
    items: list[FetchedItem]
    cursor: dict[str, Any]
    has_more: bool = False


@dataclass(frozen=True)
class OutboundMedia:
    filename: str
    content_type: str
    data: bytes
    alt_text: str = ""


@dataclass(frozen=True)
class OutboundPost:
    """What to publish: a per-network version (variant) of a post."""

    text: str
    title: str = ""
    media: tuple[OutboundMedia, ...] = ()
    link: str = ""
    content_warning: str = ""
    visibility: str = ""
    in_reply_to: str = ""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteRef:
    """Where a published thing lives on the network."""

    external_id: str
    url: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str
    account: str = ""


class ConnectorError(Exception):
    """A network call failed. ``retryable`` says whether trying again later may succeed.

    ``message`` is shown to the community manager: it says what went wrong and what to do.
    Made with :func:`comptoir.lib.i18n.gettext`, it also keeps its message id and values
    (:attr:`code`, :attr:`params`): an app stores those, and shows the error later in the
    language of whoever reads it.
    """

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after

    @property
    def code(self) -> str:
        """The untranslated message id (or the text itself when it was not made translatable)."""
        return code_and_params(self.message)[0]

    @property
    def params(self) -> dict[str, Any]:
        """The values formatted into the message, ready to be stored as JSON."""
        return code_and_params(self.message)[1]


class AuthenticationFailed(ConnectorError):
    """The credentials were refused: the CM must reconnect the account."""


class NotSupported(ConnectorError):
    """The network (or this account) cannot do that."""


class OutcomeUnknown(ConnectorError):
    """The request may or may not have reached the network (timeout after sending).

    Delivery must look the post up (``find_published``) before any retry.
    """

    def __init__(self, message: str):
        super().__init__(message, retryable=True)


@runtime_checkable
class Connector(Protocol):
    """The protocol every network client implements.

    ``config`` holds non-secret settings (server URL, handle, room…), ``credentials`` the
    decrypted secrets (tokens, passwords). Both are plain dicts the app stores encrypted.
    """

    network: ClassVar[str]
    label: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def check_connection(self) -> ConnectionCheck: ...

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult: ...

    def publish(self, post: OutboundPost, idempotency_key: str) -> RemoteRef: ...

    def find_published(self, idempotency_key: str) -> RemoteRef | None: ...

    def reply(self, item_external_id: str, text: str, idempotency_key: str) -> RemoteRef: ...

    def moderate(self, action: Action, target_external_id: str, reason: str = "") -> None: ...


class BaseConnector:
    """Defaults for connectors: everything not declared in ``capabilities`` raises NotSupported."""

    network: ClassVar[str] = ""
    label: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities] = Capabilities(actions=frozenset())
    # False for networks whose items are pushed to us or imported (webhook, CSV): never scheduled for polling.
    polled: ClassVar[bool] = True
    # Seconds between two reads of an owned channel (a connected account) on networks whose limits allow reading it
    # often enough for a message to reach the inbox within 15 s; None keeps the source's own interval (feeds, web
    # pages, forums and every listening source). Connectors that wait on the network for news (``wait_seconds``)
    # need only a short pause between two waits.
    fast_poll_seconds: ClassVar[int | None] = None
    # How long ``fetch`` may wait on the network when nothing is new (Matrix /sync long-poll, IMAP IDLE) and return
    # as soon as something arrives. The app sets it per call; 0, the default, never waits.
    wait_seconds: float = 0.0

    def __init__(self, config: dict[str, Any] | None = None, credentials: dict[str, Any] | None = None):
        self.config = dict(config or {})
        self.credentials = dict(credentials or {})
        self._credentials_given = copy.deepcopy(self.credentials)

    def updated_credentials(self) -> dict[str, Any] | None:
        """The credentials as they are now if a call changed them, else None.

        A connector whose network hands out sessions or short-lived tokens (Bluesky) keeps the
        refreshed ones in ``self.credentials``; the app stores them back on the channel after the
        call, so the next call reuses them instead of logging in again.
        """
        if self.credentials == self._credentials_given:
            return None
        return copy.deepcopy(self.credentials)

    @classmethod
    def connect_form_class(cls):
        """The form a community manager fills to connect an account: ``ConnectForm`` in the sibling ``forms.py``."""
        import importlib

        package = cls.__module__.rsplit(".", 1)[0]
        return importlib.import_module(f"{package}.forms").ConnectForm

    def _configured(self, key: str, allowed: tuple[str, ...]) -> list[str]:
        """The options of ``allowed`` that the channel's settings list under ``key``, in ``allowed``'s
        order; all of them when the setting is absent or not a list."""
        chosen = self.config.get(key)
        if not isinstance(chosen, list | tuple):
            return list(allowed)
        return [option for option in allowed if option in chosen]

    def _timeout(self) -> float:
        """Seconds a network call may take: the channel's ``timeout`` setting, else COMPTOIR_FETCH_TIMEOUT_SECONDS."""
        value = self.config.get("timeout")
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
        return float(getattr(settings, "COMPTOIR_FETCH_TIMEOUT_SECONDS", 15))

    def _unsupported(self, what: str) -> NotSupported:
        return NotSupported(translated("%(network)s cannot %(what)s.") % {"network": self.label or self.network, "what": what})

    def check_connection(self) -> ConnectionCheck:
        raise self._unsupported("check a connection")

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        raise self._unsupported("read")

    def check_post(self, post: OutboundPost) -> list[str]:
        """Problems that would make the network refuse ``post`` (empty when it can be sent).

        The editor, the API and delivery all ask this one method. Connectors with their own way of
        counting (Mastodon's links, Bluesky's graphemes) override it.
        """
        if not self.capabilities.can(Action.PUBLISH):
            return [str(translated("%(network)s cannot %(what)s.") % {"network": self.label or self.network, "what": "publish"})]
        text = post.text.strip()
        if post.link and post.link not in text:
            text = f"{text}\n\n{post.link}" if text else post.link
        if not text and post.media:
            return []
        return self.capabilities.check_text(text)

    def text_length(self, post: OutboundPost) -> int:
        """How long the network counts ``post`` (what ``capabilities.max_text_length`` limits): the text with
        its link appended, in code points. Networks that count otherwise (Mastodon's links, Bluesky's
        graphemes) override it, so that the editor's counters agree with ``check_post``."""
        text = post.text.strip()
        if post.link and post.link not in text:
            text = f"{text}\n\n{post.link}" if text else post.link
        return len(text)

    def publish(self, post: OutboundPost, idempotency_key: str) -> RemoteRef:
        raise self._unsupported("publish")

    def find_published(self, idempotency_key: str) -> RemoteRef | None:
        return None

    def reply(self, item_external_id: str, text: str, idempotency_key: str) -> RemoteRef:
        raise self._unsupported("reply")

    def moderate(self, action: Action, target_external_id: str, reason: str = "") -> None:
        raise self._unsupported(str(action))


_REGISTRY: dict[str, type[BaseConnector]] = {}


def register(cls: type[BaseConnector]) -> type[BaseConnector]:
    """Class decorator: make a connector available under its ``network`` name."""
    if not cls.network:
        raise ValueError(f"{cls.__name__} has no network name")
    _REGISTRY[cls.network] = cls
    return cls


def get_connector_class(network: str) -> type[BaseConnector]:
    try:
        return _REGISTRY[network]
    except KeyError:
        raise KeyError(f"No connector for network {network!r}") from None


def registered_networks() -> dict[str, type[BaseConnector]]:
    return dict(sorted(_REGISTRY.items()))
