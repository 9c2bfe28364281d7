"""Sanctions carried out on a real local Mastodon peer (alice is our channel, bob the member): a mute, its expiry,
an appeal lifted by another moderator, and the issue's journey at the service level."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from comptoir.conftest import membership_of
from comptoir.inbox.tests.conftest import bring, message
from comptoir.publishing.tests.delivery_fixtures import mastodon_channel, statuses_of
from comptoir.stream.models import Item

from .. import appeals, sanctions
from ..models import Appeal, Case, Sanction
from .sanction_world import publish_charter


@pytest.fixture
def peer_world(workspace, masto):
    """Alice's account is the workspace's channel; bob insulted her: his message is a case of the queue."""
    publish_charter(workspace)
    channel = mastodon_channel(workspace, masto, user="alice", handle="@alice@127.0.0.1")
    bob = masto.client("bob")
    bob_id = str(bob.me()["id"])

    def offence(text: str) -> Case:
        status = bob.status_post(f"@alice {text}")
        [item_id] = bring(channel, message(str(status["id"]), text, who="bob@127.0.0.1"))
        item = Item.objects.select_related("author").get(pk=item_id)
        item.author.external_id = bob_id
        item.author.save(update_fields=["external_id"])
        return Case.objects.create(workspace=workspace, item=item, text=item.text, identity=item.author,
                                   person=item.author.person, channel=channel)

    return {"channel": channel, "bob_id": bob_id, "offence": offence}


def muted_by_alice(masto, bob_id) -> bool:
    [relationship] = masto.client("alice").account_relationships(bob_id)
    return bool(relationship["muting"])


def test_a_mute_is_carried_out_on_the_peer_and_the_member_is_told_with_the_article(workspace, moderator, masto,
                                                                                   peer_world):
    mod = membership_of(moderator, workspace)
    case = peer_world["offence"]("espèce d'abruti")
    mute = sanctions.do_sanction(mod, identity=case.identity, step=sanctions.ladder(workspace)[2], articles=[3],
                                 reason="Insulte", case=case)

    assert muted_by_alice(masto, peer_world["bob_id"])
    [execution] = mute.executions.all()
    assert (execution.action, execution.state) == ("mute", "done")
    assert mute.message_state == "sent"
    [reply] = [s for s in statuses_of(masto, "alice") if "/appel/" in s["content"]]
    assert "Article 3" in reply["content"] and str(reply["in_reply_to_id"]) == case.item.external_id
    case.refresh_from_db()
    assert (case.status, case.decision) == ("decided", "sanctioned")


def test_the_clock_ends_an_expired_mute_and_unmutes_on_the_peer(workspace, moderator, masto, peer_world,
                                                                 django_capture_on_commit_callbacks):
    mod = membership_of(moderator, workspace)
    case = peer_world["offence"]("abruti")
    mute = sanctions.do_sanction(mod, identity=case.identity, step=sanctions.ladder(workspace)[2], articles=[3],
                                 reason="", case=case)
    assert sanctions.claim_expired() == []
    with time_machine.travel(mute.ends_at + dt.timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=False) as queued:
            assert sanctions.claim_expired() == [mute.pk]
        assert sanctions.claim_expired() == []  # claimed once
    assert len(queued) == 1
    assert sanctions.end_sanction.call(mute.pk) == "undone"
    assert sanctions.end_sanction.call(mute.pk) == "skipped"  # idempotent
    assert not muted_by_alice(masto, peer_world["bob_id"])
    mute.refresh_from_db()
    assert mute.status == "expired" and [x.state for x in mute.executions.all()] == ["undone"]


def test_an_appeal_is_lifted_by_another_moderator_and_bob_is_unmuted(workspace, moderator, cm, masto, peer_world):
    case = peer_world["offence"]("abruti")
    mute = sanctions.do_sanction(membership_of(moderator, workspace), identity=case.identity,
                                 step=sanctions.ladder(workspace)[2], articles=[3], reason="", case=case)
    appeal = appeals.do_appeal(appeals.find(mute.raw_appeal_token), "Je m'excuse, c'était une blague entre amis.")

    with pytest.raises(PermissionDenied) as caught:
        appeals.do_decide(membership_of(moderator, workspace), appeal, "lifted", "Je lève")
    assert "another moderator" in str(caught.value)
    assert muted_by_alice(masto, peer_world["bob_id"])

    appeals.do_decide(membership_of(cm, workspace), appeal, "lifted", "Blague entre amis, excuses faites.")
    assert not muted_by_alice(masto, peer_world["bob_id"])
    mute.refresh_from_db()
    appeal.refresh_from_db()
    assert (mute.status, mute.lift_reason, appeal.status, appeal.reviewer) == (
        "lifted", "Blague entre amis, excuses faites.", "lifted", cm)
    # The member is told in the workspace's language (French here).
    assert any("levée" in s["content"] or "lifted" in s["content"] for s in statuses_of(masto, "alice"))


def test_the_issue_journey_warn_citing_article_3_then_a_mute_appealed_and_lifted(workspace, moderator, cm, masto,
                                                                                peer_world):
    mehdi, camille = membership_of(moderator, workspace), membership_of(cm, workspace)
    first = peer_world["offence"]("t'es qu'un abruti")
    # The queue's "warn": the proposal for a newcomer is a reminder; the moderator picks the warning, article 3.
    assert sanctions.propose(first.identity).kind == "reminder"
    warning = sanctions.do_sanction(mehdi, identity=first.identity, step=sanctions.ladder(workspace)[1], articles=[3],
                                    reason="Insulte", case=first)
    assert "Article 3 — Respect" in warning.message and not warning.executions.exists()

    second = peer_world["offence"]("toujours aussi abruti")
    proposal = sanctions.propose(second.identity)
    assert proposal.kind == "mute"
    mute = sanctions.do_sanction(mehdi, identity=second.identity, step=proposal, articles=[3], reason="Récidive",
                                 case=second)
    assert muted_by_alice(masto, peer_world["bob_id"])

    appeal = appeals.do_appeal(appeals.find(mute.raw_appeal_token), "Je ne recommencerai pas.")
    appeals.do_decide(camille, appeal, "lifted", "Excuses sincères.")
    assert not muted_by_alice(masto, peer_world["bob_id"])
    assert Sanction.objects.get(pk=mute.pk).status == "lifted"
    assert Appeal.objects.get().reviewer == cm
