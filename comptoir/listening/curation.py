"""Curation: mentions and articles saved “to share” with the team's note, and turned into a draft post in one click.

Publishing (the editorial calendar) does not exist yet: a draft is the text of the post, ready to copy, kept
on the saved content. When publishing arrives, “make a draft post” will create the post there instead.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.lib.sanitize import clean_text
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Membership

from .actions import check_managed
from .models import Curation

DRAFT_LIMIT = 500  # the shortest network we publish on counts 500 characters (Mastodon)
EXCERPT = 500
MAX_URL = 2000


def _text(value, limit: int) -> str:
    return clean_text(str(value or ""), max_length=limit + 1).strip()


def _check_note(note: str) -> str:
    note = _text(note, 5000)
    if len(note) > 5000:
        raise ValidationError({"note": _("A note has at most %(max)d characters.") % {"max": 5000}})
    return note


def _one_line(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


@transaction.atomic
def do_curate(membership: Membership, item_ids, note: str = "") -> int:
    """Save messages of the workspace “to share”, with the same note. Returns how many were not saved yet.

    A message already saved keeps its status; it gets the note if it had none.
    """
    from comptoir.stream.actions import check_items
    from comptoir.stream.models import Item

    check_perm(membership, roles.MANAGE_LISTENING)
    note = _check_note(note)
    ids = check_items(membership, item_ids)
    existing = {c.item_id: c for c in Curation.objects.filter(workspace_id=membership.workspace_id, item_id__in=ids)}
    fresh = []
    for item in Item.objects.filter(pk__in=[i for i in ids if i not in existing]).order_by("pk"):
        text = " ".join(item.text.split())
        fresh.append(Curation(workspace=membership.workspace, item=item, saved_by=membership.user, note=note,
                              title=_one_line(item.title or text, 200), url=item.url[:MAX_URL],
                              excerpt=text[:EXCERPT]))
    Curation.objects.bulk_create(fresh)
    if note:
        for curation in existing.values():
            if not curation.note:
                curation.note = note
                curation.save(update_fields=["note"])
    if fresh:
        audit.record(membership.workspace, membership.user, "curation.add", None,
                     after={"count": len(fresh), "items": [c.item_id for c in fresh][:50]})
    return len(fresh)


def check_link(url: str) -> str:
    url = _text(url, MAX_URL)
    if not url:
        raise ValidationError({"url": _("Paste the article's address, e.g. https://www.leprogres.fr/…")})
    if len(url) > MAX_URL:
        raise ValidationError({"url": _("An address has at most %(max)d characters.") % {"max": MAX_URL}})
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": _("Enter a web address starting with http:// or https://.")}) from None
    return url


@transaction.atomic
def do_curate_link(membership: Membership, url: str, note: str = "", title: str = "") -> Curation:
    """Save an article found elsewhere (its address, a title, the team's note) “to share”."""
    check_perm(membership, roles.MANAGE_LISTENING)
    errors = {}
    try:
        url = check_link(url)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        note = _check_note(note)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    title = " ".join(_text(title, 500).split())
    if len(title) > 500:
        errors["title"] = _("A title has at most %(max)d characters.") % {"max": 500}
    if not errors and Curation.objects.filter(workspace_id=membership.workspace_id, url=url).exclude(
            status=Curation.Status.DROPPED).exists():
        errors["url"] = _("This address is already saved to share.")
    if errors:
        raise ValidationError(errors)
    curation = Curation.objects.create(workspace=membership.workspace, url=url, title=title or urlsplit(url).hostname or "",
                                       note=note, saved_by=membership.user)
    audit.record(membership.workspace, membership.user, "curation.add_link", curation, after={"url": url})
    return curation


@transaction.atomic
def do_edit_curation(membership: Membership, curation: Curation, note: str, title: str | None = None) -> None:
    check_managed(membership, curation)
    note = _check_note(note)
    before = audit.snapshot(curation, ["title", "note"])
    curation.note = note
    if title is not None:
        title = " ".join(_text(title, 500).split())
        if len(title) > 500:
            raise ValidationError({"title": _("A title has at most %(max)d characters.") % {"max": 500}})
        curation.title = title or curation.title
    curation.save(update_fields=["note", "title"])
    audit.record(membership.workspace, membership.user, "curation.edit", curation, before=before,
                 after=audit.snapshot(curation, ["title", "note"]))


def compose_draft(title: str, url: str, note: str, limit: int = DRAFT_LIMIT) -> str:
    """The post's text: the team's note, then the title, then the link, within ``limit`` characters.

    The link is kept whole; the note and then the title are shortened (with “…”) to make room.
    """
    note, title = " ".join(note.split()), " ".join(title.split())
    link = url.strip()
    if len(link) > limit:
        link = ""
    parts = [p for p in (note, title, link) if p]
    draft = "\n\n".join(parts)
    if len(draft) <= limit:
        return draft
    fixed = len(link) + (2 if link else 0)
    room = limit - fixed
    if title and note:
        title_room = min(len(title), max(room // 3, 40))
        title = _one_line(title, title_room)
        note_room = room - len(title) - 2
        note = _one_line(note, note_room) if note_room >= 20 else ""
    elif title:
        title = _one_line(title, room)
    else:
        note = _one_line(note, room)
    return "\n\n".join(p for p in (note, title, link) if p)[:limit]


@transaction.atomic
def do_make_draft(membership: Membership, curation: Curation) -> str:
    """Turn a saved content into a draft post (title, link and note within 500 characters), ready to copy."""
    check_managed(membership, curation)
    if curation.status == Curation.Status.DROPPED:
        raise ValidationError(_("This content was dropped: put it back “to share” first."))
    curation.draft = compose_draft(curation.title or curation.excerpt[:200], curation.url, curation.note)
    before = curation.status
    curation.status = Curation.Status.DRAFTED
    curation.save(update_fields=["draft", "status"])
    audit.record(membership.workspace, membership.user, "curation.draft", curation, before={"status": before},
                 after={"status": curation.status})
    return curation.draft


@transaction.atomic
def do_set_curation_status(membership: Membership, curation: Curation, status: str) -> bool:
    """Mark a saved content shared, dropped, or back to share. Returns whether it changed."""
    check_managed(membership, curation)
    allowed = (Curation.Status.SHARED, Curation.Status.DROPPED, Curation.Status.TO_SHARE)
    if status not in allowed:
        raise ValidationError({"status": _("Choose shared, dropped or to share.")})
    if curation.status == status:
        return False
    before = curation.status
    curation.status = status
    curation.save(update_fields=["status"])
    audit.record(membership.workspace, membership.user, "curation.status", curation, before={"status": before},
                 after={"status": status})
    return True


def _status(value: str) -> str:
    return str(Curation.Status(value).label) if value in Curation.Status.values else value


audit.sentences({
    "curation.add": lambda e, n: ngettext("%(actor)s saved %(count)s message to share.",
                                          "%(actor)s saved %(count)s messages to share.",
                                          (e.after or {}).get("count", 0)) % {**n, "count": (e.after or {}).get("count", 0)},
    "curation.add_link": lambda e, n: _("%(actor)s saved the article “%(object)s” to share.") % n,
    "curation.edit": lambda e, n: _("%(actor)s edited the note on “%(object)s”.") % n,
    "curation.draft": lambda e, n: _("%(actor)s made a draft post from “%(object)s”.") % n,
    "curation.status": lambda e, n: _("%(actor)s marked “%(object)s” as %(status)s.") % {
        **n, "status": _status((e.after or {}).get("status", "")).lower()},
})
