"""What can be done to topics of watch: create, edit, archive, delete. Each ``do_*`` checks the member's
permission, runs in one transaction and writes the activity log; a change of a topic's queries or sources reads
the workspace's messages again for it (``tasks.rematch_topic``, once committed)."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.lib.sanitize import clean_text
from comptoir.stream.models import Source
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Membership

from . import querylang
from .models import MAX_QUERY_LENGTH, Topic, TopicQuery

MAX_QUERIES = 20
NAME_MAX = 100
DESCRIPTION_MAX = 2000
COLOR = re.compile(r"#[0-9a-f]{6}")


def query_error_message(exc: querylang.QueryError, shift: int = 0) -> str:
    """A query's mistake as the reader reads it: “Column 7: this parenthesis is never closed.”, in their language."""
    return _("Column %(column)s: %(message)s") % {"column": exc.column + shift, "message": exc.text(_)}


def check_query(text: str) -> tuple[str, str]:
    """A query as typed (trimmed) and its normalised form; a ValidationError with the column when it is wrong."""
    typed = clean_text(str(text or "")).rstrip()
    text = typed.lstrip()
    if not text:
        raise ValidationError(_("Write the query, e.g. “vélo” OR #velotaf."))
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationError(_("A query has at most %(max)d characters.") % {"max": MAX_QUERY_LENGTH})
    try:
        return text, querylang.normalise(text)
    except querylang.QueryError as exc:
        # The column as the person counts it in what they typed, leading spaces included.
        raise ValidationError(query_error_message(exc, shift=len(typed) - len(text)), code="query") from exc


def check_queries(texts) -> list[tuple[str, str]]:
    """The topic's queries (empty ones left out, repeats once), each checked; at least one, at most MAX_QUERIES."""
    checked: list[tuple[str, str]] = []
    errors = []
    for n, text in enumerate([t for t in (texts or []) if str(t or "").strip()], start=1):
        try:
            query = check_query(text)
        except ValidationError as exc:
            errors.append(_("Query %(n)s — %(error)s") % {"n": n, "error": " ".join(exc.messages)})
            continue
        if query[1] not in {q[1] for q in checked}:
            checked.append(query)
    if errors:
        raise ValidationError({"queries": errors})
    if not checked:
        raise ValidationError({"queries": _("Give the topic at least one query: the words that make a message "
                                            "one of its mentions.")})
    if len(checked) > MAX_QUERIES:
        raise ValidationError({"queries": _("A topic has at most %(max)d queries: join some with OR.")
                               % {"max": MAX_QUERIES}})
    return checked


def _name_key(name: str) -> str:
    """Two names a person would call the same (case, Unicode composition) are one."""
    return unicodedata.normalize("NFC", name).casefold()


def check_managed(membership: Membership, obj) -> None:
    """The member may manage listening, and ``obj`` (a rule, an alert, an incident, a step, a saved content…) belongs
    to their workspace: otherwise PermissionDenied."""
    check_perm(membership, roles.MANAGE_LISTENING)
    if obj.workspace_id != membership.workspace_id:
        raise PermissionDenied


def _check_same_workspace(membership: Membership, topic: Topic) -> None:
    if topic.workspace_id != membership.workspace_id:
        raise PermissionDenied


def check_topic(membership: Membership, *, name, kind, color, description="", sources=(), queries=(),
                topic: Topic | None = None) -> dict:
    """The topic's fields, cleaned, or a ValidationError naming each wrong field."""
    errors: dict[str, list[str]] = {}
    name = " ".join(clean_text(str(name or "")).split())
    if not name:
        errors["name"] = [_("Give the topic a name, e.g. your brand, a competitor or a theme.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("A topic's name has at most %(max)d characters.") % {"max": NAME_MAX}]
    else:
        others = Topic.objects.filter(workspace_id=membership.workspace_id).exclude(pk=getattr(topic, "pk", None))
        if _name_key(name) in {_name_key(n) for n in others.values_list("name", flat=True)}:
            errors["name"] = [_("This workspace already has a topic named “%(name)s”.") % {"name": name}]
    if kind not in Topic.Kind.values:
        errors["kind"] = [_("Choose brand, competitor, theme or person.")]
    color = str(color or "").strip().lower()
    if not COLOR.fullmatch(color):
        errors["color"] = [_("Choose one of the colours.")]
    description = clean_text(str(description or "")).strip()
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = [_("The description has at most %(max)d characters.") % {"max": DESCRIPTION_MAX}]
    try:
        source_ids = sorted({int(s) for s in sources or ()})
    except (TypeError, ValueError):
        source_ids = None
    allowed = set(Source.objects.current().filter(workspace_id=membership.workspace_id).values_list("pk", flat=True))
    if source_ids is None or not set(source_ids) <= allowed:
        errors["sources"] = [_("Choose among the listening sources of this workspace.")]
    try:
        checked = check_queries(queries)
    except ValidationError as exc:
        errors["queries"] = exc.message_dict["queries"]
        checked = []
    if errors:
        raise ValidationError(errors)
    return {"name": name, "kind": kind, "color": color, "description": description, "sources": source_ids,
            "queries": checked}


def _snapshot(topic: Topic) -> dict:
    return {"name": topic.name, "kind": topic.kind, "color": topic.color, "description": topic.description,
            "queries": list(topic.queries.order_by("pk").values_list("text", flat=True)),
            "sources": sorted(topic.sources.values_list("label", flat=True))}


def _rematch_on_commit(topic: Topic) -> None:
    from . import tasks

    topic_id = topic.pk
    transaction.on_commit(lambda: tasks.rematch_topic.enqueue(topic_id))


def _set_queries(membership: Membership, topic: Topic, queries: list[tuple[str, str]]) -> bool:
    """Keep the queries whose normalised form stays, replace the others by new rows; True when matching changes.

    A changed query is a new row (never an update in place): the compiled matcher knows the queries by id.
    """
    current = {q.normalised: q for q in topic.queries.all()}
    wanted = {normalised: text for text, normalised in queries}
    gone = [q.pk for n, q in current.items() if n not in wanted]
    TopicQuery.objects.filter(pk__in=gone).delete()
    for normalised, text in wanted.items():
        kept = current.get(normalised)
        if kept is None:
            TopicQuery.objects.create(workspace_id=topic.workspace_id, topic=topic, text=text, normalised=normalised,
                                      created_by=membership.user)
        elif kept.text != text:
            TopicQuery.objects.filter(pk=kept.pk).update(text=text)  # same meaning, other spelling
    return bool(gone) or any(n not in current for n in wanted)


@transaction.atomic
def do_create_topic(membership: Membership, **fields) -> Topic:
    """Create a topic with its queries and sources, and read the workspace's messages for it once committed."""
    check_perm(membership, roles.MANAGE_LISTENING)
    data = check_topic(membership, **fields)
    topic = Topic.objects.create(workspace=membership.workspace, name=data["name"], kind=data["kind"],
                                 color=data["color"], description=data["description"], created_by=membership.user)
    topic.sources.set(data["sources"])
    _set_queries(membership, topic, data["queries"])
    audit.record(membership.workspace, membership.user, "topic.create", topic, after=_snapshot(topic))
    _rematch_on_commit(topic)
    return topic


@transaction.atomic
def do_update_topic(membership: Membership, topic: Topic, **fields) -> Topic:
    """Change a topic; when its queries or sources change, its mentions are read again (added and removed)."""
    check_perm(membership, roles.MANAGE_LISTENING)
    _check_same_workspace(membership, topic)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    data = check_topic(membership, topic=topic, **fields)
    before = _snapshot(topic)
    old_sources = set(topic.sources.values_list("pk", flat=True))
    topic.name, topic.kind, topic.color, topic.description = data["name"], data["kind"], data["color"], data["description"]
    topic.save(update_fields=["name", "kind", "color", "description"])
    topic.sources.set(data["sources"])
    changed = _set_queries(membership, topic, data["queries"]) or set(data["sources"]) != old_sources
    after = _snapshot(topic)
    if after != before:
        changes = [k for k in after if after[k] != before[k]]
        audit.record(membership.workspace, membership.user, "topic.update", topic,
                     before={k: before[k] for k in changes}, after={k: after[k] for k in changes})
    if changed and topic.archived_at is None:
        _rematch_on_commit(topic)
    return topic


@transaction.atomic
def do_set_topic_archived(membership: Membership, topic: Topic, archived: bool) -> bool:
    """Archive a topic (it stops matching; its mentions stay) or bring it back (it reads what it missed).
    Returns whether anything changed."""
    check_perm(membership, roles.MANAGE_LISTENING)
    _check_same_workspace(membership, topic)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    if (topic.archived_at is not None) == archived:
        return False
    topic.archived_at = timezone.now() if archived else None
    topic.save(update_fields=["archived_at"])
    audit.record(membership.workspace, membership.user, "topic.archive" if archived else "topic.unarchive", topic,
                 after={"mentions": topic.mentions.count()})
    if not archived:
        _rematch_on_commit(topic)
    return True


def delete_counts(topic: Topic) -> dict[str, int]:
    """What deleting ``topic`` forgets: its mentions (the messages stay), its queries, its alert rules."""
    return {"mentions": topic.mentions.count(), "queries": topic.queries.count(), "alert_rules": topic.alert_rules.count()}


@transaction.atomic
def do_delete_topic(membership: Membership, topic: Topic) -> dict[str, int]:
    """Delete a topic, its queries and which messages it had matched. The messages stay in the stream."""
    check_perm(membership, roles.MANAGE_LISTENING)
    _check_same_workspace(membership, topic)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    counts = delete_counts(topic)
    audit.record(membership.workspace, membership.user, "topic.delete", topic,
                 before={**_snapshot(topic), **counts}, object_repr=topic.name)
    topic.delete()
    return counts
