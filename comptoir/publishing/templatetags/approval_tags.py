from django import template

register = template.Library()


@register.simple_tag
def approval_state(post, membership) -> dict:
    """What the approval panel shows for ``post`` to ``membership``: the circuit, where the post is, the history of
    decisions per version, and whether this member may decide or send it for approval."""
    from comptoir.workspaces import roles

    from .. import approvals
    from ..models import Post

    stages = approvals.stages(post.workspace_id)
    history = approvals.history(post)
    versions: dict[int, list] = {}
    for decision in history:
        versions.setdefault(decision.version, []).append(decision)
    can_manage = membership is not None and roles.has_perm(membership.role, roles.MANAGE_PUBLISHING)
    submittable = (bool(stages) and can_manage and (
        post.status in (Post.Status.DRAFT, Post.Status.CHANGES_REQUESTED)
        or (post.status == Post.Status.APPROVED and post.approved_version != post.version)))
    return {
        "stages": stages, "needs": bool(stages), "history": sorted(versions.items(), reverse=True),
        "can_decide": membership is not None and approvals.can_decide(membership, post),
        "can_submit": submittable, "approved": approvals.is_approved(post),
        "current": post.current_stage if post.status == Post.Status.IN_REVIEW else None,
    }
