"""What people (and rules) do to conversations: assign, route to a team, change status or priority, tag, note.

Every action checks the member's permission and workspace, runs in one transaction, writes the activity log and a
line in the conversation's timeline (:class:`Event`). Rules call the same functions with ``rule=`` and no member.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptoir.lib import i18n
from comptoir.stream.actions import check_tag_name
from comptoir.stream.forms import MAX_ID
from comptoir.stream.models import Tag
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Membership

from .models import Conversation, ConversationTag, Event, Note, Team
from .signals import conversation_closed

MAX_NOTE = 5000
MAX_BULK = 500


def _event(conversation: Conversation, kind: str, message, *, actor=None, rule=None) -> Event:
    """A line of the conversation's timeline; ``message`` (an :mod:`comptoir.lib.i18n` message) is shown in the
    reader's language."""
    code, params = i18n.code_and_params(message)
    return Event.objects.create(conversation=conversation, kind=kind, message_code=code, message_params=params,
                                actor=actor, rule=rule, rule_name=rule.name if rule is not None else "")


def _actor(membership: Membership | None):
    return membership.user if membership is not None else None


def _check_conversation(membership: Membership | None, conversation: Conversation, perm: str = roles.ANSWER_INBOX) -> None:
    if membership is None:
        return  # a rule: the conversation is the rule's own workspace's (routing checks it)
    check_perm(membership, perm)
    if conversation.workspace_id != membership.workspace_id:
        raise PermissionDenied(_("This conversation is not in this workspace."))


def can_answer(membership: Membership, conversation: Conversation) -> bool:
    """A CM or moderator answers everything; a contributor answers what is routed to them or to their team."""
    if roles.has_perm(membership.role, roles.ANSWER_INBOX):
        return True
    return roles.has_perm(membership.role, roles.VIEW_ROUTED) and is_routed_to(membership.user, conversation)


def is_routed_to(user, conversation: Conversation) -> bool:
    if conversation.assignee_id == user.pk:
        return True
    return conversation.team_id is not None and conversation.team.team_members.filter(user=user).exists()


def check_assignee(workspace_id: int, user_id) -> Membership | None:
    """The member a conversation may be given to: someone of this workspace who can see it."""
    if user_id in (None, ""):
        return None
    try:
        user_id = int(user_id)
        if not 0 < user_id < 2**63:
            raise ValueError
    except (TypeError, ValueError):
        user_id = 0
    if not 0 < user_id <= MAX_ID:  # beyond a database integer: no such member (and no overflow)
        raise ValidationError({"assignee": _("Choose a member of this workspace to assign the conversation to.")})
    found = Membership.objects.filter(workspace_id=workspace_id, user_id=user_id).select_related("user").first()
    if found is None or not (roles.has_perm(found.role, roles.VIEW_INBOX) or roles.has_perm(found.role, roles.VIEW_ROUTED)):
        raise ValidationError({"assignee": _("Choose a member of this workspace to assign the conversation to.")})
    return found


def check_team(workspace_id: int, team_id) -> Team | None:
    if team_id in (None, ""):
        return None
    try:
        team_id = int(team_id)
        if not 0 < team_id < 2**63:
            raise ValueError
    except (TypeError, ValueError):
        team_id = 0
    if not 0 < team_id <= MAX_ID:
        raise ValidationError({"team": _("Choose one of this workspace's teams.")})
    team = Team.objects.filter(workspace_id=workspace_id, pk=team_id).first()
    if team is None:
        raise ValidationError({"team": _("Choose one of this workspace's teams.")})
    return team


def do_assign(membership: Membership | None, conversation: Conversation, *, user_id=None, team_id=None,
              set_user: bool = True, set_team: bool = True, rule=None) -> Conversation:
    """Give the conversation to a person and/or a team (None takes it back). The new assignee is notified."""
    _check_conversation(membership, conversation)
    assignee = check_assignee(conversation.workspace_id, user_id) if set_user else None
    team = check_team(conversation.workspace_id, team_id) if set_team else None
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        before = audit.snapshot(conversation, ["assignee", "team"])
        changed = []
        if set_user and conversation.assignee_id != (assignee.user_id if assignee else None):
            conversation.assignee = assignee.user if assignee else None
            changed.append("assignee")
            _event(conversation, "assigned", i18n.gettext("Assigned to %(name)s.") % {"name": str(assignee.user)}
                   if assignee else i18n.gettext("No longer assigned to anyone."), actor=_actor(membership), rule=rule)
        if set_team and conversation.team_id != (team.pk if team else None):
            conversation.team = team
            changed.append("team")
            _event(conversation, "team", i18n.gettext("Routed to the team %(team)s.") % {"team": team.name}
                   if team else i18n.gettext("No longer routed to a team."), actor=_actor(membership), rule=rule)
        if not changed:
            return conversation
        conversation.save(update_fields=changed)
        audit.record(conversation.workspace, _actor(membership), "conversation.assign", conversation, before=before,
                     after=audit.snapshot(conversation, ["assignee", "team"]))
        if assignee is not None and (membership is None or assignee.user_id != membership.user_id):
            from django.urls import reverse

            from comptoir.workspaces.notifications import notify

            notify(conversation.workspace_id, [assignee.user], "conversation.assigned",
                   i18n.gettext("A conversation was assigned to you: “%(subject)s”.") % {"subject": conversation.subject[:80]},
                   url=reverse("inbox_conversation", args=[conversation.workspace.slug, conversation.pk]),
                   key=f"conversation:{conversation.pk}")
    return conversation


def do_set_status(membership: Membership | None, conversation: Conversation, status: str, *, rule=None) -> Conversation:
    """Open, pending (waiting for the member or someone inside) or closed."""
    if status not in Conversation.Status.values:
        raise ValidationError({"status": _("Choose open, pending or closed.")})
    if membership is not None and not can_answer(membership, conversation):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    if membership is not None and conversation.workspace_id != membership.workspace_id:
        raise PermissionDenied(_("This conversation is not in this workspace."))
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.status == status:
            return conversation
        before = audit.snapshot(conversation, ["status"])
        conversation.status = status
        fields = ["status"]
        if status == Conversation.Status.CLOSED:
            conversation.closed_at, conversation.closed_by = timezone.now(), _actor(membership)
            conversation.waiting_since = conversation.reply_due_at = None
            fields += ["closed_at", "closed_by", "waiting_since", "reply_due_at"]
        else:
            conversation.closed_at = None
            fields.append("closed_at")
        conversation.save(update_fields=fields)
        _event(conversation, "status", i18n.gettext("Status: %(status)s.") % {"status": STATUS_NAMES[status]},
               actor=_actor(membership), rule=rule)
        audit.record(conversation.workspace, _actor(membership), "conversation.status", conversation, before=before,
                     after={"status": status})
        if status == Conversation.Status.CLOSED:
            conversation_closed.send(sender=Conversation, conversation_id=conversation.pk, user=_actor(membership))
    return conversation


STATUS_NAMES = dict(Conversation.Status.choices)  # lazy labels: stored as messages, read in the reader's language


def do_set_priority(membership: Membership | None, conversation: Conversation, priority, *, rule=None) -> Conversation:
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        priority = -1
    if priority not in Conversation.Priority.values:
        raise ValidationError({"priority": _("Choose a priority: low, normal, high or urgent.")})
    _check_conversation(membership, conversation)
    with transaction.atomic():
        if conversation.priority == priority:
            return conversation
        before = {"priority": conversation.priority}
        Conversation.objects.filter(pk=conversation.pk).update(priority=priority)
        conversation.priority = priority
        _event(conversation, "priority", i18n.gettext("Priority: %(priority)s.") % {
            "priority": PRIORITY_NAMES[priority]}, actor=_actor(membership), rule=rule)
        audit.record(conversation.workspace, _actor(membership), "conversation.priority", conversation, before=before,
                     after={"priority": priority})
    return conversation


PRIORITY_NAMES = dict(Conversation.Priority.choices)


def do_tag(membership: Membership | None, conversation: Conversation, name: str, *, rule=None) -> Tag:
    _check_conversation(membership, conversation)
    name = check_tag_name(name)
    with transaction.atomic():
        tag, _created = Tag.objects.get_or_create(workspace_id=conversation.workspace_id, key=Tag.key_of(name),
                                                  defaults={"name": name})
        _link, created = ConversationTag.objects.get_or_create(conversation=conversation, tag=tag,
                                                               defaults={"tagged_by": _actor(membership)})
        if created:
            _event(conversation, "tagged", i18n.gettext("Tagged “%(tag)s”.") % {"tag": tag.name},
                   actor=_actor(membership), rule=rule)
            audit.record(conversation.workspace, _actor(membership), "conversation.tag", conversation,
                         after={"tag": tag.name})
    return tag


def do_untag(membership: Membership, conversation: Conversation, tag: Tag) -> None:
    _check_conversation(membership, conversation)
    with transaction.atomic():
        if ConversationTag.objects.filter(conversation=conversation, tag=tag).delete()[0]:
            audit.record(conversation.workspace, _actor(membership), "conversation.untag", conversation,
                         before={"tag": tag.name})


def check_note(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"note": _("Write the note before adding it.")})
    if len(text) > MAX_NOTE:
        raise ValidationError({"note": _("A note holds at most %(max)s characters; this one has %(n)s.") % {
            "max": MAX_NOTE, "n": len(text)}})
    return text


def do_add_note(membership: Membership, conversation: Conversation, text: str) -> Note:
    """An internal note: the team sees it, the member never does. Contributors add notes on what is routed to them."""
    if not can_answer(membership, conversation) or conversation.workspace_id != membership.workspace_id:
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    text = check_note(text)
    with transaction.atomic():
        note = Note.objects.create(conversation=conversation, author=membership.user, text=text)
        audit.record(conversation.workspace, membership.user, "conversation.note", conversation)
    return note


def do_mark_read(membership: Membership, conversation: Conversation) -> None:
    """Opened by someone of the team: no longer unread (not an audited change, like reading a mail)."""
    if conversation.unread and conversation.workspace_id == membership.workspace_id:
        Conversation.objects.filter(pk=conversation.pk).update(unread=False)
        conversation.unread = False


audit.GROUPS["conversation"] = gettext_lazy("Inbox")
audit.sentences({
    "conversation.assign": lambda e, n: _("%(actor)s changed who handles the conversation “%(object)s”.") % n,
    "conversation.status": lambda e, n: _("%(actor)s changed the status of the conversation “%(object)s”.") % n,
    "conversation.priority": lambda e, n: _("%(actor)s changed the priority of the conversation “%(object)s”.") % n,
    "conversation.tag": lambda e, n: _("%(actor)s tagged the conversation “%(object)s”.") % n,
    "conversation.untag": lambda e, n: _("%(actor)s removed a tag from the conversation “%(object)s”.") % n,
    "conversation.note": lambda e, n: _("%(actor)s added an internal note to the conversation “%(object)s”.") % n,
})
