from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "comptoir.moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        # M-queue: the activity log's sentences of decisions (registered in queue.py) and the sidebar's count.
        from comptoir.workspaces.context_processors import register_count

        from . import queue, shell  # noqa: F401

        register_count("moderation_open", shell.open_cases)
