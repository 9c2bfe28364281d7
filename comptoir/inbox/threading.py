"""Messages into conversations: each new message of an owned channel joins the conversation it belongs to.

Runs when understanding has labelled new messages (the ``items_analysed`` signal, inside its transaction), so a
conversation carries the intent, sentiment and language of its latest message for filters and routing rules.

Where a message belongs, in order:

1. it answers a message already in a conversation, or one of our replies → that conversation;
2. its thread (Discourse topic, Matrix thread, e-mail thread by References, Bluesky root) already is one → that one;
3. it answers something that is in no conversation (usually one of our own posts): the conversation of this
   member under that post, so two people commenting the same post are two conversations, routed apart;
4. otherwise it starts its own (a mention, a first direct message, a first e-mail).

The channel's own messages (our posts, our replies read back from the network) join the conversation they answer
as context but never start one and never make anyone wait.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from comptoir.stream.models import Item

from .models import Conversation, ConversationItem, Reply
from .signals import conversations_started, messages_arrived

logger = logging.getLogger(__name__)

KIND_OF = {"direct_message": Conversation.Kind.DIRECT, "email": Conversation.Kind.EMAIL,
           "forum_post": Conversation.Kind.FORUM}
# Networks whose thread id names a place where members talk together (a topic, an e-mail thread): one conversation.
SHARED_THREADS = {"discourse", "email"}


def items_analysed(sender, item_ids: list[int], **kwargs) -> None:
    """Runs inside the analysis's transaction: a failure here must not undo the labels of the whole batch, so it is
    kept to a savepoint and logged as an error (the messages stay in the Fil; ``comptoir`` logs say which)."""
    try:
        with transaction.atomic():
            thread_items(item_ids)
    except Exception:
        logger.exception("inbox: messages %s could not be put in conversations", list(item_ids)[:20])


def _handle(value: str) -> str:
    return (value or "").strip().lstrip("@").casefold()


def is_own(item: Item) -> bool:
    """Written by the channel itself (our post, our reply read back)."""
    if item.channel_id is None or item.author_id is None:
        return False
    own = _handle(item.channel.handle)
    mine = _handle(item.author.handle)
    return bool(own) and (mine == own or mine.split("@")[0] == own.split("@")[0] and "@" not in own)


def _subject(item: Item) -> str:
    return (item.title or " ".join(item.text.split())[:120] or item.kind_label)[:300]


def _linked(source_id: int, external_ids: Iterable[str]) -> Conversation | None:
    ids = [e for e in external_ids if e]
    if not ids:
        return None
    link = (ConversationItem.objects.filter(item__source_id=source_id, item__external_id__in=ids)
            .select_related("conversation").first())
    if link is not None:
        return link.conversation
    reply = Reply.objects.filter(conversation__source_id=source_id, remote_id__in=ids).select_related("conversation").first()
    return reply.conversation if reply is not None else None


def _place(item: Item) -> tuple[Conversation | None, str]:
    """The conversation ``item`` joins, or the key of the one it starts."""
    source_id, network = item.source_id, item.source.network
    found = _linked(source_id, [item.parent_external_id])
    if found is not None:
        return found, found.key
    thread = item.thread_external_id
    if not thread and network == "matrix" and "/" in item.external_id and not item.parent_external_id:
        thread = "room:" + item.external_id.split("/", 1)[0]  # a chat room without threads is one conversation
    if thread:
        found = Conversation.objects.filter(source_id=source_id, key=thread).first() or _linked(source_id, [thread])
        if found is not None:
            return found, found.key
        if network in SHARED_THREADS or thread.startswith("room:"):
            return None, thread
    root = thread or item.parent_external_id
    if root:
        who = item.author_id or "anonymous"
        key = f"{root}#{who}"[:500]
        return Conversation.objects.filter(source_id=source_id, key=key).first(), key
    return None, item.external_id[:500]


def _start(item: Item, key: str) -> Conversation:
    person_id = item.author.person_id if item.author_id else None
    return Conversation.objects.create(
        workspace_id=item.workspace_id, source_id=item.source_id, channel_id=item.channel_id, key=key,
        kind=KIND_OF.get(item.kind, Conversation.Kind.THREAD), subject=_subject(item), identity_id=item.author_id,
        person_id=person_id, created_at=item.published_at or timezone.now(),
    )


def add_item(item: Item, *, force: bool = False) -> tuple[Conversation | None, bool]:
    """Put ``item`` in its conversation; returns (conversation, started). ``force``: a message from outside the owned
    channels (a listening mention sent to the inbox by a person)."""
    if ConversationItem.objects.filter(item=item).exists():
        return ConversationItem.objects.get(item=item).conversation, False
    own = is_own(item)
    conversation, key = _place(item)
    if conversation is None and own:
        return None, False  # our own post or reply, answering nothing we hold: not a conversation
    started = conversation is None
    if started:
        conversation = _start(item, key)
    ConversationItem.objects.create(conversation=conversation, item=item, inbound=not own)
    if own:
        # Answered on the network itself (not from Comptoir): the member no longer waits.
        at = item.published_at or item.fetched_at
        Conversation.objects.filter(pk=conversation.pk).update(waiting_since=None, reply_due_at=None, last_replied_at=at)
        Conversation.objects.filter(pk=conversation.pk, first_replied_at__isnull=True).update(first_replied_at=at)
        return conversation, False
    _arrived(conversation, item)
    return conversation, started


def _arrived(conversation: Conversation, item: Item) -> None:
    """A member wrote: the conversation moves up, is unread, waits for an answer, and reopens if it was closed."""
    at = item.published_at or item.fetched_at
    changes = {"last_item": item, "unread": True, "message_count": F("message_count") + 1}
    if conversation.sort_key is None or (item.sort_key or 0) > conversation.sort_key:
        changes |= {"sort_key": item.sort_key, "last_message_at": at}
    for name in ("intent", "sentiment", "language"):
        if getattr(item, name):
            changes[name] = getattr(item, name)
    if conversation.waiting_since is None:
        changes["waiting_since"] = at
    if conversation.identity_id is None and item.author_id:
        changes["identity_id"] = item.author_id
    if conversation.status != Conversation.Status.OPEN:
        changes |= {"status": Conversation.Status.OPEN, "closed_at": None}
        from .actions import _event

        _event(conversation, "reopened", _reopened())
    Conversation.objects.filter(pk=conversation.pk).update(**changes)


def _reopened():
    from comptoir.lib.i18n import gettext as _

    return _("The member wrote again: the conversation is open again.")


def thread_items(item_ids: Iterable[int], *, force: bool = False) -> tuple[list[int], list[int]]:
    """Put the new messages of owned channels into conversations. Returns (started, touched) conversation ids.

    Idempotent: a message already in a conversation is left where it is."""
    items = (Item.objects.filter(pk__in=list(item_ids)).select_related("source", "channel", "author")
             .order_by("sort_key"))
    if not force:
        items = items.filter(channel__isnull=False)
    started: list[int] = []
    touched: list[int] = []
    arrived: list[int] = []
    with transaction.atomic():
        for item in items:
            conversation, is_new = add_item(item, force=force)
            if conversation is None:
                continue
            if is_new:
                started.append(conversation.pk)
            if conversation.pk not in touched:
                touched.append(conversation.pk)
            arrived.append(item.pk)
        if started:
            conversations_started.send(sender=Conversation, conversation_ids=started)
        if touched:
            messages_arrived.send(sender=Conversation, conversation_ids=touched, item_ids=arrived)
    return started, touched
