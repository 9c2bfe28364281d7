"""One moderation rule and one automatic action of a workspace, for the sweeps over every route (test_hostile_input,
test_api_errors)."""

from comptoir.workspaces.models import Membership


def rules_world(member: Membership) -> dict:
    """``member`` manages moderation; the automatic action is a logged (dry-run) flag on one of the workspace's
    messages, or on none when it has no message."""
    from comptoir.moderation import rules
    from comptoir.moderation.models import AutoAction
    from comptoir.stream.models import Item

    rule = rules.do_save_rule(member, {"name": "Insultes", "kind": "words", "lexicons": ["fr_insults"],
                                       "actions": ["flag", "hold"]})
    action = AutoAction.objects.create(workspace=member.workspace, rule=rule, rule_name=rule.name, action="hold",
                                       item=Item.objects.filter(workspace=member.workspace).first(),
                                       detail="matched “connard”", result=AutoAction.Result.MANUAL)
    return {"moderation_rule_id": rule.pk, "auto_action_id": action.pk}
