"""The activity log: every action that changes something writes one row here."""

import contextvars
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .models import AuditEvent

_via: contextvars.ContextVar[str] = contextvars.ContextVar("audit_via", default="web")


@contextmanager
def via(channel: str) -> Iterator[None]:
    """Mark the actions run inside the block as coming from ``channel`` (web, api, cli, system)."""
    token = _via.set(channel)
    try:
        yield
    finally:
        _via.reset(token)


def snapshot(obj: models.Model | None, fields: list[str]) -> dict[str, Any] | None:
    """The listed fields of ``obj`` as JSON-friendly values, for before/after."""
    if obj is None:
        return None
    data: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, models.Model):
            value = value.pk
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        data[name] = value
    return data


def record(
    workspace,
    actor,
    action: str,
    obj: models.Model | None = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    object_repr: str = "",
) -> AuditEvent:
    """Write one audit row. Call it inside the transaction of the change it describes."""
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_label=(actor.email if actor is not None and getattr(actor, "pk", None) else "system")[:200],
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        before=before,
        after=after,
        via=_via.get(),
    )


# Reading the log: one sentence per event, in the reader's language. --------------------------------

Describe = Callable[[AuditEvent, dict[str, str]], str]
_SENTENCES: dict[str, Describe] = {}
GROUPS = {
    "workspace": gettext_lazy("Workspace"), "team": gettext_lazy("Team"), "channel": gettext_lazy("Channels"),
    "source": gettext_lazy("Listening sources"), "item": gettext_lazy("Messages"), "stream": gettext_lazy("Erasures"),
    "api_token": gettext_lazy("API tokens"), "account": gettext_lazy("Accounts"), "view": gettext_lazy("Saved views"),
}
FIELD_NAMES = {
    "name": gettext_lazy("name"), "slug": gettext_lazy("short name"), "kind": gettext_lazy("kind"),
    "language": gettext_lazy("language"), "time_zone": gettext_lazy("time zone"), "description": gettext_lazy("description"),
    "full_name": gettext_lazy("full name"), "status": gettext_lazy("status"), "label": gettext_lazy("label"),
    "role": gettext_lazy("role"),
}


def sentences(mapping: dict[str, Describe]) -> None:
    """Register how an app's actions read (``action`` → function of the event and its names)."""
    _SENTENCES.update(mapping)


def _value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)[:200]
    return str(value)[:200]


def changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    """(field, before, after) for each field an event changed, named for people."""
    before, after = event.before or {}, event.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    # Sorted: PostgreSQL's jsonb does not keep the order the keys were written in, and both databases must read alike.
    keys = sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
    return [(str(FIELD_NAMES.get(k, k.replace("_", " "))), _value(before.get(k)), _value(after.get(k))) for k in keys]


def describe(event: AuditEvent) -> str:
    """The event as a sentence: "Camille Martin paused the channel Forum des adhérents"."""
    actor = event.actor.display_name if event.actor_id and event.actor else event.actor_label
    names = {"actor": _("Comptoir") if actor in ("", "system") else actor, "object": event.object_repr or "—"}
    describe_ = _SENTENCES.get(event.action)
    if describe_ is not None:
        try:
            return describe_(event, names)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # an older event without the detail this sentence reads: say it plainly below
    group = GROUPS.get(event.action.split(".")[0], event.action.split(".")[0])
    return _("%(actor)s made a change (%(group)s) to %(object)s.") % {**names, "group": group}


def _after(event: AuditEvent, key: str, default: Any = "") -> Any:
    return (event.after or {}).get(key, default)


def _before(event: AuditEvent, key: str, default: Any = "") -> Any:
    return (event.before or {}).get(key, default)


def _fields(event: AuditEvent) -> str:
    return ", ".join(field for field, _b, _a in changes(event)) or "—"


def _role(value: str) -> str:
    from .roles import Role

    return str(Role(value).label) if value in Role.values else value


def _channel_status(value: str) -> str:
    from .models import Channel

    return str(Channel.Status(value).label) if value in Channel.Status.values else value


sentences({
    "workspace.create": lambda e, n: _("%(actor)s created the workspace %(object)s.") % n,
    "workspace.update": lambda e, n: _("%(actor)s changed the settings of the workspace: %(fields)s.") % {
        **n, "fields": _fields(e)},
    "team.invite": lambda e, n: _("%(actor)s invited %(email)s as %(role)s.") % {
        **n, "email": _after(e, "email"), "role": _role(_after(e, "role"))},
    "team.invitation_revoke": lambda e, n: _("%(actor)s withdrew the invitation sent to %(object)s.") % n,
    "team.join": lambda e, n: (
        _("%(actor)s joined the workspace as %(role)s.") if _after(e, "email") in ("", e.actor_label)
        else _("%(actor)s added %(email)s to the workspace as %(role)s.")) % {
        **n, "role": _role(_after(e, "role")), "email": _after(e, "email")},
    "team.role_change": lambda e, n: _("%(actor)s made %(object)s %(role)s (was %(old)s).") % {
        **n, "role": _role(_after(e, "role")), "old": _role(_before(e, "role"))},
    "team.remove": lambda e, n: _("%(actor)s removed %(object)s from the workspace.") % n,
    "channel.connect": lambda e, n: _("%(actor)s connected the channel %(object)s.") % n,
    "channel.reconnect": lambda e, n: _("%(actor)s connected the channel %(object)s again, with its history.") % n,
    "channel.status": lambda e, n: (_("%(actor)s paused the channel %(object)s.") if _after(e, "status") == "paused"
                                    else _("%(actor)s set the channel %(object)s to “%(status)s”.")) % {
        **n, "status": _channel_status(_after(e, "status"))},
    "channel.remove": lambda e, n: ngettext(
        "%(actor)s removed the channel %(object)s; its %(count)s message stays in the stream.",
        "%(actor)s removed the channel %(object)s; its %(count)s messages stay in the stream.",
        _after(e, "messages_kept", 0)) % {**n, "count": _after(e, "messages_kept", 0)},
    "channel.webhook_secret_regenerate": lambda e, n: _(
        "%(actor)s made a new signing secret for the webhook %(object)s; the old one no longer works.") % n,
    "channel.import_csv": lambda e, n: _("%(actor)s imported a CSV file into %(object)s: %(imported)s new messages, "
                                         "%(duplicates)s already there, %(rejected)s rows refused.") % {
        **n, "imported": _after(e, "imported", 0), "duplicates": _after(e, "duplicates", 0),
        "rejected": _after(e, "rejected", 0)},
    "api_token.create": lambda e, n: _("%(actor)s created the API token %(object)s.") % n,
    "api_token.revoke": lambda e, n: (_("%(actor)s revoked the API token %(object)s.") if not _after(e, "because")
                                      else _("The API token %(object)s was revoked when %(actor)s changed their password.")
                                      ) % n,
    "account.login_locked": lambda e, n: _("Log-in to %(object)s was locked after %(failures)s wrong passwords.") % {
        **n, "failures": _after(e, "failures", "?")},
    "account.password_change": lambda e, n: _("%(actor)s changed their password.") % n,
    "account.password_reset": lambda e, n: _("%(actor)s set a new password through a reset link.") % n,
    "account.update": lambda e, n: _("%(actor)s changed their preferences: %(fields)s.") % {**n, "fields": _fields(e)},
})
