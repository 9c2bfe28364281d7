from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListeningConfig(AppConfig):
    name = "comptoir.listening"
    verbose_name = _("Listening")

    def ready(self) -> None:
        from comptoir.stream import signals as stream_signals

        from . import (
            activity,  # noqa: F401  (the activity log's sentences)
            signals,
        )

        stream_signals.items_analysed.connect(signals.items_analysed, dispatch_uid="listening.match_new_items")
        stream_signals.labels_corrected.connect(signals.labels_corrected, dispatch_uid="listening.corrected_sentiment")
