"""The inbox's signals: what other parts of the inbox (routing, targets, satisfaction) follow without being imported.

* :data:`conversations_started` — new conversations were created, with ``conversation_ids``. Sent inside the
  transaction that created them; a receiver that calls a network or sends mail enqueues a task ``on_commit``.
* :data:`messages_arrived` — members wrote again in existing or new conversations, with ``conversation_ids`` and
  ``item_ids`` (the new messages). Same transaction rule.
* :data:`conversation_closed` — a person closed a conversation, with ``conversation_id`` and ``user``.
"""

from django.dispatch import Signal

conversations_started = Signal()
messages_arrived = Signal()
conversation_closed = Signal()
