"""Moderation API: the review queue's cases (list with filters and a keyset cursor, one case), and decisions (one, or
the same on many cases for a spam wave). The same actions as the pages (:mod:`..queue`)."""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from pydantic import StrictInt, StrictStr

from comptoir.errors import api_error, api_responses
from comptoir.workspaces import audit, roles
from comptoir.workspaces.access import get_token_membership

from .. import queue
from ..models import Case, Rule

router = Router(tags=["moderation"])

Slug = Path[str, {"max_length": 60}]
RowId = Path[int, {"ge": 1, "le": 2**63 - 1}]
MAX_PAGE = 100


class ReasonOut(Schema):
    rule: int | None
    rule_name: str
    kind: str
    detail: str
    scores: dict[str, float]


class CaseOut(Schema):
    id: int
    item: int | None = Field(description="The message in the stream (null once erased)")
    text: str = Field(description="The text judged, kept even if the message is erased")
    url: str
    channel: int | None
    identity: int | None
    person: int | None
    status: str = Field(description="open or decided")
    reasons: list[ReasonOut]
    held: bool
    decision: str = Field(description="approved, hidden, deleted, warned or sanctioned; empty while open")
    articles: list[int]
    note: str
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime
    page: str = Field(description="The case in the review queue")


class CasePage(Schema):
    items: list[CaseOut]
    older: str | None = Field(description="Pass as `before` for the next (older) page; null on the last page")


class CaseFilters(Schema):
    status: str | None = Field(None, max_length=10, description="open (default), decided or all")
    rule: str | None = Field(None, max_length=20, description="A rule id")
    reason: str | None = Field(None, max_length=12, description="A kind of reason: words, model, links, newcomer, flood, "
                                                                 "repeat or brigading")
    channel: str | None = Field(None, max_length=20, description="A channel id")
    before: str | None = Field(None, max_length=20, description="Cursor: the page older than this (`older`)")
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class DecideIn(Schema):
    decision: StrictStr = Field(..., max_length=20, description="approve, hide, delete, warn or sanction")
    articles: list[StrictInt] = Field(default_factory=list, max_length=50,
                                      description="Numbers of the published charter's articles")
    note: StrictStr = Field("", max_length=2000)


class BulkDecideIn(Schema):
    cases: list[StrictInt] = Field(..., max_length=queue.MAX_BULK)
    decision: StrictStr = Field(..., max_length=20, description="approve, hide or delete")


class DecisionOut(CaseOut):
    network: str = Field(description="What the network did: done, manual (to do by hand), failed, or empty")
    network_error: str


class BulkOut(Schema):
    decided: int
    skipped: int = Field(description="Already decided")
    manual: int = Field(description="To do by hand on the network")
    failed: int
    message: str


def _case_out(c: Case, slug: str) -> dict:
    return {
        "id": c.pk, "item": c.item_id, "text": c.text, "url": c.url, "channel": c.channel_id, "identity": c.identity_id,
        "person": c.person_id, "status": c.status, "held": c.held, "decision": c.decision, "articles": c.articles,
        "reasons": [{"rule": r.get("rule"), "rule_name": r.get("rule_name", ""), "kind": r.get("kind", ""),
                     "detail": r.get("detail", ""), "scores": r.get("scores") or {}} for r in c.reasons or []],
        "note": c.decision_note, "decided_by": c.decided_by.email if c.decided_by else None,
        "decided_at": c.decided_at, "created_at": c.created_at,
        "page": (reverse("moderation_queue", args=[slug]) + (f"?status=all&item={c.item_id}" if c.item_id else "")),
    }


def _int(raw: str | None, field: str):
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 18 or int(raw) < 1:
        raise ValueError(field)
    return int(raw)


def _bad(field: str, detail: str):
    return api_error(422, _("Invalid value for “%(field)s”: %(detail)s") % {"field": field, "detail": detail}, field)


@router.get("/{slug}/moderation/cases", response=api_responses({200: CasePage}),
            summary="The review queue's cases, newest first, with its filters and a keyset cursor")
def list_cases(request, slug: Slug, filters: Query[CaseFilters]):
    membership = get_token_membership(request, slug, roles.VIEW_MODERATION)
    rows = Case.objects.filter(workspace=membership.workspace).select_related("decided_by")
    status = filters.status or "open"
    if status not in ("open", "decided", "all"):
        return _bad("status", _("Choose open, decided or all."))
    if status != "all":
        rows = rows.filter(status=status)
    try:
        rule, channel, before = (_int(filters.rule, "rule"), _int(filters.channel, "channel"),
                                 _int(filters.before, "before"))
    except ValueError as exc:
        return _bad(str(exc), _("Pass a whole number."))
    if rule is not None and not Rule.objects.filter(pk=rule, workspace=membership.workspace).exists():
        return _bad("rule", _("Choose a rule of this workspace."))
    if filters.reason and filters.reason not in Rule.Kind.values:
        return _bad("reason", _("Choose words, model, links, newcomer, flood, repeat or brigading."))
    if channel is not None:
        rows = rows.filter(channel_id=channel)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    rows = rows.order_by("-pk")
    found: list[Case] = []
    # The reasons are JSON: a rule or a kind is matched here, reading on until the page is full.
    for case in rows.iterator(chunk_size=500):
        if (rule or filters.reason) and not any(
                (not rule or r.get("rule") == rule) and (not filters.reason or r.get("kind") == filters.reason)
                for r in case.reasons or []):
            continue
        found.append(case)
        if len(found) > filters.limit:
            break
    more, found = len(found) > filters.limit, found[:filters.limit]
    return {"items": [_case_out(c, slug) for c in found], "older": str(found[-1].pk) if more and found else None}


@router.get("/{slug}/moderation/cases/{case_id}", response=api_responses({200: CaseOut}),
            summary="A case: the text judged, its reasons, the decision")
def get_case(request, slug: Slug, case_id: RowId):
    membership = get_token_membership(request, slug, roles.VIEW_MODERATION)
    return _case_out(get_object_or_404(Case.objects.select_related("decided_by"), pk=case_id,
                                       workspace=membership.workspace), slug)


@router.post("/{slug}/moderation/cases/{case_id}/decide", response=api_responses({200: DecisionOut}, body=True),
             summary="Decide an open case: approve, hide, delete (on the network where it allows it) or warn")
def decide(request, slug: Slug, case_id: RowId, payload: DecideIn):
    membership = get_token_membership(request, slug, roles.VIEW_MODERATION)
    case = get_object_or_404(Case.objects.select_related("item__channel", "identity", "person"), pk=case_id,
                             workspace=membership.workspace)
    with audit.via("api"):
        outcome = queue.do_decide(membership, case, payload.decision, articles=payload.articles, note=payload.note)
    fresh = Case.objects.select_related("decided_by").get(pk=case.pk)
    return {**_case_out(fresh, slug), "network": str(outcome.network), "network_error": outcome.error}


@router.post("/{slug}/moderation/decisions", response=api_responses({200: BulkOut}, body=True),
             summary="The same decision (approve, hide or delete) on many cases: a spam wave")
def bulk_decide(request, slug: Slug, payload: BulkDecideIn):
    membership = get_token_membership(request, slug, roles.VIEW_MODERATION)
    with audit.via("api"):
        result = queue.do_bulk_decide(membership, payload.cases, payload.decision)
    return {"decided": result.decided, "skipped": result.skipped, "manual": result.manual, "failed": result.failed,
            "message": result.sentence(payload.decision)}
