"""The inbox API: conversations (the list with the page's filters and keyset cursors, a conversation with its
messages, replies, notes and timeline), what people do to them (status, priority, assignment, tags, notes) and
replies (send, retry, approve or discard an expert's draft).

The same actions as the pages (:mod:`..actions`, :mod:`..replies`) and the same query (:class:`..query.
ConversationQuery`). A contributor's token (``VIEW_ROUTED``) sees only what is routed to them or to their teams;
anything else answers 404, like another workspace's ids.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StrictBool, StrictInt

from comptoir.errors import ApiError, api_error, api_responses
from comptoir.stream.models import Tag
from comptoir.stream.query import COUNT_CAP, cursor_value
from comptoir.workspaces import audit, roles
from comptoir.workspaces.access import get_token_membership
from comptoir.workspaces.models import Membership

from .. import actions, replies
from ..forms import InboxFilterForm
from ..models import Conversation, Reply
from ..query import ConversationQuery, routed_scope

router = Router(tags=["inbox"])

Slug = Path[str, {"max_length": 60}]
RowId = Path[int, {"ge": 1, "le": 2**63 - 1}]
MAX_PAGE = 100
MAX_MESSAGES = 500  # the newest messages of a conversation in its detail (a thread of thousands is rare)
_DONE = [Reply.State.DRAFT, Reply.State.DISCARDED, Reply.State.FAILED]


def _membership(request, slug: str) -> Membership:
    """The token's membership: anyone who sees the inbox, or a contributor who sees what is routed to them."""
    return get_token_membership(request, slug, roles.VIEW_ROUTED)


def _scope(membership: Membership):
    if roles.has_perm(membership.role, roles.VIEW_INBOX):
        return None
    return routed_scope(membership.user)


def _conversations(membership: Membership):
    rows = Conversation.objects.filter(workspace=membership.workspace)
    scope = _scope(membership)
    return rows if scope is None else rows.filter(scope)


def _get(membership: Membership, conversation_id: int) -> Conversation:
    return get_object_or_404(_conversations(membership).select_related("workspace", "channel", "identity", "assignee",
                                                                       "team", "last_item"), pk=conversation_id)


def _get_reply(membership: Membership, reply_id: int) -> Reply:
    reply = get_object_or_404(Reply.objects.select_related("conversation__workspace", "conversation__channel",
                                                           "conversation__team", "author", "approved_by"),
                              pk=reply_id, workspace=membership.workspace)
    _get(membership, reply.conversation_id)  # a contributor reaches only the replies of what is routed to them
    return reply


@contextmanager
def _fields(**renamed):
    """An action's ValidationError names its form's field (``tag``, ``note``); the API names the body's."""
    try:
        yield
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and set(exc.error_dict) & set(renamed):
            raise ValidationError({renamed.get(k, k): v for k, v in exc.error_dict.items()}) from None
        raise


def _user(user) -> str | None:
    return user.email if user is not None else None


# Schemas ----------------------------------------------------------------------------------------------------


class ConversationOut(Schema):
    id: int
    subject: str
    kind: str = Field(description="thread, direct, email or forum")
    status: str = Field(description="open, pending or closed")
    unread: bool
    priority: int = Field(description="0 low, 1 normal, 2 high, 3 urgent")
    channel: int | None
    channel_label: str | None
    network: str | None
    identity: int | None = Field(description="The member's account on the network")
    identity_name: str | None
    identity_handle: str | None
    person: int | None
    assignee: int | None = Field(description="The user id of the person handling it")
    assignee_email: str | None
    team: int | None
    team_name: str | None
    intent: str = Field(description="Of the member's latest message")
    sentiment: str
    language: str
    excerpt: str = Field(description="The start of the newest message")
    message_count: int
    last_message_at: datetime | None
    waiting_since: datetime | None = Field(description="Since when the member waits for an answer (null: answered)")
    reply_due_at: datetime | None
    breached_at: datetime | None
    first_replied_at: datetime | None
    last_replied_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    tags: list[str]
    url: str = Field(description="The conversation's page in Comptoir")


class ConversationPage(Schema):
    items: list[ConversationOut]
    older: str | None = Field(description="Pass as `before` for the next (older) page; null on the last page")
    newer: str | None = Field(description="Pass as `after` for the previous (newer) page; null on the first page")
    count: int = Field(description=f"How many conversations match, counted up to {COUNT_CAP}")
    count_exact: bool = Field(description="False: more than `count` match")


class MessageOut(Schema):
    id: int
    text: str
    title: str
    author: str | None = Field(description="The member's name (or handle)")
    author_handle: str | None
    published_at: datetime | None
    url: str
    inbound: bool = Field(description="True: the member's message; false: the channel's own")


class ReplyOut(Schema):
    id: int
    conversation: int
    text: str
    state: str = Field(description="draft, queued, sending, sent, failed, unknown or discarded")
    purpose: str
    author: str | None
    approved_by: str | None
    rule: str | None = Field(description="The routing rule that sent it (an acknowledgment)")
    remote_url: str = Field(description="The reply on the network, once sent")
    error: str = Field(description="Why it failed (or why its outcome is unknown)")
    attempts: int
    created_at: datetime
    sent_at: datetime | None


class NoteOut(Schema):
    id: int
    text: str
    author: str | None
    created_at: datetime


class EventOut(Schema):
    id: int
    kind: str
    at: datetime
    actor: str | None
    rule: str | None = Field(description="The routing rule that did it, by name")
    message: str


class TagOut(Schema):
    id: int
    name: str


class ConversationDetail(ConversationOut):
    messages: list[MessageOut] = Field(description=f"Oldest first; the newest {MAX_MESSAGES} at most")
    replies: list[ReplyOut]
    notes: list[NoteOut]
    events: list[EventOut]


class ConversationFilters(Schema):
    q: str | None = Field(None, max_length=500, description="Search the conversations' messages")
    status: str | None = Field(None, max_length=10, description="open, pending, closed or all")
    unread: str | None = Field(None, max_length=3, description="yes or no")
    channel: str | None = Field(None, max_length=20, description="A channel id")
    assignee: str | None = Field(None, max_length=20, description="A user id, “me” or “none”")
    team: str | None = Field(None, max_length=20, description="A team id, “me” (my teams) or “none”")
    intent: str | None = Field(None, max_length=20)
    sentiment: str | None = Field(None, max_length=10)
    lang: str | None = Field(None, max_length=3)
    waiting: str | None = Field(None, max_length=3, description="Waiting for at least 1h, 4h, 24h or 72h")
    priority: str | None = Field(None, max_length=1, description="0 to 3")
    tag: str | None = Field(None, max_length=20, description="A tag id")
    person: str | None = Field(None, max_length=20)
    identity: str | None = Field(None, max_length=20)
    breached: str | None = Field(None, max_length=3, description="yes: the response-time target was missed")
    before: str | None = Field(None, max_length=20, description="Cursor: the page older than this (`older`)")
    after: str | None = Field(None, max_length=20, description="Cursor: the page newer than this (`newer`)")
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class ConversationPatch(Schema):
    status: str | None = Field(None, max_length=10, description="open, pending or closed")
    priority: StrictInt | None = Field(None, description="0 low, 1 normal, 2 high, 3 urgent")


class AssignIn(Schema):
    assignee: StrictInt | None = Field(None, ge=1, le=2**63 - 1, description="A user id of the workspace; null: "
                                       "nobody; absent: unchanged")
    team: StrictInt | None = Field(None, ge=1, le=2**63 - 1, description="A team id; null: no team; absent: unchanged")


class TagIn(Schema):
    name: str = Field(..., max_length=200)


class NoteIn(Schema):
    text: str = Field(..., max_length=20_000)


class ReplyIn(Schema):
    text: str = Field(..., max_length=100_000)
    seen_reply_id: StrictInt | None = Field(None, ge=0, le=2**63 - 1, description="The newest reply id the writer saw "
                                            "(0: none): a colleague's newer answer is a 409 before anything is sent")
    force: StrictBool = Field(False, description="Send even if a colleague answered meanwhile")


class ApproveIn(Schema):
    text: str | None = Field(None, max_length=100_000, description="The edited text; absent: as the expert wrote it")


# Shapes -----------------------------------------------------------------------------------------------------


def _conversation_out(c: Conversation) -> dict:
    last = c.last_item
    return {
        "id": c.pk, "subject": c.subject, "kind": c.kind, "status": c.status, "unread": c.unread, "priority": c.priority,
        "channel": c.channel_id, "channel_label": c.channel.label if c.channel else None,
        "network": c.channel.network if c.channel else None, "identity": c.identity_id,
        "identity_name": str(c.identity) if c.identity else None,
        "identity_handle": c.identity.handle if c.identity else None, "person": c.person_id,
        "assignee": c.assignee_id, "assignee_email": _user(c.assignee), "team": c.team_id,
        "team_name": c.team.name if c.team else None, "intent": c.intent, "sentiment": c.sentiment,
        "language": c.language, "excerpt": (last.text or last.title)[:280] if last else "",
        "message_count": c.message_count, "last_message_at": c.last_message_at, "waiting_since": c.waiting_since,
        "reply_due_at": c.reply_due_at, "breached_at": c.breached_at, "first_replied_at": c.first_replied_at,
        "last_replied_at": c.last_replied_at, "closed_at": c.closed_at, "created_at": c.created_at,
        "tags": [link.tag.name for link in c.conversation_tags.all()],
        "url": reverse("inbox_conversation", args=[c.workspace.slug, c.pk]),
    }


def _reply_out(r: Reply) -> dict:
    return {"id": r.pk, "conversation": r.conversation_id, "text": r.text, "state": r.state, "purpose": r.purpose,
            "author": _user(r.author), "approved_by": _user(r.approved_by),
            "rule": r.rule.name if r.rule_id and r.rule else None, "remote_url": r.remote_url,
            "error": str(r.error or ""), "attempts": r.attempts, "created_at": r.created_at, "sent_at": r.sent_at}


def _note_out(n) -> dict:
    return {"id": n.pk, "text": n.text, "author": _user(n.author), "created_at": n.created_at}


def _detail(c: Conversation) -> dict:
    links = (c.links.select_related("item__author").order_by("-item__sort_key")[:MAX_MESSAGES])
    messages = [{"id": link.item.pk, "text": link.item.text, "title": link.item.title,
                 "author": str(link.item.author) if link.item.author else None,
                 "author_handle": link.item.author.handle if link.item.author else None,
                 "published_at": link.item.published_at, "url": link.item.url, "inbound": link.inbound}
                for link in reversed(list(links))]
    return {
        **_conversation_out(c), "messages": messages,
        "replies": [_reply_out(r) for r in c.replies.select_related("author", "approved_by", "rule")],
        "notes": [_note_out(n) for n in c.notes.select_related("author")],
        "events": [{"id": e.pk, "kind": e.kind, "at": e.at, "actor": _user(e.actor),
                    "rule": e.rule_name or None, "message": str(e.message or "")}
                   for e in c.events.select_related("actor")],
    }


def _fresh(membership: Membership, conversation_id: int) -> dict:
    c = _get(membership, conversation_id)
    prefetch_related_objects([c], "conversation_tags__tag")
    return _detail(c)


# Conversations ----------------------------------------------------------------------------------------------


@router.get("/{slug}/inbox/conversations", response=api_responses({200: ConversationPage}),
            summary="Conversations, newest message first, with the inbox's filters and keyset cursors")
def list_conversations(request, slug: Slug, filters: Query[ConversationFilters]):
    membership = _membership(request, slug)
    sent = filters.dict()
    form = InboxFilterForm({k: str(v) for k, v in sent.items() if v is not None and k in InboxFilterForm.base_fields},
                           workspace=membership.workspace)
    if not form.is_valid():
        field, messages = next(iter(form.errors.items()))
        return api_error(422, _("Invalid value for “%(field)s”: %(detail)s") % {"field": field, "detail": " ".join(messages)},
                         field)
    cursors = {}
    for name in ("before", "after"):
        raw = sent.get(name)
        if raw not in (None, ""):
            cursors[name] = cursor_value(raw)
            if cursors[name] is None:
                return api_error(422, _("Invalid value for “%(field)s”: %(detail)s") % {
                    "field": name, "detail": _("Pass the `older` or `newer` cursor of a page.")}, name)
    query = ConversationQuery(membership.workspace, form.cleaned_data, user=membership.user, scope=_scope(membership))
    page = query.page(before=cursors.get("before"), after=cursors.get("after"), size=filters.limit)
    prefetch_related_objects(page.items, "conversation_tags__tag")
    for c in page.items:
        c.workspace = membership.workspace
    count = query.count()
    return {"items": [_conversation_out(c) for c in page.items],
            "older": None if page.older is None else str(page.older),
            "newer": None if page.newer is None else str(page.newer),
            "count": count.value, "count_exact": count.exact}


@router.get("/{slug}/inbox/conversations/{conversation_id}", response=api_responses({200: ConversationDetail}),
            summary="A conversation: its messages, replies, internal notes, timeline and tags")
def get_conversation(request, slug: Slug, conversation_id: RowId):
    return _fresh(_membership(request, slug), conversation_id)


@router.patch("/{slug}/inbox/conversations/{conversation_id}", response=api_responses({200: ConversationDetail}, body=True),
              summary="Change the status (open, pending, closed) or the priority (0–3)")
def update_conversation(request, slug: Slug, conversation_id: RowId, payload: ConversationPatch):
    membership = _membership(request, slug)
    c = _get(membership, conversation_id)
    sent = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    with audit.via("api"):
        if "priority" in sent:
            c = actions.do_set_priority(membership, c, sent["priority"])
        if "status" in sent:
            actions.do_set_status(membership, c, sent["status"])
    return _fresh(membership, conversation_id)


@router.post("/{slug}/inbox/conversations/{conversation_id}/assign", response=api_responses({200: ConversationDetail}, body=True),
             summary="Give the conversation to a member and/or a team (null takes it back; an absent field is kept)")
def assign(request, slug: Slug, conversation_id: RowId, payload: AssignIn):
    membership = _membership(request, slug)
    c = _get(membership, conversation_id)
    sent = payload.dict(exclude_unset=True)
    if not sent:
        raise ValidationError({"assignee": _("Send an assignee, a team, or both (null takes the conversation back).")})
    with audit.via("api"):
        actions.do_assign(membership, c, user_id=sent.get("assignee"), team_id=sent.get("team"),
                          set_user="assignee" in sent, set_team="team" in sent)
    return _fresh(membership, conversation_id)


@router.post("/{slug}/inbox/conversations/{conversation_id}/tags", response=api_responses({201: TagOut}, body=True),
             summary="Tag the conversation (the tag is made on first use; names compared without case)")
def add_tag(request, slug: Slug, conversation_id: RowId, payload: TagIn):
    membership = _membership(request, slug)
    c = _get(membership, conversation_id)
    with audit.via("api"), _fields(tag="name"):
        tag = actions.do_tag(membership, c, payload.name)
    return Status(201, {"id": tag.pk, "name": tag.name})


@router.delete("/{slug}/inbox/conversations/{conversation_id}/tags/{tag_id}", response=api_responses({204: None}),
               summary="Remove a tag from the conversation")
def remove_tag(request, slug: Slug, conversation_id: RowId, tag_id: RowId):
    membership = _membership(request, slug)
    c = _get(membership, conversation_id)
    tag = get_object_or_404(Tag, pk=tag_id, workspace=membership.workspace)
    with audit.via("api"):
        actions.do_untag(membership, c, tag)
    return Status(204, None)


@router.post("/{slug}/inbox/conversations/{conversation_id}/notes", response=api_responses({201: NoteOut}, body=True),
             summary="Add an internal note (the team sees it, the member never does)")
def add_note(request, slug: Slug, conversation_id: RowId, payload: NoteIn):
    membership = _membership(request, slug)
    c = _get(membership, conversation_id)
    with audit.via("api"), _fields(note="text"):
        note = actions.do_add_note(membership, c, payload.text)
    return Status(201, _note_out(note))


# Replies ----------------------------------------------------------------------------------------------------


@router.get("/{slug}/inbox/conversations/{conversation_id}/replies", response=api_responses({200: list[ReplyOut]}),
            summary="The conversation's replies, oldest first, drafts and failures included")
def list_replies(request, slug: Slug, conversation_id: RowId):
    c = _get(_membership(request, slug), conversation_id)
    return [_reply_out(r) for r in c.replies.select_related("author", "approved_by", "rule")]


@router.post("/{slug}/inbox/conversations/{conversation_id}/replies",
             response=api_responses({201: ReplyOut, 409: ApiError}, body=True),
             summary="Answer the member through the channel (queued; a contributor's answer may be a draft). 409: a "
                     "colleague answered after `seen_reply_id`; their answer is in `reply`")
def send_reply(request, slug: Slug, conversation_id: RowId, payload: ReplyIn):
    membership = _membership(request, slug)
    c = _get(membership, conversation_id)
    try:
        with audit.via("api"):
            reply = replies.do_send_reply(membership, c, payload.text, seen_reply_id=payload.seen_reply_id,
                                          force=payload.force)
    except replies.ReplyCollision as exc:
        theirs = (Reply.objects.filter(conversation=c, pk__gt=payload.seen_reply_id or 0).exclude(state__in=_DONE)
                  .exclude(author=membership.user).select_related("author", "approved_by", "rule").last())
        message = " ".join(m for messages in exc.message_dict.values() for m in messages)
        return api_error(409, message, "text", reply=_reply_out(theirs) if theirs else None,
                         hint=_("Send again with `seen_reply_id` set to their reply's id, or with `force: true`."))
    reply = Reply.objects.select_related("author", "approved_by", "rule").get(pk=reply.pk)
    return Status(201, _reply_out(reply))


@router.post("/{slug}/inbox/replies/{reply_id}/retry", response=api_responses({200: ReplyOut}),
             summary="Send a failed reply (or one whose outcome is unknown) again, with the same idempotency key")
def retry_reply(request, slug: Slug, reply_id: RowId):
    membership = _membership(request, slug)
    with audit.via("api"):
        reply = replies.do_retry_reply(membership, _get_reply(membership, reply_id))
    return _reply_out(reply)


@router.post("/{slug}/inbox/replies/{reply_id}/approve", response=api_responses({200: ReplyOut}, body=True),
             summary="Send an expert's draft, as written or edited (`text`)")
def approve_draft(request, slug: Slug, reply_id: RowId, payload: ApproveIn):
    membership = _membership(request, slug)
    with audit.via("api"):
        reply = replies.do_approve_draft(membership, _get_reply(membership, reply_id), payload.text)
    return _reply_out(reply)


@router.post("/{slug}/inbox/replies/{reply_id}/discard", response=api_responses({200: ReplyOut}),
             summary="Discard an expert's draft (it stays in the history as discarded)")
def discard_draft(request, slug: Slug, reply_id: RowId):
    membership = _membership(request, slug)
    reply = _get_reply(membership, reply_id)
    with audit.via("api"):
        replies.do_discard_draft(membership, reply)
    reply.refresh_from_db()
    return _reply_out(reply)


@router.post("/{slug}/inbox/replies/{reply_id}/mark-sent", response=api_responses({200: ReplyOut}),
             summary="The team looked on the network: a reply whose outcome was unknown did go out")
def mark_reply_sent(request, slug: Slug, reply_id: RowId):
    membership = _membership(request, slug)
    with audit.via("api"):
        reply = replies.do_mark_reply_sent(membership, _get_reply(membership, reply_id))
    return _reply_out(reply)

