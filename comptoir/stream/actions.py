"""What can be done to sources: add, pause, poll now, remove. Each writes the activity log."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.connectors.base import Action, registered_networks
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Membership, Workspace

from .models import Source


def sync_channel_sources(workspace: Workspace) -> None:
    """Every connected channel that can be read has exactly one source."""
    networks = registered_networks()
    for channel in workspace.channels.filter(source__isnull=True):
        cls = networks.get(channel.network)
        if cls is None or not cls.capabilities.can(Action.READ) or channel.config.get("demo"):
            continue
        Source.objects.get_or_create(channel=channel, defaults={
            "workspace": workspace, "network": channel.network, "label": str(channel), "language": channel.language,
            "next_poll_at": timezone.now()})


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
def do_remove_source(membership: Membership, source: Source) -> None:
    check_perm(membership, roles.MANAGE_CHANNELS)
    _check_same_workspace(membership, source)
    audit.record(membership.workspace, membership.user, "source.remove", source, before={"label": source.label,
                 "network": source.network, "items": source.items.count()})
    source.delete()


