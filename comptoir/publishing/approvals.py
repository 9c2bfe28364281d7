"""Approvals: the workspace's stages (e.g. community manager, then communication director), a post sent for approval
goes through them in order; each decision is given to one version of the post.

``needs_approval(workspace)``, ``is_approved(post)``, ``can_decide(membership, post)``, ``do_submit``,
``do_decide``, ``content_changed`` (called by ``posts.do_save_post`` when an approved or in-review post changes)
and the stages' settings. Approvers are told in the app and by e-mail.
"""

from __future__ import annotations

import difflib
import importlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptoir.lib import i18n
from comptoir.lib.sanitize import clean_text
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Membership
from comptoir.workspaces.notifications import notify

from .models import Approval, ApprovalStage, MediaAsset, Post, PostVersion

NAME_MAX = 120
COMMENT_MAX = 5000
MAX_STAGES = 10
Decision = Approval.Decision


def _optional(module: str, name: str):
    try:
        return getattr(importlib.import_module(f"comptoir.publishing.{module}"), name, None)
    except ImportError:
        return None


def post_url(post: Post) -> str:
    """The post's page (the editor's), or the approvals page while the editor has no page yet."""
    slug = post.workspace.slug
    for name in ("publishing_post", "publishing_post_edit"):
        try:
            return reverse(name, args=[slug, post.pk])
        except NoReverseMatch:
            continue
    return reverse("publishing_approvals_awaiting", args=[slug])


# Reading the circuit. -----------------------------------------------------------------------------------

def stages(workspace) -> list[ApprovalStage]:
    return list(ApprovalStage.objects.filter(workspace=workspace).prefetch_related("approvers").order_by("position", "pk"))


def needs_approval(workspace) -> bool:
    """Whether posts of this workspace must be approved before they are scheduled."""
    return ApprovalStage.objects.filter(workspace=workspace).exists()


def is_approved(post: Post) -> bool:
    """The post's current version is approved (or the workspace approves nothing)."""
    if not needs_approval(post.workspace_id):
        return True
    return post.approved_version is not None and post.approved_version == post.version


def _deciders(workspace_id: int) -> list[str]:
    return [r for r in roles.Role.values if roles.has_perm(r, roles.APPROVE_POSTS)]


def approver_ids(stage: ApprovalStage) -> list[int]:
    """Who decides at ``stage``: its approvers who are still members able to see publishing, or, when it names
    nobody, every owner and community manager."""
    named = list(stage.approvers.values_list("pk", flat=True))
    if named:
        readers = [r for r in roles.Role.values if roles.has_perm(r, roles.VIEW_PUBLISHING)]
        return list(Membership.objects.filter(workspace_id=stage.workspace_id, user_id__in=named, role__in=readers)
                    .values_list("user_id", flat=True))
    return list(Membership.objects.filter(workspace_id=stage.workspace_id, role__in=_deciders(stage.workspace_id))
                .values_list("user_id", flat=True))


def can_decide(membership: Membership, post: Post) -> bool:
    """Whether the member may approve or ask for changes on ``post`` now, at its current stage."""
    if post.workspace_id != membership.workspace_id or post.status != Post.Status.IN_REVIEW:
        return False
    stage = post.current_stage
    if stage is None:
        return roles.has_perm(membership.role, roles.APPROVE_POSTS)
    if stage.approvers.exists():
        return (roles.has_perm(membership.role, roles.VIEW_PUBLISHING)
                and stage.approvers.filter(pk=membership.user_id).exists())
    return roles.has_perm(membership.role, roles.APPROVE_POSTS)


def awaiting(membership: Membership) -> list[Post]:
    """Posts waiting for this member's decision, oldest first."""
    posts = Post.objects.filter(workspace_id=membership.workspace_id, status=Post.Status.IN_REVIEW).select_related(
        "current_stage", "workspace", "created_by").order_by("updated_at", "pk")
    return [p for p in posts if can_decide(membership, p)]


def history(post: Post) -> list[Approval]:
    return list(post.approvals.select_related("decided_by").order_by("decided_at", "pk"))


FIELD_LABELS = {"master_text": gettext_lazy("Text"), "title": gettext_lazy("Internal title"), "link": gettext_lazy("Link"),
                "text": gettext_lazy("Text"), "variants": gettext_lazy("Variant"), "publish_at": gettext_lazy("Date"),
                "network": gettext_lazy("Network"), "content_warning": gettext_lazy("Content warning"),
                "alt_text": gettext_lazy("Alt text"), "media": gettext_lazy("Media"),
                "alternates": gettext_lazy("Other texts"), "visibility": gettext_lazy("Visibility"),
                "options": gettext_lazy("Options")}
# In a version's snapshot, what identifies a channel's version (its name heads its lines instead).
HIDDEN_KEYS = {"channel", "channel_label", "network"}


def _label(path: str) -> str:
    """``variants.2.text`` → “Variant 2 · Text”, in the reader's language."""
    parts = [p for p in path.split(".") if p]
    words = []
    for part in parts:
        if part.isdigit() and words:
            words[-1] = f"{words[-1]} {part}"
        else:
            words.append(str(FIELD_LABELS.get(part, part.replace("_", " "))))
    return " · ".join(words)


def _flatten(content, prefix: str = "") -> list[str]:
    lines: list[str] = []
    if isinstance(content, dict):
        for key in sorted(content):
            lines += _flatten(content[key], f"{prefix}{key}.")
    elif isinstance(content, list):
        for n, value in enumerate(content, start=1):
            lines += _flatten(value, f"{prefix}{n}.")
    else:
        text = "" if content is None else str(content)
        if not text.strip():
            return []  # an empty field says nothing (a field emptied shows as its old value removed)
        label = _label(prefix)
        parts = text.splitlines() or [""]
        lines += [f"{label}: {part}" for part in parts]
    return lines


def _lines(content: dict, media_names: dict[int, str]) -> list[str]:
    """A version's snapshot as the lines an approver reads: each channel's version under the channel's name, its
    media by file name, no internal id and no empty field."""
    content = dict(content or {})
    variants = content.pop("variants", None) or []
    lines = _flatten({k: v for k, v in content.items() if k not in HIDDEN_KEYS})
    for n, variant in enumerate(variants, start=1):
        if not isinstance(variant, dict):
            continue
        name = str(variant.get("channel_label") or variant.get("network") or f"{FIELD_LABELS['variants']} {n}")
        rest = {k: v for k, v in variant.items() if k not in HIDDEN_KEYS}
        if isinstance(rest.get("media"), list):
            rest["media"] = [media_names.get(m, m) for m in rest["media"]]
        lines += [f"{name} · {line}" for line in _flatten(rest)]
    return lines


def version_diff(post: Post) -> list[tuple[str, str]]:
    """What changed since the last decision: (``+``/``-``/`` ``, line) of the versions' contents; every line when
    nobody decided yet."""
    last = post.approvals.aggregate(v=Max("version"))["v"]
    versions = {v.number: v.content for v in PostVersion.objects.filter(post=post, number__in=[last or 0, post.version])}
    current = versions.get(post.version)
    if current is None:
        return []
    if last == post.version:
        return []
    media = {m for content in versions.values() for v in (content or {}).get("variants") or [] if isinstance(v, dict)
             for m in v.get("media") or [] if isinstance(m, int)}
    names = dict(MediaAsset.objects.filter(workspace_id=post.workspace_id, pk__in=media).values_list("pk", "filename"))
    old = _lines(versions.get(last, {}), names) if last else []
    rows = []
    for line in difflib.ndiff(old, _lines(current, names)):
        if line.startswith(("+ ", "- ", "  ")):
            rows.append((line[0], line[2:]))
    return rows


# Deciding. ----------------------------------------------------------------------------------------------

def _notify_approvers(post: Post, stage: ApprovalStage, *, again: bool = False) -> None:
    title = str(post)[:80]
    message = (i18n.gettext("The post “%(title)s” changed and awaits your approval again (%(stage)s)") if again
               else i18n.gettext("The post “%(title)s” awaits your approval (%(stage)s)"))
    notify(post.workspace_id, approver_ids(stage), "approval.request", message % {"title": title, "stage": stage.name},
           url=post_url(post), key=f"post:{post.pk}")


def _problems_blocking(post: Post) -> list[str]:
    preflight = _optional("posts", "preflight")
    if preflight is None:
        return []
    blocking = []
    for problem in preflight(post) or []:
        level = str(getattr(problem, "severity", "") or getattr(problem, "level", "") or "").lower()
        if getattr(problem, "blocking", False) or level in ("error", "blocking"):
            blocking.append(str(getattr(problem, "message", "") or problem))
    return blocking


@transaction.atomic
def do_submit(membership: Membership, post: Post) -> Post:
    """Send a post for approval: to the first stage, whose approvers are told. Pre-flight errors block it."""
    check_perm(membership, roles.MANAGE_PUBLISHING)
    if post.workspace_id != membership.workspace_id:
        raise PermissionDenied
    post = Post.objects.select_for_update().select_related("workspace").get(pk=post.pk)
    first = ApprovalStage.objects.filter(workspace_id=post.workspace_id).order_by("position", "pk").first()
    if first is None:
        raise ValidationError(_("This workspace has no approval stages: the post can be scheduled directly."))
    if post.status == Post.Status.IN_REVIEW:
        raise ValidationError(_("This post already awaits approval."))
    if post.status not in (Post.Status.DRAFT, Post.Status.CHANGES_REQUESTED, Post.Status.APPROVED):
        raise ValidationError(_("Only a draft, or a post whose changes were asked for, can be sent for approval."))
    if post.status == Post.Status.APPROVED and post.approved_version == post.version:
        raise ValidationError(_("This version of the post is already approved."))
    problems = _problems_blocking(post)
    if problems:
        raise ValidationError(_("Fix these before sending for approval: %(problems)s") % {"problems": " · ".join(problems)})
    before = audit.snapshot(post, ["status", "version"])
    post.status, post.current_stage, post.updated_at = Post.Status.IN_REVIEW, first, timezone.now()
    post.save(update_fields=["status", "current_stage", "updated_at"])
    audit.record(membership.workspace, membership.user, "post.submit", post, before=before,
                 after={**audit.snapshot(post, ["status", "version"]), "stage": first.name})
    _notify_approvers(post, first)
    return post


def check_decision(decision, comment) -> tuple[str, str]:
    if decision not in Decision.values:
        raise ValidationError({"decision": [_("Choose to approve or to request changes.")]})
    text = clean_text(str(comment or "")).strip()
    if len(text) > COMMENT_MAX:
        raise ValidationError({"comment": [_("At most %(max)d characters.") % {"max": COMMENT_MAX}]})
    if decision == Decision.CHANGES_REQUESTED and not text:
        raise ValidationError({"comment": [_("Say what should change: the author reads it.")]})
    return decision, text


@transaction.atomic
def do_decide(membership: Membership, post: Post, decision, comment="") -> Approval:
    """Approve the post's current version at its current stage (then the next stage, or final approval and, when
    it has a date, scheduling), or request changes with a comment (the author is told)."""
    if post.workspace_id != membership.workspace_id:
        raise PermissionDenied
    decision, comment = check_decision(decision, comment)
    post = Post.objects.select_for_update(of=("self",)).select_related("workspace", "current_stage").get(pk=post.pk)
    if post.status != Post.Status.IN_REVIEW:
        raise ValidationError(_("This post does not await approval (anymore)."))
    if not can_decide(membership, post):
        raise PermissionDenied(_("You are not an approver at this stage."))
    stage = post.current_stage
    approval = Approval.objects.create(post=post, stage=stage, stage_name=stage.name if stage else "",
                                       version=post.version, decision=decision, comment=comment,
                                       decided_by=membership.user)
    before = audit.snapshot(post, ["status", "version", "approved_version"])
    title = str(post)[:80]
    author = [post.created_by_id] if post.created_by_id and post.created_by_id != membership.user_id else []
    now = timezone.now()
    if decision == Decision.CHANGES_REQUESTED:
        post.status, post.current_stage = Post.Status.CHANGES_REQUESTED, None
        post.updated_at = now
        post.save(update_fields=["status", "current_stage", "updated_at"])
        notify(post.workspace_id, author, "approval.changes",
               i18n.gettext("%(name)s asks for changes to “%(title)s”: %(comment)s")
               % {"name": membership.user.display_name, "title": title, "comment": comment[:300]},
               url=post_url(post), key=f"post:{post.pk}")
    else:
        ordered = list(ApprovalStage.objects.filter(workspace_id=post.workspace_id).order_by("position", "pk"))
        index = next((n for n, s in enumerate(ordered) if stage is not None and s.pk == stage.pk), len(ordered))
        following = ordered[index + 1:index + 2]
        if following:
            post.current_stage, post.updated_at = following[0], now
            post.save(update_fields=["current_stage", "updated_at"])
            _notify_approvers(post, following[0])
        else:
            post.status, post.current_stage, post.approved_version = Post.Status.APPROVED, None, post.version
            post.updated_at = now
            post.save(update_fields=["status", "current_stage", "approved_version", "updated_at"])
            notify(post.workspace_id, author, "approval.approved",
                   i18n.gettext("The post “%(title)s” is approved") % {"title": title},
                   url=post_url(post), key=f"post:{post.pk}")
    audit.record(membership.workspace, membership.user, f"post.{decision}", post, before=before,
                 after={**audit.snapshot(post, ["status", "version", "approved_version"]),
                        "stage": approval.stage_name, "comment": comment[:300]})
    if post.status == Post.Status.APPROVED and post.publish_at is not None:
        schedule = _optional("delivery", "schedule")
        if schedule is not None:
            try:
                with transaction.atomic():
                    schedule(post)
            except ValidationError as exc:
                # Approved all the same; the author reads why it could not be scheduled and picks another date.
                notify(post.workspace_id, author or [membership.user_id], "approval.not_scheduled",
                       i18n.gettext("The post “%(title)s” is approved but could not be scheduled: %(reason)s")
                       % {"title": title, "reason": " ".join(exc.messages)[:300]},
                       url=post_url(post), key=f"post:{post.pk}", is_alarm=True)
    return approval


def content_changed(post: Post, user=None) -> bool:
    """An approved, scheduled or in-review post whose content changed goes back to the first stage; its approvers
    are told. Call it inside the transaction that saved the change (``posts.do_save_post`` does). Returns whether
    the post went back to review."""
    # A scheduled post is often unscheduled first (back to draft, its approval now stale): it was approved all the same.
    was_approved = (post.status == Post.Status.DRAFT and post.approved_version is not None
                    and post.approved_version != post.version)
    if post.status not in (Post.Status.IN_REVIEW, Post.Status.APPROVED, Post.Status.SCHEDULED) and not was_approved:
        return False
    first = ApprovalStage.objects.filter(workspace_id=post.workspace_id).order_by("position", "pk").first()
    if first is None:
        return False
    before = audit.snapshot(post, ["status", "version", "approved_version"])
    post.status, post.current_stage, post.updated_at = Post.Status.IN_REVIEW, first, timezone.now()
    Post.objects.filter(pk=post.pk).update(status=post.status, current_stage=first, updated_at=post.updated_at)
    audit.record(post.workspace, user, "post.back_to_review", post, before=before,
                 after=audit.snapshot(post, ["status", "version", "approved_version"]))
    _notify_approvers(post, first, again=True)
    return True


# The stages' settings. ----------------------------------------------------------------------------------

def check_stage(membership: Membership, name, approvers) -> tuple[str, list[int]]:
    errors: dict[str, list[str]] = {}
    name = " ".join(clean_text(str(name or "")).split())
    if not name:
        errors["name"] = [_("Name the stage, e.g. “Communication director”.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("At most %(max)d characters.") % {"max": NAME_MAX}]
    if isinstance(approvers, str | int):
        approvers = [approvers]
    try:
        ids = sorted({int(a) for a in approvers or []})
    except (TypeError, ValueError):
        ids = None
    readers = [r for r in roles.Role.values if roles.has_perm(r, roles.VIEW_PUBLISHING)]
    allowed = set(Membership.objects.filter(workspace_id=membership.workspace_id, role__in=readers)
                  .values_list("user_id", flat=True))
    if ids is None or len(ids) > 100 or not set(ids) <= allowed:
        errors["approvers"] = [_("Choose approvers among the workspace's members who see publishing.")]
    if errors:
        raise ValidationError(errors)
    return name, ids or []


def _stage_snapshot(stage: ApprovalStage) -> dict:
    return {"name": stage.name, "position": stage.position,
            "approvers": sorted(stage.approvers.values_list("email", flat=True))}


def _check_stage_of(membership: Membership, stage: ApprovalStage) -> None:
    check_perm(membership, roles.MANAGE_PUBLISHING)
    if stage.workspace_id != membership.workspace_id:
        raise PermissionDenied


@transaction.atomic
def do_create_stage(membership: Membership, name, approvers=()) -> ApprovalStage:
    check_perm(membership, roles.MANAGE_PUBLISHING)
    name, ids = check_stage(membership, name, approvers)
    existing = ApprovalStage.objects.select_for_update().filter(workspace_id=membership.workspace_id)
    if existing.count() >= MAX_STAGES:
        raise ValidationError({"name": [_("At most %(max)d stages.") % {"max": MAX_STAGES}]})
    position = (existing.aggregate(p=Max("position"))["p"] or 0) + 1
    stage = ApprovalStage.objects.create(workspace=membership.workspace, name=name, position=position)
    stage.approvers.set(ids)
    audit.record(membership.workspace, membership.user, "approval_stage.create", stage, after=_stage_snapshot(stage))
    return stage


@transaction.atomic
def do_update_stage(membership: Membership, stage: ApprovalStage, name, approvers=()) -> ApprovalStage:
    _check_stage_of(membership, stage)
    name, ids = check_stage(membership, name, approvers)
    stage = ApprovalStage.objects.select_for_update().get(pk=stage.pk)
    before = _stage_snapshot(stage)
    stage.name = name
    stage.save(update_fields=["name"])
    stage.approvers.set(ids)
    audit.record(membership.workspace, membership.user, "approval_stage.update", stage, before=before,
                 after=_stage_snapshot(stage))
    return stage


@transaction.atomic
def do_move_stage(membership: Membership, stage: ApprovalStage, direction: str) -> None:
    """Move a stage one place up or down the circuit."""
    _check_stage_of(membership, stage)
    if direction not in ("up", "down"):
        raise ValidationError(_("Move a stage up or down."))
    ordered = list(ApprovalStage.objects.select_for_update().filter(workspace_id=membership.workspace_id)
                   .order_by("position", "pk"))
    index = next(n for n, s in enumerate(ordered) if s.pk == stage.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for n, s in enumerate(ordered, start=1):
        if s.position != n:
            ApprovalStage.objects.filter(pk=s.pk).update(position=n)
    audit.record(membership.workspace, membership.user, "approval_stage.move", stage,
                 after={"order": [s.name for s in ordered]})


def delete_counts(stage: ApprovalStage) -> dict[str, int]:
    return {"posts": Post.objects.filter(current_stage=stage, status=Post.Status.IN_REVIEW).count()}


@transaction.atomic
def do_delete_stage(membership: Membership, stage: ApprovalStage) -> int:
    """Delete a stage. Posts waiting at it go on to the stage after it (or the one before when it was the last);
    with no stage left, they go back to draft. Returns how many posts moved."""
    _check_stage_of(membership, stage)
    stage = ApprovalStage.objects.select_for_update().get(pk=stage.pk)
    waiting = list(Post.objects.select_for_update().filter(current_stage=stage, status=Post.Status.IN_REVIEW))
    others = list(ApprovalStage.objects.filter(workspace_id=stage.workspace_id).exclude(pk=stage.pk)
                  .order_by("position", "pk"))
    after = [s for s in others if (s.position, s.pk) > (stage.position, stage.pk)]
    target = after[0] if after else (others[-1] if others else None)
    audit.record(membership.workspace, membership.user, "approval_stage.delete", stage,
                 before={**_stage_snapshot(stage), "posts": len(waiting)}, object_repr=stage.name)
    stage.delete()
    for post in waiting:
        if target is None:
            Post.objects.filter(pk=post.pk).update(status=Post.Status.DRAFT, current_stage=None)
        else:
            Post.objects.filter(pk=post.pk).update(current_stage=target)
            post.current_stage = target
            _notify_approvers(post, target)
    return len(waiting)


audit.GROUPS["approval_stage"] = gettext_lazy("Approval stages")
audit.GROUPS["post"] = gettext_lazy("Posts")
audit.sentences({
    "approval_stage.create": lambda e, n: _("%(actor)s added the approval stage “%(object)s”.") % n,
    "approval_stage.update": lambda e, n: _("%(actor)s changed the approval stage “%(object)s”.") % n,
    "approval_stage.move": lambda e, n: _("%(actor)s reordered the approval stages.") % n,
    "approval_stage.delete": lambda e, n: _("%(actor)s deleted the approval stage “%(object)s”.") % n,
    "post.submit": lambda e, n: _("%(actor)s sent the post “%(object)s” for approval.") % n,
    "post.approved": lambda e, n: _("%(actor)s approved the post “%(object)s” (%(stage)s).") % {
        **n, "stage": e.after.get("stage") or "—"},
    "post.changes_requested": lambda e, n: _("%(actor)s asked for changes to the post “%(object)s”.") % n,
    "post.back_to_review": lambda e, n: _("The post “%(object)s” changed and went back to approval.") % n,
})
