from comptoir.workspaces import roles
from comptoir.workspaces.roles import Role


def test_only_owners_read_the_activity_log_or_make_owners():
    for role in Role.values:
        assert roles.has_perm(role, roles.VIEW_AUDIT) == (role == Role.OWNER)
        assert roles.has_perm(role, roles.MANAGE_OWNERS) == (role == Role.OWNER)


def test_the_community_manager_runs_team_and_channels_but_not_ownership():
    assert roles.has_perm(Role.MANAGER, roles.MANAGE_TEAM)
    assert roles.has_perm(Role.MANAGER, roles.MANAGE_CHANNELS)
    assert not roles.has_perm(Role.MANAGER, roles.DELETE_WORKSPACE)
    assert Role.OWNER not in roles.roles_assignable_by(Role.MANAGER)


def test_analysts_read_and_report_but_change_nothing():
    assert roles.has_perm(Role.ANALYST, roles.VIEW_REPORTS)
    for perm in (roles.EDIT_WORKSPACE, roles.MANAGE_TEAM, roles.MANAGE_CHANNELS, roles.MODERATE):
        assert not roles.has_perm(Role.ANALYST, perm)


def test_contributors_only_submit_requests_and_see_what_is_routed_to_them():
    assert roles.PERMISSIONS[Role.CONTRIBUTOR] == {roles.VIEW_WORKSPACE, roles.SUBMIT_REQUESTS, roles.VIEW_ROUTED}


def test_unknown_or_missing_roles_have_no_permission():
    assert not roles.has_perm(None, roles.VIEW_WORKSPACE)
    assert not roles.has_perm("superhero", roles.VIEW_WORKSPACE)
