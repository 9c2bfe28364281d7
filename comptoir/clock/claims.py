"""Claiming due rows with compare-and-set, safe with any number of clocks and workers.

A claim reads candidate rows, then moves each one with an UPDATE whose WHERE clause repeats the
value it read: only one process can win that UPDATE, whatever the database. On PostgreSQL the
read also takes ``FOR UPDATE SKIP LOCKED`` so concurrent clocks do not even contend.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction


def claim_due(
    queryset: models.QuerySet,
    field: str,
    updates: Callable[[models.Model], dict[str, Any]],
    *,
    limit: int = 100,
) -> list[int]:
    """Claim up to ``limit`` rows of ``queryset`` (already filtered to the due ones).

    ``field`` is the column whose current value guards the claim (``next_run_at``, ``status``…);
    ``updates(row)`` returns the new values, which must change ``field`` so the row stops being due.
    Returns the primary keys this process won.
    """
    model = queryset.model
    won: list[int] = []
    with transaction.atomic():
        candidates = queryset.order_by(field, "pk")
        if connection.features.has_select_for_update_skip_locked:
            # Lock only the claimed table's rows: a filter through an outer join cannot be locked on PostgreSQL.
            of = ("self",) if connection.features.has_select_for_update_of else ()
            candidates = candidates.select_for_update(skip_locked=True, of=of)
        rows = list(candidates[:limit])
        for row in rows:
            guard = {"pk": row.pk, field: getattr(row, field)}
            if model.objects.filter(**guard).update(**updates(row)) == 1:
                won.append(row.pk)
    return won


@dataclass(frozen=True)
class Claimer:
    """A kind of due row the clock looks for on every tick."""

    name: str
    run: Callable[[], Iterable[Any]]


_CLAIMERS: dict[str, Claimer] = {}


def register(name: str) -> Callable[[Callable[[], Iterable[Any]]], Callable[[], Iterable[Any]]]:
    """Decorator for a function that claims due rows and enqueues their tasks; returns what it claimed."""

    def decorate(fn: Callable[[], Iterable[Any]]) -> Callable[[], Iterable[Any]]:
        _CLAIMERS[name] = Claimer(name, fn)
        return fn

    return decorate


def claimers() -> list[Claimer]:
    return list(_CLAIMERS.values())
