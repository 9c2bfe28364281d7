"""Signals of workspaces for the apps above it (workspaces imports no app; apps listen)."""

from django.dispatch import Signal

# Sent inside the transaction of ``actions.do_remove_channel`` with ``channel``: the stream marks its source removed.
channel_removed = Signal()
