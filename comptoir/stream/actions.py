"""What can be done to sources: add, pause, poll now, remove. Each writes the activity log."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptoir.connectors.base import Action, registered_networks
from comptoir.lib.sanitize import clean_text
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Membership

from . import search
from .models import Source
from .search import index_items


def owned_poll_interval(network: str) -> int | None:
    """Seconds between two reads of an owned channel on ``network``, when the network allows reading it fast enough
    for a message to reach the inbox within 15 s (the connector's ``fast_poll_seconds``); None: the source keeps its
    own interval. Listening sources always keep theirs."""
    cls = registered_networks().get(network)
    return None if cls is None else cls.fast_poll_seconds


def source_for_channel(channel) -> Source | None:
    """The source that brings in a channel's items, created on first need; None for networks that cannot be read.

    Polled networks are scheduled at once; pushed or imported ones (webhook, CSV) never are. A network that allows it
    is read at its fast interval (``owned_poll_interval``).
    """
    cls = registered_networks().get(channel.network)
    if cls is None or not cls.capabilities.can(Action.READ):
        return None
    if channel.removed_at is not None:
        return None
    defaults = {"workspace_id": channel.workspace_id, "network": channel.network, "label": str(channel),
                "language": channel.language, "next_poll_at": timezone.now() if cls.polled else None}
    fast = owned_poll_interval(channel.network)
    if fast is not None:
        defaults["poll_interval_seconds"] = fast
    source, _created = Source.objects.get_or_create(channel=channel, defaults=defaults)
    return source


@transaction.atomic
def do_add_source(membership: Membership, *, network: str, label: str, config: dict, language: str = "") -> Source:
    check_perm(membership, roles.MANAGE_CHANNELS)
    if network not in registered_networks():
        raise ValidationError({"network": _("Unknown network.")})
    label = (label or "").strip()[:200] or network
    source = Source.objects.create(workspace=membership.workspace, network=network, label=label, config=config,
                                   language=language, next_poll_at=timezone.now())
    audit.record(membership.workspace, membership.user, "source.add", source, after={"network": network, "label": label})
    return source


def _check_same_workspace(membership: Membership, source: Source) -> None:
    if source.workspace_id != membership.workspace_id:
        raise PermissionDenied


@transaction.atomic
def do_poll_now(membership: Membership, source: Source) -> None:
    check_perm(membership, roles.MANAGE_CHANNELS)
    _check_same_workspace(membership, source)
    Source.objects.filter(pk=source.pk).update(next_poll_at=timezone.now())
    audit.record(membership.workspace, membership.user, "source.poll_now", source)


@transaction.atomic
def do_set_source_paused(membership: Membership, source: Source, paused: bool) -> None:
    check_perm(membership, roles.MANAGE_CHANNELS)
    _check_same_workspace(membership, source)
    before = source.status
    source.status = Source.Status.PAUSED if paused else Source.Status.NEW
    source.next_poll_at = None if paused else timezone.now()
    source.save(update_fields=["status", "next_poll_at"])
    audit.record(membership.workspace, membership.user, "source.status", source, before={"status": before},
                 after={"status": source.status})


@transaction.atomic
def do_remove_source(membership: Membership, source: Source) -> int:
    """Stop reading a listening source. What it brought stays in the Fil; returns how many messages."""
    check_perm(membership, roles.MANAGE_CHANNELS)
    _check_same_workspace(membership, source)
    source = Source.objects.select_for_update().get(pk=source.pk)
    if source.channel_id is not None:
        raise ValidationError(_("This source belongs to a channel: remove the channel on the channels page."))
    if source.removed_at is not None:
        raise ValidationError(_("This listening source was already removed."))
    kept = source.items.count()
    source.removed_at, source.status, source.next_poll_at = timezone.now(), Source.Status.PAUSED, None
    source.save(update_fields=["removed_at", "status", "next_poll_at"])
    audit.record(membership.workspace, membership.user, "source.remove", source,
                 before={"label": source.label, "network": source.network}, after={"messages_kept": kept})
    return kept


def erase_counts(source: Source) -> dict[str, int]:
    """What erasing the messages of ``source`` would delete: messages and the label corrections made on them."""
    from .models import LabelCorrection

    return {"messages": source.items.count(),
            "corrections": LabelCorrection.objects.filter(item__source=source).count()}


def check_erase(membership: Membership, source: Source, confirmation: str) -> None:
    check_perm(membership, roles.ERASE_MESSAGES)
    _check_same_workspace(membership, source)
    if source.removed_at is None:
        raise ValidationError(_("Remove the channel or the source first: only the messages of a removed one can be "
                                "erased."))
    if (confirmation or "").strip() != source.label.strip():
        raise ValidationError({"confirmation": _("Type the name exactly as shown (“%(name)s”) to confirm.")
                               % {"name": source.label}})


ERASE_BATCH = 1000


@transaction.atomic
def do_erase_messages(membership: Membership, source: Source, confirmation: str) -> dict[str, int]:
    """Delete for good the messages a removed channel or source brought, their label corrections, and the
    removed channel or source itself. Owners only, with the name typed as confirmation; logged with the counts.
    """
    from .models import Item, LabelCorrection

    source = Source.objects.select_for_update(of=("self",)).select_related("channel").get(pk=source.pk)
    check_erase(membership, source, confirmation)
    counts = erase_counts(source)
    ids = list(Item.objects.filter(source=source).values_list("id", flat=True))
    for start in range(0, len(ids), ERASE_BATCH):
        chunk = ids[start:start + ERASE_BATCH]
        LabelCorrection.objects.filter(item_id__in=chunk).delete()
        search.forget(Item.objects.filter(id__in=chunk).values_list("sort_key", flat=True))
        Item.objects.filter(id__in=chunk).delete()
    channel = source.channel
    audit.record(membership.workspace, membership.user, "stream.erase", channel or source,
                 before={"label": source.label, "network": source.network, **counts}, object_repr=source.label)
    source.delete()
    if channel is not None:
        channel.delete()
    return counts




def do_import_csv(membership: Membership, channel, data, *, preset: str, mapping: dict | None = None,
                  tz: str = "Europe/Paris", progress=None, network: str | None = None, date_order: str | None = None):
    """Import an exported CSV file into ``channel``: all rows or none, with a summary of what happened.

    Returns the importer's ``ImportSummary`` whose ``duplicates`` counts rows repeated in the file and rows
    already in Comptoir; ``rejected`` lists the bad rows with their line numbers and reasons.
    """
    from comptoir.connectors.csvimport import importer

    from .ingest import store_fetched

    check_perm(membership, roles.MANAGE_CHANNELS)
    if channel.workspace_id != membership.workspace_id:
        raise PermissionDenied
    if channel.removed_at is not None:
        raise ValidationError(_("This channel was removed: connect it again to import into it."))
    source = source_for_channel(channel)
    batch: list = []
    stored = {"created": 0, "duplicates": 0}

    def flush():
        result = store_fetched(source, batch)
        stored["created"] += result.created
        stored["duplicates"] += result.duplicates
        batch.clear()

    def on_item(item):
        batch.append(item)
        if len(batch) >= 500:
            flush()

    with transaction.atomic():
        rows = importer.parse_rows(data, preset=preset, mapping=mapping or None, network=network or channel.network, tz=tz,
                                   progress=progress, date_order=date_order or None)
        summary = importer.summarize(rows, on_item=on_item)
        flush()
        summary.duplicates += stored["duplicates"]
        summary.imported = stored["created"]
        audit.record(membership.workspace, membership.user, "channel.import_csv", channel, after={
            "preset": preset, "rows": summary.total, "imported": summary.imported, "duplicates": summary.duplicates,
            "rejected": len(summary.rejected)})
    return summary


# Lazy: this dict is built once at import, and read in each user's language.
LABEL_NAMES = {
    "negative": gettext_lazy("Negative"), "neutral": gettext_lazy("Neutral"), "positive": gettext_lazy("Positive"), "clean": gettext_lazy("Clean"),
    "toxic": gettext_lazy("Toxic"), "ham": gettext_lazy("Not spam"), "spam": gettext_lazy("Spam"), "other": gettext_lazy("Other"),
    "complaint": gettext_lazy("Complaint"), "membership": gettext_lazy("Membership"), "question": gettext_lazy("Question"),
    "praise": gettext_lazy("Praise"), "purchase": gettext_lazy("Buying signal"),
}


@transaction.atomic
def do_correct_label(membership: Membership, item, task: str, label: str):
    """Set ``task`` of ``item`` to ``label`` and keep the correction as training data. Idempotent."""
    from .models import Item, LabelCorrection

    check_perm(membership, roles.MODERATE)
    if item.workspace_id != membership.workspace_id:
        raise PermissionDenied
    allowed = LabelCorrection.TASKS.get(task)
    if allowed is None:
        raise ValidationError({"task": _("Unknown label. Choose sentiment, toxicity, spam, complaint or intent.")})
    if label not in allowed:
        raise ValidationError({"label": _("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)}})
    item = Item.objects.select_for_update().get(pk=item.pk)
    old = getattr(item, task)
    if old == label:
        return None
    setattr(item, task, label)
    fields = [task]
    if task == "intent" or task == "complaint":
        # The two agree: a complaint intent is a complaint, and the other way round.
        if task == "intent":
            item.complaint = "complaint" if label == "complaint" else ("other" if item.complaint == "complaint" else item.complaint)
        elif label == "complaint":
            item.intent = "complaint"
        elif item.intent == "complaint":
            item.intent = "other"
        fields = ["intent", "complaint"]
    item.save(update_fields=fields)  # the save reindexes: labels are search and filter tokens
    correction = LabelCorrection.objects.create(
        workspace_id=item.workspace_id, item=item, task=task, old_label=old, new_label=label,
        text=f"{item.title}\n{item.text}".strip(), language=item.language, model_version=item.model_version,
        corrected_by=membership.user)
    audit.record(membership.workspace, membership.user, "item.correct_label", item, before={task: old},
                 after={task: label}, object_repr=item.text[:80])
    from .signals import labels_corrected

    labels_corrected.send(sender=Item, item_ids=[item.pk], task=task, label=label)
    return correction


# The Fil's review, tags and saved views ----------------------------------------------------------

MAX_BULK = 500
TAG_MAX_LENGTH = 50


def check_items(membership: Membership, item_ids) -> list[int]:
    """The ids among ``item_ids`` that are messages of the member's workspace; refuses an empty or huge selection."""
    from .models import Item

    try:
        ids = list(dict.fromkeys(int(i) for i in item_ids))
    except (TypeError, ValueError):
        ids = None
    if ids is None or any(not 0 < i < 2**63 for i in ids):
        raise ValidationError({"items": _("The selection holds something that is not a message: select again.")})
    if not ids:
        raise ValidationError({"items": _("Select at least one message.")})
    if len(ids) > MAX_BULK:
        raise ValidationError({"items": _("Select at most %(max)d messages at a time.") % {"max": MAX_BULK}})
    found = list(Item.objects.filter(workspace_id=membership.workspace_id, pk__in=ids).values_list("pk", flat=True))
    if len(found) != len(ids):
        raise PermissionDenied(_("Some of these messages are not in this workspace."))
    return found


@transaction.atomic
def do_set_reviewed(membership: Membership, item_ids, reviewed: bool) -> int:
    """Mark messages reviewed (seen and dealt with by the team) or back to review. Returns how many changed."""
    from .models import Item

    check_perm(membership, roles.MODERATE)
    ids = check_items(membership, item_ids)
    changing = list(Item.objects.filter(pk__in=ids).exclude(reviewed=reviewed).values_list("pk", flat=True))
    Item.objects.filter(pk__in=changing).update(
        reviewed=reviewed, reviewed_at=timezone.now() if reviewed else None,
        reviewed_by=membership.user if reviewed else None)
    index_items(changing)
    if changing:
        audit.record(membership.workspace, membership.user, "item.review" if reviewed else "item.unreview", None,
                     after={"count": len(changing), "items": changing[:50]})
    return len(changing)


def check_tag_name(name: str) -> str:
    name = " ".join(clean_text(str(name or "")).split())
    if not name:
        raise ValidationError({"tag": _("Give the tag a name, e.g. “à relayer” or “campagne été”.")})
    if len(name) > TAG_MAX_LENGTH:
        raise ValidationError({"tag": _("A tag has at most %(max)d characters.") % {"max": TAG_MAX_LENGTH}})
    return name


@transaction.atomic
def do_tag(membership: Membership, item_ids, name: str):
    """Put the tag ``name`` on messages (made on first use, names compared without case). Returns the tag."""
    from .models import ItemTag, Tag

    check_perm(membership, roles.MODERATE)
    name = check_tag_name(name)
    ids = check_items(membership, item_ids)
    tag, _created = Tag.objects.get_or_create(workspace_id=membership.workspace_id, key=Tag.key_of(name),
                                              defaults={"name": name})
    already = set(ItemTag.objects.filter(tag=tag, item_id__in=ids).values_list("item_id", flat=True))
    fresh = [i for i in ids if i not in already]
    ItemTag.objects.bulk_create([ItemTag(item_id=i, tag=tag, tagged_by=membership.user) for i in fresh])
    index_items(fresh)
    if fresh:
        audit.record(membership.workspace, membership.user, "item.tag", tag, after={"count": len(fresh), "items": fresh[:50]})
    return tag


@transaction.atomic
def do_untag(membership: Membership, item_ids, tag) -> int:
    from .models import ItemTag

    check_perm(membership, roles.MODERATE)
    if tag.workspace_id != membership.workspace_id:
        raise PermissionDenied
    ids = check_items(membership, item_ids)
    removed = list(ItemTag.objects.filter(tag=tag, item_id__in=ids).values_list("item_id", flat=True))
    ItemTag.objects.filter(tag=tag, item_id__in=removed).delete()
    index_items(removed)
    if removed:
        audit.record(membership.workspace, membership.user, "item.untag", tag,
                     before={"count": len(removed), "items": removed[:50]})
    return len(removed)


@transaction.atomic
def do_bulk_correct_label(membership: Membership, item_ids, task: str, label: str) -> int:
    """Correct one label on several messages: each correction is kept and logged as one correction is."""
    from .models import Item

    check_perm(membership, roles.MODERATE)
    ids = check_items(membership, item_ids)
    corrected = 0
    for item in Item.objects.filter(pk__in=ids):
        corrected += do_correct_label(membership, item, task, label) is not None
    return corrected


VIEW_MAX = 30


@transaction.atomic
def do_save_view(membership: Membership, name: str, query: str, *, screen: str = "stream"):
    """Save the current filters of a list screen (the Fil by default) under ``name`` for this person (the same
    name on the same screen replaces its filters)."""
    from .models import SavedView

    name = " ".join(clean_text(str(name or "")).split())
    if not name:
        raise ValidationError({"name": _("Give the view a name, e.g. “Complaints to answer”.")})
    if len(name) > 60:
        raise ValidationError({"name": _("A view name has at most %(max)d characters.") % {"max": 60}})
    if len(query) > 2000:
        raise ValidationError({"name": _("These filters are too long to be saved.")})
    views = SavedView.objects.filter(workspace_id=membership.workspace_id, user=membership.user, screen=screen)
    if not views.filter(name=name).exists() and views.count() >= VIEW_MAX:
        raise ValidationError({"name": _("You have %(max)d saved views already: delete one first.") % {"max": VIEW_MAX}})
    view, _created = SavedView.objects.update_or_create(workspace_id=membership.workspace_id, user=membership.user,
                                                         screen=screen, name=name, defaults={"query": query})
    audit.record(membership.workspace, membership.user, "view.save", view,
                 after={"name": name, "query": query, "screen": screen})
    return view


@transaction.atomic
def do_delete_view(membership: Membership, view) -> None:
    if view.workspace_id != membership.workspace_id or view.user_id != membership.user_id:
        raise PermissionDenied
    audit.record(membership.workspace, membership.user, "view.delete", view,
                 before={"name": view.name, "query": view.query, "screen": view.screen})
    view.delete()
