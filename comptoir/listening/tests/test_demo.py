"""The listening demo: topics and a month of mentions in both demo workspaces, with one bad buzz, made once."""

from collections import Counter
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from comptoir import demo
from comptoir.listening.demo import DAYS, SOURCE_LABEL
from comptoir.listening.models import Mention, Topic
from comptoir.stream.models import Item
from comptoir.workspaces.models import AuditEvent


def test_both_demo_workspaces_watch_their_brand_competitors_and_themes_over_a_month(db):
    demo.create()
    now = timezone.now()
    for slug, brand in (("velo-lyon", "Les Amis du Vélo Lyonnais"), ("maison-lumiere", "Maison Lumière")):
        topics = Topic.objects.filter(workspace__slug=slug)
        assert set(topics.values_list("kind", flat=True)) == {"brand", "competitor", "theme"}
        assert topics.get(name=brand).queries.exists()
        items = Item.objects.filter(workspace__slug=slug, source__label=SOURCE_LABEL)
        assert 300 <= items.count() <= 600
        texts = Counter(items.values_list("text", flat=True))
        assert texts.most_common(1)[0][1] <= 3  # varied: no sentence said again and again
        assert items.filter(language="en").count() >= 20 and items.values("author").distinct().count() >= 20
        days = {d.date() for d in items.values_list("published_at", flat=True)}
        assert len(days) >= DAYS - 1 and min(items.values_list("published_at", flat=True)) > now - timedelta(days=DAYS + 1)
        assert items.exclude(url="").values("url").count() == items.count() and max(
            items.values_list("published_at", flat=True)) <= now
        mentions = Mention.objects.filter(workspace__slug=slug)
        assert mentions.count() >= 250 and mentions.filter(reach__gte=10_000).exists()
        # One bad buzz: the busiest day of the brand holds many mentions, most of them negative.
        per_day = Counter(m.date() for m in mentions.filter(topic__name=brand).values_list("published_at", flat=True))
        (day, peak), (_second, usual) = per_day.most_common(2)
        assert peak >= 4 * usual and now.date() - timedelta(days=6) <= day < now.date()
        spike = mentions.filter(topic__name=brand, published_at__date=day)
        assert spike.filter(sentiment="negative").count() > spike.count() / 2
    assert AuditEvent.objects.filter(action="topic.create").count() == Topic.objects.count()


def test_the_listening_demo_is_made_once(db):
    demo.create()
    counts = dict(Topic.objects.values_list("workspace__slug").annotate(n=Count("pk")))
    mentions = Mention.objects.count()
    from comptoir.listening.demo import add_demo

    assert add_demo() == 0
    assert dict(Topic.objects.values_list("workspace__slug").annotate(n=Count("pk"))) == counts
    assert Mention.objects.count() == mentions
