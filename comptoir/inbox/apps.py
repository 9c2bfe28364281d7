from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "comptoir.inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from comptoir.stream import signals as stream_signals

        # Imported for their activity sentences, tasks, claimers (targets: the breach claimer) and receivers.
        from . import actions, clock, replies, routing, signals, targets, teams, threading  # noqa: F401

        stream_signals.items_analysed.connect(threading.items_analysed, dispatch_uid="inbox.thread_new_items")
        signals.conversations_started.connect(routing.conversations_started, dispatch_uid="inbox.route_new")
        signals.messages_arrived.connect(targets.messages_arrived, dispatch_uid="inbox.reply_due")
