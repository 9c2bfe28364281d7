"""The calendar's pages with each persona: what they see, what they may move, and hostile input."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import translation
from django.utils.translation import gettext

from comptoir.publishing.models import Campaign, NotableDate, Post, Variant
from comptoir.workspaces import audit
from comptoir.workspaces.models import AuditEvent

from .calendarfixtures import channel, post

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # 10:00 in Paris
CAL = "/w/velo/publishing/calendar/"


def in_french(message: str) -> str:
    with translation.override("fr"):
        return gettext(message)


def move_url(p):
    return f"/w/velo/publishing/calendar/posts/{p.pk}/move/"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("persona", "status"), [("owner", 200), ("cm", 200), ("moderator", 200), ("analyst", 200),
                                                  ("contributor", 403), ("outsider", 404)])
def test_who_sees_the_calendar(request, workspace, other_workspace, as_user, persona, status):
    user = request.getfixturevalue(persona)
    post(workspace, datetime(2026, 6, 10, 8, 0, tzinfo=UTC), title="Fête du vélo")
    for view in ("month", "week"):
        response = as_user(user).get(f"{CAL}?view={view}&day=2026-06-10")
        assert response.status_code == status
        if status == 200:
            assert "Fête du vélo".encode() in response.content
            can_move = b'data-testid="move-form"' in response.content
            assert can_move == (persona in ("owner", "cm"))


@time_machine.travel(NOW, tick=False)
def test_the_month_shows_channels_campaign_alarms_remote_links_notable_dates_and_keeps_filters(workspace, as_user, cm):
    masto, bsky = channel(workspace), channel(workspace, "bluesky", "velo.bsky.test")
    launch = Campaign.objects.create(workspace=workspace, name="Fête du vélo", color="#2f9e44")
    post(workspace, datetime(2026, 5, 28, 8, 0, tzinfo=UTC), title="Raté", channels=[masto, bsky],
         states=[Variant.State.SENT, Variant.State.FAILED], status=Post.Status.FAILED, campaign=launch)
    NotableDate.objects.create(workspace=workspace, day=datetime(2026, 5, 30).date(), name="AG de l’asso")
    response = as_user(cm).get(f"{CAL}?day=2026-05-15&campaign={launch.pk}")
    html = response.content.decode()
    assert 'data-testid="alarm"' in html and 'data-testid="cal-alarms"' in html
    assert "bi-mastodon" in html and "bi-bluesky" in html and 'fill="#2f9e44"' in html
    assert 'data-testid="remote-link"' in html and "https://masto.test/@velo/" in html
    assert "AG de l’asso" in html and "Fête de la Victoire" in html  # own date, 8 May holiday
    # Navigation keeps the filter.
    assert f"campaign={launch.pk}" in response.context["next_url"] and "day=2026-06-01" in response.context["next_url"]
    assert f"campaign={launch.pk}" in response.context["prev_url"]
    # A failed post is not movable: it went out on one channel.
    assert 'data-testid="move-form"' not in html


@time_machine.travel(NOW, tick=False)
def test_a_cm_moves_a_post_to_another_day_keeping_its_time(workspace, as_user, cm):
    p = post(workspace, datetime(2026, 6, 10, 16, 30, tzinfo=UTC))  # 18:30 in Paris
    response = as_user(cm).post(move_url(p), {"day": "2026-06-12", "next": f"{CAL}?day=2026-06-10"})
    assert response.status_code == 302 and response["Location"] == f"{CAL}?day=2026-06-10"
    p.refresh_from_db()
    assert p.publish_at == datetime(2026, 6, 12, 16, 30, tzinfo=UTC)
    # A variant waiting for the date follows it (without the delivery area, by the calendar's own fallback).
    event = AuditEvent.objects.filter(workspace=workspace).latest("pk")
    assert "Camille CM" in audit.describe(event) and "Atelier réparation" in audit.describe(event)
    # With a time, from JavaScript: JSON back.
    response = as_user(cm).post(move_url(p), {"day": "2026-06-13", "time": "09:15"}, HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 200 and response.json()["publish_at"].startswith("2026-06-13T07:15")


@time_machine.travel(NOW, tick=False)
def test_an_unscheduled_draft_dropped_on_a_day_goes_at_ten(workspace, as_user, cm):
    draft = post(workspace, None, status=Post.Status.DRAFT, title="Idée")
    page = as_user(cm).get(CAL)
    assert f'data-testid="draft-{draft.pk}"'.encode() in page.content
    as_user(cm).post(move_url(draft), {"day": "2026-06-05"})
    draft.refresh_from_db()
    assert draft.publish_at == datetime(2026, 6, 5, 8, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_moves_that_are_refused(workspace, other_workspace, as_user, cm, analyst, outsider):
    masto = channel(workspace)
    p = post(workspace, datetime(2026, 6, 10, 8, 0, tzinfo=UTC), channels=[masto])
    sent = post(workspace, datetime(2026, 5, 30, 8, 0, tzinfo=UTC), channels=[masto], states=[Variant.State.SENT],
                status=Post.Status.PUBLISHED, published_at=datetime(2026, 5, 30, 8, 0, tzinfo=UTC))
    theirs = post(other_workspace, datetime(2026, 6, 10, 8, 0, tzinfo=UTC))

    def refused(p, data, **headers):
        before = Post.objects.get(pk=p.pk).publish_at
        response = as_user(cm).post(move_url(p), data, **headers)
        assert Post.objects.get(pk=p.pk).publish_at == before
        return response

    past = refused(p, {"day": "2026-05-31"}, HTTP_X_REQUESTED_WITH="fetch")
    assert past.status_code == 400 and past.json()["field"] == "day"
    assert past.json()["message"] == in_french("This date is in the past: choose a later one.")
    # Today, earlier than now (08:00 UTC, 10:00 Paris): in the past too.
    assert refused(p, {"day": "2026-06-01", "time": "09:00"}, HTTP_X_REQUESTED_WITH="fetch").status_code == 400
    gone = refused(sent, {"day": "2026-06-20"}, HTTP_X_REQUESTED_WITH="fetch")
    assert gone.status_code == 400 and gone.json()["message"] == in_french(
        "This post has already gone out (or is going out): it cannot be moved.")
    # 29 March 2027, 02:30 does not exist in Paris.
    gap = refused(p, {"day": "2027-03-28", "time": "02:30"}, HTTP_X_REQUESTED_WITH="fetch")
    assert gap.status_code == 400 and "02:30" in gap.json()["message"]
    for hostile in ["", "<script>alert(1)</script>", "2026-13-45", "9" * 5000, "2026-06-12T00:00", "\x00"]:
        response = refused(p, {"day": hostile, "time": hostile[:20]})
        assert response.status_code == 302
    page = as_user(cm).get(CAL, follow=False)
    assert page.status_code == 200
    assert refused(theirs, {"day": "2026-06-20"}).status_code == 404
    # The same move on our own post goes through: the refusals above were the rules, not a broken form.
    assert as_user(cm).post(move_url(p), {"day": "2026-06-20"}).status_code == 302
    p.refresh_from_db()
    assert p.publish_at.date().isoformat() == "2026-06-20"
    assert as_user(analyst).post(move_url(p), {"day": "2026-06-21"}).status_code == 403
    assert as_user(outsider).post(move_url(p), {"day": "2026-06-21"}).status_code == 404
    assert as_user(cm).get(move_url(p)).status_code == 405
    assert as_user(cm).post("/w/velo/publishing/calendar/posts/99999999999999999999/move/", {}).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_hostile_query_strings_never_break_the_page(workspace, as_user, cm):
    for query in ["day=<script>", "day=0000-00-00", "day=9999-12-31", "day=1899-01-01", "view=<x>&channel=abc",
                  "status=%00&campaign=-5", "channel=99999999999999999999999", "day=" + "2" * 3000]:
        response = as_user(cm).get(f"{CAL}?{query}")
        assert response.status_code == 200, query
        assert b"<script>" not in response.content.split(b"<body")[1].replace(b"<script src", b"")


@time_machine.travel(NOW, tick=False)
def test_campaigns_crud_with_hostile_input(workspace, other_workspace, as_user, cm, analyst, contributor, outsider):
    url = "/w/velo/publishing/campaigns/"
    assert as_user(cm).post(url, {"name": "Fête du vélo", "color": "#2F9E44", "utm_campaign": "fete-velo"}).status_code == 302
    campaign = Campaign.objects.get(workspace=workspace)
    assert (campaign.color, campaign.utm_campaign) == ("#2f9e44", "fete-velo")
    for data, field in [({"name": "", "color": "#000000"}, "name"), ({"name": "fête du vélo", "color": "#000000"}, "name"),
                        ({"name": "X", "color": "red"}, "color"), ({"name": "Y", "color": "#000000", "utm_campaign": "a b"},
                                                                    "utm_campaign"),
                        ({"name": "Z", "color": "#000000", "starts_on": "2026-06-10", "ends_on": "2026-06-01"}, "ends_on"),
                        ({"name": "W" * 5000, "color": "#000000"}, "name"),
                        ({"name": "<script>", "color": "#000000\"><script>"}, "color")]:
        response = as_user(cm).post(url, data)
        assert response.status_code == 400 and response.context["form"].errors.get(field), (data, field)
    assert Campaign.objects.filter(workspace=workspace).count() == 1
    edit = f"/w/velo/publishing/campaigns/{campaign.pk}/"
    assert as_user(cm).post(edit, {"name": "Fête du vélo 2026", "color": "#1971c2"}).status_code == 302
    assert as_user(cm).post(f"{edit}archive/", {"archived": "1"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Fête du vélo 2026" and campaign.archived_at is not None
    assert as_user(analyst).get(url).status_code == 200
    assert as_user(analyst).post(url, {"name": "A", "color": "#000000"}).status_code == 403
    assert as_user(contributor).get(url).status_code == 403
    assert as_user(outsider).get(url).status_code == 404
    theirs = Campaign.objects.create(workspace=other_workspace, name="Leur campagne")
    assert as_user(cm).get(f"/w/velo/publishing/campaigns/{theirs.pk}/").status_code == 404
    assert as_user(cm).post(f"/w/velo/publishing/campaigns/{theirs.pk}/archive/").status_code == 404
    assert AuditEvent.objects.filter(workspace=workspace, action__startswith="calendar.campaign").count() == 3


@time_machine.travel(NOW, tick=False)
def test_notable_dates_crud_with_hostile_input(workspace, other_workspace, as_user, cm, analyst, outsider):
    url = "/w/velo/publishing/dates/"
    assert as_user(cm).post(url, {"day": "2026-09-12", "name": "Anniversaire de l’asso", "every_year": "on"}).status_code == 302
    own = NotableDate.objects.get(workspace=workspace)
    assert own.every_year
    page = as_user(cm).get(url)
    assert "Anniversaire de l’asso".encode() in page.content and b'data-testid="upcoming"' in page.content
    for data in [{"day": "", "name": "x"}, {"day": "2026-02-30", "name": "x"}, {"day": "2026-09-12", "name": ""},
                 {"day": "2026-09-12", "name": "x" * 300}, {"day": "<script>", "name": "<script>"}]:
        assert as_user(cm).post(url, data).status_code == 400
    assert NotableDate.objects.count() == 1
    assert as_user(cm).post(f"{url}{own.pk}/", {"day": "2026-09-13", "name": "AG"}).status_code == 302
    own.refresh_from_db()
    assert (own.name, own.every_year) == ("AG", False)
    assert as_user(analyst).post(url, {"day": "2026-09-12", "name": "x"}).status_code == 403
    assert as_user(analyst).post(f"{url}{own.pk}/delete/").status_code == 403
    assert as_user(outsider).get(url).status_code == 404
    theirs = NotableDate.objects.create(workspace=other_workspace, day=NOW.date(), name="Leur date")
    assert as_user(cm).post(f"{url}{theirs.pk}/delete/").status_code == 404
    assert as_user(cm).post(f"{url}{own.pk}/delete/").status_code == 302
    assert list(NotableDate.objects.all()) == [theirs]


@time_machine.travel(NOW, tick=False)
def test_date_suggestions_partial_and_best_times(workspace, as_user, cm, contributor, outsider):
    url = "/w/velo/publishing/calendar/suggestions/"
    response = as_user(cm).get(f"{url}?date=2026-06-04")
    assert response.status_code == 200 and "Journée mondiale de la bicyclette".encode() in response.content
    assert b"<html" not in response.content
    assert as_user(cm).get(f"{url}?date=<script>").status_code == 200
    assert as_user(contributor).get(f"{url}?date=2026-06-04").status_code == 403
    assert as_user(outsider).get(f"{url}?date=2026-06-04").status_code == 404
    channel(workspace)
    best = as_user(cm).get("/w/velo/publishing/calendar/best-times/")
    assert best.status_code == 200 and b'data-testid="not-enough"' in best.content
    partial = as_user(cm).get("/w/velo/publishing/calendar/best-times/", HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b'data-testid="best-times"' in partial.content
    assert as_user(outsider).get("/w/velo/publishing/calendar/best-times/").status_code == 404


def test_the_calendar_needs_a_log_in(client, workspace):
    assert client.get(CAL).status_code == 302
    assert client.post("/w/velo/publishing/calendar/posts/1/move/", {"day": "2030-01-01"}).status_code == 302
