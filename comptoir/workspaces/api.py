"""API routes of workspaces: the workspace, its members, channels and activity log."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status

from comptoir.errors import api_responses
from comptoir.lib.urls import public_url

from . import actions, audit, roles
from .access import get_token_membership
from .models import Channel, Membership

router = Router(tags=["workspaces"])

# Path parameters are bounded, so that a huge or garbage value is a 422 naming it, never a database error.
Slug = Path[str, {"max_length": 60}]
RowId = Path[int, {"ge": 1, "le": 2**63 - 1}]


class WorkspaceOut(Schema):
    slug: str
    name: str
    kind: str
    language: str
    time_zone: str
    description: str
    created_at: datetime
    role: str


class WorkspacePatch(Schema):
    name: str | None = Field(None, max_length=500)
    kind: str | None = Field(None, max_length=50)
    language: str | None = Field(None, max_length=10)
    time_zone: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=5000)


class MemberOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    joined_at: datetime


class InvitationIn(Schema):
    email: str = Field(..., max_length=320)
    role: str = Field(..., max_length=30)


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    expires_at: datetime
    status: str


class RoleIn(Schema):
    role: str = Field(..., max_length=30)


class ChannelOut(Schema):
    id: int
    network: str
    handle: str
    label: str
    status: str
    language: str
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str = Field(description="The last error, in the language of the token's owner.")
    last_error_code: str = Field(description="The same error's untranslated message id, stable across languages.")
    last_error_params: dict = Field(description="The values put into that message.")
    created_at: datetime
    removed_at: datetime | None
    webhook_url: str | None = Field(None, description="Webhook channels: where senders POST their signed items.")

    @staticmethod
    def resolve_webhook_url(obj, context) -> str | None:
        return public_url(context["request"], obj.webhook_path) if obj.webhook_path else None


class WebhookSecretOut(Schema):
    webhook_url: str
    secret: str = Field(description="Shown only in this answer: the sender signs with it, the old one no longer works.")
    signature: str = Field(description="How to sign a request.")


class AuditOut(Schema):
    id: int
    created_at: datetime
    summary: str = Field(description="The event as a sentence, in the token owner's language")
    actor: str
    via: str
    action: str
    object_type: str
    object_id: str
    object: str
    before: dict | list | None
    after: dict | list | None


class AuditFilters(Schema):
    action: str | None = Field(None, max_length=80)
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


def _membership(request, slug: str, perm: str = roles.VIEW_WORKSPACE) -> Membership:
    return get_token_membership(request, slug, perm)


def _workspace_out(m: Membership) -> dict:
    w = m.workspace
    return {"slug": w.slug, "name": w.name, "kind": w.kind, "language": w.language, "time_zone": w.time_zone,
            "description": w.description, "created_at": w.created_at, "role": m.role}


def _member_out(m: Membership) -> dict:
    return {"id": m.pk, "email": m.user.email, "full_name": m.user.full_name, "role": m.role, "joined_at": m.created_at}


@router.get("", response=api_responses({200: list[WorkspaceOut]}, workspace=False), summary="Workspaces this token can use")
def list_workspaces(request):
    m = Membership.objects.select_related("workspace").filter(workspace=request.auth.workspace, user=request.auth.user).first()
    return [_workspace_out(m)] if m else []


@router.get("/{slug}", response=api_responses({200: WorkspaceOut}))
def get_workspace(request, slug: Slug):
    return _workspace_out(_membership(request, slug))


@router.patch("/{slug}", response=api_responses({200: WorkspaceOut}, body=True))
def update_workspace(request, slug: Slug, payload: WorkspacePatch):
    membership = _membership(request, slug, roles.EDIT_WORKSPACE)
    with audit.via("api"):
        actions.do_update_workspace(membership, payload.dict(exclude_unset=True, exclude_none=True))
    membership.workspace.refresh_from_db()
    return _workspace_out(membership)


@router.get("/{slug}/members", response=api_responses({200: list[MemberOut]}))
def list_members(request, slug: Slug):
    membership = _membership(request, slug, roles.VIEW_TEAM)
    return [_member_out(m) for m in membership.workspace.memberships.select_related("user").order_by("user__email")]


@router.post("/{slug}/invitations", response=api_responses({201: InvitationOut}, body=True))
def invite(request, slug: Slug, payload: InvitationIn):
    membership = _membership(request, slug, roles.MANAGE_TEAM)
    with audit.via("api"):
        invitation, _raw = actions.do_invite(membership, payload.email, payload.role)
    return Status(201, {"id": invitation.pk, "email": invitation.email, "role": invitation.role,
                        "expires_at": invitation.expires_at, "status": invitation.status})


@router.patch("/{slug}/members/{member_id}", response=api_responses({200: MemberOut}, body=True))
def change_role(request, slug: Slug, member_id: RowId, payload: RoleIn):
    membership = _membership(request, slug, roles.MANAGE_TEAM)
    target = get_object_or_404(Membership.objects.select_related("user"), pk=member_id, workspace=membership.workspace)
    with audit.via("api"):
        target = actions.do_change_role(membership, target, payload.role)
    return _member_out(target)


@router.delete("/{slug}/members/{member_id}", response=api_responses({204: None}))
def remove_member(request, slug: Slug, member_id: RowId):
    membership = _membership(request, slug)
    target = get_object_or_404(Membership.objects.select_related("user"), pk=member_id, workspace=membership.workspace)
    with audit.via("api"):
        actions.do_remove_member(membership, target)
    return Status(204, None)


@router.get("/{slug}/channels", response=api_responses({200: list[ChannelOut]}))
def list_channels(request, slug: Slug):
    membership = _membership(request, slug, roles.VIEW_CHANNELS)
    return list(Channel.objects.connected().filter(workspace=membership.workspace))


@router.get("/{slug}/channels/{channel_id}", response=api_responses({200: ChannelOut}))
def get_channel(request, slug: Slug, channel_id: RowId):
    membership = _membership(request, slug, roles.VIEW_CHANNELS)
    return get_object_or_404(Channel, pk=channel_id, workspace=membership.workspace)


@router.post("/{slug}/channels/{channel_id}/webhook-secret", response=api_responses({200: WebhookSecretOut}),
             summary="Give a webhook channel a new signing secret (returned once)")
def regenerate_webhook_secret(request, slug: Slug, channel_id: RowId):
    membership = _membership(request, slug, roles.MANAGE_CHANNELS)
    channel = get_object_or_404(Channel.objects.connected(), pk=channel_id, workspace=membership.workspace)
    with audit.via("api"):
        secret = actions.do_regenerate_webhook_secret(membership, channel)
    return {"webhook_url": public_url(request, channel.webhook_path), "secret": secret, "signature": _(
        "Header X-Comptoir-Timestamp: the Unix time; header X-Comptoir-Signature: “sha256=” and the hexadecimal "
        "HMAC-SHA256, made with the secret, of the timestamp, a dot and the raw body.")}


@router.get("/{slug}/audit", response=api_responses({200: list[AuditOut]}), summary="Activity log (owners)")
def list_audit(request, slug: Slug, filters: Query[AuditFilters]):
    membership = _membership(request, slug, roles.VIEW_AUDIT)
    events = actions.audit_events_for(membership)
    if filters.action:
        events = events.filter(action__startswith=filters.action)
    return [
        {"id": e.pk, "created_at": e.created_at, "summary": audit.describe(e), "actor": e.actor_label, "via": e.via,
         "action": e.action,
         "object_type": e.object_type, "object_id": e.object_id, "object": e.object_repr, "before": e.before, "after": e.after}
        for e in events[filters.offset: filters.offset + filters.limit]
    ]
