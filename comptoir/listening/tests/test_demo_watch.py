"""The watch's demo, on the topics' demo month: rules, the alerts its bad buzz really raises, a playbook, a closed
crisis with its retrospective and one under way, contents to share."""

import pytest
from django.utils import timezone

from comptoir import demo as project_demo
from comptoir.listening.demo_watch import add_demo_watch
from comptoir.listening.models import Alert, AlertRule, Curation, Incident, PlaybookStep


@pytest.fixture
def demo(db):
    project_demo.create()  # the workspaces, their Fil, a month of mentions with a bad buzz and its watch, as the project assembles them


def test_the_demo_watch_is_full_and_made_once(demo):
    # The project's demo made it, for both workspaces, after the month of mentions it stands on.
    now = timezone.now()
    for slug in ("velo-lyon", "maison-lumiere"):
        rules = AlertRule.objects.filter(workspace__slug=slug)
        assert sorted(rules.values_list("kind", flat=True)) == ["author", "keyword", "negative", "spike"]
        # The replay of the real evaluation finds the bad buzz of a few days ago, and nothing in the quiet weeks.
        raised = Alert.objects.filter(workspace__slug=slug)
        assert "negative" in set(raised.values_list("kind", flat=True))
        assert all(timedelta_days(now - a.started_at) in (2, 3, 4, 5) for a in raised), list(raised.values("started_at"))
        assert 4 <= PlaybookStep.objects.filter(workspace__slug=slug).count() <= 6
        closed = Incident.objects.get(workspace__slug=slug, status="closed")
        current = Incident.objects.get(workspace__slug=slug, status="open")
        assert closed.summary and closed.lessons and closed.alert is None
        assert not closed.incident_items.filter(item__published_at__gt=closed.closed_at).exists()
        assert current.alert.kind == "negative" and current.incident_items.count() >= 30
        assert current.steps.filter(done_at__isnull=False).count() == 2
        assert 4 <= Curation.objects.filter(workspace__slug=slug).count() <= 6
        assert Curation.objects.filter(workspace__slug=slug, status="drafted").exclude(draft="").exists()
    counts = [AlertRule.objects.count(), Alert.objects.count(), Incident.objects.count(), Curation.objects.count()]
    assert add_demo_watch() == 0
    assert [AlertRule.objects.count(), Alert.objects.count(), Incident.objects.count(), Curation.objects.count()] == counts


def timedelta_days(delta) -> int:
    return round(delta.total_seconds() / 86400)


def test_the_demo_pages_render(demo, client):
    from comptoir.workspaces.models import User

    client.force_login(User.objects.get(email="camille@demo.comptoir.test"))
    incident = Incident.objects.filter(workspace__slug="velo-lyon", status="closed").get()
    for url in ("/w/velo-lyon/listening/dashboard/", "/w/velo-lyon/listening/alerts/", "/w/velo-lyon/listening/incidents/",
                f"/w/velo-lyon/listening/incidents/{incident.pk}/report/", "/w/maison-lumiere/listening/curation/",
                "/w/maison-lumiere/listening/playbook/", "/w/maison-lumiere/listening/alerts/rules/"):
        assert client.get(url).status_code == 200, url
