from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "comptoir.publishing"
    verbose_name = _("Publishing")

    def ready(self) -> None:
        from . import clock, delivery  # noqa: F401 - the delivery claimer; the activity log's sentences
