"""Best time to post per channel, from the workspace's own history: what its channels published and the
engagement it got (likes, reposts, replies, quotes), by weekday × hour in the workspace's time zone.

Below ``MIN_SAMPLE`` posts on a channel nothing is claimed ("not enough history yet"): a few lucky posts say
nothing about the audience.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import formats
from django.utils.translation import gettext as _

from comptoir.lib import timeutil

from .models import Variant

MIN_SAMPLE = 20
# A slot needs a few posts of its own to rank: one viral post is not a habit.
MIN_SLOT_SAMPLE = 2
HISTORY = timedelta(days=365)
MAX_ITEMS = 5000
ENGAGEMENT_KEYS = ("likes", "reposts", "replies", "quotes")


def engagement_of(values: dict) -> int:
    """Interactions counted in an item's ``engagement`` (views and reads are not interactions)."""
    total = 0
    if not isinstance(values, dict):
        return 0
    for key in ENGAGEMENT_KEYS:
        value = values.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            total += value
    return total


@dataclass(frozen=True)
class Slot:
    weekday: int  # 0 = Monday
    hour: int
    posts: int
    mean: float

    @property
    def weekday_name(self) -> str:
        return str(formats.date_format(_A_MONDAY + timedelta(days=self.weekday), "l"))

    @property
    def label(self) -> str:
        return _("%(weekday)s at %(hour)s:00") % {"weekday": self.weekday_name, "hour": f"{self.hour:02d}"}


_A_MONDAY = date(2024, 1, 1)


@dataclass
class ChannelTimes:
    channel: object
    samples: int
    enough: bool
    slots: list[Slot] = field(default_factory=list)
    # 7 rows (Monday first) of 24 hours: mean engagement, or None where nothing was posted
    grid: list[list[float | None]] = field(default_factory=list)
    peak: float = 0.0

    @property
    def rows(self) -> list[tuple[int, list[tuple[float | None, int]]]]:
        """(weekday, [(mean, level 0–4) per hour]) for the heatmap."""
        return [(d, [(v, self.level(v)) for v in row]) for d, row in enumerate(self.grid)]

    def level(self, value: float | None) -> int:
        """0–4 for the heatmap's colour (0: nothing posted then)."""
        if value is None or self.peak <= 0:
            return 0
        return 1 + min(3, int(4 * value / self.peak * 0.999))


def _samples(channel) -> list[tuple]:
    """(published_at, engagement) of the channel's own posts, each counted once."""
    from comptoir.stream.models import Item

    since = timeutil.now() - HISTORY
    items = (Item.objects.filter(workspace_id=channel.workspace_id, channel=channel, published_at__gte=since,
                                 parent_external_id="")
             .order_by("-published_at").values_list("pk", "external_id", "published_at", "engagement")[:MAX_ITEMS])
    by_external = {ext: (pk, at, eng) for pk, ext, at, eng in items}
    seen: set[int] = set()
    out = []
    # A published variant is the post as we sent it: its send time is exact, the item gives the engagement.
    sent = (Variant.objects.filter(channel=channel, state=Variant.State.SENT, post__workspace_id=channel.workspace_id)
            .exclude(remote_id="").values_list("remote_id", "sent_at")[:MAX_ITEMS])
    for remote_id, sent_at in sent:
        found = by_external.get(remote_id)
        if found is None or sent_at is None:
            continue
        pk, _at, eng = found
        seen.add(pk)
        out.append((sent_at, engagement_of(eng)))
    for pk, at, eng in by_external.values():
        if pk not in seen and at is not None:
            out.append((at, engagement_of(eng)))
    return out


def for_channel(channel, tzname: str, n: int = 3) -> ChannelTimes:
    zone = zoneinfo.ZoneInfo(tzname if timeutil.is_valid_timezone(tzname) else "UTC")
    samples = _samples(channel)
    sums = [[0.0] * 24 for _ in range(7)]
    counts = [[0] * 24 for _ in range(7)]
    for at, engagement in samples:
        local = at.astimezone(zone)
        sums[local.weekday()][local.hour] += engagement
        counts[local.weekday()][local.hour] += 1
    grid = [[(sums[d][h] / counts[d][h]) if counts[d][h] else None for h in range(24)] for d in range(7)]
    result = ChannelTimes(channel=channel, samples=len(samples), enough=len(samples) >= MIN_SAMPLE, grid=grid,
                          peak=max((v for row in grid for v in row if v is not None), default=0.0))
    if result.enough:
        slots = [Slot(d, h, counts[d][h], round(sums[d][h] / counts[d][h], 1))
                 for d in range(7) for h in range(24) if counts[d][h] >= MIN_SLOT_SAMPLE]
        slots.sort(key=lambda s: (-s.mean, -s.posts, s.weekday, s.hour))
        result.slots = slots[:max(0, min(n, 24))]
    return result


def best_slots(channel, n: int = 3) -> list[Slot]:
    """The ``n`` weekday × hour slots (workspace time zone) when this channel's posts got the most engagement;
    empty while the channel has fewer than ``MIN_SAMPLE`` posts of history."""
    return for_channel(channel, channel.workspace.time_zone, n).slots


def for_workspace(workspace) -> list[ChannelTimes]:
    """The channels a post can go out on (a feed or an inbox has no time to post at)."""
    from .posts import publishing_channels

    return [for_channel(c, workspace.time_zone) for c in publishing_channels(workspace)]
