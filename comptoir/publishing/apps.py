from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "comptoir.publishing"
    verbose_name = _("Publishing")

    def ready(self) -> None:
        # The activity log's sentences (registered where the actions are), the clock's claimers, the sidebar's counts.
        from comptoir.workspaces.context_processors import register_count

        from . import approvals, planning, posts, requests, shell  # noqa: F401

        register_count("requests_new", shell.requests_new)
        register_count("delivery_alarms", shell.delivery_alarms)
