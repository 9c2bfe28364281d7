"""Feedback to management: what members say, marked by the team as an idea, a problem or praise, with a theme.

A message (from the Fil, a listening mention, a conversation) or a whole conversation is *marked*: its words are
copied as the quote, with the author's name, sentiment and language, so the digest can quote it even if the message is
erased later. Themes are free text, made one when they differ only by case and spaces ("Horaires" and "horaires ").
Management answers each feedback, or a theme at once (taken into account, planned, declined, with a note); then the CM
tells the members concerned in one action: one reply per conversation, never twice for the same answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.workspaces import audit, roles
from comptoir.workspaces.models import Membership

from .models import Conversation, ConversationItem, Feedback, InboxSettings, Reply

MAX_QUOTE = 2000
MAX_THEME = 80
MAX_NOTE = 2000
MAX_BULK = 500
ANSWERS = [Feedback.Answer.TAKEN, Feedback.Answer.PLANNED, Feedback.Answer.DECLINED]
_SPACES = re.compile(r"\s+")


def can_mark(membership: Membership) -> bool:
    """CMs and moderators (who read the messages all day) mark feedback."""
    return roles.has_perm(membership.role, roles.ANSWER_INBOX) or roles.has_perm(membership.role, roles.MODERATE)


def theme_key(theme: str) -> str:
    """What makes two spellings one theme: case and spaces do not count."""
    return _SPACES.sub(" ", theme or "").strip().casefold()


def themes(workspace_id: int) -> list[tuple[str, int]]:
    """The workspace's themes, most used first, as (name, count): the suggestions of the marking form."""
    rows = (Feedback.objects.filter(workspace_id=workspace_id).values("theme").annotate(n=Count("pk"))
            .order_by("-n", "theme"))
    merged: dict[str, list] = {}
    for row in rows:
        found = merged.setdefault(theme_key(row["theme"]), [row["theme"], 0])
        found[1] += row["n"]
    return sorted(((name, n) for name, n in merged.values()), key=lambda t: (-t[1], t[0].casefold()))


def check_theme(workspace_id: int, theme) -> str:
    """The theme as stored: spaces tidied, and the spelling already used in the workspace when there is one."""
    text = _SPACES.sub(" ", str(theme or "")).strip()
    if not text:
        raise ValidationError({"theme": _("Give the feedback a theme (e.g. opening hours, prices, the app).")})
    if len(text) > MAX_THEME:
        raise ValidationError({"theme": _("A theme holds at most %(max)s characters; this one has %(n)s.") % {
            "max": MAX_THEME, "n": len(text)}})
    if any(ord(c) < 32 for c in text):
        raise ValidationError({"theme": _("A theme is plain text: remove the control characters.")})
    key = text.casefold()
    for existing in Feedback.objects.filter(workspace_id=workspace_id, theme__iexact=text).values_list("theme", flat=True)[:1]:
        return existing
    # iexact is ASCII-only on SQLite: compare the rest in Python (themes are few).
    for existing, _n in themes(workspace_id):
        if theme_key(existing) == key:
            return existing
    return text[:1].upper() + text[1:]


def check_kind(kind) -> str:
    if kind not in Feedback.Kind.values:
        raise ValidationError({"kind": _("Choose idea, problem or praise.")})
    return kind


def check_quote(quote) -> str:
    text = str(quote or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if len(text) > MAX_QUOTE:
        raise ValidationError({"quote": _("A quote holds at most %(max)s characters; this one has %(n)s. Keep the "
                                          "sentences that say it best.") % {"max": MAX_QUOTE, "n": len(text)}})
    return text


def _clip(text: str) -> str:
    text = (text or "").strip()
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1].rstrip() + "…"


def conversation_of_item(item) -> Conversation | None:
    link = ConversationItem.objects.filter(item=item).select_related("conversation").first()
    return link.conversation if link is not None else None


def _latest_member_message(conversation: Conversation):
    from comptoir.stream.models import Item

    return (Item.objects.filter(inbox_link__conversation=conversation, inbox_link__inbound=True)
            .select_related("author").order_by("-sort_key").first())


def do_mark_feedback(membership: Membership, *, item=None, conversation=None, kind: str, theme: str,
                     quote: str | None = None) -> Feedback:
    """Mark a message or a conversation as feedback for management. The quote defaults to the message's words (the
    conversation's latest message from the member); author, sentiment and language are copied from it."""
    if not can_mark(membership):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    if (item is None) == (conversation is None):
        raise ValidationError({"item": _("Choose one message or one conversation to mark as feedback.")})
    for obj in (item, conversation):
        if obj is not None and obj.workspace_id != membership.workspace_id:
            raise PermissionDenied(_("This message is not in this workspace."))
    kind = check_kind(kind)
    theme = check_theme(membership.workspace_id, theme)
    quote = check_quote(quote) if quote is not None else ""
    if item is not None:
        conversation = conversation_of_item(item)
    else:
        item = _latest_member_message(conversation)
    if item is None and conversation is not None and conversation.last_item_id:
        item = conversation.last_item
    words = quote or _clip((item.text or item.title) if item is not None else conversation.subject)
    if not words:
        raise ValidationError({"quote": _("This message has no text to quote: write what the member said.")})
    if item is not None and Feedback.objects.filter(workspace_id=membership.workspace_id, item=item,
                                                    theme=theme, kind=kind).exists():
        raise ValidationError({"theme": _("This message is already marked as %(kind)s on the theme “%(theme)s”.") % {
            "kind": Feedback.Kind(kind).label, "theme": theme}})
    author = ""
    if item is not None:
        author = item.author_name
    elif conversation.identity_id:
        author = conversation.identity.display_name or conversation.identity.handle
    with transaction.atomic():
        feedback = Feedback.objects.create(
            workspace_id=membership.workspace_id, item=item, conversation=conversation, kind=kind, theme=theme,
            quote=words, author_name=(author or "")[:300],
            sentiment=(item.sentiment if item is not None else "") or (conversation.sentiment if conversation else ""),
            language=(item.language if item is not None else "") or (conversation.language if conversation else ""),
            created_by=membership.user,
        )
        audit.record(membership.workspace, membership.user, "feedback.mark", feedback,
                     after={"kind": kind, "theme": theme})
        if conversation is not None:
            from comptoir.lib import i18n

            from .actions import _event

            _event(conversation, "feedback", i18n.gettext("%(name)s marked this conversation as feedback for management "
                                                          "(theme: %(theme)s).") % {"name": str(membership.user),
                                                                                    "theme": theme},
                   actor=membership.user)
        schedule_digest(membership.workspace_id)
    return feedback


def schedule_digest(workspace_id: int) -> None:
    """A workspace that marks feedback gets the weekly digest: its first one is planned now if it was not."""
    from .digest import next_digest_time

    found = InboxSettings.of(workspace_id)
    if found.next_digest_at is None:
        InboxSettings.objects.filter(pk=found.pk, next_digest_at__isnull=True).update(
            next_digest_at=next_digest_time(found))


# Management's answer ------------------------------------------------------------------------------------


def check_answer(answer) -> str:
    if answer not in ANSWERS:
        raise ValidationError({"answer": _("Choose taken into account, planned or declined.")})
    return answer


def selected(workspace_id: int, *, ids=None, theme: str | None = None):
    """The feedback a bulk action names: ids (of this workspace only) or a whole theme."""
    qs = Feedback.objects.filter(workspace_id=workspace_id)
    if theme is not None:
        key = theme_key(theme)
        names = [name for name, _n in themes(workspace_id) if theme_key(name) == key]
        return qs.filter(theme__in=names) if names else qs.none()
    clean = []
    for value in list(ids or [])[: MAX_BULK + 1]:
        try:
            clean.append(int(value))
        except (TypeError, ValueError):
            continue
    if len(clean) > MAX_BULK:
        raise ValidationError({"feedback": _("Choose at most %(max)s feedback at once.") % {"max": MAX_BULK}})
    return qs.filter(pk__in=clean)


def do_answer_feedback(membership: Membership, feedback, answer: str, note: str = "") -> int:
    """Management's answer to feedback (a queryset or a list): taken into account, planned or declined, with a note.

    Changing the answer lets the members be told again (about the new answer); giving the same answer does not."""
    if not roles.has_perm(membership.role, roles.ANSWER_FEEDBACK):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    answer = check_answer(answer)
    note = str(note or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"answer_note": _("A note holds at most %(max)s characters; this one has %(n)s.") % {
            "max": MAX_NOTE, "n": len(note)}})
    ids = [f.pk for f in feedback if f.workspace_id == membership.workspace_id]
    if not ids:
        raise ValidationError({"feedback": _("Choose the feedback to answer.")})
    now = timezone.now()
    with transaction.atomic():
        rows = Feedback.objects.filter(pk__in=ids)
        rows.exclude(answer=answer).update(members_told_at=None)
        n = rows.update(answer=answer, answer_note=note, answered_by=membership.user, answered_at=now)
        themes_named = sorted({f.theme for f in rows})
        audit.record(membership.workspace, membership.user, "feedback.answer", None,
                     object_repr=", ".join(themes_named)[:200], after={"answer": answer, "count": n, "note": note[:200]})
    return n


# Telling the members ---------------------------------------------------------------------------------------


def suggested_text(answer: str, kind: str, language: str, note: str = "") -> str:
    """The message prefilled for the members, in the workspace's language: the CM edits it before sending."""
    from django.utils import translation

    with translation.override(language or "fr"):
        opening = {
            Feedback.Kind.IDEA: _("Thank you for your idea:"),
            Feedback.Kind.PROBLEM: _("Thank you for telling us about this problem:"),
            Feedback.Kind.PRAISE: _("Thank you for your kind words:"),
        }.get(kind, _("Thank you for your message:"))
        body = {
            Feedback.Answer.TAKEN: _("we have taken it into account."),
            Feedback.Answer.PLANNED: _("it is planned for …"),
            Feedback.Answer.DECLINED: _("we considered it carefully but will not follow it up for now, because …"),
        }.get(answer, "")
    text = f"{opening} {body}".strip()
    return f"{text}\n{note}".strip() if note and answer != Feedback.Answer.PLANNED else text


@dataclass
class TellPlan:
    """Who a "tell the members" action reaches: conversations to answer, messages to answer by hand."""

    answer: str = ""
    conversations: list[Conversation] = field(default_factory=list)
    feedback_by_conversation: dict[int, list[int]] = field(default_factory=dict)
    by_hand: list[Feedback] = field(default_factory=list)
    already_told: list[Conversation] = field(default_factory=list)
    unanswered: int = 0


def plan_telling(workspace_id: int, feedback) -> TellPlan:
    """Group the feedback by conversation (its own, or its message's): one reply per conversation; feedback outside any
    conversation (a listening mention, a message of the Fil) is listed to be told by hand."""
    rows = list(feedback.select_related("conversation", "item") if hasattr(feedback, "select_related") else feedback)
    rows = [f for f in rows if f.workspace_id == workspace_id]
    plan = TellPlan()
    answers = {f.answer for f in rows if f.answer}
    plan.unanswered = sum(1 for f in rows if not f.answer)
    if len(answers) > 1:
        raise ValidationError({"feedback": _("These feedback carry different answers: tell the members about one "
                                             "answer at a time.")})
    plan.answer = answers.pop() if answers else ""
    conversations: dict[int, Conversation] = {}
    item_conversations = dict(ConversationItem.objects.filter(item_id__in=[f.item_id for f in rows if f.item_id])
                              .values_list("item_id", "conversation_id"))
    told_ids = set()
    for f in rows:
        if not f.answer:
            continue
        conversation_id = f.conversation_id or item_conversations.get(f.item_id)
        if conversation_id is None:
            plan.by_hand.append(f)
            continue
        plan.feedback_by_conversation.setdefault(conversation_id, []).append(f.pk)
        if f.members_told_at is not None:
            told_ids.add(conversation_id)
    if plan.feedback_by_conversation:
        # A conversation already told this answer for another feedback is not told again.
        told_ids |= set(Feedback.objects.filter(workspace_id=workspace_id, answer=plan.answer, members_told_at__isnull=False,
                                                conversation_id__in=list(plan.feedback_by_conversation))
                        .values_list("conversation_id", flat=True))
        told_ids |= set(Feedback.objects.filter(workspace_id=workspace_id, answer=plan.answer, members_told_at__isnull=False,
                                                item__inbox_link__conversation_id__in=list(plan.feedback_by_conversation))
                        .values_list("item__inbox_link__conversation_id", flat=True))
        conversations = Conversation.objects.filter(workspace_id=workspace_id, pk__in=list(plan.feedback_by_conversation)
                                                    ).select_related("channel", "identity").in_bulk()
    for pk in plan.feedback_by_conversation:
        if pk not in conversations:
            continue
        (plan.already_told if pk in told_ids else plan.conversations).append(conversations[pk])
    return plan


@dataclass
class TellOutcome:
    queued: list[Reply] = field(default_factory=list)
    failed: list[tuple[Conversation, str]] = field(default_factory=list)
    skipped: int = 0


def do_tell_members(membership: Membership, feedback, text: str) -> TellOutcome:
    """Queue one reply (purpose "feedback") in each conversation the feedback came from, with the CM's message.

    A conversation is never told twice the same answer: the feedback is claimed (``members_told_at``) before its
    reply is queued, so two CMs clicking together send one reply. A conversation whose reply is refused (the channel was
    disconnected, the text is too long for its network) is reported and stays to be told."""
    from .replies import check_reply_text, do_send_reply

    if not roles.has_perm(membership.role, roles.ANSWER_INBOX):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    text = str(text or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not text:
        raise ValidationError({"text": _("Write the message the members will receive.")})
    plan = plan_telling(membership.workspace_id, feedback)
    if not plan.answer:
        raise ValidationError({"feedback": _("Management has not answered this feedback yet: the members are told once "
                                             "it is answered.")})
    outcome = TellOutcome(skipped=len(plan.already_told))
    now = timezone.now()
    for conversation in plan.conversations:
        ids = plan.feedback_by_conversation[conversation.pk]
        try:
            check_reply_text(conversation, text)
        except ValidationError as exc:
            outcome.failed.append((conversation, " ".join(exc.messages)))
            continue
        with transaction.atomic():
            # The claim: only feedback not told yet, with the answer read; a concurrent telling wins or loses it whole.
            if not Feedback.objects.filter(pk__in=ids, answer=plan.answer, members_told_at__isnull=True).update(
                    members_told_at=now):
                outcome.skipped += 1
                continue
            try:
                reply = do_send_reply(membership, conversation, text, purpose=Reply.Purpose.FEEDBACK, force=True)
            except ValidationError as exc:
                transaction.set_rollback(True)
                outcome.failed.append((conversation, " ".join(exc.messages)))
                continue
            outcome.queued.append(reply)
            audit.record(membership.workspace, membership.user, "feedback.tell", conversation,
                         after={"answer": plan.answer, "feedback": ids})
    return outcome


def tell_summary(outcome: TellOutcome) -> str:
    n = len(outcome.queued)
    return ngettext("The answer was queued for %(count)s conversation.",
                    "The answer was queued for %(count)s conversations.", n) % {"count": n}


def _answer_label(value: str) -> str:
    return str(Feedback.Answer(value).label) if value in Feedback.Answer.values else value


audit.sentences({
    "feedback.mark": lambda e, n: _("%(actor)s marked a message as feedback on the theme “%(theme)s”.") % {
        **n, "theme": (e.after or {})["theme"]},
    "feedback.answer": lambda e, n: ngettext(
        "%(actor)s answered %(count)s feedback on “%(object)s”: %(answer)s.",
        "%(actor)s answered %(count)s feedback on “%(object)s”: %(answer)s.", (e.after or {})["count"]) % {
        **n, "count": (e.after or {})["count"], "answer": _answer_label((e.after or {})["answer"])},
    "feedback.tell": lambda e, n: _("%(actor)s told the members of the conversation “%(object)s” management's answer "
                                    "(%(answer)s).") % {**n, "answer": _answer_label((e.after or {})["answer"])},
})
