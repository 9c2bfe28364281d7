"""The inbox API: routing — teams and their members, routing rules (ordered, testable on past conversations).
Routes under /api/v1/workspaces/{slug}/inbox/…; the same actions as the pages (``teams``, ``routing``)."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StrictBool, StrictInt, StrictStr

from comptoir.errors import api_responses
from comptoir.workspaces import audit, roles
from comptoir.workspaces.access import get_token_membership
from comptoir.workspaces.models import Membership

from .. import routing, teams
from ..models import RoutingRule, Team, TeamMember

router = Router(tags=["inbox"])

Slug = Path[str, {"max_length": 60}]
RowId = Path[int, {"ge": 1, "le": 2**63 - 1}]
Id = StrictInt


def _membership(request, slug: str, perm: str = roles.MANAGE_INBOX) -> Membership:
    return get_token_membership(request, slug, perm)


# Teams ------------------------------------------------------------------------------------------------------


class TeamMemberOut(Schema):
    user: int = Field(description="The member's user id")
    email: str
    name: str


class TeamOut(Schema):
    id: int
    name: str
    description: str
    email: str = Field(description="The team's shared address (rules can notify it); empty: none")
    time_zone: str = Field(description="IANA zone of its working hours; empty: the workspace's")
    holidays_country: str = Field(description="Two-letter country whose public holidays are days off; empty: none")
    working_hours: dict = Field(description='{"0": [["09:00", "12:30"], ["14:00", "18:00"]], …}, 0 = Monday; '
                                            "{} = round the clock")
    members: list[TeamMemberOut]
    created_at: datetime


class TeamIn(Schema):
    name: StrictStr = Field(..., max_length=1000)
    description: StrictStr = Field("", max_length=10_000)
    email: StrictStr = Field("", max_length=1000)
    time_zone: StrictStr = Field("", max_length=200)
    holidays_country: StrictStr = Field("FR", max_length=20)
    working_hours: dict = Field(default_factory=dict, description="Per weekday (0 = Monday), up to 3 ranges")


class TeamPatch(Schema):
    name: StrictStr | None = Field(None, max_length=1000)
    description: StrictStr | None = Field(None, max_length=10_000)
    email: StrictStr | None = Field(None, max_length=1000)
    time_zone: StrictStr | None = Field(None, max_length=200)
    holidays_country: StrictStr | None = Field(None, max_length=20)
    working_hours: dict | None = None


class MemberIn(Schema):
    user: Id = Field(..., ge=1, le=2**63 - 1, description="The user id of a member of this workspace")


class TeamDeleted(Schema):
    conversations: int = Field(description="Conversations kept, now with no team")
    rules: int = Field(description="Rules that routed to it (kept, without that action)")
    targets: int = Field(description="Response-time targets removed with it")
    members: int


def _team_out(team: Team) -> dict:
    links = team.team_members.select_related("user").order_by("user__email")
    return {"id": team.pk, "name": team.name, "description": team.description, "email": team.email,
            "time_zone": team.time_zone, "holidays_country": team.holidays_country,
            "working_hours": team.working_hours if isinstance(team.working_hours, dict) else {},
            "members": [{"user": m.user_id, "email": m.user.email, "name": str(m.user)} for m in links],
            "created_at": team.created_at}


def _get_team(membership: Membership, team_id: int) -> Team:
    return get_object_or_404(Team, pk=team_id, workspace=membership.workspace)


@router.get("/{slug}/inbox/teams", response=api_responses({200: list[TeamOut]}), summary="The inbox's teams")
def list_teams(request, slug: Slug):
    membership = _membership(request, slug, roles.VIEW_INBOX)
    return [_team_out(t) for t in Team.objects.filter(workspace=membership.workspace)]


@router.post("/{slug}/inbox/teams", response=api_responses({201: TeamOut}, body=True), summary="Create a team")
def create_team(request, slug: Slug, payload: TeamIn):
    membership = _membership(request, slug)
    with audit.via("api"):
        team = teams.do_save_team(membership, payload.dict())
    return Status(201, _team_out(team))


@router.get("/{slug}/inbox/teams/{team_id}", response=api_responses({200: TeamOut}))
def get_team(request, slug: Slug, team_id: RowId):
    membership = _membership(request, slug, roles.VIEW_INBOX)
    return _team_out(_get_team(membership, team_id))


@router.patch("/{slug}/inbox/teams/{team_id}", response=api_responses({200: TeamOut}, body=True),
              summary="Change a team (fields left out or null stay as they are)")
def update_team(request, slug: Slug, team_id: RowId, payload: TeamPatch):
    membership = _membership(request, slug)
    team = _get_team(membership, team_id)
    data = {k: getattr(team, k) for k in teams.FIELDS}
    data.update({k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None})
    with audit.via("api"):
        team = teams.do_save_team(membership, data, team)
    return _team_out(team)


@router.delete("/{slug}/inbox/teams/{team_id}", response=api_responses({200: TeamDeleted}),
               summary="Delete a team: its conversations stay (with no team), rules lose their routing to it")
def delete_team(request, slug: Slug, team_id: RowId):
    membership = _membership(request, slug)
    with audit.via("api"):
        return teams.do_delete_team(membership, _get_team(membership, team_id))


@router.post("/{slug}/inbox/teams/{team_id}/members", response=api_responses({200: TeamOut}, body=True),
             summary="Add a member of this workspace to the team")
def add_member(request, slug: Slug, team_id: RowId, payload: MemberIn):
    membership = _membership(request, slug)
    team = _get_team(membership, team_id)
    with audit.via("api"):
        teams.do_add_member(membership, team, payload.user)
    return _team_out(team)


@router.delete("/{slug}/inbox/teams/{team_id}/members/{user_id}", response=api_responses({200: TeamOut}),
               summary="Remove someone from the team (404 if they are not in it)")
def remove_member(request, slug: Slug, team_id: RowId, user_id: RowId):
    membership = _membership(request, slug)
    team = _get_team(membership, team_id)
    get_object_or_404(TeamMember, team=team, user_id=user_id)
    with audit.via("api"):
        teams.do_remove_member(membership, team, user_id)
    return _team_out(team)


# Rules ------------------------------------------------------------------------------------------------------


class RuleOut(Schema):
    id: int
    name: str
    trigger: str = Field(description="new (a new conversation) or breach (a missed response-time target)")
    position: int = Field(description="Order among the rules of its trigger, from 0")
    enabled: bool
    stop: bool = Field(description="A match ends the evaluation: later rules do not run")
    intents: list[str]
    languages: list[str]
    channels: list[int]
    sentiments: list[str]
    segments: list[str] = Field(description="newcomer, returning, person")
    query: str = Field(description="Keywords in the listening query language")
    team: int | None
    assignee: int | None = Field(description="A user id")
    priority: int | None = Field(description="0 low – 3 urgent")
    tag: str | None
    ack_text: str | None = Field(description="Acknowledgment sent to the member ({first_name}, {name}, {agent}, "
                                             "{channel})")
    notify: str | None = Field(description="members, address (the team's) or managers")
    matched_count: int
    created_at: datetime
    updated_at: datetime


class Conditions(Schema):
    intents: list[StrictStr] = Field(default_factory=list, max_length=50)
    languages: list[StrictStr] = Field(default_factory=list, max_length=50)
    channels: list[Id] = Field(default_factory=list, max_length=50)
    sentiments: list[StrictStr] = Field(default_factory=list, max_length=50)
    segments: list[StrictStr] = Field(default_factory=list, max_length=50)
    query: StrictStr = Field("", max_length=10_000)


class RuleIn(Conditions):
    name: StrictStr = Field(..., max_length=1000)
    trigger: StrictStr = Field(RoutingRule.Trigger.NEW, max_length=20)
    enabled: StrictBool = True
    stop: StrictBool = False
    team: Id | None = None
    assignee: Id | None = None
    priority: Id | None = None
    tag: StrictStr | None = Field(None, max_length=1000)
    ack_text: StrictStr | None = Field(None, max_length=20_000)
    notify: StrictStr | None = Field(None, max_length=20)


class RulePatch(Schema):
    name: StrictStr | None = Field(None, max_length=1000)
    trigger: StrictStr | None = Field(None, max_length=20)
    enabled: StrictBool | None = None
    stop: StrictBool | None = None
    intents: list[StrictStr] | None = Field(None, max_length=50)
    languages: list[StrictStr] | None = Field(None, max_length=50)
    channels: list[Id] | None = Field(None, max_length=50)
    sentiments: list[StrictStr] | None = Field(None, max_length=50)
    segments: list[StrictStr] | None = Field(None, max_length=50)
    query: StrictStr | None = Field(None, max_length=10_000)
    team: Id | None = Field(None, description="null: no routing to a team")
    assignee: Id | None = None
    priority: Id | None = None
    tag: StrictStr | None = Field(None, max_length=1000)
    ack_text: StrictStr | None = Field(None, max_length=20_000)
    notify: StrictStr | None = Field(None, max_length=20)


class OrderIn(Schema):
    ids: list[Id] = Field(..., max_length=routing.MAX_RULES, description="Rule ids, first first; the rules left out "
                                                                        "follow in their current order")


class TestIn(Conditions):
    days: Id = Field(7, description="1, 7 or 30")


class TestDays(Schema):
    days: int = Field(7, ge=1, le=30, description="1, 7 or 30")


class MatchOut(Schema):
    id: int
    subject: str
    created_at: datetime
    channel: int | None
    team: int | None


class TestOut(Schema):
    intents: list[str] = Field(description="The conditions tested, as read")
    languages: list[str]
    channels: list[int]
    sentiments: list[str]
    segments: list[str]
    query: str
    days: int
    scanned: int = Field(description="Conversations read (the newest, at most 5,000)")
    matched: int
    capped: bool = Field(description="The period holds more conversations than were read")
    timed_out: bool
    matches_everything: bool = Field(description="The rule has no condition: it matches every conversation")
    conversations: list[MatchOut] = Field(description="The newest matches (at most 50)")


def _rule_out(rule: RoutingRule) -> dict:
    return {"id": rule.pk, **routing.flat(rule), "position": rule.position, "matched_count": rule.matched_count,
            "created_at": rule.created_at, "updated_at": rule.updated_at}


def _get_rule(membership: Membership, rule_id: int) -> RoutingRule:
    return get_object_or_404(RoutingRule, pk=rule_id, workspace=membership.workspace)


def _test_out(result: routing.Preview, conditions: dict) -> dict:
    return {**{k: conditions.get(k, "" if k == "query" else []) for k in routing.CONDITION_KEYS}, "days": result.days, "scanned": result.scanned, "matched": result.matched, "capped": result.capped,
            "timed_out": result.timed_out, "matches_everything": result.everything,
            "conversations": [{"id": c.pk, "subject": c.subject, "created_at": c.created_at, "channel": c.channel_id,
                               "team": c.team_id} for c in result.conversations]}


def _check_days(days: int) -> int:
    if days not in routing.PREVIEW_DAYS:
        raise ValidationError({"days": _("Choose 1, 7 or 30 days.")})
    return days


@router.get("/{slug}/inbox/rules", response=api_responses({200: list[RuleOut]}),
            summary="Routing rules: new-conversation rules then escalation rules, each in their order")
def list_rules(request, slug: Slug):
    membership = _membership(request, slug, roles.VIEW_INBOX)
    return [_rule_out(r) for trigger in RoutingRule.Trigger.values
            for r in routing.ordered(membership.workspace_id, trigger)]


@router.post("/{slug}/inbox/rules", response=api_responses({201: RuleOut}, body=True),
             summary="Create a rule (last in its trigger's order)")
def create_rule(request, slug: Slug, payload: RuleIn):
    membership = _membership(request, slug)
    with audit.via("api"):
        rule = routing.do_save_rule(membership, payload.dict())
    return Status(201, _rule_out(rule))


@router.post("/{slug}/inbox/rules/reorder", response=api_responses({200: list[RuleOut]}, body=True),
             summary="Put rules in this order")
def reorder_rules(request, slug: Slug, payload: OrderIn):
    membership = _membership(request, slug)
    with audit.via("api"):
        return [_rule_out(r) for r in routing.do_reorder_rules(membership, payload.ids)]


@router.post("/{slug}/inbox/rules/test", response=api_responses({200: TestOut}, body=True),
             summary="What these conditions would have matched among the last days' conversations (read-only)")
def test_conditions(request, slug: Slug, payload: TestIn):
    membership = _membership(request, slug)
    days = _check_days(payload.days)
    conditions = routing.check_conditions(membership.workspace, payload.dict())
    return _test_out(routing.preview(membership.workspace, conditions, days), conditions)


@router.get("/{slug}/inbox/rules/{rule_id}", response=api_responses({200: RuleOut}))
def get_rule(request, slug: Slug, rule_id: RowId):
    membership = _membership(request, slug, roles.VIEW_INBOX)
    return _rule_out(_get_rule(membership, rule_id))


@router.patch("/{slug}/inbox/rules/{rule_id}", response=api_responses({200: RuleOut}, body=True),
              summary="Change a rule (fields left out stay; null removes an action)")
def update_rule(request, slug: Slug, rule_id: RowId, payload: RulePatch):
    membership = _membership(request, slug)
    rule = _get_rule(membership, rule_id)
    data = routing.flat(rule)
    for key, value in payload.dict(exclude_unset=True).items():
        if value is None and key not in routing.ACTION_KEYS:
            continue  # null on a condition or a setting: unchanged
        data[key] = value
    with audit.via("api"):
        rule = routing.do_save_rule(membership, data, rule)
    return _rule_out(rule)


@router.delete("/{slug}/inbox/rules/{rule_id}", response=api_responses({204: None}))
def delete_rule(request, slug: Slug, rule_id: RowId):
    membership = _membership(request, slug)
    with audit.via("api"):
        routing.do_delete_rule(membership, _get_rule(membership, rule_id))
    return Status(204, None)


@router.get("/{slug}/inbox/rules/{rule_id}/test", response=api_responses({200: TestOut}),
            summary="What this saved rule would have matched among the last days' conversations (read-only)")
def test_rule(request, slug: Slug, rule_id: RowId, filters: Query[TestDays]):
    membership = _membership(request, slug)
    rule = _get_rule(membership, rule_id)
    days = _check_days(filters.days)
    conditions = rule.conditions if isinstance(rule.conditions, dict) else {}
    return _test_out(routing.preview(membership.workspace, conditions, days), conditions)
