"""In a browser: the dashboard's charts draw under our CSP, and a spike alert becomes a crisis, followed and closed."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comptoir.conftest import log_in
from comptoir.listening import alerts
from comptoir.listening.models import Alert, AlertRule, Incident, Topic
from comptoir.listening.tests import watchdata as wd

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def spiked(workspace, owner, cm):
    from comptoir.conftest import membership_of
    from comptoir.listening import incidents

    brand = wd.topic(workspace, "Les Amis du Vélo")
    rival = wd.topic(workspace, "Vélo'v Club", Topic.Kind.COMPETITOR, "#d9480f")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=4)
    items = wd.store(wd.source(workspace), wd.hourly(start, 4 * 24, lambda h, rng: 60 if h == 4 * 24 - 1 else rng.randint(2, 5)))
    wd.mention(brand, items)
    wd.mention(rival, items[::4])
    rule = AlertRule.objects.create(workspace=workspace, name="Pic sur la marque", kind="spike", topic=brand, min_mentions=10)
    assert alerts.evaluate_rule(rule.pk, now, notify=False).opened
    incidents.do_add_playbook_step(membership_of(cm, workspace), incidents.StepData(
        "call", "Appeler la présidente", "06 12 34 56 78"))
    incidents.do_add_playbook_step(membership_of(cm, workspace), incidents.StepData(
        "statement", "Déclaration d'attente", "Nous avons connaissance de la situation et revenons vers vous avant 18 h."))
    return Alert.objects.get()


def test_the_dashboard_draws_its_charts_without_breaking_the_csp(page, cm, spiked):
    log_in(page, cm)
    page.goto("/w/velo/listening/dashboard/?period=7d")
    expect(page.get_by_test_id("kpi-mentions")).to_be_visible()
    expect(page.get_by_test_id("alert-banner")).to_contain_text("Pic de mentions")
    for kind in ("volume", "sentiment", "voice", "topics"):
        canvas = page.locator(f"canvas[data-chart={kind}]")
        page.wait_for_function("c => window.Chart && window.Chart.getChart(c) !== undefined", arg=canvas.element_handle())
    page.get_by_text("Voir les chiffres en tableau").click()
    expect(page.get_by_test_id("volume-table")).to_be_visible()
    page.get_by_role("button", name="7 jours").click()
    page.select_option("select[name=topic]", label="Vélo'v Club")
    page.wait_for_url("**topic=*")
    assert "period=7d" in page.url
    assert page.console_errors == []


def test_an_alert_becomes_a_crisis_followed_and_closed_with_its_report(page, cm, spiked):
    log_in(page, cm)
    expect(page.get_by_test_id("open-alerts-count")).to_have_text("1")
    page.get_by_test_id("nav-alerts").click()
    page.get_by_test_id("alerts").get_by_role("link").first.click()
    page.get_by_role("link", name="Passer en mode crise").click()
    page.fill("#id_title", "Bad buzz sur l'atelier")
    page.get_by_role("button", name="Passer en mode crise").click()
    expect(page.get_by_test_id("incident-total")).to_have_text("60")
    page.wait_for_function("() => window.Chart && window.Chart.getChart(document.querySelector('canvas[data-chart=incident]'))")
    expect(page.get_by_test_id("statements")).to_contain_text("Nous avons connaissance de la situation")
    first = page.get_by_test_id("checklist").locator("li").first
    first.locator("input[name=note]").fill("Elle valide la déclaration")
    first.get_by_role("button", name="Fait").click()
    expect(page.get_by_test_id("checklist").locator("li").first).to_contain_text("Fait par Camille CM")
    expect(page.get_by_test_id("open-alerts-count")).to_have_count(0)
    page.get_by_test_id("close-incident").click()
    page.fill("#id_summary", "Une rumeur, démentie en deux heures.")
    page.get_by_role("button", name="Clôturer la crise").click()
    expect(page.get_by_test_id("report")).to_contain_text("Une rumeur, démentie en deux heures.")
    expect(page.get_by_test_id("report-steps")).to_contain_text("Pas fait")
    assert Incident.objects.get().status == "closed"
    assert page.console_errors == []
