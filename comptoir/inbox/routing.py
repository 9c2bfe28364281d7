"""Routing rules: when a new conversation (or a missed response-time target) matches a rule's conditions, the rule's
actions run — route to a team, assign a person, set the priority, tag, send an acknowledgment, notify by e-mail.

Rules run in order (``position``) in the transaction that created the conversation (the ``conversations_started``
signal); a matching rule with ``stop`` ends the evaluation. Every action goes through :mod:`comptoir.inbox.actions`
(or ``replies.do_send_reply``) with ``membership=None`` and ``rule=``, so the conversation's timeline names the rule
that acted. Replies and e-mails leave after the commit (the actions enqueue their own tasks ``on_commit``).

What a rule reads: the conversation's labels (intent, sentiment, language of its latest member message — at routing
time, its first), its channel, the member's segment (``newcomer``: the account's first conversation; ``returning``:
it wrote before; ``person``: the account is linked to a known person), and keywords written in the listening query
language (:mod:`comptoir.listening.querylang`), matched against the conversation's first member messages
(:data:`QUERY_MESSAGES`) as listening matches mentions.

"Test this rule" (:func:`preview`) replays conditions over the recent conversations, read-only and bounded
(:data:`PREVIEW_MAX` conversations, :data:`PREVIEW_SECONDS` seconds).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from comptoir.lib import i18n
from comptoir.lib.sanitize import clean_text
from comptoir.listening import querylang
from comptoir.listening.matcher import doc_from_item, evaluate
from comptoir.stream.actions import check_tag_name
from comptoir.stream.models import Item, LabelCorrection
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Channel, Membership

from . import actions
from .models import Conversation, ConversationItem, Event, RoutingRule, Team

logger = logging.getLogger(__name__)

NAME_MAX = 120
ACK_MAX = 2000
MAX_LIST = 20
MAX_RULES = 200
QUERY_MESSAGES = 5
PREVIEW_MAX = 5000
PREVIEW_SECONDS = 10.0
PREVIEW_DAYS = (1, 7, 30)
PREVIEW_SHOWN = 50

INTENTS = LabelCorrection.TASKS["intent"]
SENTIMENTS = LabelCorrection.TASKS["sentiment"]
SEGMENTS = {"newcomer": gettext_lazy("Newcomer (first conversation)"),
            "returning": gettext_lazy("Returning member"),
            "person": gettext_lazy("Known person (linked to a member profile)")}
NOTIFY = {"members": gettext_lazy("The team's members (notification and e-mail)"),
          "address": gettext_lazy("The team's e-mail address"),
          "managers": gettext_lazy("The workspace's owners and community managers")}
CONDITION_KEYS = ("intents", "languages", "channels", "sentiments", "segments", "query")
ACTION_KEYS = ("team", "assignee", "priority", "tag", "ack_text", "notify")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_VARIABLE = re.compile(r"\{(\w{1,30})\}")


# Checking a rule ------------------------------------------------------------------------------------------


def _as_list(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, str | int):
        return [value]
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    raise TypeError


def check_query(text) -> str:
    """A keyword condition as typed (trimmed), or a ValidationError on ``query`` with the parser's column and reason."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise ValidationError({"query": _("Keywords: write a listening query as text, e.g. adhésion OR adhérer.")})
    text = clean_text(text).strip()
    if not text:
        return ""
    if len(text) > querylang.MAX_LENGTH:
        raise ValidationError({"query": _("Keywords: a query has at most %(max)s characters.") % {
            "max": querylang.MAX_LENGTH}})
    try:
        querylang.parse(text)
    except querylang.QueryError as exc:
        raise ValidationError({"query": _("Keywords: column %(column)s: %(message)s") % {
            "column": exc.column, "message": exc.text(_)}}) from exc
    return text


def _check_choices(errors: dict, name: str, value, allowed, message: str) -> list[str]:
    try:
        values = [str(v) for v in _as_list(value)]
    except TypeError:
        errors[name] = [message]
        return []
    wrong = [v for v in values if v not in allowed]
    if wrong or len(values) > MAX_LIST:
        errors[name] = [message]
        return []
    return sorted(set(values))


def _check_conditions(workspace, data: dict, errors: dict) -> dict:
    conditions: dict = {}
    conditions["intents"] = _check_choices(errors, "intents", data.get("intents"), INTENTS,
                                           _("Choose intents from the list."))
    conditions["sentiments"] = _check_choices(errors, "sentiments", data.get("sentiments"), SENTIMENTS,
                                              _("Choose sentiments from the list: negative, neutral, positive."))
    conditions["segments"] = _check_choices(errors, "segments", data.get("segments"), SEGMENTS,
                                            _("Choose segments from the list: newcomer, returning, known person."))
    try:
        languages = sorted({str(v).strip().lower() for v in _as_list(data.get("languages"))} - {""})
    except TypeError:
        languages = ["?"]
    if len(languages) > MAX_LIST or any(not _LANGUAGE.fullmatch(v) for v in languages):
        errors["languages"] = [_("Write languages as two- or three-letter codes, e.g. fr, en.")]
        languages = []
    conditions["languages"] = languages
    try:
        channel_ids = {int(v) for v in _as_list(data.get("channels"))}
    except (TypeError, ValueError, OverflowError):
        channel_ids = {-1}
    if channel_ids:
        found = set(Channel.objects.filter(workspace=workspace, pk__in=[c for c in channel_ids if 0 < c < 2**63],
                                           removed_at__isnull=True).values_list("pk", flat=True))
        if found != channel_ids or len(channel_ids) > MAX_LIST:
            errors["channels"] = [_("Choose channels of this workspace from the list.")]
    conditions["channels"] = sorted(channel_ids) if "channels" not in errors else []
    try:
        conditions["query"] = check_query(data.get("query"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    return conditions


def check_conditions(workspace, data: dict) -> dict:
    """Only the conditions of a rule (what "test this rule" replays), cleaned, or a ValidationError naming the field."""
    errors: dict[str, list[str]] = {}
    conditions = _check_conditions(workspace, data, errors)
    if errors:
        raise ValidationError(errors)
    return {k: v for k, v in conditions.items() if v}


def check_rule(workspace, data: dict) -> dict:
    """A rule's fields from a flat mapping (name, trigger, enabled, stop, the conditions and the actions), cleaned:
    ``{"name", "trigger", "enabled", "stop", "conditions", "actions"}``. A ValidationError names every field at fault
    (channels, teams or members of another workspace are refused, as unknown ones)."""
    errors: dict[str, list[str]] = {}
    name = " ".join(clean_text(str(data.get("name") or "")).split())
    if not name:
        errors["name"] = [_("Give the rule a name that says what it does, e.g. “Membership requests to the "
                            "membership team”.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("A rule name has at most %(max)s characters.") % {"max": NAME_MAX}]
    trigger = str(data.get("trigger") or RoutingRule.Trigger.NEW)
    if trigger not in RoutingRule.Trigger.values:
        errors["trigger"] = [_("Choose when the rule runs: on a new conversation or on a missed target.")]
    conditions = _check_conditions(workspace, data, errors)
    rule_actions: dict = {}
    for key, check in (("team", actions.check_team), ("assignee", actions.check_assignee)):
        value = data.get(key)
        if isinstance(value, bool | float | list | dict):
            errors[key] = [_("Choose one of this workspace's teams.") if key == "team" else
                           _("Choose a member of this workspace to assign the conversation to.")]
            continue
        try:
            found = check(workspace.pk, value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        if found is not None:
            rule_actions[key] = found.pk if key == "team" else found.user_id
    priority = data.get("priority")
    if priority not in (None, ""):
        if isinstance(priority, bool) or str(priority).strip() not in {str(v) for v in Conversation.Priority.values}:
            errors["priority"] = [_("Choose a priority: low, normal, high or urgent.")]
        else:
            rule_actions["priority"] = int(priority)
    tag = data.get("tag")
    if tag not in (None, ""):
        try:
            rule_actions["tag"] = check_tag_name(tag) if isinstance(tag, str) else check_tag_name("")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    ack = data.get("ack_text")
    if ack not in (None, ""):
        ack = clean_text(ack).strip() if isinstance(ack, str) else None
        if ack is None:
            errors["ack_text"] = [_("Write the acknowledgment as text.")]
        elif len(ack) > ACK_MAX:
            errors["ack_text"] = [_("An acknowledgment holds at most %(max)s characters; this one has %(n)s.") % {
                "max": ACK_MAX, "n": len(ack)}]
        elif ack:
            rule_actions["ack_text"] = ack
    notify = data.get("notify")
    if notify not in (None, "", False):
        if notify is True:
            notify = "members"
        if not isinstance(notify, str) or notify not in NOTIFY:
            errors["notify"] = [_("Choose whom to notify: the team's members, the team's address or the managers.")]
        else:
            team = Team.objects.filter(pk=rule_actions.get("team")).first()
            if notify == "address" and team is not None and not team.email:
                errors["notify"] = [_("The team “%(team)s” has no e-mail address: add one to the team, or notify its "
                                      "members.") % {"team": team.name}]
            elif notify in ("members", "address") and team is None and trigger == RoutingRule.Trigger.NEW:
                errors["notify"] = [_("Notifying a team needs a team: choose the team to route to.")]
            else:
                rule_actions["notify"] = notify
    if not errors and not rule_actions:
        errors["__all__"] = [_("Choose at least one action: route to a team, assign, set the priority, tag, "
                               "acknowledge or notify.")]
    if errors:
        raise ValidationError(errors)
    return {"name": name, "trigger": trigger, "enabled": _flag(data.get("enabled"), True),
            "stop": _flag(data.get("stop"), False), "conditions": {k: v for k, v in conditions.items() if v},
            "actions": rule_actions}


def _flag(value, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value is True or str(value).lower() in ("1", "true", "on", "yes")


def flat(rule: RoutingRule) -> dict:
    """A rule as the flat mapping :func:`check_rule` reads (forms, the API)."""
    conditions = rule.conditions if isinstance(rule.conditions, dict) else {}
    acts = rule.actions if isinstance(rule.actions, dict) else {}
    return {"name": rule.name, "trigger": rule.trigger, "enabled": rule.enabled, "stop": rule.stop,
            **{k: conditions.get(k, "" if k == "query" else []) for k in CONDITION_KEYS},
            **{k: acts.get(k) for k in ACTION_KEYS}}


def matches_everything(conditions: dict) -> bool:
    return not any(conditions.get(k) for k in CONDITION_KEYS)


# Changing rules -------------------------------------------------------------------------------------------


SNAPSHOT = ["name", "trigger", "enabled", "stop", "conditions", "actions", "position"]


def _check_managed(membership: Membership, rule: RoutingRule | None = None) -> None:
    check_perm(membership, roles.MANAGE_INBOX)
    if rule is not None and rule.workspace_id != membership.workspace_id:
        raise PermissionDenied(_("This rule is not in this workspace."))


def do_save_rule(membership: Membership, data: dict, rule: RoutingRule | None = None) -> RoutingRule:
    """Create a rule (last in its trigger's order) or change one."""
    _check_managed(membership, rule)
    clean = check_rule(membership.workspace, data)
    with transaction.atomic():
        before = audit.snapshot(rule, SNAPSHOT) if rule is not None else None
        if rule is None:
            if RoutingRule.objects.filter(workspace=membership.workspace).count() >= MAX_RULES:
                raise ValidationError({"name": _("A workspace holds at most %(max)s rules: delete unused ones.") % {
                    "max": MAX_RULES}})
            rule = RoutingRule(workspace=membership.workspace, created_by=membership.user)
        if rule.pk is None or rule.trigger != clean["trigger"]:
            last = RoutingRule.objects.filter(workspace=membership.workspace, trigger=clean["trigger"]).exclude(
                pk=rule.pk).aggregate(m=Max("position"))["m"]
            rule.position = 0 if last is None else last + 1
        for name, value in clean.items():
            setattr(rule, name, value)
        rule.updated_at = timezone.now()
        rule.save()
        audit.record(membership.workspace, membership.user,
                     "routing_rule.create" if before is None else "routing_rule.update", rule, before=before,
                     after=audit.snapshot(rule, SNAPSHOT))
    return rule


def do_set_rule_enabled(membership: Membership, rule: RoutingRule, enabled: bool) -> RoutingRule:
    _check_managed(membership, rule)
    with transaction.atomic():
        if rule.enabled != enabled:
            rule.enabled = enabled
            rule.save(update_fields=["enabled"])
            audit.record(membership.workspace, membership.user,
                         "routing_rule.enable" if enabled else "routing_rule.disable", rule)
    return rule


def ordered(workspace_id: int, trigger: str) -> list[RoutingRule]:
    return list(RoutingRule.objects.filter(workspace_id=workspace_id, trigger=trigger).order_by("position", "pk"))


def _renumber(rules: list[RoutingRule]) -> None:
    for position, rule in enumerate(rules):
        if rule.position != position:
            rule.position = position
            RoutingRule.objects.filter(pk=rule.pk).update(position=position)


def do_move_rule(membership: Membership, rule: RoutingRule, direction: str) -> RoutingRule:
    """Move a rule one place up (earlier) or down (later) among the rules of its trigger."""
    _check_managed(membership, rule)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Move a rule up or down.")})
    with transaction.atomic():
        rules = ordered(rule.workspace_id, rule.trigger)
        index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(rules):
            rules[index], rules[other] = rules[other], rules[index]
            _renumber(rules)
            audit.record(membership.workspace, membership.user, "routing_rule.move", rule,
                         after={"position": other + 1})
    rule.refresh_from_db()
    return rule


def do_reorder_rules(membership: Membership, ids: list) -> list[RoutingRule]:
    """Put the listed rules first, in this order, each among the rules of its trigger; the others follow as they were."""
    _check_managed(membership)
    try:
        wanted = [int(i) for i in ids]
    except (TypeError, ValueError):
        raise ValidationError({"ids": _("List the rules by their ids.")}) from None
    if len(set(wanted)) != len(wanted):
        raise ValidationError({"ids": _("Each rule appears once in the order.")})
    with transaction.atomic():
        rules = {r.pk: r for r in RoutingRule.objects.select_for_update().filter(workspace=membership.workspace)}
        if any(i not in rules for i in wanted):
            raise ValidationError({"ids": _("List only this workspace's rules.")})
        for trigger in RoutingRule.Trigger.values:
            current = ordered(membership.workspace_id, trigger)
            first = [rules[i] for i in wanted if rules[i].trigger == trigger]
            _renumber(first + [r for r in current if r.pk not in set(wanted)])
        audit.record(membership.workspace, membership.user, "routing_rule.reorder", None,
                     object_repr=_("routing rules"), after={"order": wanted})
    return ordered(membership.workspace_id, RoutingRule.Trigger.NEW) + ordered(membership.workspace_id,
                                                                                 RoutingRule.Trigger.BREACH)


def do_delete_rule(membership: Membership, rule: RoutingRule) -> None:
    """Delete a rule; the timelines keep its name on what it did."""
    _check_managed(membership, rule)
    with transaction.atomic():
        audit.record(membership.workspace, membership.user, "routing_rule.delete", rule,
                     before=audit.snapshot(rule, SNAPSHOT))
        rule.delete()
        _renumber(ordered(membership.workspace_id, rule.trigger))


# Reading a conversation as rules do -----------------------------------------------------------------------


def _earlier_conversation():
    return Conversation.objects.filter(identity=OuterRef("identity"), workspace=OuterRef("workspace")).filter(
        Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")))


def with_segments(rows):
    """Annotate conversations with what segments read: ``seen_before`` (the account wrote an earlier conversation)."""
    return rows.annotate(seen_before=Exists(_earlier_conversation())).select_related("identity")


def segments_of(conversation: Conversation) -> set[str]:
    seen = getattr(conversation, "seen_before", None)
    if seen is None:
        seen = conversation.identity_id is not None and Conversation.objects.filter(
            identity_id=conversation.identity_id, workspace_id=conversation.workspace_id).filter(
            Q(created_at__lt=conversation.created_at) | Q(created_at=conversation.created_at, pk__lt=conversation.pk)
        ).exists()
    found = {"returning" if seen else "newcomer"}
    person = conversation.person_id or (conversation.identity.person_id if conversation.identity_id else None)
    if person:
        found.add("person")
    return found


def first_messages(conversation_ids: list[int]) -> dict[int, list[Item]]:
    """The first member messages (up to :data:`QUERY_MESSAGES`) of each conversation, for keyword conditions."""
    found: dict[int, list[Item]] = {}
    links = (ConversationItem.objects.filter(conversation_id__in=conversation_ids, inbound=True)
             .select_related("item__source", "item__author").order_by("conversation_id", "item__sort_key", "item_id"))
    for link in links.iterator(chunk_size=1000):
        bucket = found.setdefault(link.conversation_id, [])
        if len(bucket) < QUERY_MESSAGES:
            bucket.append(link.item)
    return found


@dataclass
class Compiled:
    """A rule's conditions read once: what :func:`matches` tests for each conversation."""

    conditions: dict
    query: querylang.Node | None = None
    error: str = ""
    sets: dict = field(default_factory=dict)


def compile_conditions(conditions: dict) -> Compiled:
    compiled = Compiled(conditions if isinstance(conditions, dict) else {})
    for key in ("intents", "languages", "channels", "sentiments", "segments"):
        value = compiled.conditions.get(key) or []
        compiled.sets[key] = {str(v) for v in value} if isinstance(value, list) else set()
    text = compiled.conditions.get("query") or ""
    if text:
        try:
            compiled.query = querylang.parse(str(text))
        except querylang.QueryError as exc:  # stored before a stricter parser: the rule matches nothing
            compiled.error = exc.text()
    return compiled


def matches(compiled: Compiled, conversation: Conversation, messages: list[Item] | None) -> bool:
    """Whether ``conversation`` meets every condition (an empty condition is met by all)."""
    if compiled.error:
        return False
    sets = compiled.sets
    for key, value in (("intents", conversation.intent), ("sentiments", conversation.sentiment),
                       ("channels", str(conversation.channel_id or "")), ("languages", conversation.language)):
        if sets[key] and value not in sets[key]:
            if key == "languages" and value and value.split("-")[0] in sets[key]:
                continue
            return False
    if sets["segments"] and not (sets["segments"] & segments_of(conversation)):
        return False
    if compiled.query is not None:
        return any(evaluate(compiled.query, doc_from_item(item)) for item in messages or [])
    return True


# Running rules --------------------------------------------------------------------------------------------


def render_variables(text: str, conversation: Conversation) -> str:
    """Fill ``{first_name}``, ``{name}``, ``{agent}`` and ``{channel}`` (as saved replies do); other braces stay."""
    identity = conversation.identity if conversation.identity_id else None
    person = conversation.person if conversation.person_id else None
    name = (person.display_name if person else "") or (identity.display_name if identity else "") or (
        identity.handle.lstrip("@").split("@")[0] if identity else "")
    agent = conversation.assignee.display_name if conversation.assignee_id else conversation.workspace.name
    values = {"first_name": name.split()[0] if name.split() else "", "name": name, "agent": agent,
              "channel": conversation.channel.label if conversation.channel_id else ""}
    return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _apply(rule: RoutingRule, conversation: Conversation) -> Conversation:
    acts = rule.actions if isinstance(rule.actions, dict) else {}
    if "team" in acts or "assignee" in acts:
        try:
            conversation = actions.do_assign(None, conversation, user_id=acts.get("assignee"), team_id=acts.get("team"),
                                             set_user="assignee" in acts, set_team="team" in acts, rule=rule)
        except ValidationError as exc:  # the member left, the team was deleted since the rule was written
            _skipped(conversation, rule, exc)
    if acts.get("priority") is not None:
        conversation = actions.do_set_priority(None, conversation, acts["priority"], rule=rule)
    if acts.get("tag"):
        try:
            actions.do_tag(None, conversation, acts["tag"], rule=rule)
        except ValidationError as exc:
            _skipped(conversation, rule, exc)
    if acts.get("ack_text"):
        from .models import Reply
        from .replies import do_send_reply

        text = render_variables(acts["ack_text"], conversation)
        try:
            with transaction.atomic():
                do_send_reply(None, conversation, text, purpose=Reply.Purpose.ACKNOWLEDGMENT, rule=rule, force=True)
        except ValidationError as exc:
            _skipped(conversation, rule, exc)
    if acts.get("notify"):
        _notify(rule, conversation, acts["notify"])
    return conversation


def _skipped(conversation: Conversation, rule: RoutingRule, exc: ValidationError) -> None:
    actions._event(conversation, "rule_skipped", i18n.gettext("An action was not done: %(reason)s") % {
        "reason": " ".join(exc.messages)[:300]}, rule=rule)


def _notify(rule: RoutingRule, conversation: Conversation, whom: str) -> None:
    from django.urls import reverse

    from comptoir.workspaces.notifications import notify

    conversation.refresh_from_db(fields=["team", "assignee"])
    team = conversation.team
    url = reverse("inbox_conversation", args=[conversation.workspace.slug, conversation.pk])
    message = i18n.gettext("The rule “%(rule)s” sends you the conversation “%(subject)s”.") % {
        "rule": rule.name, "subject": conversation.subject[:80]}
    if whom == "address":
        if team is None or not team.email:
            actions._event(conversation, "notified", i18n.gettext("Nobody was notified: the conversation has no team "
                                                                 "with an e-mail address."), rule=rule)
            return
        event = actions._event(conversation, "notified", i18n.gettext("The team address %(email)s was notified.") % {
            "email": team.email}, rule=rule)
        transaction.on_commit(lambda: mail_team.enqueue(event.pk))
        return
    if whom == "managers":
        wanted = [r for r in roles.Role.values if roles.has_perm(r, roles.MANAGE_INBOX)]
        users = [m.user for m in Membership.objects.filter(workspace_id=conversation.workspace_id, role__in=wanted)
                 .select_related("user")]
    else:
        users = [link.user for link in team.team_members.select_related("user")] if team is not None else []
        if not users and conversation.assignee_id:
            users = [conversation.assignee]
    if not users:
        actions._event(conversation, "notified", i18n.gettext("Nobody was notified: the team has no members."),
                       rule=rule)
        return
    notify(conversation.workspace_id, users, "conversation.routed", message, url=url,
           key=f"conversation-routed:{conversation.pk}")
    names = ", ".join(sorted(str(u) for u in users)[:5]) + (" …" if len(users) > 5 else "")
    actions._event(conversation, "notified", i18n.gettext("Notified: %(names)s.") % {"names": names}, rule=rule)


@task(queue_name="default")
def mail_team(event_id: int) -> str:
    """E-mail a team's shared address about a conversation a rule sent it (the timeline line ``event_id`` says so).
    Idempotent: the line records the sending, and a second run finds it done."""
    from django.conf import settings
    from django.core.mail import EmailMessage, mailers
    from django.urls import reverse
    from django.utils import translation

    event = Event.objects.select_related("conversation__team", "conversation__workspace").filter(pk=event_id).first()
    if event is None or event.message_params.get("sent"):
        return "skipped"
    conversation = event.conversation
    team = conversation.team
    if team is None or not team.email:
        return "skipped"
    params = dict(event.message_params)
    params["sent"] = True
    if not Event.objects.filter(pk=event.pk, message_params=event.message_params).update(message_params=params):
        return "skipped"
    with translation.override(conversation.workspace.language or settings.LANGUAGE_CODE):
        link = settings.BASE_URL + reverse("inbox_conversation", args=[conversation.workspace.slug, conversation.pk])
        subject = (_("[%(workspace)s] A conversation for the team %(team)s: %(subject)s") % {
            "workspace": conversation.workspace.name, "team": team.name, "subject": conversation.subject[:80]}
                   ).replace("\n", " ")[:200]
        body = "\n\n".join([_("The rule “%(rule)s” routed this conversation to the team %(team)s.") % {
            "rule": event.rule_name, "team": team.name}, conversation.subject, link])
    mailers.default.send_messages([EmailMessage(subject, body, None, [team.email])])
    return "sent"


def run_rules(conversation: Conversation, trigger: str = RoutingRule.Trigger.NEW) -> list[int]:
    """Run the workspace's enabled rules of ``trigger`` on ``conversation``, in order; returns the ids that matched.
    Call inside a transaction (rules change the conversation, its timeline and the activity log together)."""
    rules = [r for r in ordered(conversation.workspace_id, trigger) if r.enabled]
    if not rules:
        return []
    conversation = with_segments(Conversation.objects.filter(pk=conversation.pk)).select_related(
        "workspace", "channel", "person", "assignee").get()
    messages = None
    matched: list[int] = []
    for rule in rules:
        compiled = compile_conditions(rule.conditions)
        if compiled.query is not None and messages is None:
            messages = first_messages([conversation.pk]).get(conversation.pk, [])
        if not matches(compiled, conversation, messages):
            continue
        matched.append(rule.pk)
        RoutingRule.objects.filter(pk=rule.pk).update(matched_count=F("matched_count") + 1)
        conversation = _apply(rule, conversation)
        if rule.stop:
            break
    return matched


def conversations_started(sender, conversation_ids: list[int], **kwargs) -> None:
    """Route each new conversation once (``routed_at`` is its compare-and-set), in the transaction that made it.
    A rule that fails is logged and skipped: a message is never lost because a rule broke."""
    now = timezone.now()
    for conversation in Conversation.objects.filter(pk__in=conversation_ids, routed_at__isnull=True):
        if not Conversation.objects.filter(pk=conversation.pk, routed_at__isnull=True).update(routed_at=now):
            continue
        try:
            with transaction.atomic():
                run_rules(conversation, RoutingRule.Trigger.NEW)
        except Exception:
            logger.exception("routing conversation %s failed", conversation.pk)


# Test this rule -------------------------------------------------------------------------------------------


@dataclass
class Preview:
    days: int
    scanned: int = 0
    matched: int = 0
    capped: bool = False  # more conversations than PREVIEW_MAX in the period: the oldest were not read
    timed_out: bool = False
    everything: bool = False
    conversations: list = field(default_factory=list)
    error: str = ""

    @property
    def share(self) -> int:
        return round(100 * self.matched / self.scanned) if self.scanned else 0


def preview(workspace, conditions: dict, days: int = 7, *, now=None) -> Preview:
    """Which conversations of the last ``days`` days ``conditions`` would have matched (read-only): the newest
    :data:`PREVIEW_MAX` at most, for at most :data:`PREVIEW_SECONDS` seconds; the first :data:`PREVIEW_SHOWN` kept."""
    days = days if days in PREVIEW_DAYS else 7
    now = now or timezone.now()
    result = Preview(days=days, everything=matches_everything(conditions))
    compiled = compile_conditions(conditions)
    if compiled.error:
        result.error = compiled.error
        return result
    rows = Conversation.objects.filter(workspace=workspace, created_at__gte=now - timedelta(days=days))
    sets = compiled.sets
    if sets["intents"]:
        rows = rows.filter(intent__in=sets["intents"])
    if sets["sentiments"]:
        rows = rows.filter(sentiment__in=sets["sentiments"])
    if sets["channels"]:
        rows = rows.filter(channel_id__in=[int(c) for c in sets["channels"]])
    total = Conversation.objects.filter(workspace=workspace, created_at__gte=now - timedelta(days=days))
    newest = list(total.order_by("-created_at", "-pk").values_list("pk", flat=True)[:PREVIEW_MAX + 1])
    result.capped = len(newest) > PREVIEW_MAX
    newest = newest[:PREVIEW_MAX]
    place = {pk: n for n, pk in enumerate(newest)}
    result.scanned = len(newest)
    candidates = sorted(rows.filter(pk__in=newest).values_list("pk", flat=True), key=place.__getitem__)
    started = time.monotonic()
    chunk = 500
    for start in range(0, len(candidates), chunk):
        if time.monotonic() - started > PREVIEW_SECONDS:
            result.timed_out = True
            result.scanned = place[candidates[start]]  # every newer one was read
            break
        ids = candidates[start:start + chunk]
        batch = with_segments(Conversation.objects.filter(pk__in=ids)).select_related("channel", "team", "assignee")
        messages = first_messages(ids) if compiled.query is not None else {}
        for conversation in sorted(batch, key=lambda c: place[c.pk]):
            if matches(compiled, conversation, messages.get(conversation.pk)):
                result.matched += 1
                if len(result.conversations) < PREVIEW_SHOWN:
                    result.conversations.append(conversation)
    return result


def preview_summary(result: Preview) -> str:
    return ngettext("%(matched)s of %(scanned)s conversation of the last %(days)s days",
                    "%(matched)s of %(scanned)s conversations of the last %(days)s days", result.scanned) % {
        "matched": result.matched, "scanned": result.scanned, "days": result.days}


audit.GROUPS["routing_rule"] = gettext_lazy("Routing rules")
audit.sentences({
    "routing_rule.create": lambda e, n: _("%(actor)s created the routing rule “%(object)s”.") % n,
    "routing_rule.update": lambda e, n: _("%(actor)s changed the routing rule “%(object)s”.") % n,
    "routing_rule.delete": lambda e, n: _("%(actor)s deleted the routing rule “%(object)s”.") % n,
    "routing_rule.enable": lambda e, n: _("%(actor)s switched on the routing rule “%(object)s”.") % n,
    "routing_rule.disable": lambda e, n: _("%(actor)s switched off the routing rule “%(object)s”.") % n,
    "routing_rule.move": lambda e, n: _("%(actor)s moved the routing rule “%(object)s” to position %(position)s.") % {
        **n, "position": e.after["position"]},
    "routing_rule.reorder": lambda e, n: _("%(actor)s changed the order of the routing rules.") % n,
})
