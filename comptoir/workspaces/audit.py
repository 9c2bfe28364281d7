"""The activity log: every action that changes something writes one row here."""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models

from .models import AuditEvent

_via: contextvars.ContextVar[str] = contextvars.ContextVar("audit_via", default="web")


@contextmanager
def via(channel: str) -> Iterator[None]:
    """Mark the actions run inside the block as coming from ``channel`` (web, api, cli, system)."""
    token = _via.set(channel)
    try:
        yield
    finally:
        _via.reset(token)


def snapshot(obj: models.Model | None, fields: list[str]) -> dict[str, Any] | None:
    """The listed fields of ``obj`` as JSON-friendly values, for before/after."""
    if obj is None:
        return None
    data: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, models.Model):
            value = value.pk
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        data[name] = value
    return data


def record(
    workspace,
    actor,
    action: str,
    obj: models.Model | None = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    object_repr: str = "",
) -> AuditEvent:
    """Write one audit row. Call it inside the transaction of the change it describes."""
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_label=(actor.email if actor is not None and getattr(actor, "pk", None) else "system")[:200],
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        before=before,
        after=after,
        via=_via.get(),
    )
