"""The calendar's REST API: range, filters, moving a post, campaigns, notable dates; errors {message, field}."""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from comptoir.publishing.models import Campaign, NotableDate, Post, Variant
from comptoir.workspaces import actions

from .calendarfixtures import channel, post

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
BASE = "/api/v1/workspaces/velo"


def api(user, workspace):
    _token, raw = actions.do_create_api_token(user, workspace, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def send(client, method, url, data):
    return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")


@time_machine.travel(NOW, tick=False)
def test_the_calendar_range_with_posts_variants_and_notable_dates(workspace, cm, other_workspace):
    masto, bsky = channel(workspace), channel(workspace, "bluesky", "velo.bsky.test")
    launch = Campaign.objects.create(workspace=workspace, name="Fête du vélo", color="#2f9e44")
    p = post(workspace, datetime(2026, 6, 3, 7, 0, tzinfo=UTC), channels=[masto, bsky], campaign=launch,
             states=[Variant.State.SENT, Variant.State.UNKNOWN], status=Post.Status.PUBLISHING)
    post(workspace, datetime(2026, 7, 20, 7, 0, tzinfo=UTC))
    post(other_workspace, datetime(2026, 6, 3, 7, 0, tzinfo=UTC))
    client = api(cm, workspace)
    body = client.get(f"{BASE}/calendar?start=2026-06-01&end=2026-06-30").json()
    assert body["time_zone"] == "Europe/Paris" and body["start"] == "2026-06-01"
    assert [x["id"] for x in body["posts"]] == [p.pk]
    got = body["posts"][0]
    assert got["day"] == "2026-06-03" and got["problem"] and not got["movable"] and got["color"] == "#2f9e44"
    assert [(v["network"], v["state"], v["problem"]) for v in got["variants"]] == [
        ("mastodon", "sent", False), ("bluesky", "unknown", True)]
    assert got["variants"][0]["remote_url"].startswith("https://masto.test/")
    names = [(n["day"], n["kind"]) for n in body["notable_dates"]]
    assert ("2026-06-03", "world_day") in names and ("2026-06-21", "world_day") in names
    assert client.get(f"{BASE}/calendar?start=2026-06-01&end=2026-06-30&status=problem").json()["posts"][0]["id"] == p.pk
    assert client.get(f"{BASE}/calendar?start=2026-06-01&end=2026-06-30&channel={bsky.pk}&status=draft").json()[
        "posts"] == []


@time_machine.travel(NOW, tick=False)
def test_hostile_calendar_queries_are_answered_with_the_field_at_fault(workspace, cm, other_workspace):
    client = api(cm, workspace)
    theirs = Campaign.objects.create(workspace=other_workspace, name="Leur campagne")
    their_channel = channel(other_workspace)
    for query, status, field in [
        ("start=2026-13-01", 422, "start"), ("start=<script>", 422, "start"), ("end=20260601x", 422, "end"),
        ("start=2026-06-01&end=2027-06-01", 400, "end"), ("start=2026-06-10&end=2026-06-01", 400, "end"),
        ("status=nope", 400, "status"), (f"campaign={theirs.pk}", 400, "campaign"),
        (f"channel={their_channel.pk}", 400, "channel"), ("channel=-1", 422, "channel"),
        ("campaign=99999999999999999999999", 422, "campaign"), ("start=0001-01-01&end=0001-01-02", 400, "start"),
    ]:
        response = client.get(f"{BASE}/calendar?{query}")
        assert response.status_code == status, query
        assert response.json()["field"] == field, (query, response.json())
        assert response.json()["message"]
    assert client.get("/api/v1/workspaces/autre/calendar").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_moving_a_post_through_the_api(workspace, cm, analyst, other_workspace):
    p = post(workspace, datetime(2026, 6, 10, 16, 30, tzinfo=UTC))
    client = api(cm, workspace)
    moved = send(client, "post", f"{BASE}/posts/{p.pk}/move", {"day": "2026-06-12"})
    assert moved.status_code == 200 and moved.json()["publish_at"].startswith("2026-06-12T16:30")
    # Without an offset: the token owner's time zone (Paris, UTC+2 in June).
    moved = send(client, "post", f"{BASE}/posts/{p.pk}/move", {"publish_at": "2026-06-15T09:00:00"})
    assert moved.json()["publish_at"].startswith("2026-06-15T07:00")
    for data, status, field in [({}, 400, "publish_at"), ({"publish_at": "2026-05-01T09:00:00Z"}, 400, "publish_at"),
                                ({"publish_at": "2027-03-28T02:30:00"}, 400, "day"), ({"day": "nope"}, 422, "day"),
                                ({"publish_at": 12}, 400, "publish_at"), ({"publish_at": "9" * 10_000}, 422, "publish_at")]:
        response = send(client, "post", f"{BASE}/posts/{p.pk}/move", data)
        assert (response.status_code, response.json()["field"]) == (status, field), (data, response.json())
    p.refresh_from_db()
    assert p.publish_at == datetime(2026, 6, 15, 7, 0, tzinfo=UTC)
    assert client.post(f"{BASE}/posts/{p.pk}/move", data="[]", content_type="application/json").status_code == 400
    theirs = post(other_workspace, datetime(2026, 6, 10, 8, 0, tzinfo=UTC))
    assert send(client, "post", f"{BASE}/posts/{theirs.pk}/move", {"day": "2026-06-12"}).status_code == 404
    assert send(api(analyst, workspace), "post", f"{BASE}/posts/{p.pk}/move", {"day": "2026-06-12"}).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_campaigns_and_notable_dates_through_the_api(workspace, cm, analyst, other_workspace):
    client = api(cm, workspace)
    made = send(client, "post", f"{BASE}/campaigns", {"name": "Fête du vélo", "color": "#2F9E44", "utm_campaign": "fete"})
    assert made.status_code == 201 and made.json()["color"] == "#2f9e44"
    for data, field in [({"name": ""}, "name"), ({"name": "fête du vélo"}, "name"), ({"name": "A", "color": "blue"}, "color"),
                        ({"name": "B", "starts_on": "2026-06-10", "ends_on": "2026-06-01"}, "ends_on")]:
        response = send(client, "post", f"{BASE}/campaigns", data)
        assert response.status_code == 400 and response.json()["field"] == field, data
    assert send(client, "post", f"{BASE}/campaigns", {"name": ["x"]}).status_code == 422
    assert [c["name"] for c in client.get(f"{BASE}/campaigns").json()] == ["Fête du vélo"]
    Campaign.objects.create(workspace=other_workspace, name="Ailleurs")
    assert send(api(analyst, workspace), "post", f"{BASE}/campaigns", {"name": "X"}).status_code == 403

    made = send(client, "post", f"{BASE}/notable-dates", {"day": "2026-09-12", "name": "AG", "every_year": True})
    assert made.status_code == 201
    date_id = made.json()["id"]
    assert send(client, "post", f"{BASE}/notable-dates", {"day": "2026-02-30", "name": "x"}).status_code == 422
    assert send(client, "post", f"{BASE}/notable-dates", {"day": "2026-02-03", "name": " "}).json()["field"] == "name"
    patched = send(client, "patch", f"{BASE}/notable-dates/{date_id}", {"name": "Assemblée générale"})
    assert patched.status_code == 200 and patched.json()["every_year"] and patched.json()["name"] == "Assemblée générale"
    assert [d["name"] for d in client.get(f"{BASE}/notable-dates").json()] == ["Assemblée générale"]
    theirs = NotableDate.objects.create(workspace=other_workspace, day=NOW.date(), name="Leur date")
    assert client.delete(f"{BASE}/notable-dates/{theirs.pk}").status_code == 404
    assert send(client, "patch", f"{BASE}/notable-dates/{theirs.pk}", {"name": "x"}).status_code == 404
    assert client.delete(f"{BASE}/notable-dates/{date_id}").status_code == 204
    assert not NotableDate.objects.filter(workspace=workspace).exists()
