from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "comptoir.moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        # Activity sentences are registered where they are written.
        from . import charter  # noqa: F401
