"""Roles of a workspace member and what each may do.

Views and API routes ask ``has_perm(role, perm)``; the permission names are the only thing they
know, so a role's powers are read in one place.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Community manager")
    MODERATOR = "moderator", _("Moderator")
    ANALYST = "analyst", _("Analyst")
    CONTRIBUTOR = "contributor", _("Contributor")


ROLE_HELP = {
    Role.OWNER: _("Everything, including ownership and deleting the workspace."),
    Role.MANAGER: _("Runs the community day to day: channels, team, publishing, inbox, moderation."),
    Role.MODERATOR: _("Reviews and moderates messages on the channels."),
    Role.ANALYST: _("Reads everything and builds reports; changes nothing."),
    Role.CONTRIBUTOR: _("Internal colleague: submits content requests and answers what is routed to them."),
}

# Permission names, grouped by what they protect.
VIEW_WORKSPACE = "workspace.view"
EDIT_WORKSPACE = "workspace.edit"
DELETE_WORKSPACE = "workspace.delete"
VIEW_TEAM = "team.view"
MANAGE_TEAM = "team.manage"
MANAGE_OWNERS = "team.manage_owners"
VIEW_CHANNELS = "channels.view"
MANAGE_CHANNELS = "channels.manage"
VIEW_AUDIT = "audit.view"
VIEW_REPORTS = "reports.view"
MODERATE = "moderation.act"
SUBMIT_REQUESTS = "requests.submit"
VIEW_ROUTED = "inbox.view_routed"
VIEW_INBOX = "inbox.view"
ANSWER_INBOX = "inbox.answer"  # reply, assign, close, note, tag
MANAGE_INBOX = "inbox.manage"  # teams, routing rules, targets, saved replies, settings
VIEW_FEEDBACK = "inbox.feedback_view"  # the weekly digest, for management
ANSWER_FEEDBACK = "inbox.feedback_answer"
VIEW_MODERATION = "moderation.view"  # the queue, the rules, the sanctions (reading)
MANAGE_MODERATION = "moderation.manage"  # the charter, the rules, the ladder
VIEW_STREAM = "stream.view"
ERASE_MESSAGES = "stream.erase"
MANAGE_LISTENING = "listening.manage"
VIEW_PUBLISHING = "publishing.view"
MANAGE_PUBLISHING = "publishing.manage"
APPROVE_POSTS = "publishing.approve"

_READER = {VIEW_WORKSPACE, VIEW_TEAM, VIEW_CHANNELS, VIEW_STREAM, VIEW_ROUTED, SUBMIT_REQUESTS, VIEW_PUBLISHING, VIEW_INBOX,
           VIEW_FEEDBACK, VIEW_MODERATION}

PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(
        _READER
        | {EDIT_WORKSPACE, DELETE_WORKSPACE, MANAGE_TEAM, MANAGE_OWNERS, MANAGE_CHANNELS, VIEW_AUDIT, VIEW_REPORTS, MODERATE,
           ERASE_MESSAGES, MANAGE_LISTENING, MANAGE_PUBLISHING, APPROVE_POSTS, ANSWER_INBOX, MANAGE_INBOX, ANSWER_FEEDBACK,
           MANAGE_MODERATION}
    ),
    Role.MANAGER: frozenset(_READER | {EDIT_WORKSPACE, MANAGE_TEAM, MANAGE_CHANNELS, VIEW_REPORTS, MODERATE, MANAGE_LISTENING,
                                        MANAGE_PUBLISHING, APPROVE_POSTS, ANSWER_INBOX, MANAGE_INBOX, ANSWER_FEEDBACK,
                                        MANAGE_MODERATION}),
    Role.MODERATOR: frozenset(_READER | {MODERATE, ANSWER_INBOX}),
    Role.ANALYST: frozenset(_READER | {VIEW_REPORTS}),
    Role.CONTRIBUTOR: frozenset({VIEW_WORKSPACE, SUBMIT_REQUESTS, VIEW_ROUTED}),
}


def has_perm(role: str | None, perm: str) -> bool:
    return bool(role) and perm in PERMISSIONS.get(role, frozenset())


def roles_assignable_by(role: str) -> list[str]:
    """Roles a member with ``role`` may give to someone else."""
    if has_perm(role, MANAGE_OWNERS):
        return list(Role.values)
    if has_perm(role, MANAGE_TEAM):
        return [r for r in Role.values if r != Role.OWNER]
    return []
