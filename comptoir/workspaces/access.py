"""Who may see and do what in a workspace, for the views of every app."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from . import roles
from .models import Membership, User


def get_membership(request, slug: str, perm: str = roles.VIEW_WORKSPACE) -> Membership:
    """The member's membership in workspace ``slug``: 404 if not a member, 403 if the role lacks ``perm``."""
    membership = (
        Membership.objects.select_related("workspace", "user")
        .filter(workspace__slug=slug, user=request.user)
        .first()
    )
    if membership is None:
        raise Http404(_("No such workspace."))
    request.membership = membership
    if not roles.has_perm(membership.role, perm):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    if request.user.last_workspace_id != membership.workspace_id:
        User.objects.filter(pk=request.user.pk).update(last_workspace=membership.workspace)
    return membership


def get_token_membership(request, slug: str, perm: str = roles.VIEW_WORKSPACE) -> Membership:
    """For the API: the membership of the token's owner in the token's workspace, which must be ``slug``
    (404 otherwise: a token never reaches another workspace), 403 if the role lacks ``perm``."""
    token = request.auth
    if slug != token.workspace.slug:
        raise Http404
    membership = (Membership.objects.select_related("workspace", "user")
                  .filter(workspace=token.workspace, user=token.user).first())
    if membership is None:
        raise Http404
    if not roles.has_perm(membership.role, perm):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    return membership
