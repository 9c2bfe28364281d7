"""Listening's own signals."""

from django.dispatch import Signal

# Sent by the matching once new mentions are stored (inside its transaction), with ``workspace_id`` and
# ``mention_ids``. Alerts and open incidents listen to it.
mentions_created = Signal()
