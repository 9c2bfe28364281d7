from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "comptoir.moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        # Activity sentences, tasks and clock claimers are registered where they are written.
        from comptoir.stream import signals as stream_signals
        from comptoir.workspaces.context_processors import register_count

        from . import appeals, charter, queue, rules, sanctions, shell  # noqa: F401

        # Rules read the new messages of owned channels once understanding has labelled them.
        stream_signals.items_analysed.connect(rules.items_analysed, dispatch_uid="moderation.rules_on_new_items")
        register_count("moderation_open", shell.open_cases)
