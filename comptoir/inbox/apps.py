from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "comptoir.inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from comptoir.stream import signals as stream_signals

        from . import actions, clock, replies, sendto, threading  # noqa: F401  (activity sentences, tasks, claimers)

        stream_signals.items_analysed.connect(threading.items_analysed, dispatch_uid="inbox.thread_new_items")

        from comptoir.workspaces.context_processors import register_count

        from . import shell

        register_count("inbox_unread", shell.inbox_unread)
        register_count("inbox_mine", shell.inbox_mine, per_user=True)
