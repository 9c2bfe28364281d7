"""Teams of the inbox: departments and experts conversations are routed to, with their members and working hours.

Each ``do_*`` checks MANAGE_INBOX and the workspace, runs in one transaction and writes the activity log. Deleting a
team never deletes a conversation: its conversations keep their history with no team, its response-time targets go
with it, and the rules that routed to it lose that action (they stay, to be edited).

Business time for a conversation: its team's hours, zone and public holidays; without a team, the workspace's default
— Monday to Friday, 9:00 to 18:00, in the workspace's time zone, with the public holidays of France (:func:`hours_of`).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptoir.lib import businesshours
from comptoir.lib.sanitize import clean_text
from comptoir.lib.timeutil import is_valid_timezone
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Membership

from .models import Conversation, RoutingRule, Team, TeamMember

NAME_MAX = 80
DESCRIPTION_MAX = 300
MAX_MEMBERS = 200
DEFAULT_HOURS = businesshours.preset("mon-fri-9-18")
DEFAULT_HOLIDAYS = "FR"


@dataclass(frozen=True)
class BusinessClock:
    """What business time is measured against: hours, an IANA zone and public holidays."""

    hours: dict
    time_zone: str
    holidays: Container[date]


def hours_of(workspace, team: Team | None) -> BusinessClock:
    """The team's business clock; the workspace's default (Mon–Fri 9–18, its time zone, French holidays) without one."""
    zone = workspace.time_zone if is_valid_timezone(workspace.time_zone) else "UTC"
    if team is None:
        return BusinessClock(DEFAULT_HOURS, zone, businesshours.country_holidays(DEFAULT_HOLIDAYS))
    if team.time_zone and is_valid_timezone(team.time_zone):
        zone = team.time_zone
    hours = team.working_hours if isinstance(team.working_hours, dict) and not businesshours.check_hours(
        team.working_hours) else DEFAULT_HOURS
    country = team.holidays_country if businesshours.is_supported_country(team.holidays_country or "") else ""
    return BusinessClock(hours, zone, businesshours.country_holidays(country))


def _check_managed(membership: Membership, team: Team | None = None) -> None:
    check_perm(membership, roles.MANAGE_INBOX)
    if team is not None and team.workspace_id != membership.workspace_id:
        raise PermissionDenied(_("This team is not in this workspace."))


def check_team_data(workspace, data: dict, team: Team | None = None) -> dict:
    """The team's fields, cleaned; a ValidationError naming each field at fault and how to fix it."""
    errors: dict[str, list[str]] = {}
    name = " ".join(clean_text(str(data.get("name") or "")).split())
    if not name:
        errors["name"] = [_("Give the team a name, e.g. “Adhésions” or “Service client”.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("A team name has at most %(max)s characters.") % {"max": NAME_MAX}]
    elif Team.objects.filter(workspace=workspace, name__iexact=name).exclude(pk=getattr(team, "pk", None)).exists():
        errors["name"] = [_("Another team is already called “%(name)s”: choose another name.") % {"name": name}]
    description = clean_text(str(data.get("description") or "")).strip()
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = [_("A description has at most %(max)s characters.") % {"max": DESCRIPTION_MAX}]
    email = str(data.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Enter an e-mail address such as adhesions@asso.fr, or leave it empty.")]
    zone = str(data.get("time_zone") or "").strip()
    if zone and not is_valid_timezone(zone):
        errors["time_zone"] = [_("Choose a time zone from the list, e.g. Europe/Paris, or leave it empty for the "
                                 "workspace's.")]
    country = str(data.get("holidays_country") or "").strip().upper()
    if country and not businesshours.is_supported_country(country):
        errors["holidays_country"] = [_("Choose a country from the list for its public holidays, or none.")]
    hours = data.get("working_hours") or {}
    problems = businesshours.check_hours(hours)
    if problems:
        errors["working_hours"] = problems
    if errors:
        raise ValidationError(errors)
    return {"name": name, "description": description, "email": email, "time_zone": zone, "holidays_country": country,
            "working_hours": businesshours.normalise_hours(hours)}


FIELDS = ["name", "description", "email", "time_zone", "holidays_country", "working_hours"]


def do_save_team(membership: Membership, data: dict, team: Team | None = None) -> Team:
    """Create a team (``team`` None) or change one."""
    _check_managed(membership, team)
    clean = check_team_data(membership.workspace, data, team)
    with transaction.atomic():
        before = audit.snapshot(team, FIELDS) if team is not None else None
        if team is None:
            team = Team(workspace=membership.workspace)
        for name, value in clean.items():
            setattr(team, name, value)
        try:
            with transaction.atomic():
                team.save()
        except IntegrityError:
            raise ValidationError({"name": _("Another team is already called “%(name)s”: choose another name.") % {
                "name": clean["name"]}}) from None
        audit.record(membership.workspace, membership.user, "inbox_team.create" if before is None else "inbox_team.update",
                     team, before=before, after=audit.snapshot(team, FIELDS))
    return team


def check_member(workspace_id: int, user_id) -> Membership:
    """A member of this workspace who can be in a team (someone who sees the inbox or what is routed to them)."""
    message = _("Choose a member of this workspace: a team holds only the workspace's own members.")
    try:
        user_id = int(user_id)
        if not 0 < user_id < 2**63:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError({"user": message}) from None
    found = Membership.objects.filter(workspace_id=workspace_id, user_id=user_id).select_related("user").first()
    if found is None:
        raise ValidationError({"user": message})
    if not (roles.has_perm(found.role, roles.VIEW_INBOX) or roles.has_perm(found.role, roles.VIEW_ROUTED)):
        raise ValidationError({"user": _("%(name)s's role does not let them see conversations: change their role "
                                         "first.") % {"name": str(found.user)}})
    return found


def do_add_member(membership: Membership, team: Team, user_id) -> TeamMember:
    _check_managed(membership, team)
    member = check_member(team.workspace_id, user_id)
    with transaction.atomic():
        if team.team_members.count() >= MAX_MEMBERS:
            raise ValidationError({"user": _("A team holds at most %(max)s members.") % {"max": MAX_MEMBERS}})
        link, created = TeamMember.objects.get_or_create(team=team, user=member.user)
        if created:
            audit.record(membership.workspace, membership.user, "inbox_team.add_member", team,
                         after={"member": member.user.email})
    return link


def do_remove_member(membership: Membership, team: Team, user_id: int) -> bool:
    _check_managed(membership, team)
    with transaction.atomic():
        link = TeamMember.objects.filter(team=team, user_id=user_id).select_related("user").first()
        if link is None:
            return False
        email = link.user.email
        link.delete()
        audit.record(membership.workspace, membership.user, "inbox_team.remove_member", team,
                     before={"member": email})
    return True


def rules_routing_to(team: Team) -> list[RoutingRule]:
    return [r for r in RoutingRule.objects.filter(workspace_id=team.workspace_id)
            if isinstance(r.actions, dict) and str(r.actions.get("team") or "") == str(team.pk)]


def deletion_impact(team: Team) -> dict[str, int]:
    """What deleting ``team`` touches: conversations (kept, with no team), rules (lose their routing to it),
    response-time targets (deleted with it)."""
    return {"conversations": Conversation.objects.filter(team=team).count(), "rules": len(rules_routing_to(team)),
            "targets": team.targets.count(), "members": team.team_members.count()}


def do_delete_team(membership: Membership, team: Team) -> dict[str, int]:
    """Delete a team; returns :func:`deletion_impact` as it was."""
    _check_managed(membership, team)
    with transaction.atomic():
        impact = deletion_impact(team)
        for rule in rules_routing_to(team):
            rule.actions = {k: v for k, v in rule.actions.items() if k != "team"}
            rule.save(update_fields=["actions"])
        audit.record(membership.workspace, membership.user, "inbox_team.delete", team,
                     before=audit.snapshot(team, FIELDS), after=impact)
        team.delete()  # conversations: SET_NULL; targets: CASCADE
    return impact


audit.GROUPS["inbox_team"] = gettext_lazy("Inbox teams")
audit.sentences({
    "inbox_team.create": lambda e, n: _("%(actor)s created the inbox team “%(object)s”.") % n,
    "inbox_team.update": lambda e, n: _("%(actor)s changed the inbox team “%(object)s”.") % n,
    "inbox_team.delete": lambda e, n: _("%(actor)s deleted the inbox team “%(object)s”; its conversations were kept.") % n,
    "inbox_team.add_member": lambda e, n: _("%(actor)s added %(member)s to the inbox team “%(object)s”.") % {
        **n, "member": e.after["member"]},
    "inbox_team.remove_member": lambda e, n: _("%(actor)s removed %(member)s from the inbox team “%(object)s”.") % {
        **n, "member": e.before["member"]},
})
