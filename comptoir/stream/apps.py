from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StreamConfig(AppConfig):
    name = "comptoir.stream"
    verbose_name = _("Stream")

    def ready(self) -> None:
        from django.db.models.signals import post_save, pre_delete

        from comptoir.workspaces.models import Channel, Workspace
        from comptoir.workspaces.signals import channel_removed as removed

        from . import activity, clock  # noqa: F401  (the activity log's sentences, the due-source claimer)
        from .signals import channel_removed, channel_saved, workspace_deleting

        post_save.connect(channel_saved, sender=Channel, dispatch_uid="stream.channel_source")
        removed.connect(channel_removed, sender=Channel, dispatch_uid="stream.channel_removed")
        pre_delete.connect(workspace_deleting, sender=Workspace, dispatch_uid="stream.workspace_search")
