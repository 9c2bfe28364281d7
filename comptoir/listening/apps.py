from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListeningConfig(AppConfig):
    name = "comptoir.listening"
    verbose_name = _("Listening")

    def ready(self) -> None:
        from comptoir.stream import signals as stream_signals

        # The activity log's sentences (registered where the actions are) and the due-rule claimer.
        from . import activity, alerts, clock, curation, incidents, signals  # noqa: F401

        stream_signals.items_analysed.connect(signals.items_analysed, dispatch_uid="listening.match_new_items")
        stream_signals.labels_corrected.connect(signals.labels_corrected, dispatch_uid="listening.corrected_sentiment")
        signals.mentions_created.connect(alerts.on_mentions_created, dispatch_uid="listening.watch")

        from comptoir.workspaces.context_processors import register_count

        from . import shell

        register_count("mentions_to_review", shell.mentions_to_review)
