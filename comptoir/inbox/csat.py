"""Satisfaction (CSAT): after a conversation closes, the member is asked how satisfied they are, from 1 to 5.

When a conversation is closed, the workspace asks for satisfaction and the channel lets Comptoir answer, a reply
(purpose *csat*) goes out on the conversation's channel, in its language, with a link to a public page ``/s/<token>/``
(no account needed). Only the token's SHA-256 is stored; the page takes one answer per question (a score and an
optional comment), which the member may change for :data:`ANSWER_DAYS` days. A conversation is asked at most once
every :data:`ASK_EVERY` (closing, reopening and closing again does not pester the member).

The member may also just answer the question on the network with a digit ("4", "@velo 4", "4/5"): the score is
recorded and — if that digit was all the member wrote — the conversation stays closed: threading reopens a closed
conversation when the member writes again, and :func:`messages_arrived` closes it again and removes the "reopened"
line from its timeline, so a rating does not land back in the team's open conversations. Anything more than the digit
("4, but the form is still broken") is an ordinary message: no score is read from it and it reopens the conversation
for the team to read.

Who handled the conversation (assignee and team) is kept on the answer at closing time: the measure reads
satisfaction per person and team even after the conversation is reassigned.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptoir.connectors.base import Action
from comptoir.lib import i18n
from comptoir.lib.ratelimit import hits_this_hour
from comptoir.workspaces import audit, roles
from comptoir.workspaces.models import Membership

from .actions import _event
from .models import Conversation, ConversationItem, Event, InboxSettings, Reply, Satisfaction

logger = logging.getLogger(__name__)

ASK_EVERY = timedelta(days=7)
ANSWER_DAYS = 7
MAX_COMMENT = 2000
MAX_QUESTION = 300
# Answers (and changes) accepted per link and hour: a link shared around cannot be used to flood the conversation.
MAX_POSTS_PER_HOUR = 10


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def language_of(conversation: Conversation) -> str:
    for code in (conversation.language, conversation.workspace.language):
        if code in ("fr", "en"):
            return code
    return "fr"


def default_question(language: str) -> str:
    with translation.override(language):
        return _("How satisfied are you with our answer? Reply with a number from 1 (not at all) to 5 (very much), "
                 "or answer here:")


def question(conversation: Conversation, inbox: InboxSettings) -> str:
    language = language_of(conversation)
    written = inbox.csat_question_fr if language == "fr" else inbox.csat_question_en
    return (written or "").strip() or default_question(language)


def answer_url(raw_token: str) -> str:
    return settings.BASE_URL + reverse("inbox_csat", args=[raw_token])


def can_ask(conversation: Conversation) -> bool:
    channel = conversation.channel
    if channel is None or channel.removed_at is not None:
        return False
    try:
        return channel.connector().capabilities.can(Action.REPLY)
    except Exception:  # a channel whose connector cannot be built (network removed): no question, no crash on close
        logger.warning("conversation %s: no connector for its channel", conversation.pk, exc_info=True)
        return False


def ask(conversation_id: int) -> Satisfaction | None:
    """Queue the satisfaction question of a conversation that was just closed, if the workspace asks and the channel
    can carry it. Runs inside the closing transaction; the reply itself is sent by the reply task after the commit."""
    from .replies import do_send_reply

    conversation = (Conversation.objects.select_related("workspace", "channel").filter(pk=conversation_id).first())
    if conversation is None or conversation.status != Conversation.Status.CLOSED:
        return None
    inbox = InboxSettings.of(conversation.workspace_id)
    if not inbox.csat_enabled or not can_ask(conversation):
        return None
    if Satisfaction.objects.filter(conversation=conversation, asked_at__gte=timezone.now() - ASK_EVERY).exists():
        return None
    raw = secrets.token_urlsafe(32)
    text = f"{question(conversation, inbox)}\n{answer_url(raw)}"
    try:
        with transaction.atomic():
            satisfaction = Satisfaction.objects.create(
                workspace_id=conversation.workspace_id, conversation=conversation, token_hash=hash_token(raw),
                assignee_id=conversation.assignee_id, team_id=conversation.team_id)
            do_send_reply(None, conversation, text, purpose=Reply.Purpose.CSAT)
            _event(conversation, "csat", i18n.gettext("Satisfaction question sent to the member."))
    except ValidationError as exc:  # too long for the network, nothing left to answer: closing still succeeds
        logger.info("conversation %s: satisfaction question not sent: %s", conversation.pk, exc.messages)
        _event(conversation, "csat", i18n.gettext("The satisfaction question could not be sent: %(reason)s") % {
            "reason": " ".join(exc.messages)[:300]})
        return None
    return satisfaction


def conversation_closed(sender, conversation_id: int, user=None, **kwargs) -> None:
    ask(conversation_id)


# The member's answer -------------------------------------------------------------------------------------


def find(raw_token: str) -> Satisfaction | None:
    raw = str(raw_token or "")
    if not raw or len(raw) > 200:
        return None
    return (Satisfaction.objects.select_related("conversation", "workspace")
            .filter(token_hash=hash_token(raw)).first())


def is_open(satisfaction: Satisfaction, now=None) -> bool:
    """The member may still answer, or change their answer."""
    return (now or timezone.now()) < satisfaction.asked_at + timedelta(days=ANSWER_DAYS)


def check_answer(score, comment) -> tuple[int, str]:
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        value = 0
    errors = {}
    if value not in range(1, 6):
        errors["score"] = [_("Choose a score from 1 (not satisfied at all) to 5 (very satisfied).")]
    comment = str(comment or "").replace("\r\n", "\n").strip()
    if len(comment) > MAX_COMMENT:
        errors["comment"] = [_("A comment holds at most %(max)s characters; this one has %(n)s.") % {
            "max": MAX_COMMENT, "n": len(comment)}]
    if errors:
        raise ValidationError(errors)
    return value, comment


class TooManyAnswers(PermissionDenied):
    pass


def _throttle(satisfaction: Satisfaction) -> None:
    if hits_this_hour(f"inbox-csat:{satisfaction.token_hash}") > MAX_POSTS_PER_HOUR:
        raise TooManyAnswers(_("Your answer was already changed several times: try again in an hour."))


def do_answer(satisfaction: Satisfaction, score, comment="", *, via_page: bool = True) -> Satisfaction:
    """Record (or change) the member's answer. The question closes :data:`ANSWER_DAYS` days after it was asked."""
    if not is_open(satisfaction):
        raise ValidationError({"score": [_("This question is closed: answers are taken for %(days)s days.") % {
            "days": ANSWER_DAYS}]})
    value, comment = check_answer(score, comment)
    if via_page:
        _throttle(satisfaction)
    with transaction.atomic():
        changed = satisfaction.score is not None
        satisfaction.score, satisfaction.answered_at = value, timezone.now()
        fields = ["score", "answered_at"]
        if via_page:
            satisfaction.comment = comment
            fields.append("comment")
        satisfaction.save(update_fields=fields)
        message = (i18n.gettext("The member changed their satisfaction score: %(score)s / 5.") if changed
                   else i18n.gettext("The member rated the answer: %(score)s / 5.")) % {"score": value}
        _event(satisfaction.conversation, "csat", message)
    return satisfaction


_MENTION = re.compile(r"(?<!\w)@[\w.\-]+(?:@[\w.\-]+)?")
_SCORE = re.compile(r"^\s*([1-5])\s*(?:/\s*5)?\s*[.!]*\s*$")


def score_in(text: str) -> int | None:
    """The score if ``text`` is nothing but a digit from 1 to 5 (after mentions and quoted lines): "@velo 4", "4/5"."""
    lines = [line for line in (text or "").splitlines() if not line.lstrip().startswith(">")]
    found = _SCORE.match(_MENTION.sub(" ", " ".join(lines)))
    return int(found.group(1)) if found else None


def messages_arrived(sender, conversation_ids, item_ids, **kwargs) -> None:
    """A member answered the question with a digit on the network: record it, and keep the conversation closed when
    the digit was all they wrote."""
    from comptoir.stream.models import Item

    since = timezone.now() - timedelta(days=ANSWER_DAYS)
    pending = {s.conversation_id: s for s in Satisfaction.objects.filter(
        conversation_id__in=list(conversation_ids), asked_at__gte=since).select_related("conversation")
        .order_by("asked_at")}
    if not pending:
        return
    links = (ConversationItem.objects.filter(item_id__in=list(item_ids), conversation_id__in=list(pending), inbound=True)
             .values_list("conversation_id", "item_id"))
    by_conversation: dict[int, list[int]] = {}
    for conversation_id, item_id in links:
        by_conversation.setdefault(conversation_id, []).append(item_id)
    texts = dict(Item.objects.filter(pk__in=[i for ids in by_conversation.values() for i in ids])
                 .values_list("pk", "text"))
    for conversation_id, ids in by_conversation.items():
        satisfaction = pending[conversation_id]
        scores = [score_in(texts.get(i, "")) for i in ids]
        found = [s for s in scores if s is not None]
        if not found:
            continue
        try:
            do_answer(satisfaction, found[-1], via_page=False)
        except ValidationError:  # the question closed meanwhile: the digit is an ordinary message
            continue
        if all(s is not None for s in scores):
            _stay_closed(satisfaction)


def _stay_closed(satisfaction: Satisfaction) -> None:
    """Threading reopened the conversation for a message that was only a score: it goes back to closed, quietly."""
    conversation = Conversation.objects.get(pk=satisfaction.conversation_id)
    if conversation.status == Conversation.Status.CLOSED:
        return
    reopened = Event.objects.filter(conversation=conversation, kind="reopened", at__gte=satisfaction.asked_at).last()
    if reopened is None:
        return  # opened again by someone (or by an earlier message): not ours to close
    reopened.delete()
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Conversation.Status.CLOSED, closed_at=satisfaction.asked_at, unread=False, waiting_since=None,
        reply_due_at=None)


# The workspace's inbox settings ---------------------------------------------------------------------------


SETTINGS_FIELDS = ["experts_reply_directly", "csat_enabled", "csat_question_fr", "csat_question_en"]


def check_inbox_settings(data: dict) -> dict:
    def flag(name):
        return str(data.get(name, "")).lower() in ("1", "on", "true", "yes")

    cleaned = {"experts_reply_directly": flag("experts_reply_directly"), "csat_enabled": flag("csat_enabled")}
    errors = {}
    for name in ("csat_question_fr", "csat_question_en"):
        text = " ".join(str(data.get(name, "") or "").split())
        if len(text) > MAX_QUESTION:
            errors[name] = [_("The question holds at most %(max)s characters (the answer link is added after it); "
                              "this one has %(n)s.") % {"max": MAX_QUESTION, "n": len(text)}]
        cleaned[name] = text
    if errors:
        raise ValidationError(errors)
    return cleaned


def do_update_inbox_settings(membership: Membership, data: dict) -> InboxSettings:
    if not roles.has_perm(membership.role, roles.MANAGE_INBOX):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    cleaned = check_inbox_settings(data)
    with transaction.atomic():
        inbox = InboxSettings.objects.select_for_update().get(pk=InboxSettings.of(membership.workspace_id).pk)
        before = audit.snapshot(inbox, SETTINGS_FIELDS)
        for name, value in cleaned.items():
            setattr(inbox, name, value)
        inbox.save(update_fields=SETTINGS_FIELDS)
        after = audit.snapshot(inbox, SETTINGS_FIELDS)
        if before != after:
            audit.record(membership.workspace, membership.user, "inbox_settings.update", membership.workspace,
                         before=before, after=after)
    return inbox


audit.FIELD_NAMES.update({
    "experts_reply_directly": gettext_lazy("experts answer members directly"),
    "csat_enabled": gettext_lazy("satisfaction question"),
    "csat_question_fr": gettext_lazy("satisfaction question (French)"),
    "csat_question_en": gettext_lazy("satisfaction question (English)"),
})
audit.GROUPS["inbox_settings"] = gettext_lazy("Inbox")
audit.sentences({
    "inbox_settings.update": lambda e, n: _("%(actor)s changed the inbox settings: %(fields)s.") % {
        **n, "fields": ", ".join(field for field, _b, _a in audit.changes(e)) or "—"},
})
