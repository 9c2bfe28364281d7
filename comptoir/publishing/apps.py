from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "comptoir.publishing"
    verbose_name = _("Publishing")

    def ready(self) -> None:
        # The activity log's sentences (registered where the actions are), the clock's claimers.
        from . import planning, posts  # noqa: F401
