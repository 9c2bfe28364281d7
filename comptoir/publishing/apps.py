from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "comptoir.publishing"
    verbose_name = _("Publishing")

    def ready(self) -> None:
        # The evergreen claimer (clock) and the activity log's sentences of media, links and imports.
        from django.db.models.signals import post_save

        from . import links, media, postimport, recurring  # noqa: F401
        from .models import Post

        post_save.connect(recurring.post_saved, sender=Post, dispatch_uid="publishing.evergreen_arm")
