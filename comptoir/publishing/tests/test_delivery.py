"""Delivery against a real local Mastodon peer: once, on time, verified before any retry, never silent."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from comptoir.connectors.base import _REGISTRY
from comptoir.connectors.mastodon.client import MastodonConnector
from comptoir.connectors.testing import ResponseDroppingProxy
from comptoir.publishing import delivery
from comptoir.publishing.models import ApprovalStage, DeliveryAttempt, Post, Variant
from comptoir.stream.models import Source
from comptoir.workspaces.models import Notification

from .delivery_fixtures import *  # noqa: F403 - the peer's fixtures
from .delivery_fixtures import T0, make_post, mastodon_channel, queued, run_due, statuses_of, tick, work

pytestmark = pytest.mark.peers
State = Variant.State


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def scheduled(workspace, *channels, **kwargs) -> Post:
    post = make_post(workspace, *channels, **kwargs)
    delivery.schedule(post)
    return post


def state(variant: Variant) -> str:
    variant.refresh_from_db()
    return variant.state


def alarms(user, post) -> list[str]:
    return [str(n.message) for n in Notification.objects.filter(user=user, key=f"post:{post.pk}", is_alarm=True)]


# Once, on time -----------------------------------------------------------------------------------------


def test_a_scheduled_post_goes_out_at_its_time_and_only_then(workspace, masto, clock, django_capture_on_commit_callbacks):
    post = scheduled(workspace, mastodon_channel(workspace, masto))
    variant = post.variants.get()

    assert run_due(django_capture_on_commit_callbacks) == []  # 8:00, due at 10:00
    clock.move_to(post.publish_at)
    assert run_due(django_capture_on_commit_callbacks) == [{"sent": 1}]

    variant.refresh_from_db()
    published = statuses_of(masto)
    assert [s["id"] for s in published] == [variant.remote_id]
    assert "Atelier réparation" in published[0]["content"]
    assert variant.state == State.SENT and variant.remote_url.startswith("http")
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED and post.published_at == post.publish_at
    attempt = variant.deliveries.get()
    assert attempt.outcome == DeliveryAttempt.Outcome.SENT and attempt.idempotency_key.endswith(attempt.attempt_id)


def test_running_the_delivery_task_twice_publishes_once(workspace, masto, clock, django_capture_on_commit_callbacks):
    post = scheduled(workspace, mastodon_channel(workspace, masto))
    clock.move_to(post.publish_at)
    tick(django_capture_on_commit_callbacks)
    tasks = queued()

    assert work(tasks) == [{"sent": 1}]
    assert work(tasks) == [{"skipped": 1}]  # the same task again (a re-queued one, a second worker)

    assert len(statuses_of(masto)) == 1
    assert post.variants.get().deliveries.count() == 1


def test_a_batch_goes_out_from_several_threads_each_post_once(workspace, masto, clock, settings,
                                                             django_capture_on_commit_callbacks):
    settings.COMPTOIR_DELIVERY_THREADS, settings.COMPTOIR_DELIVERY_TASK_SIZE = 4, 50
    alice, bob = mastodon_channel(workspace, masto, user="alice"), mastodon_channel(workspace, masto, user="bob")
    posts = [scheduled(workspace, alice, bob, text=f"Annonce {i}") for i in range(12)]
    clock.move_to(posts[0].publish_at)

    assert run_due(django_capture_on_commit_callbacks) == [{"sent": 24}]

    for user in ("alice", "bob"):
        texts = sorted(s["content"] for s in statuses_of(masto, user))
        assert texts == sorted(f"<p>Annonce {i}</p>" for i in range(12))
    assert Post.objects.filter(status=Post.Status.PUBLISHED).count() == 12
    sent = Variant.objects.filter(state=State.SENT)
    assert sent.count() == 24 and sent.values("remote_id").distinct().count() == 24


def test_two_clocks_claim_a_variant_once(workspace, masto, clock, django_capture_on_commit_callbacks):
    post = scheduled(workspace, mastodon_channel(workspace, masto))
    clock.move_to(post.publish_at)

    assert len(tick(django_capture_on_commit_callbacks)) == 1
    assert tick(django_capture_on_commit_callbacks) == []
    assert len(queued()) == 1


def test_a_variant_without_channel_is_never_claimed_but_fails_visibly(workspace, owner, masto, clock,
                                                                      django_capture_on_commit_callbacks):
    channel = mastodon_channel(workspace, masto)
    post = scheduled(workspace, channel)
    Source.objects.filter(channel=channel).delete()
    channel.delete()  # the row itself gone (an admin, a script): the variant stays, without channel
    clock.move_to(post.publish_at)

    assert tick(django_capture_on_commit_callbacks) == []
    variant = post.variants.get()
    assert variant.state == State.FAILED and "no channel" in str(variant.error)
    assert alarms(owner, post)
    assert statuses_of(masto) == []


# Unknown outcomes: looked up before any retry, never re-posted blindly -------------------------------------


def test_a_lost_answer_is_looked_up_and_not_published_again(workspace, masto, clock, django_capture_on_commit_callbacks):
    proxy = ResponseDroppingProxy(int(masto.base_url.rsplit(":", 1)[1]))
    channel = mastodon_channel(workspace, f"http://127.0.0.1:{proxy.port}")
    post = scheduled(workspace, channel)
    clock.move_to(post.publish_at)

    assert run_due(django_capture_on_commit_callbacks) == [{"retry": 1}]
    proxy.thread.join(5)
    variant = post.variants.get()
    assert variant.state == State.SCHEDULED and "did not confirm" in str(variant.error)
    assert variant.deliveries.get().outcome == DeliveryAttempt.Outcome.UNKNOWN
    assert len(statuses_of(masto)) == 1  # it did go out

    channel.config["server"] = masto.base_url  # the network answers again
    channel.save()
    clock.shift(delivery.backoff(1))
    assert run_due(django_capture_on_commit_callbacks) == [{"found": 1}]

    variant.refresh_from_db()
    assert len(statuses_of(masto)) == 1
    assert variant.state == State.SENT and variant.remote_id == statuses_of(masto)[0]["id"]
    assert list(variant.deliveries.values_list("outcome", flat=True)) == [DeliveryAttempt.Outcome.FOUND]


def test_a_timeout_after_sending_is_looked_up_before_retrying(workspace, masto, clock, django_capture_on_commit_callbacks):
    post = scheduled(workspace, mastodon_channel(workspace, masto, timeout=0.5))
    clock.move_to(post.publish_at)

    with masto.fault(path="/api/v1/statuses", methods=["POST"], type="latency", delay_ms=1500, count=1):
        assert run_due(django_capture_on_commit_callbacks) == [{"retry": 1}]
    first = post.variants.get().deliveries.get()
    assert first.outcome == DeliveryAttempt.Outcome.UNKNOWN
    clock.shift(delivery.backoff(1))
    outcome = run_due(django_capture_on_commit_callbacks)

    # The server may or may not have finished the post after the client hung up: either way it was looked up first.
    first.refresh_from_db()
    assert (outcome, first.outcome) in [([{"found": 1}], "found"), ([{"sent": 1}], "retry")]
    assert len(statuses_of(masto)) == 1
    assert state(post.variants.get()) == State.SENT


def test_an_attempt_that_never_reached_the_network_is_tried_again_with_a_new_key(
        workspace, masto, clock, django_capture_on_commit_callbacks):
    post = scheduled(workspace, mastodon_channel(workspace, masto))
    clock.move_to(post.publish_at)
    tick(django_capture_on_commit_callbacks)
    variant = post.variants.get()
    # The worker wrote its attempt, then died before its request left: the row stays "running".
    dead = DeliveryAttempt.objects.create(variant=variant, attempt_id=variant.attempt_id,
                                          idempotency_key=delivery.idempotency_key(variant.pk, variant.attempt_id))

    assert work() == [{"sent": 1}]  # the re-queued task looks the dead attempt up, finds nothing, tries anew

    variant.refresh_from_db()
    assert len(statuses_of(masto)) == 1 and variant.state == State.SENT
    dead.refresh_from_db()
    fresh = variant.deliveries.exclude(pk=dead.pk).get()
    assert dead.outcome == DeliveryAttempt.Outcome.RETRY
    assert fresh.outcome == DeliveryAttempt.Outcome.SENT and fresh.idempotency_key != dead.idempotency_key
    assert variant.attempt_id == fresh.attempt_id


def test_an_unanswered_try_older_than_the_networks_memory_is_not_tried_again(
        workspace, masto, clock, owner, django_capture_on_commit_callbacks):
    post = scheduled(workspace, mastodon_channel(workspace, masto), late_after_minutes=24 * 60)
    clock.move_to(post.publish_at)
    tick(django_capture_on_commit_callbacks)
    variant = post.variants.get()
    # A try whose answer never came, long ago: Mastodon has forgotten its key, so "not found" would prove nothing.
    DeliveryAttempt.objects.create(variant=variant, attempt_id=variant.attempt_id, started_at=post.publish_at,
                                   idempotency_key=delivery.idempotency_key(variant.pk, variant.attempt_id))
    clock.shift(dt.timedelta(minutes=61))

    assert work() == [{"unknown": 1}]

    variant.refresh_from_db()
    assert variant.state == State.UNKNOWN and "minutes" in str(variant.error)
    assert statuses_of(masto) == [] and alarms(owner, post)


def test_a_killed_worker_lease_runs_out_and_what_it_sent_is_found_not_sent_again(
        workspace, masto, clock, settings, django_capture_on_commit_callbacks):
    channel = mastodon_channel(workspace, masto)
    post = scheduled(workspace, channel)
    clock.move_to(post.publish_at)
    tick(django_capture_on_commit_callbacks)
    doomed = queued()
    variant = post.variants.get()
    # The worker started the attempt and its post went out, then it was killed before writing the answer.
    key = delivery.idempotency_key(variant.pk, variant.attempt_id)
    DeliveryAttempt.objects.create(variant=variant, attempt_id=variant.attempt_id, idempotency_key=key)
    from comptoir.publishing.outbound import outbound_post
    sent_before_death = channel.connector().publish(outbound_post(variant), key)

    assert tick(django_capture_on_commit_callbacks) == []  # still leased
    clock.shift(dt.timedelta(seconds=settings.COMPTOIR_DELIVERY_LEASE_SECONDS + 1))
    assert tick(django_capture_on_commit_callbacks) == [variant.pk]  # the clock takes it back, new attempt id
    assert state(variant) == State.CLAIMED and variant.attempt_id != doomed[0].args_kwargs["args"][0][0][1]

    assert work(doomed) == [{"skipped": 1}]  # the dead worker's task, re-queued: not its claim any more
    assert work() == [{"found": 1}]

    variant.refresh_from_db()
    assert len(statuses_of(masto)) == 1
    assert variant.state == State.SENT and variant.remote_id == sent_before_death.external_id


class BlindMastodon(MastodonConnector):
    """A network that publishes but cannot look a post up by its key (BaseConnector's find_published)."""

    network = "mastodon_blind"
    find_published = MastodonConnector.__mro__[1].find_published  # BaseConnector's


@pytest.fixture
def blind_network():
    _REGISTRY[BlindMastodon.network] = BlindMastodon
    yield BlindMastodon.network
    _REGISTRY.pop(BlindMastodon.network, None)


def test_an_unknown_outcome_on_a_network_that_cannot_tell_is_never_posted_again(
        workspace, owner, cm, moderator, masto, clock, blind_network, django_capture_on_commit_callbacks):
    assert not delivery.can_verify(BlindMastodon()) and delivery.can_verify(MastodonConnector())
    proxy = ResponseDroppingProxy(int(masto.base_url.rsplit(":", 1)[1]))
    channel = mastodon_channel(workspace, f"http://127.0.0.1:{proxy.port}", network=blind_network)
    post = scheduled(workspace, channel)
    clock.move_to(post.publish_at)

    assert run_due(django_capture_on_commit_callbacks) == [{"unknown": 1}]
    proxy.thread.join(5)
    channel.config["server"] = masto.base_url
    channel.save()
    clock.shift(dt.timedelta(hours=2))
    assert run_due(django_capture_on_commit_callbacks) == []

    variant = post.variants.get()
    assert variant.state == State.UNKNOWN and "did not confirm" in str(variant.error)
    assert len(statuses_of(masto)) == 1
    post.refresh_from_db()
    assert post.status == Post.Status.FAILED
    assert alarms(owner, post) and alarms(cm, post) and not alarms(moderator, post)
    assert "Say what you see" in alarms(cm, post)[0]


def test_a_worker_killed_on_a_network_that_cannot_tell_leaves_the_outcome_unknown(
        workspace, masto, clock, blind_network, settings, django_capture_on_commit_callbacks):
    post = scheduled(workspace, mastodon_channel(workspace, masto, network=blind_network))
    clock.move_to(post.publish_at)
    tick(django_capture_on_commit_callbacks)
    variant = post.variants.get()
    DeliveryAttempt.objects.create(variant=variant, attempt_id=variant.attempt_id,
                                   idempotency_key=delivery.idempotency_key(variant.pk, variant.attempt_id))

    assert work() == [{"unknown": 1}]

    assert statuses_of(masto) == []  # maybe it went out, maybe not: Comptoir does not guess
    assert state(variant) == State.UNKNOWN
    assert variant.deliveries.get().outcome == DeliveryAttempt.Outcome.UNKNOWN


# Lateness, backoff, permanent errors -----------------------------------------------------------------------


def test_a_post_past_its_lateness_limit_is_not_sent_and_the_cm_is_told(
        workspace, cm, masto, clock, django_capture_on_commit_callbacks):
    post = scheduled(workspace, mastodon_channel(workspace, masto), late_after_minutes=30)
    clock.move_to(post.publish_at + dt.timedelta(minutes=31))  # the clock was down meanwhile

    assert run_due(django_capture_on_commit_callbacks) == [{"late": 1}]

    assert statuses_of(masto) == []
    variant = post.variants.get()
    assert variant.state == State.LATE and "30 minutes" in str(variant.error)
    post.refresh_from_db()
    assert post.status == Post.Status.FAILED
    assert "too late" in alarms(cm, post)[0]


def test_a_post_within_its_lateness_limit_still_goes_out(workspace, masto, clock, django_capture_on_commit_callbacks):
    post = scheduled(workspace, mastodon_channel(workspace, masto), late_after_minutes=30)
    clock.move_to(post.publish_at + dt.timedelta(minutes=29))

    assert run_due(django_capture_on_commit_callbacks) == [{"sent": 1}]


def test_a_passing_error_retries_with_backoff(workspace, masto, clock, django_capture_on_commit_callbacks):
    post = scheduled(workspace, mastodon_channel(workspace, masto))
    clock.move_to(post.publish_at)
    variant = post.variants.get()

    with masto.fault(path="/api/v1/statuses", methods=["POST"], status=503, count=1):
        assert run_due(django_capture_on_commit_callbacks) == [{"retry": 1}]
    variant.refresh_from_db()
    assert variant.state == State.SCHEDULED and variant.due_at == post.publish_at + delivery.backoff(1)
    assert "503" in str(variant.error)
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED

    clock.shift(delivery.backoff(1) - dt.timedelta(seconds=1))
    assert run_due(django_capture_on_commit_callbacks) == []
    clock.shift(dt.timedelta(seconds=1))
    assert run_due(django_capture_on_commit_callbacks) == [{"sent": 1}]
    assert len(statuses_of(masto)) == 1
    assert [a.outcome for a in variant.deliveries.all()] == ["retry", "sent"]
    assert delivery.backoff(2) == 2 * delivery.backoff(1) and delivery.backoff(30) == dt.timedelta(hours=1)


def test_a_rate_limit_waits_as_long_as_the_network_asks(workspace, masto, clock, django_capture_on_commit_callbacks):
    post = scheduled(workspace, mastodon_channel(workspace, masto))
    clock.move_to(post.publish_at)

    with masto.fault(path="/api/v1/statuses", methods=["POST"], type="ratelimit", headers={"Retry-After": "600"},
                     count=1):
        assert run_due(django_capture_on_commit_callbacks) == [{"retry": 1}]

    assert post.variants.get().due_at == post.publish_at + dt.timedelta(seconds=600)


def test_a_wait_past_the_lateness_limit_makes_it_late_at_once(workspace, cm, masto, clock,
                                                              django_capture_on_commit_callbacks):
    post = scheduled(workspace, mastodon_channel(workspace, masto), late_after_minutes=5)
    clock.move_to(post.publish_at)

    with masto.fault(path="/api/v1/statuses", methods=["POST"], type="ratelimit", headers={"Retry-After": "600"},
                     count=1):
        assert run_due(django_capture_on_commit_callbacks) == [{"late": 1}]

    variant = post.variants.get()
    assert variant.state == State.LATE and "5 minutes" in str(variant.error) and "Last error" in str(variant.error)
    assert "too late" in alarms(cm, post)[0]


def test_passing_errors_stop_after_the_last_try_and_the_cm_is_told(
        workspace, cm, masto, clock, settings, django_capture_on_commit_callbacks):
    settings.COMPTOIR_DELIVERY_MAX_ATTEMPTS = 3
    post = scheduled(workspace, mastodon_channel(workspace, masto))
    clock.move_to(post.publish_at)

    outcomes = []
    with masto.fault(path="/api/v1/statuses", methods=["POST"], status=503, count=10):
        for attempt in range(1, 4):
            outcomes += run_due(django_capture_on_commit_callbacks)
            clock.shift(delivery.backoff(attempt))
        outcomes += run_due(django_capture_on_commit_callbacks)

    assert outcomes == [{"retry": 1}, {"retry": 1}, {"failed": 1}]
    variant = post.variants.get()
    assert variant.state == State.FAILED and "after 3 tries" in str(variant.error)
    assert alarms(cm, post)


def test_a_refused_token_fails_at_once_with_the_networks_message(
        workspace, owner, masto, clock, django_capture_on_commit_callbacks):
    post = scheduled(workspace, mastodon_channel(workspace, masto, token="revoked"))
    clock.move_to(post.publish_at)

    assert run_due(django_capture_on_commit_callbacks) == [{"failed": 1}]

    variant = post.variants.get()
    assert variant.state == State.FAILED and "refused the access token" in str(variant.error)
    assert variant.deliveries.get().outcome == DeliveryAttempt.Outcome.FAILED
    assert "refused the access token" in alarms(owner, post)[0]
    with translation.override("fr"):
        variant.refresh_from_db()
        assert str(variant.error) != "" and alarms(owner, post)


def test_a_text_the_network_refuses_fails_without_calling_it(workspace, masto, clock, django_capture_on_commit_callbacks):
    post = scheduled(workspace, mastodon_channel(workspace, masto), text="x" * 600)
    clock.move_to(post.publish_at)

    assert run_due(django_capture_on_commit_callbacks) == [{"failed": 1}]
    assert "600" in str(post.variants.get().error)
    assert statuses_of(masto) == []


@pytest.mark.parametrize("removal", ["removed", "disconnected", "demo"])
def test_a_channel_removed_or_disconnected_before_sending_fails_with_a_message(
        workspace, masto, clock, removal, django_capture_on_commit_callbacks):
    channel = mastodon_channel(workspace, masto)
    post = scheduled(workspace, channel)
    if removal == "removed":
        channel.removed_at = T0
    elif removal == "demo":  # the demo's channels never reach a network
        channel.config = {**channel.config, "demo": True}
    else:
        channel.status = channel.Status.DISCONNECTED
    channel.save()
    clock.move_to(post.publish_at)

    assert run_due(django_capture_on_commit_callbacks) == [{"failed": 1}]
    assert removal in str(post.variants.get().error)
    assert statuses_of(masto) == []


# The post's status follows its variants ---------------------------------------------------------------------


def test_the_post_status_rolls_up_from_its_variants(workspace, masto, clock, django_capture_on_commit_callbacks):
    good = mastodon_channel(workspace, masto, user="alice")
    bad = mastodon_channel(workspace, masto, user="bob", token="revoked")
    post = scheduled(workspace, good, bad)
    assert post.status == Post.Status.SCHEDULED
    clock.move_to(post.publish_at)
    tick(django_capture_on_commit_callbacks)
    post.refresh_from_db()
    assert delivery.roll_up(post) == Post.Status.PUBLISHING

    work()

    post.refresh_from_db()
    assert post.status == Post.Status.FAILED
    assert sorted(post.variants.values_list("state", flat=True)) == [State.FAILED, State.SENT]


# Scheduling rules ------------------------------------------------------------------------------------------


def test_scheduling_refuses_what_cannot_go_out(workspace, masto, clock):
    channel = mastodon_channel(workspace, masto)
    no_date = make_post(workspace, channel)
    no_date.publish_at = None
    past = make_post(workspace, channel, publish_at=T0 - dt.timedelta(minutes=1))
    lonely = make_post(workspace)

    for post, field in [(no_date, "publish_at"), (past, "publish_at"), (lonely, "variants")]:
        with pytest.raises(ValidationError) as caught:
            delivery.schedule(post)
        assert field in caught.value.message_dict
    assert not Variant.objects.filter(state=State.SCHEDULED).exists()


def test_with_approval_stages_only_the_approved_version_is_scheduled(workspace, masto, clock):
    ApprovalStage.objects.create(workspace=workspace, name="Direction de la communication")
    post = make_post(workspace, mastodon_channel(workspace, masto))

    with pytest.raises(ValidationError):
        delivery.schedule(post)
    post.approved_version, post.version = 1, 2  # approved, then changed
    with pytest.raises(ValidationError):
        delivery.schedule(post)
    post.approved_version = 2
    assert delivery.schedule(post) == 1


def test_unscheduling_leaves_a_claimed_variant_to_finish(workspace, masto, clock, django_capture_on_commit_callbacks):
    first, second = mastodon_channel(workspace, masto, user="alice"), mastodon_channel(workspace, masto, user="bob")
    post = scheduled(workspace, first, second)
    clock.move_to(post.publish_at)
    tick(django_capture_on_commit_callbacks)
    Variant.objects.filter(channel=second).update(state=State.SCHEDULED, attempt_id="")

    assert delivery.unschedule(post) == 1
    assert work() == [{"sent": 1, "skipped": 1}]
    assert len(statuses_of(masto, "alice")) == 1 and statuses_of(masto, "bob") == []
