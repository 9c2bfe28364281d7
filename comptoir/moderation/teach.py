"""Teach Comptoir: the messages the models are least sure of, and the moderators' overrides, labelled in one key.

A label given here is a ``LabelCorrection`` like a correction in the Fil (``stream.actions.do_correct_label``): the
command ``comptoir export corrections`` writes them to ``data/corrections/`` and ``comptoir train`` learns from them.
When the moderator agrees with the model, the label is still worth learning (an unsure score made sure): it is kept
as a confirmation, a correction whose old and new labels are the same.

Candidates, per message and task (toxicity, spam): an analysed message of the last days whose score is close to 0.5
("unsure"), or one whose case was decided against the model ("override": approved while toxic or spam, hidden or
deleted while clean and not spam). A message already labelled for that task by someone is no longer asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.stream.actions import do_correct_label
from comptoir.stream.models import Item, LabelCorrection
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm

from .models import Case

# One key, one label.
KEYS = {"t": ("toxicity", "toxic"), "c": ("toxicity", "clean"), "s": ("spam", "spam"), "h": ("spam", "ham")}
TASKS = ("toxicity", "spam")
POSITIVE = {"toxicity": "toxic", "spam": "spam"}
RECENT_DAYS = 30
SCAN = 2000  # the newest analysed messages looked at
UNSURE = 0.25  # a probability within 0.5 ± this is "unsure"
QUEUE_SIZE = 50


@dataclass
class Candidate:
    item: Item
    task: str
    probability: float | None  # of the positive label (toxic, spam)
    why: str  # "unsure" or "override"
    case: Case | None = None

    @property
    def sure(self) -> int | None:
        """How sure the model is of the label it gave, in percent."""
        if self.probability is None:
            return None
        return round(max(self.probability, 1 - self.probability) * 100)


def _probability(item: Item, task: str) -> float | None:
    value = (item.scores or {}).get(task)
    return float(value) if isinstance(value, int | float) else None


def _labelled(workspace, item_ids) -> set[tuple[int, str]]:
    return set(LabelCorrection.objects.filter(workspace=workspace, item_id__in=item_ids, task__in=TASKS)
               .values_list("item_id", "task"))


def overrides(workspace, *, days: int = RECENT_DAYS) -> list[Candidate]:
    """Cases decided against the model in the last days."""
    since = timezone.now() - timedelta(days=days)
    cases = list(Case.objects.filter(workspace=workspace, status=Case.Status.DECIDED, decided_at__gte=since,
                                     item__isnull=False).select_related("item__author", "item__source")
                 .order_by("-decided_at")[:SCAN])
    found = []
    for case in cases:
        item = case.item
        if case.decision == Case.Decision.APPROVED:
            for task in TASKS:
                if getattr(item, task) == POSITIVE[task]:
                    found.append(Candidate(item, task, _probability(item, task), "override", case))
        elif case.decision in (Case.Decision.HIDDEN, Case.Decision.DELETED):
            if item.toxicity == "clean" and item.spam != "spam":
                found.append(Candidate(item, "toxicity", _probability(item, "toxicity"), "override", case))
    return found


def unsure(workspace, *, days: int = RECENT_DAYS) -> list[Candidate]:
    """Recent analysed messages whose toxicity or spam score is closest to 0.5, least sure first."""
    since = timezone.now() - timedelta(days=days)
    items = list(Item.objects.filter(workspace=workspace, analysed_at__isnull=False, fetched_at__gte=since)
                 .select_related("author", "source").order_by("-sort_key")[:SCAN])
    found = []
    for item in items:
        for task in TASKS:
            p = _probability(item, task)
            if p is not None and abs(p - 0.5) <= UNSURE:
                found.append(Candidate(item, task, p, "unsure"))
    found.sort(key=lambda c: (abs(c.probability - 0.5), -c.item.pk))
    return found


def queue(workspace, *, skipped: set[int] = frozenset(), limit: int = QUEUE_SIZE) -> list[Candidate]:
    """What to ask, one message once (its overrides first, then the least sure), without what is labelled."""
    every = overrides(workspace) + unsure(workspace)
    labelled = _labelled(workspace, {c.item.pk for c in every})
    seen: set[int] = set()
    chosen = []
    for candidate in every:
        key = candidate.item.pk
        if key in seen or key in skipped or (key, candidate.task) in labelled:
            continue
        seen.add(key)
        chosen.append(candidate)
        if len(chosen) >= limit:
            break
    return chosen


def check_key(key) -> tuple[str, str]:
    if not isinstance(key, str) or key not in KEYS:
        raise ValidationError({"key": _("Choose t (toxic), c (clean), s (spam) or h (not spam).")})
    return KEYS[key]


def do_teach(membership, item: Item, key: str) -> LabelCorrection:
    """Label ``item`` for the next model: a correction, or a confirmation when the model had it right."""
    check_perm(membership, roles.MODERATE)
    if item.workspace_id != membership.workspace_id:
        raise PermissionDenied
    task, label = check_key(key)
    with transaction.atomic():
        correction = do_correct_label(membership, item, task, label)
        if correction is not None:
            return correction
        item = Item.objects.get(pk=item.pk)
        confirmation = LabelCorrection.objects.create(
            workspace_id=item.workspace_id, item=item, task=task, old_label=label, new_label=label,
            text=f"{item.title}\n{item.text}".strip(), language=item.language, model_version=item.model_version,
            corrected_by=membership.user)
        audit.record(membership.workspace, membership.user, "item.confirm_label", item, after={task: label},
                     object_repr=item.text[:80])
    return confirmation


def model_status(workspace) -> dict:
    """The model the messages are read with, and what the team taught since (for the next one)."""
    from comptoir.understanding.pipeline import MODEL_VERSION

    taught = LabelCorrection.objects.filter(workspace=workspace)
    return {"version": MODEL_VERSION, "taught": taught.count(),
            "waiting": taught.filter(model_version=MODEL_VERSION).count()}
