from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "comptoir.moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        # Activity sentences and clock claimers are registered where they are written.
        from . import appeals, sanctions  # noqa: F401
