"""The watch's demo: rules, the alerts the demo month really raises, a playbook, two crises, contents to share."""

import pytest
from django.utils import timezone

from comptoir import demo as project_demo
from comptoir.listening.demo_watch import add_demo_watch
from comptoir.listening.models import Alert, AlertRule, Curation, Incident, PlaybookStep

from .watchdata import fake_demo_topics


@pytest.fixture
def demo(db):
    project_demo.create()  # the workspaces, their team and their Fil, as the project assembles them
    fake_demo_topics()


def test_the_demo_watch_is_full_and_made_once(demo):
    assert add_demo_watch() == 2
    for slug in ("velo-lyon", "maison-lumiere"):
        rules = AlertRule.objects.filter(workspace__slug=slug)
        assert sorted(rules.values_list("kind", flat=True)) == ["author", "keyword", "negative", "spike"]
        raised = Alert.objects.filter(workspace__slug=slug)
        # The replay of the real evaluation finds the spike four days ago and the negative surge two days ago (a
        # spike of volume too), and nothing in the quiet days.
        now = timezone.now()
        days_ago = sorted((a.kind, round((now - a.started_at).total_seconds() / 86400)) for a in raised)
        assert days_ago == [("negative", 2), ("spike", 2), ("spike", 4)], days_ago
        assert 4 <= PlaybookStep.objects.filter(workspace__slug=slug).count() <= 6
        closed, current = Incident.objects.get(workspace__slug=slug, status="closed"), Incident.objects.get(
            workspace__slug=slug, status="open")
        assert closed.summary and closed.lessons and closed.alert.kind == "spike"
        assert closed.incident_items.count() >= 40 and not closed.incident_items.filter(
            item__published_at__gt=closed.closed_at).exists()
        assert current.alert.kind == "negative" and current.steps.filter(done_at__isnull=False).count() == 1
        assert 4 <= Curation.objects.filter(workspace__slug=slug).count() <= 6
        assert Curation.objects.filter(workspace__slug=slug, status="drafted").exclude(draft="").exists()
    counts = [AlertRule.objects.count(), Alert.objects.count(), Incident.objects.count(), Curation.objects.count()]
    assert add_demo_watch() == 0
    assert [AlertRule.objects.count(), Alert.objects.count(), Incident.objects.count(), Curation.objects.count()] == counts


def test_the_demo_pages_render(demo, client):
    from comptoir.workspaces.models import User

    add_demo_watch()
    client.force_login(User.objects.get(email="camille@demo.comptoir.test"))
    incident = Incident.objects.filter(workspace__slug="velo-lyon", status="closed").get()
    for url in ("/w/velo-lyon/listening/dashboard/", "/w/velo-lyon/listening/alerts/", "/w/velo-lyon/listening/incidents/",
                f"/w/velo-lyon/listening/incidents/{incident.pk}/report/", "/w/maison-lumiere/listening/curation/",
                "/w/maison-lumiere/listening/playbook/", "/w/maison-lumiere/listening/alerts/rules/"):
        assert client.get(url).status_code == 200, url
