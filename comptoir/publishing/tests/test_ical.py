"""The calendar feed: a secret address per workspace (only its hash kept), events read back with icalendar."""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.test import Client
from django.utils import timezone

from comptoir.conftest import membership_of
from comptoir.publishing import ical
from comptoir.publishing.models import Post, PublishingSettings, Variant
from comptoir.workspaces.models import AuditEvent

from .calendarfixtures import channel, post

pytestmark = pytest.mark.django_db


def _events(body: bytes):
    cal = icalendar.Calendar.from_ical(body)
    return [c for c in cal.walk() if c.name == "VEVENT"]


def test_the_feed_lists_planned_and_published_posts_with_stable_uids_and_links(workspace, cm):
    masto = channel(workspace)
    soon = timezone.now() + timedelta(days=2)
    planned = post(workspace, soon, title="Atelier; réparation, vélo\nligne 2", channels=[masto],
                   text="Samedi à l’atelier : <b>pneus</b> & chaînes.")
    sent = post(workspace, soon - timedelta(days=5), title="Bilan", status=Post.Status.PUBLISHED,
                published_at=timezone.now() - timedelta(days=3), channels=[masto], states=[Variant.State.SENT])
    post(workspace, None, title="Brouillon sans date", status=Post.Status.DRAFT)
    raw = ical.do_regenerate_token(membership_of(cm, workspace))
    assert raw.startswith("cal_")
    settings = PublishingSettings.objects.get(workspace=workspace)
    assert settings.ical_token_hash == ical.hash_token(raw) and raw not in settings.ical_token_hash

    response = Client().get(f"/cal/{raw}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = {str(e["uid"]): e for e in _events(response.content)}
    assert set(events) == {f"post-{planned.pk}@velo.comptoir", f"post-{sent.pk}@velo.comptoir"}
    event = events[f"post-{planned.pk}@velo.comptoir"]
    # Commas, semicolons and new lines survive the trip (escaped in the file, read back whole).
    assert str(event["summary"]) == "Atelier; réparation, vélo\nligne 2"
    assert event.decoded("dtstart") == soon.replace(microsecond=0).astimezone(UTC) or \
        abs(event.decoded("dtstart") - soon) < timedelta(seconds=1)
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    description = str(event["description"])
    assert "<b>pneus</b> & chaînes" in description and masto.handle in description
    assert str(event["url"]).startswith("http://testserver/w/velo/publishing/")
    published = events[f"post-{sent.pk}@velo.comptoir"]
    assert f"https://masto.test/@velo/{sent.pk}0" in str(published["description"])
    # No e-mail address of anyone in the feed.
    assert b"@asso.test" not in response.content
    # The same post keeps its uid from one fetch to the next.
    again = {str(e["uid"]) for e in _events(Client().get(f"/cal/{raw}.ics").content)}
    assert again == set(events)


def test_a_wrong_token_is_a_404_and_a_new_token_breaks_the_old_one(workspace, cm, other_workspace):
    membership = membership_of(cm, workspace)
    assert Client().get("/cal/cal_nothing.ics").status_code == 404
    assert Client().get("/cal/.ics").status_code == 404
    PublishingSettings.objects.create(workspace=other_workspace)  # an empty hash matches nothing
    assert Client().get("/cal/cal_.ics").status_code == 404
    first = ical.do_regenerate_token(membership)
    second = ical.do_regenerate_token(membership)
    assert Client().get(f"/cal/{first}.ics").status_code == 404
    assert Client().get(f"/cal/{second}.ics").status_code == 200
    assert Client().get(f"/cal/{second[:-1]}.ics").status_code == 404
    events = AuditEvent.objects.filter(workspace=workspace, action="calendar.ical_token")
    assert events.count() == 2 and second not in str(list(events.values()))


def test_feed_settings_page_shows_the_address_once_and_only_managers_make_one(workspace, cm, analyst, outsider, as_user):
    page = as_user(cm).get("/w/velo/publishing/calendar/feed/")
    assert page.status_code == 200 and b'data-testid="feed-none"' in page.content
    made = as_user(cm).post("/w/velo/publishing/calendar/feed/")
    url = made.context["feed_url"]
    assert "/cal/cal_" in url and url.encode() in made.content
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    again = as_user(cm).get("/w/velo/publishing/calendar/feed/")
    assert token.encode() not in again.content and b'data-testid="feed-active"' in again.content
    assert as_user(analyst).get("/w/velo/publishing/calendar/feed/").status_code == 200
    assert as_user(analyst).post("/w/velo/publishing/calendar/feed/").status_code == 403
    assert as_user(outsider).post("/w/velo/publishing/calendar/feed/").status_code == 404
    assert Client().get(f"/cal/{token}.ics").status_code == 200


def test_the_export_is_the_current_filter_for_members_only(workspace, cm, contributor, outsider, as_user):
    masto, bsky = channel(workspace), channel(workspace, "bluesky", "velo.bsky.test")
    day = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
    a = post(workspace, day, channels=[masto])
    post(workspace, day, channels=[bsky])
    response = as_user(cm).get(f"/w/velo/publishing/calendar/export.ics?start=2026-06-01&end=2026-06-30&channel={masto.pk}")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert [str(e["uid"]) for e in _events(response.content)] == [f"post-{a.pk}@velo.comptoir"]
    hostile = as_user(cm).get("/w/velo/publishing/calendar/export.ics?start=<script>&end=99999-01-01&status=%00")
    assert hostile.status_code == 200
    huge = as_user(cm).get("/w/velo/publishing/calendar/export.ics?start=2000-01-01&end=2100-01-01")
    assert huge.status_code == 200 and _events(huge.content) == []  # capped to the first 92 days
    assert as_user(contributor).get("/w/velo/publishing/calendar/export.ics").status_code == 403
    assert as_user(outsider).get("/w/velo/publishing/calendar/export.ics").status_code == 404
    assert Client().get("/w/velo/publishing/calendar/export.ics").status_code == 302
