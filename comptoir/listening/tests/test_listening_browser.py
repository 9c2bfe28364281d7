"""Listening in Chromium, as a community manager does it: create a topic with a query, see its mentions, open the
dashboard; and the mentions on a phone."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comptoir.conftest import log_in
from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.listening.models import Mention, Topic
from comptoir.stream.ingest import store_fetched
from comptoir.stream.models import Source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = [
    ("Bravo aux Amis du Vélo pour la vélorution de samedi, super ambiance !", 1200),
    ("Les Amis du Vélo ouvrent un nouvel atelier de réparation à Gerland #amisduvelo", 85_000),
    ("Le parking vélo de la gare Part-Dieu est encore saturé ce matin.", 40),
    ("Nouvelle boulangerie à la Croix-Rousse, les croissants sont top.", 15),
    ("Encore une fois déçu par les Amis du Vélo : atelier fermé sans prévenir.", 300),
]


@pytest.fixture
def fil(workspace):
    source = Source.objects.create(workspace=workspace, network="mastodon", label="Mastodon @velo")
    now = timezone.now()
    store_fetched(source, [FetchedItem(external_id=f"m{n}", kind=ItemKind.POST, text=text, language="fr",
                                       url=f"https://masto.example/@p{n}/{n}", author=Author("mastodon", f"membre{n}"),
                                       raw={"account": {"followers_count": followers}},
                                       published_at=now - timezone.timedelta(hours=n))
                           for n, (text, followers) in enumerate(TEXTS)])
    return source


def _run_the_worker() -> None:
    """What `comptoir run` does in the background: the worker takes the tasks the page enqueued, then stops."""
    from comptoir.clock.worker import run_worker

    run_worker(queues="default", batch=True)


def test_a_cm_creates_a_topic_with_a_query_sees_its_mentions_and_opens_the_dashboard(page, cm, fil):
    log_in(page, cm)
    page.get_by_test_id("nav-topics").click()
    expect(page.get_by_test_id("topics-empty")).to_contain_text("Aucun sujet pour l'instant")
    page.get_by_test_id("add-topic").click()

    page.fill("#id_name", "Amis du Vélo")
    page.get_by_test_id("kinds").get_by_text("Marque").click()
    page.get_by_test_id("colors").locator("label").nth(1).click()  # the orange swatch
    page.get_by_test_id("query-0").fill('("Amis du Vélo" OR #amisduvelo')  # a parenthesis left open
    page.get_by_test_id("save-topic").click()
    expect(page.get_by_test_id("query-error")).to_have_text(re.compile(r"Colonne 1 — .*parenthèse"))
    assert not Topic.objects.exists()
    # The refused form answers 400, which Chromium notes in the console; nothing else may.
    assert [e for e in page.console_errors if "400" not in e] == []
    page.console_errors.clear()

    page.get_by_test_id("query-0").fill('("Amis du Vélo" OR #amisduvelo) NOT boulangerie')
    page.get_by_test_id("test-0").click()  # tried on the recent messages, without leaving the page
    expect(page.get_by_test_id("query-test")).to_contain_text("3 sur les 5 messages")
    expect(page.get_by_test_id("query-test")).to_contain_text("nouvel atelier de réparation")
    page.get_by_test_id("save-topic").click()

    expect(page).to_have_url(re.compile(r"/w/velo/listening/\?topic=\d+"))
    expect(page.locator(".alert-success")).to_contain_text("Sujet « Amis du Vélo » créé")
    topic = Topic.objects.get()
    assert (topic.kind, topic.color, topic.queries.get().text) == (
        "brand", Topic.COLORS[1], '("Amis du Vélo" OR #amisduvelo) NOT boulangerie')

    _run_the_worker()  # reads the workspace's messages for the new topic
    assert Mention.objects.filter(topic=topic).count() == 3
    page.reload()
    rows = page.get_by_test_id("stream-items").locator("li")
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("stream-count")).to_have_text("3 messages")
    expect(page.get_by_test_id("topic-head")).to_contain_text("Amis du Vélo")
    expect(rows.nth(1).locator("svg[aria-label='Amis du Vélo']")).to_be_visible()  # the topic's colour dot
    rows.nth(1).locator("a").click()
    expect(page.get_by_test_id("mention-topics")).to_contain_text("Amis du Vélo")
    expect(page.get_by_test_id("detail")).to_contain_text("nouvel atelier de réparation")

    page.locator(".cpt-sidebar").get_by_text("Tableau de bord").click()
    expect(page).to_have_url(re.compile(r"/w/velo/listening/dashboard/"))
    expect(page.get_by_test_id("kpi-mentions")).to_contain_text("3")
    expect(page.get_by_test_id("topics-table")).to_contain_text("Amis du Vélo")
    assert not page.console_errors, page.console_errors


def test_the_mentions_on_a_phone_open_a_message_on_its_own_page(page, cm, fil):
    from comptoir.listening.tests.conftest import make_topic, match

    topic = make_topic(cm, cm.memberships.get().workspace, queries=['"Amis du Vélo"'])
    match(list(fil.items.all()))
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, cm)
    page.goto(f"/w/velo/listening/?topic={topic.pk}")
    rows = page.get_by_test_id("stream-items").locator("li")
    expect(rows).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    rows.first.locator("a").click()
    expect(page.get_by_test_id("mention-topics")).to_contain_text("Amis du Vélo")
    page.get_by_test_id("curate").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert topic.workspace.curations.count() == 1
    assert not page.console_errors, page.console_errors
