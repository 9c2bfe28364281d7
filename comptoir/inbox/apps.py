from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "comptoir.inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from comptoir.stream import signals as stream_signals

        # Activity sentences, tasks and clock claimers are registered where they are written.
        from . import (  # noqa: F401
            actions,
            clock,
            csat,
            digest,
            feedback,
            replies,
            routing,
            savedreplies,
            sendto,
            signals,
            targets,
            teams,
            threading,
        )

        stream_signals.items_analysed.connect(threading.items_analysed, dispatch_uid="inbox.thread_new_items")
        signals.conversation_closed.connect(csat.conversation_closed, dispatch_uid="inbox.csat_ask")
        signals.messages_arrived.connect(csat.messages_arrived, dispatch_uid="inbox.csat_digit_answer")
        signals.conversations_started.connect(routing.conversations_started, dispatch_uid="inbox.route_new")
        signals.messages_arrived.connect(targets.messages_arrived, dispatch_uid="inbox.reply_due")

        from comptoir.workspaces.context_processors import register_count

        from . import shell

        register_count("inbox_unread", shell.inbox_unread)
        register_count("inbox_mine", shell.inbox_mine, per_user=True)
