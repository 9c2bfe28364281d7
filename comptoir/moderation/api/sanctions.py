"""Moderation API: the sanctions ladder, sanctions (list, detail, give, lift) and appeals (list, decide).
Routes under /api/v1/workspaces/{slug}/moderation/…; the same actions as the pages (``sanctions``, ``appeals``)."""

from datetime import datetime

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StrictInt, StrictStr

from comptoir.errors import api_responses
from comptoir.members.models import Identity
from comptoir.workspaces import audit, roles
from comptoir.workspaces.access import get_token_membership

from .. import appeals, sanctions
from ..models import Appeal, Case, LadderStep, Sanction

router = Router(tags=["moderation"])

Slug = Path[str, {"max_length": 60}]
RowId = Path[int, {"ge": 1, "le": 2**63 - 1}]
BigId = Field(..., ge=1, le=2**63 - 1)


class StepOut(Schema):
    id: int
    rung: int = Field(description="1 = the first step")
    kind: str = Field(description="reminder, warning, mute, suspension or ban")
    label: str
    duration_hours: int | None = Field(description="None: no end")


class ExecutionOut(Schema):
    identity: int | None
    channel: int | None
    action: str = Field(description="mute, silence, block, kick, ban, suspend")
    state: str = Field(description="done, manual (to do by hand), failed, undone")
    error: str


class AppealOut(Schema):
    id: int
    sanction: int
    text: str
    status: str = Field(description="pending, upheld, lifted, reduced")
    submitted_at: datetime
    reviewer: int | None
    decided_at: datetime | None
    reason: str


class SanctionOut(Schema):
    id: int
    person: int | None
    identity: int | None
    case: int | None
    kind: str
    level: int
    label: str
    articles: list[int]
    reason: str
    starts_at: datetime
    ends_at: datetime | None
    status: str = Field(description="active, expired, lifted")
    lift_reason: str
    decided_by: int | None
    message: str
    message_state: str = Field(description="sent, failed, manual")
    executions: list[ExecutionOut]
    appeals: list[AppealOut]


class SanctionIn(Schema):
    identity: StrictInt = BigId
    step: StrictInt = BigId
    articles: list[StrictInt] = Field(default_factory=list, max_length=50,
                                      description="Article numbers of the published charter (at least one if any)")
    reason: StrictStr = Field("", max_length=10_000)
    case: StrictInt | None = Field(None, ge=1, le=2**63 - 1)


class LiftIn(Schema):
    lift_reason: StrictStr = Field(..., max_length=10_000, description="Why it is lifted (recorded)")


class DecideIn(Schema):
    decision: StrictStr = Field(..., max_length=20, description="upheld, lifted or reduced")
    reason: StrictStr = Field(..., max_length=10_000)
    step: StrictInt | None = Field(None, ge=1, le=2**63 - 1, description="For reduced: the lower step")


class SanctionFilters(Schema):
    status: str = Field("", max_length=20, description="active, expired or lifted; empty: all")
    identity: int = Field(0, ge=0, le=2**63 - 1, description="The sanctions of this identity's person")


class AppealFilters(Schema):
    status: str = Field("", max_length=20, description="pending, upheld, lifted or reduced; empty: all")


def _appeal_out(a: Appeal) -> dict:
    return {"id": a.pk, "sanction": a.sanction_id, "text": a.text, "status": a.status, "submitted_at": a.submitted_at,
            "reviewer": a.reviewer_id, "decided_at": a.decided_at, "reason": a.reason}


def _sanction_out(s: Sanction) -> dict:
    return {"id": s.pk, "person": s.person_id, "identity": s.identity_id, "case": s.case_id, "kind": s.kind,
            "level": s.level, "label": s.label, "articles": s.articles, "reason": s.reason, "starts_at": s.starts_at,
            "ends_at": s.ends_at, "status": s.status, "lift_reason": s.lift_reason, "decided_by": s.decided_by_id, "message": s.message,
            "message_state": s.message_state,
            "executions": [{"identity": x.identity_id, "channel": x.channel_id, "action": x.action, "state": x.state,
                            "error": str(x.error) if x.error_code else ""} for x in s.executions.all()],
            "appeals": [_appeal_out(a) for a in s.appeals.all()]}


def _sanctions(workspace):
    return Sanction.objects.filter(workspace=workspace).prefetch_related("executions", "appeals")


@router.get("/{slug}/moderation/ladder", response=api_responses({200: list[StepOut]}),
            summary="The sanctions ladder")
def list_ladder(request, slug: Slug):
    membership = get_token_membership(request, slug, roles.VIEW_MODERATION)
    return [{"id": s.pk, "rung": i, "kind": s.kind, "label": s.label, "duration_hours": s.duration_hours}
            for i, s in enumerate(sanctions.ladder(membership.workspace), start=1)]


@router.get("/{slug}/moderation/sanctions", response=api_responses({200: list[SanctionOut]}),
            summary="Sanctions, newest first")
def list_sanctions(request, slug: Slug, filters: Query[SanctionFilters]):
    membership = get_token_membership(request, slug, roles.VIEW_MODERATION)
    found = _sanctions(membership.workspace)
    status, identity = filters.status, filters.identity
    if status in Sanction.Status.values:
        found = found.filter(status=status)
    if identity:
        chosen = get_object_or_404(Identity, pk=identity, workspace=membership.workspace)
        return [_sanction_out(s) for s in sanctions.history(chosen)]
    return [_sanction_out(s) for s in found[:500]]


@router.get("/{slug}/moderation/sanctions/{sanction_id}", response=api_responses({200: SanctionOut}))
def get_sanction(request, slug: Slug, sanction_id: RowId):
    membership = get_token_membership(request, slug, roles.VIEW_MODERATION)
    return _sanction_out(get_object_or_404(_sanctions(membership.workspace), pk=sanction_id))


@router.post("/{slug}/moderation/sanctions", response=api_responses({201: SanctionOut}, body=True),
             summary="Apply a step of the ladder to a member (all their identities) and tell them")
def create_sanction(request, slug: Slug, payload: SanctionIn):
    membership = get_token_membership(request, slug, roles.MODERATE)
    workspace = membership.workspace
    identity = Identity.objects.filter(pk=payload.identity, workspace=workspace).first()
    step = LadderStep.objects.filter(pk=payload.step, workspace=workspace).first()
    case = Case.objects.filter(pk=payload.case, workspace=workspace).first() if payload.case else None
    if identity is None or step is None or (payload.case and case is None):
        raise Http404
    with audit.via("api"):
        sanction = sanctions.do_sanction(membership, identity=identity, step=step, articles=payload.articles,
                                         reason=payload.reason, case=case)
    return Status(201, _sanction_out(_sanctions(workspace).get(pk=sanction.pk)))


@router.post("/{slug}/moderation/sanctions/{sanction_id}/lift", response=api_responses({200: SanctionOut}, body=True),
             summary="Lift an active sanction (undone on the networks)")
def lift_sanction(request, slug: Slug, sanction_id: RowId, payload: LiftIn):
    membership = get_token_membership(request, slug, roles.MODERATE)
    sanction = get_object_or_404(Sanction, pk=sanction_id, workspace=membership.workspace)
    with audit.via("api"):
        sanctions.do_lift(membership, sanction, payload.lift_reason)
    return _sanction_out(_sanctions(membership.workspace).get(pk=sanction.pk))


@router.get("/{slug}/moderation/appeals", response=api_responses({200: list[AppealOut]}), summary="Appeals")
def list_appeals(request, slug: Slug, filters: Query[AppealFilters]):
    status = filters.status
    membership = get_token_membership(request, slug, roles.VIEW_MODERATION)
    found = Appeal.objects.filter(workspace=membership.workspace)
    if status in Appeal.Status.values:
        found = found.filter(status=status)
    return [_appeal_out(a) for a in found[:500]]


@router.post("/{slug}/moderation/appeals/{appeal_id}/decide", response=api_responses({200: AppealOut}, body=True),
             summary="Decide an appeal (another moderator than the sanction's)")
def decide_appeal(request, slug: Slug, appeal_id: RowId, payload: DecideIn):
    membership = get_token_membership(request, slug, roles.MODERATE)
    appeal = get_object_or_404(Appeal.objects.select_related("sanction"), pk=appeal_id, workspace=membership.workspace)
    with audit.via("api"):
        appeals.do_decide(membership, appeal, payload.decision, payload.reason,
                          step=str(payload.step) if payload.step else None)
    appeal.refresh_from_db()
    return _appeal_out(appeal)
