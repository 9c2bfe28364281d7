"""REST API: content requests (intake and triage), their discussion, and approvals (stages, decisions on a post).
Routes gathered by ``publishing/api/__init__.py``; the same actions as the pages."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Path, Query, Router, Schema, Status, UploadedFile
from pydantic import StrictInt

from comptoir.errors import api_responses
from comptoir.workspaces import audit, roles
from comptoir.workspaces.access import get_token_membership
from comptoir.workspaces.models import Membership

from .. import approvals
from .. import requests as actions
from ..models import Approval, ContentRequest, Post, RequestAttachment

router = Router(tags=["publishing"])

Slug = Path[str, {"max_length": 60}]
RowId = Path[int, {"ge": 1, "le": 2**63 - 1}]


def _membership(request, slug: str, perm: str) -> Membership:
    return get_token_membership(request, slug, perm)


# Requests. ----------------------------------------------------------------------------------------------

class ReasonOut(Schema):
    points: int
    text: str


class RequestOut(Schema):
    id: int
    title: str
    status: str
    goal: str
    audience: str
    audience_detail: str
    key_message: str
    desired_at: datetime | None
    deadline: datetime | None
    channels: list[int]
    links: list[str]
    requester: str | None = Field(description="The requester's e-mail address")
    assignee: int | None = Field(description="The user id of the member handling it")
    decline_reason: str
    priority: int | None = Field(None, description="0–100: the CM's override when set, else the computed score "
                                                   "(not shown to contributors)")
    priority_computed: int | None = None
    priority_reasons: list[ReasonOut] | None = None
    priority_override: int | None = None
    priority_override_reason: str | None = None
    attachments: list[str]
    posts: list[int]
    created_at: datetime
    updated_at: datetime
    status_changed_at: datetime


class RequestIn(Schema):
    title: str = Field(..., max_length=1000)
    goal: str = Field(..., max_length=40)
    audience: str = Field(ContentRequest.Audience.COMMUNITY, max_length=40)
    audience_detail: str = Field("", max_length=2000)
    key_message: str = Field(..., max_length=20_000)
    desired_at: datetime | None = Field(None, description="Aware, or read in the token owner's time zone")
    deadline: datetime | None = None
    channels: list[int] = Field(default_factory=list, max_length=100)
    links: list[str] = Field(default_factory=list, max_length=100)


class RequestPatch(Schema):
    status: str | None = Field(None, max_length=40)
    decline_reason: str | None = Field(None, max_length=10_000)
    assignee: StrictInt | None = Field(None, ge=1, le=2**63 - 1, description="A user id; null: nobody")
    priority_override: StrictInt | None = Field(None, description="0–100; null: back to the computed priority")
    priority_override_reason: str | None = Field(None, max_length=2000)


class RequestFilters(Schema):
    status: str | None = Field(None, max_length=40)
    goal: str | None = Field(None, max_length=40)
    assignee: str | None = Field(None, max_length=20, description="A user id, or “none”")
    mine: bool = False
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class CommentOut(Schema):
    id: int
    author: str | None
    body: str
    event: str | None = Field(description="A status change, as a sentence; null for a comment")
    created_at: datetime


class CommentIn(Schema):
    body: str = Field(..., max_length=20_000)


def _request_out(membership: Membership, r: ContentRequest, *, with_priority: bool) -> dict:
    out = {
        "id": r.pk, "title": r.title, "status": r.status, "goal": r.goal, "audience": r.audience,
        "audience_detail": r.audience_detail, "key_message": r.key_message, "desired_at": r.desired_at,
        "deadline": r.deadline, "channels": sorted(c.pk for c in r.channels.all()), "links": r.links.split(),
        "requester": r.requester.email if r.requester_id else None, "assignee": r.assignee_id,
        "decline_reason": r.decline_reason, "attachments": [a.filename for a in r.attachments.all()],
        "posts": [p.pk for p in r.posts.all()] if with_priority else [],
        "created_at": r.created_at, "updated_at": r.updated_at, "status_changed_at": r.status_changed_at,
    }
    if with_priority:
        if not hasattr(r, "score"):
            actions.with_priorities(membership.workspace, [r])
        out |= {"priority": r.score, "priority_computed": r.computed,
                "priority_reasons": [{"points": x.points, "text": x.text} for x in r.reasons],
                "priority_override": r.priority_override, "priority_override_reason": r.priority_override_reason}
    return out


def _sees_priority(membership: Membership) -> bool:
    return roles.has_perm(membership.role, roles.VIEW_PUBLISHING)


def _get_request(membership: Membership, request_id: int) -> ContentRequest:
    return get_object_or_404(actions.visible_requests(membership).select_related("requester"), pk=request_id)


@router.get("/{slug}/requests", response=api_responses({200: list[RequestOut]}),
            summary="Content requests (a contributor's own only), highest priority first")
def list_requests(request, slug: Slug, filters: Query[RequestFilters]):
    membership = _membership(request, slug, roles.SUBMIT_REQUESTS)
    rows = actions.visible_requests(membership)
    if filters.mine:
        rows = rows.filter(requester_id=membership.user_id)
    if filters.status:
        rows = rows.filter(status=filters.status)
    rows = actions.filtered(rows, goal=filters.goal or "", assignee=filters.assignee or "")
    rows = rows.select_related("requester").prefetch_related("channels", "attachments", "posts")
    sees = _sees_priority(membership)
    if sees:
        ranked = sorted(actions.with_priorities(membership.workspace, rows), key=lambda r: (-r.score, -r.pk))
        page = ranked[filters.offset: filters.offset + filters.limit]
    else:
        page = list(rows.order_by("-created_at")[filters.offset: filters.offset + filters.limit])
    return [_request_out(membership, r, with_priority=sees) for r in page]


@router.post("/{slug}/requests", response=api_responses({201: RequestOut}, body=True),
             summary="Submit a content request (attachments: on the request's page)")
def create_request(request, slug: Slug, payload: RequestIn):
    membership = _membership(request, slug, roles.SUBMIT_REQUESTS)
    data = payload.dict()
    data["links"] = "\n".join(str(link) for link in data["links"])
    with audit.via("api"):
        r = actions.do_submit_request(membership, data)
    return Status(201, _request_out(membership, r, with_priority=_sees_priority(membership)))


@router.get("/{slug}/requests/{request_id}", response=api_responses({200: RequestOut}))
def get_request(request, slug: Slug, request_id: RowId):
    membership = _membership(request, slug, roles.SUBMIT_REQUESTS)
    return _request_out(membership, _get_request(membership, request_id), with_priority=_sees_priority(membership))


def _check_reasons(r: ContentRequest, sent: dict) -> None:
    """A reason sent without what it explains would be dropped without a word: refuse it, naming the field."""
    if str(sent.get("decline_reason") or "").strip() and sent.get("status") != ContentRequest.Status.DECLINED:
        raise ValidationError({"decline_reason": _("A reason for declining goes with the status “declined”: send both.")})
    override = sent["priority_override"] if "priority_override" in sent else r.priority_override
    if str(sent.get("priority_override_reason") or "").strip() and override is None:
        raise ValidationError({"priority_override_reason": _(
            "A reason goes with a priority override: send priority_override too.")})


@router.patch("/{slug}/requests/{request_id}", response=api_responses({200: RequestOut}, body=True),
              summary="Triage a request: status (declined needs decline_reason), assignee, priority override")
def update_request(request, slug: Slug, request_id: RowId, payload: RequestPatch):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    r = _get_request(membership, request_id)
    sent = payload.dict(exclude_unset=True)
    _check_reasons(r, sent)
    with audit.via("api"):
        if "assignee" in sent:
            r = actions.do_assign(membership, r, sent["assignee"])
        if "priority_override" in sent or "priority_override_reason" in sent:
            value = sent.get("priority_override", r.priority_override)
            r = actions.do_override_priority(membership, r, "" if value is None else value,
                                             sent.get("priority_override_reason") or "")
        if sent.get("status") is not None:
            r = actions.do_move(membership, r, sent["status"], sent.get("decline_reason") or "")
    return _request_out(membership, _get_request(membership, request_id), with_priority=True)


def _comment_out(c) -> dict:
    return {"id": c.pk, "author": c.author.email if c.author_id else None, "body": c.body,
            "event": c.event if c.event_code else None, "created_at": c.created_at}


@router.get("/{slug}/requests/{request_id}/comments", response=api_responses({200: list[CommentOut]}),
            summary="The request's discussion, status changes included")
def list_comments(request, slug: Slug, request_id: RowId):
    membership = _membership(request, slug, roles.SUBMIT_REQUESTS)
    r = _get_request(membership, request_id)
    return [_comment_out(c) for c in r.comments.select_related("author")]


@router.post("/{slug}/requests/{request_id}/comments", response=api_responses({201: CommentOut}, body=True))
def add_comment(request, slug: Slug, request_id: RowId, payload: CommentIn):
    membership = _membership(request, slug, roles.SUBMIT_REQUESTS)
    r = _get_request(membership, request_id)
    with audit.via("api"):
        comment = actions.do_comment(membership, r, payload.body)
    return Status(201, _comment_out(comment))


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str = Field(description="As its bytes show, not as the sender said")
    size: int
    created_at: datetime


def _attachment_out(a: RequestAttachment) -> dict:
    return {"id": a.pk, "filename": a.filename, "content_type": a.content_type, "size": a.size, "created_at": a.created_at}


@router.get("/{slug}/requests/{request_id}/attachments", response=api_responses({200: list[AttachmentOut]}))
def list_attachments(request, slug: Slug, request_id: RowId):
    membership = _membership(request, slug, roles.SUBMIT_REQUESTS)
    return [_attachment_out(a) for a in _get_request(membership, request_id).attachments.all()]


@router.post("/{slug}/requests/{request_id}/attachments", response=api_responses({201: list[AttachmentOut]}, body=True),
             summary="Attach files (multipart, field “files”): PDF, images, office documents, text, MP4; 10 MB each")
def add_attachments(request, slug: Slug, request_id: RowId, files: File[list[UploadedFile]]):
    membership = _membership(request, slug, roles.SUBMIT_REQUESTS)
    r = _get_request(membership, request_id)
    with audit.via("api"):
        stored = actions.do_add_attachments(membership, r, files)
    return Status(201, [_attachment_out(a) for a in stored])


@router.get("/{slug}/requests/{request_id}/attachments/{file_id}", response=api_responses({200: None}),
            summary="Download an attachment")
def get_attachment(request, slug: Slug, request_id: RowId, file_id: RowId):
    membership = _membership(request, slug, roles.SUBMIT_REQUESTS)
    attachment = get_object_or_404(RequestAttachment, pk=file_id, request=_get_request(membership, request_id))
    try:
        handle = attachment.file.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.filename,
                            content_type=attachment.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Approvals. ---------------------------------------------------------------------------------------------

class StageOut(Schema):
    id: int
    position: int
    name: str
    approvers: list[int] = Field(description="User ids; empty: any owner or community manager")


class ApprovalOut(Schema):
    id: int
    version: int
    stage: str
    decision: str
    comment: str
    decided_by: str | None
    decided_at: datetime


class ApprovalStateOut(Schema):
    post: int
    status: str
    version: int
    approved_version: int | None
    approved: bool
    current_stage: str | None
    can_decide: bool
    decisions: list[ApprovalOut]


class DecisionIn(Schema):
    decision: str = Field(..., max_length=40, description="approved, changes_requested (needs a comment), or submit "
                                                          "(send the post for approval)")
    comment: str = Field("", max_length=20_000)


def _approval_out(a: Approval) -> dict:
    return {"id": a.pk, "version": a.version, "stage": a.stage_name, "decision": a.decision, "comment": a.comment,
            "decided_by": a.decided_by.email if a.decided_by_id else None, "decided_at": a.decided_at}


def _get_post(membership: Membership, post_id: int) -> Post:
    return get_object_or_404(Post.objects.select_related("workspace", "current_stage"), pk=post_id,
                             workspace=membership.workspace)


def _state(membership: Membership, post: Post) -> dict:
    return {"post": post.pk, "status": post.status, "version": post.version, "approved_version": post.approved_version,
            "approved": approvals.is_approved(post),
            "current_stage": post.current_stage.name if post.current_stage and post.status == "in_review" else None,
            "can_decide": approvals.can_decide(membership, post),
            "decisions": [_approval_out(a) for a in approvals.history(post)]}


@router.get("/{slug}/approval-stages", response=api_responses({200: list[StageOut]}), summary="The approval circuit")
def list_stages(request, slug: Slug):
    membership = _membership(request, slug, roles.VIEW_PUBLISHING)
    return [{"id": s.pk, "position": n, "name": s.name, "approvers": sorted(u.pk for u in s.approvers.all())}
            for n, s in enumerate(approvals.stages(membership.workspace), start=1)]


@router.get("/{slug}/posts/{post_id}/approvals", response=api_responses({200: ApprovalStateOut}),
            summary="A post's approval: where it is, and every decision per version")
def get_approvals(request, slug: Slug, post_id: RowId):
    membership = _membership(request, slug, roles.VIEW_PUBLISHING)
    return _state(membership, _get_post(membership, post_id))


@router.post("/{slug}/posts/{post_id}/approvals", response=api_responses({201: ApprovalStateOut}, body=True),
             summary="Approve or request changes at the post's current stage, or send it for approval")
def decide(request, slug: Slug, post_id: RowId, payload: DecisionIn):
    membership = _membership(request, slug, roles.VIEW_PUBLISHING)
    post = _get_post(membership, post_id)
    with audit.via("api"):
        if payload.decision == "submit":
            approvals.do_submit(membership, post)
        else:
            approvals.do_decide(membership, post, payload.decision, payload.comment)
    return Status(201, _state(membership, _get_post(membership, post_id)))
