from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "comptoir.publishing"
    verbose_name = _("Publishing")

    def ready(self) -> None:
        # The activity log's sentences (registered where the actions are), the clock's claimers, the sidebar's counts.
        from django.db.models.signals import post_save

        from comptoir.workspaces.context_processors import register_count

        from . import (  # noqa: F401
            approvals,
            clock,
            delivery,
            links,
            media,
            planning,
            postimport,
            posts,
            recurring,
            requests,
            shell,
        )
        from .models import Post

        register_count("requests_new", shell.requests_new)
        register_count("delivery_alarms", shell.delivery_alarms)
        # Evergreen posts: next_repeat_at follows the repetition fields on every save.
        post_save.connect(recurring.post_saved, sender=Post, dispatch_uid="publishing.evergreen_arm")
