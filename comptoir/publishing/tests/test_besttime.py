"""Best time to post: engagement of the workspace's own posts by weekday × hour, only past a minimum history."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from comptoir.publishing import besttime
from comptoir.publishing.models import Variant
from comptoir.stream.models import Item, Source

from .calendarfixtures import channel, post

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _items(workspace, ch, source, when_and_likes, prefix="i"):
    for n, (when, likes) in enumerate(when_and_likes):
        Item.objects.create(workspace=workspace, source=source, channel=ch, external_id=f"{prefix}{n}", kind="post",
                            text="x", published_at=when, engagement={"likes": likes, "reposts": 1, "views": 10_000})


@time_machine.travel(NOW, tick=False)
def test_below_the_minimum_history_nothing_is_claimed(workspace):
    ch = channel(workspace)
    source = Source.objects.get(channel=ch)
    # Tuesdays at 18:00 Paris (16:00 UTC in summer) do well, but 19 posts are not a history.
    base = datetime(2026, 5, 26, 16, 0, tzinfo=UTC)
    _items(workspace, ch, source, [(base - timedelta(weeks=n), 50) for n in range(besttime.MIN_SAMPLE - 1)])
    result = besttime.for_channel(ch, "Europe/Paris")
    assert result.samples == besttime.MIN_SAMPLE - 1 and not result.enough and result.slots == []
    assert besttime.best_slots(ch) == []


@time_machine.travel(NOW, tick=False)
def test_top_slots_are_the_best_average_engagement_in_the_workspace_time_zone(workspace, other_workspace):
    ch = channel(workspace)
    source = Source.objects.get(channel=ch)
    tuesday_18h_paris = datetime(2026, 5, 26, 16, 0, tzinfo=UTC)
    monday_9h_paris = datetime(2026, 5, 25, 7, 0, tzinfo=UTC)
    friday_12h_paris = datetime(2026, 5, 29, 10, 0, tzinfo=UTC)
    rows = ([(tuesday_18h_paris - timedelta(weeks=n), 40) for n in range(8)]
            + [(monday_9h_paris - timedelta(weeks=n), 5) for n in range(8)]
            + [(friday_12h_paris - timedelta(weeks=n), 20) for n in range(4)]
            + [(datetime(2026, 5, 30, 20, 0, tzinfo=UTC), 900)])  # one viral Saturday post: not a slot
    _items(workspace, ch, source, rows)
    # Replies under our posts are not our posts.
    Item.objects.create(workspace=workspace, source=source, channel=ch, external_id="reply", kind="reply",
                        parent_external_id="i0", published_at=monday_9h_paris, engagement={"likes": 10_000})
    slots = besttime.best_slots(ch, n=3)
    assert [(s.weekday, s.hour) for s in slots] == [(1, 18), (4, 12), (0, 9)]
    assert slots[0].posts == 8 and slots[0].mean == 41.0  # 40 likes + 1 repost; views are not interactions
    result = besttime.for_channel(ch, "Europe/Paris")
    assert result.samples == 21 and result.enough
    assert result.grid[1][18] == 41.0 and result.grid[2][3] is None
    assert result.level(result.grid[5][22]) == 4 and result.level(None) == 0


@time_machine.travel(NOW, tick=False)
def test_a_published_variant_counts_at_its_send_time_once(workspace):
    ch = channel(workspace)
    source = Source.objects.get(channel=ch)
    p = post(workspace, datetime(2026, 5, 20, 8, 0, tzinfo=UTC), channels=[ch], states=[Variant.State.SENT])
    v = p.variants.get()
    v.sent_at = datetime(2026, 5, 20, 8, 0, 5, tzinfo=UTC)
    v.save()
    # The network dates it a minute later, in the next hour.
    Item.objects.create(workspace=workspace, source=source, channel=ch, external_id=v.remote_id, kind="post",
                        published_at=datetime(2026, 5, 20, 9, 0, 30, tzinfo=UTC), engagement={"likes": 3})
    result = besttime.for_channel(ch, "UTC")
    assert result.samples == 1 and result.grid[2][8] == 3.0 and result.grid[2][9] is None


def test_engagement_ignores_garbage():
    assert besttime.engagement_of({"likes": 2, "reposts": "3", "replies": -1, "quotes": True, "views": 99}) == 2
    assert besttime.engagement_of(None) == 0
