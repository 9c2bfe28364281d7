from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "comptoir.inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from comptoir.stream import signals as stream_signals

        from . import actions, clock, replies, threading  # noqa: F401  (activity sentences, tasks, claimers)
        from . import routing, signals, targets, teams  # noqa: F401  (routing: receivers, sentences, the breach claimer)

        stream_signals.items_analysed.connect(threading.items_analysed, dispatch_uid="inbox.thread_new_items")
        signals.conversations_started.connect(routing.conversations_started, dispatch_uid="inbox.route_new")
        signals.messages_arrived.connect(targets.messages_arrived, dispatch_uid="inbox.reply_due")
