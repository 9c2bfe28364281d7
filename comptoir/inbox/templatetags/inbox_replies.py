"""What the reply composer and a reply line need to know that the conversation pane does not pass."""

from django import template

from comptoir.workspaces import roles

from .. import replies
from ..models import InboxSettings, Reply

register = template.Library()

STATE_CHIPS = {
    Reply.State.DRAFT: "cpt-chip-info", Reply.State.QUEUED: "cpt-chip-idle", Reply.State.SENDING: "cpt-chip-info",
    Reply.State.SENT: "cpt-chip-ok", Reply.State.FAILED: "cpt-chip-error", Reply.State.UNKNOWN: "cpt-chip-warn",
    Reply.State.DISCARDED: "cpt-chip-idle",
}


@register.simple_tag
def composer_state(conversation, membership, text=""):
    """The counter's first reading, the network's name, and whether this writer's answer will be a draft."""
    length, limit = replies.text_length(conversation, text or "")
    channel = conversation.channel
    network = ""
    if channel is not None:
        try:
            network = type(channel.connector()).label or channel.network
        except Exception:  # a network no longer installed: the counter just has no name
            network = channel.network
    draft = (membership is not None and not roles.has_perm(membership.role, roles.ANSWER_INBOX)
             and not InboxSettings.of(conversation.workspace_id).experts_reply_directly)
    return {"length": length, "limit": limit, "over": limit is not None and length > limit, "network": network,
            "draft": draft}


@register.filter
def reply_chip(state: str) -> str:
    return STATE_CHIPS.get(state, "cpt-chip-idle")


@register.filter
def inbox_can(membership, perm: str) -> bool:
    return membership is not None and roles.has_perm(membership.role, perm)


@register.filter
def safe_link(url: str) -> bool:
    """Only web addresses become links (a network's answer is not trusted with ``javascript:``)."""
    return str(url or "").lower().startswith(("https://", "http://"))
