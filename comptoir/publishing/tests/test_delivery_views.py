"""The delivery page and its actions: who may see and do what, in which workspace, and hostile input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from comptoir.publishing import delivery
from comptoir.publishing.models import DeliveryAttempt, Post, Variant
from comptoir.workspaces.models import AuditEvent, Channel

State = Variant.State


def channel_of(workspace, handle="@cafe@example.test") -> Channel:
    channel = Channel(workspace=workspace, network="mastodon", handle=handle, config={"server": "https://example.test"})
    channel.credentials = {"access_token": "t"}
    channel.save()
    return channel


def post_with(workspace, state=State.FAILED, **variant) -> Post:
    post = Post.objects.create(workspace=workspace, title="Vide-grenier", master_text="Vide-grenier dimanche",
                               publish_at=timezone.now() - dt.timedelta(hours=1), status=Post.Status.FAILED)
    v = Variant.objects.create(post=post, channel=channel_of(workspace), network="mastodon", state=state, **variant)
    v.error = "Mastodon (example.test) refused the access token."
    v.save()
    return post


def url(name, workspace, pk):
    return reverse(name, args=[workspace.slug, pk])


@pytest.fixture
def failed_post(workspace):
    return post_with(workspace)


def test_the_delivery_page_shows_each_channel_its_state_and_error(as_user, cm, workspace, failed_post):
    response = as_user(cm).get(url("publishing_delivery", workspace, failed_post.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-state="failed"' in html and "refused the access token" in html
    assert reverse("publishing_delivery_retry", args=[workspace.slug, failed_post.variants.get().pk]) in html


def test_a_sent_variant_links_to_the_remote_post(as_user, analyst, workspace):
    post = post_with(workspace, state=State.SENT, remote_id="42", remote_url="https://example.test/@cafe/42")

    html = as_user(analyst).get(url("publishing_delivery", workspace, post.pk)).content.decode()

    assert 'href="https://example.test/@cafe/42"' in html
    assert "publishing_delivery_retry" not in html and "/retry/" not in html  # an analyst reads, does not act


def test_outsiders_and_contributors_do_not_see_deliveries(as_user, outsider, contributor, workspace, failed_post):
    assert as_user(outsider).get(url("publishing_delivery", workspace, failed_post.pk)).status_code == 404
    assert as_user(contributor).get(url("publishing_delivery", workspace, failed_post.pk)).status_code == 403


def test_another_workspaces_post_or_variant_is_not_found(as_user, cm, workspace, other_workspace):
    theirs = post_with(other_workspace)
    variant = theirs.variants.get()
    client = as_user(cm)

    assert client.get(url("publishing_delivery", workspace, theirs.pk)).status_code == 404
    assert client.post(url("publishing_delivery_retry", workspace, variant.pk)).status_code == 404
    assert client.post(url("publishing_delivery_published", workspace, variant.pk)).status_code == 404
    variant.refresh_from_db()
    assert variant.state == State.FAILED


def test_the_actions_need_the_right_to_manage_publishing(as_user, analyst, moderator, failed_post, workspace):
    variant = failed_post.variants.get()
    for user in (analyst, moderator):
        assert as_user(user).post(url("publishing_delivery_retry", workspace, variant.pk)).status_code == 403
    assert as_user(analyst).get(url("publishing_delivery_retry", workspace, variant.pk)).status_code in (403, 405)
    variant.refresh_from_db()
    assert variant.state == State.FAILED


def test_send_now_arms_a_failed_variant_and_writes_the_activity_log(as_user, cm, workspace, failed_post):
    variant = failed_post.variants.get()

    response = as_user(cm).post(url("publishing_delivery_retry", workspace, variant.pk))

    assert response.status_code == 302 and response["Location"] == url("publishing_delivery", workspace, failed_post.pk)
    variant.refresh_from_db()
    assert variant.state == State.SCHEDULED and variant.due_at <= timezone.now() < variant.not_after
    assert variant.error_code == ""
    failed_post.refresh_from_db()
    assert failed_post.status == Post.Status.SCHEDULED
    event = AuditEvent.objects.get(action="post.delivery_retry")
    assert event.actor == cm and event.workspace == workspace


def test_an_unknown_outcome_is_settled_by_the_cm(as_user, cm, workspace):
    post = post_with(workspace, state=State.UNKNOWN)
    variant = post.variants.get()
    attempt = DeliveryAttempt.objects.create(variant=variant, attempt_id="a1", idempotency_key="k1",
                                             outcome=DeliveryAttempt.Outcome.UNKNOWN)

    html = as_user(cm).get(url("publishing_delivery", workspace, post.pk)).content.decode()
    assert url("publishing_delivery_published", workspace, variant.pk) in html
    response = as_user(cm).post(url("publishing_delivery_published", workspace, variant.pk),
                                {"url": "https://example.test/@cafe/7"})

    assert response.status_code == 302
    variant.refresh_from_db()
    attempt.refresh_from_db()
    assert variant.state == State.SENT and variant.remote_url == "https://example.test/@cafe/7"
    assert attempt.outcome == DeliveryAttempt.Outcome.FOUND
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    assert AuditEvent.objects.filter(action="post.delivery_confirm", actor=cm).exists()


def test_not_published_sends_an_unknown_outcome_again_without_looking_it_up(as_user, cm, workspace):
    post = post_with(workspace, state=State.UNKNOWN)
    variant = post.variants.get()
    attempt = DeliveryAttempt.objects.create(variant=variant, attempt_id="a1", idempotency_key="k1",
                                             outcome=DeliveryAttempt.Outcome.RUNNING)

    as_user(cm).post(url("publishing_delivery_retry", workspace, variant.pk))

    variant.refresh_from_db()
    attempt.refresh_from_db()
    assert variant.state == State.SCHEDULED
    assert attempt.outcome == DeliveryAttempt.Outcome.FAILED and "Camille CM" in str(attempt.error)


@pytest.mark.parametrize("value", ["javascript:alert(1)", "<script>alert(1)</script>", "https://" + "a" * 3000,
                                   "pas une adresse", "ftp://example.test/x"])
def test_a_hostile_address_is_refused_with_a_message_and_nothing_changes(as_user, cm, workspace, value):
    post = post_with(workspace, state=State.UNKNOWN)
    variant = post.variants.get()

    response = as_user(cm).post(url("publishing_delivery_published", workspace, variant.pk), {"url": value},
                                follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "https://" in html  # the message says what an address looks like
    variant.refresh_from_db()
    assert variant.state == State.UNKNOWN and variant.remote_url == ""


@pytest.mark.parametrize("state", [State.SENT, State.CLAIMED, State.PENDING, State.CANCELLED])
def test_send_now_on_a_variant_that_is_not_waiting_says_so(as_user, cm, workspace, state):
    post = post_with(workspace, state=state)
    variant = post.variants.get()

    response = as_user(cm).post(url("publishing_delivery_retry", workspace, variant.pk), follow=True)

    assert response.status_code == 200
    variant.refresh_from_db()
    assert variant.state == state
    assert list(response.context["messages"])


def test_send_now_on_a_removed_channel_asks_to_reconnect_it(as_user, cm, workspace, failed_post):
    variant = failed_post.variants.get()
    Channel.objects.filter(pk=variant.channel_id).update(removed_at=timezone.now())

    response = as_user(cm).post(url("publishing_delivery_retry", workspace, variant.pk), follow=True)

    variant.refresh_from_db()
    assert variant.state == State.FAILED
    assert any("retiré" in str(m) for m in response.context["messages"])  # in the CM's French


@pytest.mark.parametrize("path", ["/w/velo/publishing/variants/abc/retry/", "/w/velo/publishing/variants/-1/retry/",
                                  "/w/velo/publishing/variants/99999999999999999999999/retry/",
                                  "/w/velo/publishing/posts/99999999/delivery/"])
def test_malformed_or_unknown_ids_are_not_found(as_user, cm, workspace, path):
    client = as_user(cm)
    response = client.post(path) if path.endswith("retry/") else client.get(path)
    assert response.status_code == 404


def test_htmx_gets_the_partial_back(as_user, cm, workspace, failed_post):
    variant = failed_post.variants.get()

    response = as_user(cm).post(url("publishing_delivery_retry", workspace, variant.pk), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert b'data-testid="delivery"' in response.content and b"<html" not in response.content


def test_a_foreign_next_address_is_not_followed(as_user, cm, workspace, failed_post):
    variant = failed_post.variants.get()

    response = as_user(cm).post(url("publishing_delivery_retry", workspace, variant.pk), {"next": "https://evil.test/"})

    assert response["Location"] == url("publishing_delivery", workspace, failed_post.pk)


def test_the_actions_refuse_another_workspaces_variant_even_when_called_directly(cm, workspace, other_workspace):
    from django.core.exceptions import PermissionDenied

    from comptoir.conftest import membership_of

    theirs = post_with(other_workspace).variants.get()
    membership = membership_of(cm, workspace)
    for action in (delivery.do_retry, delivery.do_mark_published):
        with pytest.raises(PermissionDenied):
            action(membership, theirs)
    with pytest.raises(PermissionDenied):
        delivery.do_schedule(membership, theirs.post)


# The scheduling actions (calendar drag, schedule, unschedule) ---------------------------------------------------


def test_schedule_reschedule_and_unschedule_write_the_activity_log(cm, workspace):
    from comptoir.conftest import membership_of

    membership = membership_of(cm, workspace)
    post = Post.objects.create(workspace=workspace, title="Fête du vélo", master_text="Fête du vélo samedi")
    variant = Variant.objects.create(post=post, channel=channel_of(workspace), network="mastodon")
    soon = timezone.now() + dt.timedelta(days=2)

    assert delivery.do_schedule(membership, post, soon) == 1
    variant.refresh_from_db()
    assert variant.state == State.SCHEDULED and variant.due_at == soon
    assert variant.not_after == soon + dt.timedelta(minutes=post.late_after_minutes)

    later = soon + dt.timedelta(days=1)
    assert delivery.do_reschedule(membership, post, later) == 1
    variant.refresh_from_db()
    assert variant.due_at == later

    assert delivery.do_unschedule(membership, post) == 1
    variant.refresh_from_db()
    post.refresh_from_db()
    assert variant.state == State.PENDING and variant.due_at is None and post.status == Post.Status.DRAFT
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        delivery.do_unschedule(membership, post)  # nothing left to take off
    assert "status" in caught.value.message_dict
    assert list(AuditEvent.objects.filter(workspace=workspace, action__startswith="post.").order_by("pk")
                .values_list("action", flat=True)) == ["post.schedule", "post.reschedule", "post.unschedule"]
    from comptoir.workspaces.audit import describe
    sentence = describe(AuditEvent.objects.get(action="post.reschedule"))
    assert "Fête du vélo" in sentence and str(later.year) in sentence
    assert later.isoformat()[:16] not in sentence  # a date people read, not ISO


def test_dragging_a_failed_post_to_a_new_date_arms_it_again(cm, workspace, failed_post):
    from comptoir.conftest import membership_of

    later = timezone.now() + dt.timedelta(hours=3)

    assert delivery.do_reschedule(membership_of(cm, workspace), failed_post, later) == 1

    variant = failed_post.variants.get()
    assert variant.state == State.SCHEDULED and variant.due_at == later and variant.error_code == ""
    failed_post.refresh_from_db()
    assert failed_post.status == Post.Status.SCHEDULED


@pytest.mark.parametrize("when", ["yesterday", "naive", "text"])
def test_a_date_in_the_past_or_without_time_zone_is_refused(cm, workspace, failed_post, when):
    from django.core.exceptions import ValidationError

    from comptoir.conftest import membership_of

    value = {"yesterday": timezone.now() - dt.timedelta(days=1), "naive": dt.datetime(2030, 1, 1, 9, 0),  # noqa: DTZ001
             "text": "demain"}[when]
    with pytest.raises(ValidationError) as caught:
        delivery.do_reschedule(membership_of(cm, workspace), failed_post, value)
    assert "publish_at" in caught.value.message_dict


def test_a_published_post_cannot_be_moved(cm, workspace):
    from django.core.exceptions import ValidationError

    from comptoir.conftest import membership_of

    post = post_with(workspace, state=State.SENT)
    Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHED)
    post.refresh_from_db()
    with pytest.raises(ValidationError):
        delivery.do_reschedule(membership_of(cm, workspace), post, timezone.now() + dt.timedelta(days=1))
    post.publish_at = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(ValidationError):
        delivery.schedule(post)
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED


def test_a_variant_waiting_for_its_next_try_says_when_and_why(as_user, cm, workspace):
    post = post_with(workspace, state=State.SCHEDULED, attempts=2, due_at=timezone.now() + dt.timedelta(minutes=2))

    html = as_user(cm).get(url("publishing_delivery", workspace, post.pk)).content.decode()

    assert "cpt-chip-warn" in html and "refused the access token" in html
    assert "2 essais" in html or "2 tries" in html
    assert url("publishing_delivery_retry", workspace, post.variants.get().pk) in html
