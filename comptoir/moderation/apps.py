from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "comptoir.moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        # Activity sentences, tasks and clock claimers are registered where they are written.
        from comptoir.workspaces.context_processors import register_count

        from . import appeals, charter, queue, sanctions, shell  # noqa: F401

        register_count("moderation_open", shell.open_cases)
