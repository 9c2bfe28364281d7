"""The ladder, the proposed step (history, probation), and what a sanction refuses: other workspaces, unknown
articles, missing articles — nothing applied."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from comptoir.conftest import membership_of
from comptoir.members.models import Identity
from comptoir.workspaces.models import AuditEvent

from .. import sanctions
from ..models import LadderStep, ModerationSettings, Sanction, SanctionExecution
from .sanction_world import member, publish_charter

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def mod(workspace, moderator):
    return membership_of(moderator, workspace)


def _give(mod, identity, rung: int, articles=(3,)) -> Sanction:
    return sanctions.do_sanction(mod, identity=identity, step=sanctions.ladder(mod.workspace)[rung - 1],
                                 articles=list(articles), reason="")


def test_the_default_ladder_is_created_on_first_visit(workspace):
    steps = sanctions.ladder(workspace)
    assert [(s.position, s.kind, s.duration_hours) for s in steps] == [
        (1, "reminder", None), (2, "warning", None), (3, "mute", 24), (4, "suspension", 168), (5, "ban", None)]
    with translation.override("fr"):  # the workspace speaks French
        assert steps[0].label == translation.gettext("Reminder of the charter")
    assert sanctions.ladder(workspace) == steps and LadderStep.objects.count() == 5


def test_steps_are_added_edited_moved_and_removed_with_their_positions(workspace, cm):
    manager = membership_of(cm, workspace)
    steps = sanctions.ladder(workspace)
    added = sanctions.do_add_step(manager, "mute", "3-day mute", "72")
    assert added.position == 6
    sanctions.do_move_step(manager, added, "up")
    sanctions.do_move_step(manager, added, "up")
    assert [s.label for s in sanctions.ladder(workspace)][2:5] == [steps[2].label, "3-day mute", steps[3].label]
    sanctions.do_update_step(manager, added, "mute", "Mute of 3 days", "72")
    sanctions.do_delete_step(manager, steps[0])
    assert [s.position for s in sanctions.ladder(workspace)] == [1, 2, 3, 4, 5]
    assert sanctions.ladder(workspace)[2].label == "Mute of 3 days"
    assert AuditEvent.objects.filter(action__startswith="ladder.").count() == 5


@pytest.mark.parametrize("kind, label, hours, field", [
    ("", "x", "", "kind"), ("<script>", "x", "", "kind"), ("mute", "", "24", "label"), ("mute", "x" * 81, "24", "label"),
    ("mute", "Mute", "", "duration_hours"), ("mute", "Mute", "-3", "duration_hours"), ("mute", "Mute", "1e9", "duration_hours"),
    ("warning", "Warning", "24", "duration_hours"), ("ban", "Ban", "99999999999999", "duration_hours")])
def test_a_wrong_step_is_refused_naming_the_field(workspace, cm, kind, label, hours, field):
    sanctions.ladder(workspace)
    with pytest.raises(ValidationError) as caught:
        sanctions.do_add_step(membership_of(cm, workspace), kind, label, hours)
    assert field in caught.value.message_dict
    assert LadderStep.objects.count() == 5


def test_a_moderator_cannot_change_the_ladder_but_can_sanction(workspace, moderator):
    with pytest.raises(PermissionDenied):
        sanctions.do_add_step(membership_of(moderator, workspace), "mute", "x", "1")


def test_probation_and_appeal_days_are_saved_and_checked(workspace, cm):
    manager = membership_of(cm, workspace)
    sanctions.do_update_settings(manager, "30", "7")
    assert (ModerationSettings.of(workspace.pk).probation_days, ModerationSettings.of(workspace.pk).appeal_days) == (30, 7)
    for bad in ("0", "", "abc", "99999", "<b>"):
        with pytest.raises(ValidationError) as caught:
            sanctions.do_update_settings(manager, bad, "7")
        assert "probation_days" in caught.value.message_dict


# The proposal ----------------------------------------------------------------------------------------------------


def test_a_newcomer_gets_a_reminder_then_each_offence_climbs_one_step(workspace, mod):
    publish_charter(workspace)
    troll = member(workspace)
    labels = []
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(6):
            step = sanctions.propose(troll)
            labels.append(step.kind)
            sanctions.do_sanction(mod, identity=troll, step=step, articles=[3], reason="")
            clock.shift(dt.timedelta(days=8))  # past the mute and the suspension: only the history counts
    assert labels == ["reminder", "warning", "mute", "suspension", "ban", "ban"]


def test_the_history_is_the_persons_across_all_their_identities(workspace, mod):
    publish_charter(workspace)
    troll = member(workspace)
    other_account = Identity.objects.create(workspace=workspace, network="discourse", handle="troll-forum",
                                            person=troll.person)
    _give(mod, other_account, 2)
    assert sanctions.propose(troll).kind == "mute"
    assert sanctions.propose(troll.person).kind == "mute"


def test_each_clean_probation_period_lowers_the_proposal_by_one(workspace, mod):
    """A warning (level 2) proposes a mute; 90 days without anything new → a warning; 180 → a reminder again."""
    publish_charter(workspace)
    troll = member(workspace)
    with time_machine.travel(T0, tick=False) as clock:
        _give(mod, troll, 2)
        assert sanctions.propose(troll).kind == "mute"
        clock.shift(dt.timedelta(days=89))
        assert sanctions.propose(troll).kind == "mute"
        clock.shift(dt.timedelta(days=2))
        assert sanctions.propose(troll).kind == "warning"
        clock.shift(dt.timedelta(days=90))
        assert sanctions.propose(troll).kind == "reminder"


def test_probation_counts_from_the_end_of_a_sanction_not_its_start(workspace, mod):
    publish_charter(workspace)
    troll = member(workspace)
    ModerationSettings.of(workspace.pk)
    ModerationSettings.objects.filter(workspace=workspace).update(probation_days=5)
    with time_machine.travel(T0, tick=False) as clock:
        _give(mod, troll, 4)  # 7-day suspension: level 4 → a ban proposed
        clock.shift(dt.timedelta(days=11))  # ended 4 days ago: not yet a clean period
        assert sanctions.propose(troll).kind == "ban"
        clock.shift(dt.timedelta(days=2))  # 6 days after the end: one period
        assert sanctions.propose(troll).kind == "suspension"


def test_a_lifted_sanction_does_not_count(workspace, mod, cm):
    publish_charter(workspace)
    troll = member(workspace)
    warning = _give(mod, troll, 2)
    sanctions.do_lift(membership_of(cm, workspace), warning, "Mistaken identity")
    assert sanctions.propose(troll).kind == "reminder"


def test_an_active_ban_never_gets_cleaner(workspace, mod):
    publish_charter(workspace)
    troll = member(workspace)
    with time_machine.travel(T0, tick=False) as clock:
        _give(mod, troll, 5)
        clock.shift(dt.timedelta(days=900))
        assert sanctions.propose(troll).kind == "ban"


# Refusals: nothing applied ----------------------------------------------------------------------------------------


def test_a_sanction_on_a_person_of_another_workspace_is_refused_and_nothing_is_applied(workspace, other_workspace, mod):
    publish_charter(workspace)
    stranger = member(other_workspace, "stranger@masto.example")
    with pytest.raises(PermissionDenied):
        sanctions.do_sanction(mod, identity=stranger, step=sanctions.ladder(workspace)[2], articles=[3], reason="x")
    with pytest.raises(PermissionDenied):
        sanctions.do_sanction(mod, identity=stranger.pk, step=sanctions.ladder(workspace)[2], articles=[3], reason="x")
    theirs = sanctions.ladder(other_workspace)[2]
    with pytest.raises(PermissionDenied):
        sanctions.do_sanction(mod, identity=member(workspace), step=theirs, articles=[3], reason="x")
    assert not Sanction.objects.exists() and not SanctionExecution.objects.exists()
    assert not AuditEvent.objects.filter(action="sanction.apply").exists()


@pytest.mark.parametrize("articles, problem", [
    ([], "at least one article"), ([7], "no article 7"), (["<script>"], "not an article number"),
    (["3; DROP"], "not an article number"), ([10**12], "not an article number")])
def test_articles_must_be_cited_and_exist_in_the_published_charter(workspace, mod, articles, problem):
    publish_charter(workspace)
    with pytest.raises(ValidationError) as caught:
        sanctions.do_sanction(mod, identity=member(workspace), step=sanctions.ladder(workspace)[1], articles=articles,
                              reason="")
    assert problem in caught.value.message_dict["articles"][0]
    assert not Sanction.objects.exists()


def test_without_a_charter_no_article_is_needed_nor_accepted(workspace, mod):
    troll = member(workspace)
    with pytest.raises(ValidationError):
        sanctions.do_sanction(mod, identity=troll, step=sanctions.ladder(workspace)[0], articles=[3], reason="")
    warning = sanctions.do_sanction(mod, identity=troll, step=sanctions.ladder(workspace)[0], articles=[], reason="")
    assert warning.articles == [] and warning.message_state == "manual"


def test_an_analyst_cannot_sanction(workspace, analyst):
    publish_charter(workspace)
    with pytest.raises(PermissionDenied):
        sanctions.do_sanction(membership_of(analyst, workspace), identity=member(workspace),
                              step=sanctions.ladder(workspace)[0], articles=[3], reason="")


def test_a_huge_reason_is_refused(workspace, mod):
    publish_charter(workspace)
    with pytest.raises(ValidationError) as caught:
        sanctions.do_sanction(mod, identity=member(workspace), step=sanctions.ladder(workspace)[0], articles=[3],
                              reason="x" * 3000)
    assert "reason" in caught.value.message_dict


def test_a_warning_cites_the_article_and_the_appeal_link_and_acts_on_no_network(workspace, mod):
    publish_charter(workspace)
    warning = _give(mod, member(workspace), 2)
    assert warning.kind == "warning" and warning.level == 2 and warning.articles == [3]
    assert "Article 3 — Respect" in warning.message and f"/appel/{warning.raw_appeal_token}/" in warning.message
    assert warning.appeal_token_hash == sanctions.hash_token(warning.raw_appeal_token)
    assert warning.raw_appeal_token not in Sanction.objects.get().appeal_token_hash
    assert not warning.executions.exists()
    assert AuditEvent.objects.filter(action="sanction.apply").count() == 1


def test_a_mute_on_a_network_comptoir_cannot_mute_is_listed_to_do_by_hand(workspace, mod):
    from comptoir.workspaces.models import Channel

    publish_charter(workspace)
    Channel.objects.create(workspace=workspace, network="matrix", handle="@bot:matrix.example",
                           config={"homeserver": "https://matrix.example", "rooms": ["#velo:matrix.example"]})
    troll = member(workspace, "@troll:matrix.example", network="matrix")
    mute = _give(mod, troll, 3)
    [execution] = mute.executions.all()
    assert (execution.action, execution.state) == ("mute", "manual")
    assert mute.ends_at - mute.starts_at == dt.timedelta(hours=24)
