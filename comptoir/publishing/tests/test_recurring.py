"""Evergreen posts: the next occurrence N weeks later with rotating texts, claimed once, approved with the series."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from comptoir.publishing import recurring
from comptoir.publishing.models import ApprovalStage, MediaAsset, Post, PostVersion, Variant, VariantMedia
from comptoir.workspaces.models import Channel, Notification

PARIS = ZoneInfo("Europe/Paris")
FIRST = dt.datetime(2027, 3, 20, 9, 0, tzinfo=PARIS)  # a Saturday before the change to summer time


@pytest.fixture
def channels(workspace):
    return [Channel.objects.create(workspace=workspace, network="mastodon", handle="@velo@mastodon.test"),
            Channel.objects.create(workspace=workspace, network="bluesky", handle="velo.bsky.test")]


def published_series(workspace, channels, every=2, until=None, alternates=(["Deuxième texte", "Troisième texte"], [])):
    post = Post.objects.create(workspace=workspace, title="Atelier réparation", master_text="Texte principal",
                               publish_at=FIRST, repeat_every_weeks=every, repeat_until=until,
                               status=Post.Status.PUBLISHED)
    for channel, others in zip(channels, alternates, strict=True):
        Variant.objects.create(post=post, channel=channel, network=channel.network, text=f"Premier texte {channel.network}",
                               alternates=list(others), state=Variant.State.SENT)
    recurring.arm(post)
    return post


def publish(post):
    Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHED)
    post.refresh_from_db()


def run_clock(django_capture_on_commit_callbacks, when):
    """One clock tick at ``when``; the tasks it enqueued run right away (as the worker would)."""
    with time_machine.travel(when, tick=False):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            won = recurring.claim_due_repeats()
        assert len(callbacks) == len(won)
        return [recurring.make_next_occurrence(pk) for pk in won]


def test_a_published_evergreen_post_makes_its_next_occurrence_with_rotating_texts(
        workspace, channels, django_capture_on_commit_callbacks):
    root = published_series(workspace, channels)
    assert root.next_repeat_at == FIRST
    [first] = run_clock(django_capture_on_commit_callbacks, FIRST + dt.timedelta(minutes=5))
    assert (first.repeat_of, first.occurrence) == (root, 1)
    # Two weeks later at 09:00 Paris time, although summer time started in between.
    assert first.publish_at == dt.datetime(2027, 4, 3, 9, 0, tzinfo=PARIS)
    texts = dict(first.variants.values_list("network", "text"))
    assert texts == {"mastodon": "Deuxième texte", "bluesky": "Premier texte bluesky"}
    assert first.master_text == "Texte principal" and first.title == "Atelier réparation"
    root.refresh_from_db()
    assert root.next_repeat_at is None
    assert PostVersion.objects.filter(post=first, number=1).exists()
    # Not published yet: the clock leaves it alone.
    assert run_clock(django_capture_on_commit_callbacks, first.publish_at - dt.timedelta(minutes=1)) == []
    publish(first)
    [second] = run_clock(django_capture_on_commit_callbacks, first.publish_at + dt.timedelta(minutes=1))
    assert (second.repeat_of, second.occurrence) == (root, 2)
    assert second.variants.get(network="mastodon").text == "Troisième texte"
    publish(second)
    [third] = run_clock(django_capture_on_commit_callbacks, second.publish_at + dt.timedelta(minutes=1))
    assert third.variants.get(network="mastodon").text == "Premier texte mastodon"  # back to the start


def test_the_series_stops_at_its_end_date(workspace, channels, django_capture_on_commit_callbacks):
    root = published_series(workspace, channels, every=1, until=dt.date(2027, 3, 28))
    [first] = run_clock(django_capture_on_commit_callbacks, FIRST + dt.timedelta(minutes=1))
    assert first.publish_at.date() == dt.date(2027, 3, 27)
    publish(first)
    recurring.arm(first)
    assert first.next_repeat_at is None  # 3 April is past the end: nothing more to arm
    assert run_clock(django_capture_on_commit_callbacks, first.publish_at + dt.timedelta(days=1)) == []
    assert Post.objects.filter(repeat_of=root).count() == 1


def test_the_claim_is_a_compare_and_set_and_the_task_runs_twice_harmlessly(
        workspace, channels, django_capture_on_commit_callbacks):
    root = published_series(workspace, channels)
    when = FIRST + dt.timedelta(minutes=1)
    with time_machine.travel(when, tick=False):
        with django_capture_on_commit_callbacks(execute=False):
            assert recurring.claim_due_repeats() == [root.pk]
            assert recurring.claim_due_repeats() == []  # leased: a second clock finds nothing
    first = recurring.make_next_occurrence(root.pk, now=when)
    again = recurring.make_next_occurrence(root.pk, now=when)
    assert again == first and Post.objects.filter(repeat_of=root).count() == 1


def test_a_worker_that_died_only_delays_the_occurrence(workspace, channels, django_capture_on_commit_callbacks):
    root = published_series(workspace, channels)
    with time_machine.travel(FIRST + dt.timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=False):
            recurring.claim_due_repeats()  # the task is lost with its worker
    [first] = run_clock(django_capture_on_commit_callbacks, FIRST + recurring.LEASE + dt.timedelta(minutes=2))
    assert first.repeat_of == root


@pytest.mark.parametrize("status", ["scheduled", "publishing", "failed", "cancelled", "draft"])
def test_only_published_posts_repeat(workspace, channels, django_capture_on_commit_callbacks, status):
    root = published_series(workspace, channels)
    Post.objects.filter(pk=root.pk).update(status=status)
    assert run_clock(django_capture_on_commit_callbacks, FIRST + dt.timedelta(days=1)) == []
    assert not Post.objects.filter(repeat_of=root).exists()


def test_dates_already_past_are_skipped(workspace, channels, django_capture_on_commit_callbacks):
    published_series(workspace, channels)
    [first] = run_clock(django_capture_on_commit_callbacks, FIRST + dt.timedelta(days=20))  # the clock was down
    assert first.publish_at == dt.datetime(2027, 4, 17, 9, 0, tzinfo=PARIS)


def test_removed_channels_are_left_out_and_media_follow(workspace, channels, django_capture_on_commit_callbacks):
    root = published_series(workspace, channels)
    asset = MediaAsset.objects.create(workspace=workspace, filename="a.png", kind="image", content_type="image/png")
    VariantMedia.objects.create(variant=root.variants.get(network="mastodon"), asset=asset)
    Channel.objects.filter(pk=channels[1].pk).update(removed_at=FIRST)
    [first] = run_clock(django_capture_on_commit_callbacks, FIRST + dt.timedelta(minutes=1))
    assert [v.network for v in first.variants.all()] == ["mastodon"]
    assert list(first.variants.get().media.all()) == [asset]


def test_an_approved_series_stays_approved_its_rotation_texts_were_approved_with_it(
        workspace, channels, django_capture_on_commit_callbacks):
    ApprovalStage.objects.create(workspace=workspace, name="Direction")
    root = published_series(workspace, channels)
    Post.objects.filter(pk=root.pk).update(approved_version=1)
    [first] = run_clock(django_capture_on_commit_callbacks, FIRST + dt.timedelta(minutes=1))
    assert first.approved_version == first.version == 1
    assert first.status in (Post.Status.APPROVED, Post.Status.SCHEDULED)


def test_a_series_never_approved_waits_for_approval_and_the_managers_are_told(
        workspace, channels, owner, cm, moderator, django_capture_on_commit_callbacks):
    ApprovalStage.objects.create(workspace=workspace, name="Direction")
    published_series(workspace, channels)
    [first] = run_clock(django_capture_on_commit_callbacks, FIRST + dt.timedelta(minutes=1))
    assert first.status == Post.Status.DRAFT and first.approved_version is None
    assert not first.variants.exclude(state=Variant.State.PENDING).exists()
    told = set(Notification.objects.filter(kind="post_repeat").values_list("user_id", flat=True))
    assert told == {owner.pk, cm.pk}


def test_with_delivery_the_occurrence_is_scheduled(workspace, channels, django_capture_on_commit_callbacks):
    pytest.importorskip("comptoir.publishing.delivery")
    published_series(workspace, channels)
    [first] = run_clock(django_capture_on_commit_callbacks, FIRST + dt.timedelta(minutes=1))
    first.refresh_from_db()
    assert first.status == Post.Status.SCHEDULED
    assert set(first.variants.values_list("state", flat=True)) == {Variant.State.SCHEDULED}


def test_another_workspaces_series_is_its_own(workspace, other_workspace, channels, django_capture_on_commit_callbacks):
    mine = published_series(workspace, channels)
    theirs_channel = Channel.objects.create(workspace=other_workspace, network="mastodon", handle="@autre@m.test")
    theirs = published_series(other_workspace, [theirs_channel], alternates=(["Autre"],))
    results = run_clock(django_capture_on_commit_callbacks, FIRST + dt.timedelta(minutes=1))
    assert {(p.workspace_id, p.repeat_of_id) for p in results} == {(workspace.pk, mine.pk), (other_workspace.pk, theirs.pk)}


@pytest.mark.parametrize(("data", "field"), [
    ({"repeat_every_weeks": "0.5"}, "repeat_every_weeks"),
    ({"repeat_every_weeks": 0}, "repeat_every_weeks"),
    ({"repeat_every_weeks": "0"}, "repeat_every_weeks"),
    ({"repeat_every_weeks": 53}, "repeat_every_weeks"),
    ({"repeat_every_weeks": -1}, "repeat_every_weeks"),
    ({"repeat_every_weeks": True}, "repeat_every_weeks"),
    ({"repeat_every_weeks": "<script>"}, "repeat_every_weeks"),
    ({"repeat_until": "2027-06-30"}, "repeat_until"),
    ({"repeat_every_weeks": 2, "repeat_until": "30/06/2027"}, "repeat_until"),
    ({"repeat_every_weeks": 2, "repeat_until": "2027-02-30"}, "repeat_until"),
    ({"repeat_every_weeks": 2, "repeat_until": "2027-03-01"}, "repeat_until"),
    ({"repeat_every_weeks": 2, "repeat_until": "2031-01-01"}, "repeat_until"),
])
def test_repetition_fields_are_checked_naming_the_field(data, field):
    with pytest.raises(ValidationError) as exc:
        recurring.check_repetition(data, publish_at=FIRST)
    assert field in exc.value.message_dict


def test_repetition_fields_clean_to_values():
    assert recurring.check_repetition({}) == {"repeat_every_weeks": None, "repeat_until": None}
    assert recurring.check_repetition({"repeat_every_weeks": "", "repeat_until": ""}) == {
        "repeat_every_weeks": None, "repeat_until": None}
    assert recurring.check_repetition({"repeat_every_weeks": " 4 ", "repeat_until": "2027-06-30"}, publish_at=FIRST) == {
        "repeat_every_weeks": 4, "repeat_until": dt.date(2027, 6, 30)}


def test_alternates_read_from_a_textarea_or_a_list():
    assert recurring.check_alternates("Un\n---\n\n---\nDeux\nsur deux lignes\n") == ["Un", "Deux\nsur deux lignes"]
    assert recurring.check_alternates(["A", " ", "B"]) == ["A", "B"]
    assert recurring.check_alternates(recurring.alternates_text(["A", "B"])) == ["A", "B"]
    for bad in [[1, 2], {"a": 1}, ["x"] * 11, ["x" * 20_001]]:
        with pytest.raises(ValidationError):
            recurring.check_alternates(bad)


def test_the_editor_partials_render(workspace, channels):
    post = published_series(workspace, channels)
    html = render_to_string("publishing/_repeat_fields.html", {"post": post,
                                                                "repeat_errors": {"repeat_until": ["Trop loin"]}})
    assert 'name="repeat_every_weeks"' in html and 'value="2"' in html and "Trop loin" in html
    html = render_to_string("publishing/_alternates_field.html", {"name": "variant-0-alternates",
                                                                   "value": "<b>A</b>\n---\nB"})
    assert "&lt;b&gt;A&lt;/b&gt;" in html


def test_saving_a_post_arms_or_disarms_its_repetition(workspace):
    post = Post.objects.create(workspace=workspace, title="x", publish_at=FIRST, repeat_every_weeks=3)
    post.refresh_from_db()
    assert post.next_repeat_at == FIRST
    post.repeat_every_weeks = None
    post.save()
    post.refresh_from_db()
    assert post.next_repeat_at is None
    plain = Post.objects.create(workspace=workspace, title="y", publish_at=FIRST)
    plain.refresh_from_db()
    assert plain.next_repeat_at is None
