"""Saved replies: ready answers a team reuses, in French, English or any language, with variables filled per
conversation ({first_name}, {name}, {handle}, {agent}, {channel}, {workspace}).

A saved reply is plain text. HTML typed into one is kept as the literal characters (a CM may well explain "<b>" to a
member) and escaped wherever it is shown; it goes to the network as text, like anything typed in the composer.
"""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptoir.workspaces import audit, roles
from comptoir.workspaces.models import Membership

from .models import Conversation, SavedReply

MAX_TITLE = 120
MAX_TEXT = 5000
LANGUAGES = {"fr", "en", ""}  # "" = any language
VARIABLES = ("first_name", "name", "handle", "agent", "channel", "workspace")
_VARIABLE = re.compile(r"\{(\w+)\}")


def check_saved_reply(workspace_id: int, title, language, text, *, instance: SavedReply | None = None) -> dict:
    """The saved reply's fields as they will be stored, or a ValidationError naming each field to fix."""
    title = " ".join(str(title or "").split())
    language = str(language or "").strip()
    text = str(text or "").replace("\r\n", "\n").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the saved reply a title the team will search for.")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [_("A title holds at most %(max)s characters; this one has %(n)s.") % {
            "max": MAX_TITLE, "n": len(title)}]
    if language == "any":
        language = ""
    if language not in LANGUAGES:
        errors["language"] = [_("Choose French, English or any language.")]
    if not text:
        errors["text"] = [_("Write the text of the saved reply.")]
    elif len(text) > MAX_TEXT:
        errors["text"] = [_("A saved reply holds at most %(max)s characters; this one has %(n)s.") % {
            "max": MAX_TEXT, "n": len(text)}]
    if not errors:
        # Compared in Python: SQLite's case-insensitive match only folds ASCII ("ADHÉSION" is "Adhésion" here too).
        same = SavedReply.objects.filter(workspace_id=workspace_id, language=language)
        if instance is not None:
            same = same.exclude(pk=instance.pk)
        if any(t.casefold() == title.casefold() for t in same.values_list("title", flat=True)):
            errors["title"] = [_("A saved reply with this title already exists in this language: choose another title, "
                                 "or edit that one.")]
    if errors:
        raise ValidationError(errors)
    return {"title": title, "language": language, "text": text}


def _check_manager(membership: Membership, saved: SavedReply | None = None) -> None:
    if not roles.has_perm(membership.role, roles.MANAGE_INBOX):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    if saved is not None and saved.workspace_id != membership.workspace_id:
        raise PermissionDenied(_("This saved reply is not in this workspace."))


FIELDS = ["title", "language", "text"]


def _save(saved: SavedReply, data: dict) -> SavedReply:
    try:
        with transaction.atomic():
            for name, value in data.items():
                setattr(saved, name, value)
            saved.updated_at = timezone.now()
            saved.save()
    except IntegrityError:  # two people saving the same title at once: the check above raced
        raise ValidationError({"title": [_("A saved reply with this title already exists in this language: choose "
                                           "another title, or edit that one.")]}) from None
    return saved


def do_create_saved_reply(membership: Membership, title, language, text) -> SavedReply:
    _check_manager(membership)
    data = check_saved_reply(membership.workspace_id, title, language, text)
    with transaction.atomic():
        saved = _save(SavedReply(workspace=membership.workspace, created_by=membership.user), data)
        audit.record(membership.workspace, membership.user, "saved_reply.create", saved,
                     after=audit.snapshot(saved, FIELDS))
    return saved


def do_update_saved_reply(membership: Membership, saved: SavedReply, title, language, text) -> SavedReply:
    _check_manager(membership, saved)
    data = check_saved_reply(membership.workspace_id, title, language, text, instance=saved)
    with transaction.atomic():
        before = audit.snapshot(saved, FIELDS)
        saved = _save(saved, data)
        audit.record(membership.workspace, membership.user, "saved_reply.update", saved, before=before,
                     after=audit.snapshot(saved, FIELDS))
    return saved


def do_delete_saved_reply(membership: Membership, saved: SavedReply) -> None:
    _check_manager(membership, saved)
    with transaction.atomic():
        audit.record(membership.workspace, membership.user, "saved_reply.delete", saved,
                     before=audit.snapshot(saved, FIELDS))
        saved.delete()


def search(workspace_id: int, q: str = "", *, language: str | None = None, prefer: str = "", limit: int | None = None):
    """Saved replies whose title or text holds ``q``; ``language`` filters ("any" = those for any language),
    ``prefer`` puts a language first (the conversation's), then those for any language, then the others."""
    found = SavedReply.objects.filter(workspace_id=workspace_id)
    q = " ".join(str(q or "").split())[:200]
    for word in q.split()[:8]:
        found = found.filter(Q(title__icontains=word) | Q(text__icontains=word))
    if language == "any":
        found = found.filter(language="")
    elif language in ("fr", "en"):
        found = found.filter(language=language)
    if prefer:
        found = found.annotate(rank=Case(When(language=prefer, then=Value(0)), When(language="", then=Value(1)),
                                         default=Value(2), output_field=IntegerField()))
        found = found.order_by("rank", "-use_count", "title")
    else:
        found = found.order_by("title", "language")
    return found[:limit] if limit else found


def variables(conversation: Conversation, agent) -> dict[str, str]:
    """What each variable stands for in this conversation ("" when unknown: the variable then stays visible)."""
    identity = conversation.identity
    name = ""
    if conversation.person_id and conversation.person and conversation.person.display_name:
        name = conversation.person.display_name
    elif identity is not None:
        name = identity.display_name
    name = " ".join(name.split())
    handle = identity.handle if identity is not None else ""
    if handle and identity.network in ("mastodon", "bluesky") and not handle.startswith("@"):
        handle = "@" + handle
    channel = conversation.channel
    return {
        "first_name": name.split()[0] if name else "",
        "name": name,
        "handle": handle,
        "agent": (getattr(agent, "full_name", "") or "").strip() or (str(agent) if agent is not None else ""),
        "channel": (channel.label or channel.handle) if channel is not None else "",
        "workspace": conversation.workspace.name,
    }


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with its known variables replaced; an unknown or empty one is left as written, for the CM to see."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1)) or m.group(0), text)


def render(saved: SavedReply, conversation: Conversation, agent) -> str:
    return fill(saved.text, variables(conversation, agent))


def note_use(workspace_id: int, saved_reply_id) -> None:
    """A reply built from this saved reply was sent: it counts (the list sorts the most used first)."""
    try:
        pk = int(saved_reply_id)
    except (TypeError, ValueError):
        return
    SavedReply.objects.filter(workspace_id=workspace_id, pk=pk).update(use_count=F("use_count") + 1)


def language_label(code: str) -> str:
    return str({"fr": _("French"), "en": _("English")}.get(code, _("Any language")))


audit.GROUPS["saved_reply"] = gettext_lazy("Saved replies")
audit.sentences({
    "saved_reply.create": lambda e, n: _("%(actor)s created the saved reply “%(object)s”.") % n,
    "saved_reply.update": lambda e, n: _("%(actor)s changed the saved reply “%(object)s”.") % n,
    "saved_reply.delete": lambda e, n: _("%(actor)s deleted the saved reply “%(object)s”.") % n,
})
