from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListeningConfig(AppConfig):
    name = "comptoir.listening"
    verbose_name = _("Listening")

    def ready(self) -> None:
        # The activity log's sentences (registered where the actions are) and the due-rule claimer.
        from . import alerts, clock, curation, incidents  # noqa: F401
        from .signals import mentions_created

        mentions_created.connect(alerts.on_mentions_created, dispatch_uid="listening.watch")
