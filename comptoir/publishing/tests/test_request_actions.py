"""Content requests: submitting (checked as a person types it), the discussion, the board's moves, the priority."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from comptoir.conftest import membership_of
from comptoir.publishing import requests
from comptoir.publishing.models import ContentRequest, Post, RequestAttachment
from comptoir.workspaces.models import AuditEvent, Notification

from .requestdata import channel, submit

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_contributor_submits_a_request_and_the_managers_are_told(workspace, contributor, owner, cm, analyst):
    masto = channel(workspace)
    r = submit(contributor, workspace, channels=[masto.pk],
               links="https://amis-du-velo.test/a\n\nhttp://amis-du-velo.test/b\nhttps://amis-du-velo.test/a")
    assert (r.status, r.requester, r.goal) == ("new", contributor, "registrations")
    assert list(r.channels.all()) == [masto]
    assert r.links == "https://amis-du-velo.test/a\nhttp://amis-du-velo.test/b"
    told = set(Notification.objects.filter(kind="request.new").values_list("user__email", flat=True))
    assert told == {owner.email, cm.email}
    assert AuditEvent.objects.filter(action="request.create", object_id=str(r.pk)).exists()


@pytest.mark.parametrize(("field", "value"), [
    ("title", ""), ("title", "x" * 201), ("key_message", "   "), ("goal", "world-domination"), ("audience", ["broad"]),
    ("deadline", "2020-01-01T10:00"), ("deadline", "demain"), ("desired_at", "2026-13-45T99:00"),
    ("links", "javascript:alert(1)"), ("links", "ftp://files.test/x"), ("links", "<script>alert(1)</script>"),
    ("links", "\n".join(f"https://a.test/{n}" for n in range(30))), ("channels", ["abc"]), ("channels", [10**20]),
    ("audience_detail", "y" * 501),
])
def test_a_wrong_field_is_named_and_nothing_is_stored(workspace, contributor, field, value):
    with pytest.raises(ValidationError) as exc:
        submit(contributor, workspace, **{field: value})
    assert field in exc.value.message_dict
    assert not ContentRequest.objects.exists()


def test_another_workspaces_channel_is_refused(workspace, other_workspace, contributor):
    theirs = channel(other_workspace)
    with pytest.raises(ValidationError) as exc:
        submit(contributor, workspace, channels=[theirs.pk])
    assert "channels" in exc.value.message_dict


def test_a_date_in_the_spring_dst_gap_is_refused_in_the_users_time_zone(workspace, contributor):
    contributor.time_zone = "Europe/Paris"
    contributor.save()
    next_gap = {2026: "2026-03-29", 2027: "2027-03-28", 2028: "2028-03-26"}
    year = next(y for y in sorted(next_gap) if datetime.fromisoformat(next_gap[y]).replace(tzinfo=UTC) > timezone.now())
    with pytest.raises(ValidationError) as exc:
        submit(contributor, workspace, deadline=f"{next_gap[year]}T02:30")
    assert "clocks change" in " ".join(exc.value.message_dict["deadline"])


def test_a_naive_date_is_read_in_the_users_time_zone(workspace, contributor):
    contributor.time_zone = "Europe/Paris"
    contributor.save()
    when = (timezone.now() + timedelta(days=40)).replace(tzinfo=None, microsecond=0, second=0)
    r = submit(contributor, workspace, deadline=when.isoformat())
    local = r.deadline.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris")).replace(tzinfo=None)
    assert local == when


def test_the_desired_date_may_not_come_after_the_deadline(workspace, contributor):
    soon, later = timezone.now() + timedelta(days=3), timezone.now() + timedelta(days=9)
    with pytest.raises(ValidationError) as exc:
        submit(contributor, workspace, desired_at=later.isoformat(), deadline=soon.isoformat())
    assert "desired_at" in exc.value.message_dict


def test_attachments_are_kept_with_the_type_their_bytes_show(workspace, contributor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    r = submit(contributor, workspace, files=[SimpleUploadedFile("affiche.txt", PNG, content_type="text/plain")])
    attachment = r.attachments.get()
    assert (attachment.content_type, attachment.filename, attachment.size) == ("image/png", "affiche.txt", len(PNG))


@pytest.mark.parametrize(("name", "content"), [
    ("virus.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100),
    ("vide.pdf", b""),
    ("page.html", b"\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00" + b"\x00" * 20),
])
def test_a_file_of_another_kind_or_empty_is_refused(workspace, contributor, settings, tmp_path, name, content):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError) as exc:
        submit(contributor, workspace, files=[SimpleUploadedFile(name, content)])
    assert name in " ".join(exc.value.message_dict["attachments"])
    assert not ContentRequest.objects.exists() and not RequestAttachment.objects.exists()


def test_a_file_too_large_is_refused(workspace, contributor, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(requests, "ATTACHMENT_MAX_BYTES", 100)
    with pytest.raises(ValidationError):
        submit(contributor, workspace, files=[SimpleUploadedFile("grand.png", PNG + b"\x00" * 200)])


def test_declining_needs_a_reason_that_the_requester_reads(workspace, contributor, cm):
    r = submit(contributor, workspace)
    with pytest.raises(ValidationError) as exc:
        requests.do_move(membership_of(cm, workspace), r, "declined", "   ")
    assert "decline_reason" in exc.value.message_dict
    requests.do_move(membership_of(cm, workspace), r, "declined", "Hors de notre ligne éditoriale.")
    r.refresh_from_db()
    assert (r.status, r.decline_reason) == ("declined", "Hors de notre ligne éditoriale.")
    line = r.comments.get(event_code__startswith="Declined")
    assert "Hors de notre ligne" in line.event
    note = Notification.objects.get(user=contributor, kind="request.status")
    assert "Refusée" in note.message or "Declined" in note.message


def test_each_status_change_is_a_line_of_the_discussion_and_tells_the_requester(workspace, contributor, cm):
    r = submit(contributor, workspace)
    requests.do_move(membership_of(cm, workspace), r, "accepted")
    requests.do_move(membership_of(cm, workspace), r, "accepted")  # no change, no line
    assert r.comments.filter(event_code__gt="").count() == 1
    assert Notification.objects.filter(user=contributor, kind="request.status").count() == 1


def test_only_managers_move_assign_and_set_priorities(workspace, contributor, analyst, moderator):
    r = submit(contributor, workspace)
    for user in (contributor, analyst, moderator):
        m = membership_of(user, workspace)
        with pytest.raises(PermissionDenied):
            requests.do_move(m, r, "accepted")
        with pytest.raises(PermissionDenied):
            requests.do_override_priority(m, r, 90, "urgent")
        with pytest.raises(PermissionDenied):
            requests.do_assign(m, r, None)


def test_actions_refuse_another_workspaces_request(workspace, other_workspace, contributor, outsider):
    r = submit(contributor, workspace)
    theirs = membership_of(outsider, other_workspace)
    for call in (lambda: requests.do_move(theirs, r, "accepted"), lambda: requests.do_comment(theirs, r, "coucou"),
                 lambda: requests.do_create_post(theirs, r), lambda: requests.do_assign(theirs, r, None)):
        with pytest.raises(PermissionDenied):
            call()


def test_comments_go_from_the_requester_to_the_managers_and_back(workspace, contributor, cm, owner, analyst):
    r = submit(contributor, workspace)
    Notification.objects.all().delete()
    requests.do_comment(membership_of(contributor, workspace), r, "Le visuel est en pièce jointe.")
    assert set(Notification.objects.values_list("user__email", flat=True)) == {cm.email, owner.email}
    Notification.objects.all().delete()
    requests.do_comment(membership_of(cm, workspace), r, "Merci, on s'en occupe.")
    assert list(Notification.objects.values_list("user__email", flat=True)) == [contributor.email]
    with pytest.raises(PermissionDenied):  # the analyst reads, but does not join the discussion
        requests.do_comment(membership_of(analyst, workspace), r, "Moi aussi")
    with pytest.raises(ValidationError):
        requests.do_comment(membership_of(cm, workspace), r, "\x00 \n ")


def test_a_contributor_never_sees_anyone_elses_request(workspace, contributor, cm):
    mine = submit(contributor, workspace)
    theirs = submit(cm, workspace, title="Demande du CM")
    assert list(requests.visible_requests(membership_of(contributor, workspace))) == [mine]
    assert set(requests.visible_requests(membership_of(cm, workspace))) == {mine, theirs}


def test_the_priority_override_needs_a_reason_and_a_number_from_0_to_100(workspace, contributor, cm):
    r = submit(contributor, workspace)
    m = membership_of(cm, workspace)
    for value, reason in ((101, "x"), (-1, "x"), ("abc", "x"), (50, ""), (50, "z" * 301)):
        with pytest.raises(ValidationError):
            requests.do_override_priority(m, r, value, reason)
    requests.do_override_priority(m, r, 95, "Demande de la direction")
    [row] = requests.with_priorities(workspace, [ContentRequest.objects.get(pk=r.pk)])
    assert (row.score, row.priority_override_reason) == (95, "Demande de la direction")
    assert row.computed != 95
    requests.do_override_priority(m, r, "", "")
    [row] = requests.with_priorities(workspace, [ContentRequest.objects.get(pk=r.pk)])
    assert row.score == row.computed


def test_assigning_takes_only_a_member_who_manages_publishing(workspace, contributor, cm, analyst, outsider):
    r = submit(contributor, workspace)
    m = membership_of(cm, workspace)
    for who in (analyst.pk, outsider.pk, "abc", 10**30):
        with pytest.raises(ValidationError):
            requests.do_assign(m, r, who)
    requests.do_assign(m, r, cm.pk)
    r.refresh_from_db()
    assert r.assignee == cm


def test_creating_the_post_prefills_it_and_moves_the_request_in_progress(workspace, contributor, cm):
    masto = channel(workspace)
    bsky = channel(workspace, network="bluesky", handle="velo.bsky.test")
    r = submit(contributor, workspace, channels=[masto.pk, bsky.pk])
    post = requests.do_create_post(membership_of(cm, workspace), r)
    r.refresh_from_db()
    assert (post.request_id, post.master_text, post.status) == (r.pk, r.key_message, "draft")
    assert sorted(post.variants.values_list("network", flat=True)) == ["bluesky", "mastodon"]
    assert post.versions.filter(number=post.version).exists()
    assert r.status == "in_progress"
    assert Notification.objects.filter(user=contributor, kind="request.status").exists()


def test_the_request_follows_its_post_forwards_only(workspace, contributor, cm):
    r = submit(contributor, workspace)
    post = requests.do_create_post(membership_of(cm, workspace), r)
    post.status = Post.Status.SCHEDULED
    assert requests.request_follows_post(post)
    r.refresh_from_db()
    assert r.status == "scheduled"
    post.status = Post.Status.PUBLISHED
    assert requests.request_follows_post(post)
    post.status = Post.Status.SCHEDULED  # rescheduled after publication: the request stays published
    assert not requests.request_follows_post(post)
    r.refresh_from_db()
    assert r.status == "published"
    assert AuditEvent.objects.filter(action="request.follow").count() == 2


# The priority: a pure function. ---------------------------------------------------------------------------

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def req(goal="awareness", audience="community", deadline=None, desired_at=None):
    return SimpleNamespace(goal=goal, audience=audience, deadline=deadline, desired_at=desired_at)


def test_priority_is_bounded_and_explained():
    score, reasons = requests.priority(req("crisis", "broad", NOW + timedelta(hours=5)), NOW, 0)
    assert score == 36 + 30 + 15 + 15
    assert [r.points for r in reasons] == [36, 30, 15, 15]
    assert "Due today" in reasons[0].text
    score, reasons = requests.priority(req(), NOW, 50)
    assert score == 0 + 10 + 10 + 0
    assert reasons[0].text == "No date given"
    assert all(0 <= requests.priority(req(g, a, d), NOW, w)[0] <= 100
               for g in ("crisis", "awareness", "bogus") for a in ("niche", "broad", "bogus")
               for d in (None, NOW - timedelta(days=3), NOW + timedelta(days=400)) for w in (0, 3, 1000, -5))


def test_a_nearer_deadline_scores_higher():
    scores = [requests.priority(req(deadline=NOW + timedelta(days=d)), NOW, 0)[0] for d in (1, 5, 10, 20, 60)]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 5


def test_the_deadline_wins_over_the_desired_date():
    _s, reasons = requests.priority(req(deadline=NOW + timedelta(days=1, hours=2), desired_at=NOW + timedelta(days=50)),
                                    NOW, 0)
    assert reasons[0].points == 36


def test_goal_audience_and_workload_move_the_score():
    base = requests.priority(req(), NOW, 0)[0]
    assert requests.priority(req(goal="recruitment"), NOW, 0)[0] > base
    assert requests.priority(req(audience="broad"), NOW, 0)[0] > base
    assert requests.priority(req(audience="niche"), NOW, 0)[0] < base
    assert requests.priority(req(), NOW, 3)[0] == base - 6
    assert "3 posts already planned" in requests.priority(req(), NOW, 3)[1][3].text


def test_the_workload_is_the_posts_planned_the_week_of_the_request(workspace, contributor):
    r = submit(contributor, workspace, deadline=(timezone.now() + timedelta(days=14)).isoformat())
    week = requests.week_of(r.deadline, workspace.time_zone)
    monday = datetime.combine(week, datetime.min.time()).replace(tzinfo=UTC) + timedelta(hours=12)
    for n in range(3):
        Post.objects.create(workspace=workspace, status=Post.Status.SCHEDULED, publish_at=monday + timedelta(days=n))
    Post.objects.create(workspace=workspace, status=Post.Status.DRAFT, publish_at=monday)  # a draft is not planned
    Post.objects.create(workspace=workspace, status=Post.Status.SCHEDULED, publish_at=monday + timedelta(days=8))
    [row] = requests.with_priorities(workspace, [r])
    assert row.workload == 3
    assert row.reasons[3].points == 15 - 6


def test_the_requester_gets_an_email_of_each_change_in_their_language(workspace, contributor, cm, settings,
                                                                        django_capture_on_commit_callbacks):
    from django.core import mail

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    contributor.language = "en"
    contributor.save()
    r = submit(contributor, workspace)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        requests.do_move(membership_of(cm, workspace), r, "declined", "Pas cette fois")
    [message] = mail.outbox
    assert message.to == [contributor.email]
    assert "Your request “Journée portes ouvertes” is now: Declined" in message.subject
    assert f"/w/velo/publishing/requests/{r.pk}/" in message.body
