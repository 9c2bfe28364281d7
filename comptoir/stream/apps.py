from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StreamConfig(AppConfig):
    name = "comptoir.stream"
    verbose_name = _("Stream")

    def ready(self) -> None:
        from . import clock  # noqa: F401  (registers the due-source claimer)
