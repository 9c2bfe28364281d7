"""One of each routing object of a workspace, for the sweeps over every route (test_hostile_input, test_api_errors)."""

from comptoir.workspaces.models import Membership


def routing_world(member: Membership, teammate) -> dict:
    """A team with ``teammate`` in it, a rule routing to it and a response-time target (``member`` manages the inbox)."""
    from comptoir.inbox import routing, targets, teams

    team = teams.do_save_team(member, {"name": f"Équipe {member.workspace.slug}"})
    teams.do_add_member(member, team, teammate.pk)
    rule = routing.do_save_rule(member, {"name": "Adhésions", "query": "adhérer", "team": team.pk})
    target = targets.do_save_target(member, {"team": team.pk, "minutes": 240})
    return {"team_id": team.pk, "routing_rule_id": rule.pk, "inbox_rule_id": rule.pk, "user_id": teammate.pk,
            "target_id": target.pk}
