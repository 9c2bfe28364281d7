"""Every page of the sidebar fits a phone: nothing wider than 390 px, whatever it shows."""


import pytest
from django.utils import timezone

from comptoir.conftest import log_in, membership_of
from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.stream import actions as stream_actions
from comptoir.stream.ingest import store_fetched
from comptoir.workspaces import actions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "Unmotsanscoupuretrèstrèslongquidéborderaitdelécransionnelecoupaitpas" * 3


@pytest.fixture
def busy_workspace(workspace, owner, cm):
    member = membership_of(cm, workspace)
    actions.do_connect_channel(member, network="webhook", handle="Formulaire de contact du site " + LONG[:40],
                               config={"name": "Formulaire"}, credentials={"secret": "s" * 40})
    feed = stream_actions.do_add_source(member, network="rss", label="Le Progrès " + LONG[:60],
                                        config={"url": "https://www.leprogres.fr/" + LONG})
    store_fetched(feed, [FetchedItem(external_id=f"a{n}", kind=ItemKind.ARTICLE, title=LONG, text=LONG + " https://x.example/" + LONG,
                                     author=Author("rss", LONG[:80]), published_at=timezone.now()) for n in range(3)])
    actions.do_invite(membership_of(owner, workspace), "quelqu.un.avec.une.adresse.tres.longue@association.example", "analyst")
    # A topic of watch whose name, description and queries do not break either, and its mentions.
    from comptoir.listening import actions as listening_actions
    from comptoir.listening import tasks as listening_tasks

    listening_actions.do_create_topic(member, name="Veille " + LONG[:80], kind="competitor", color="#2f6fdf",
                                      description=LONG, queries=[LONG, f'"{LONG[:60]}" OR #{LONG[:50]}'])
    listening_tasks.match_items.call(list(feed.items.values_list("pk", flat=True)))
    return workspace


def test_no_page_of_the_sidebar_is_wider_than_a_phone(page, owner, busy_workspace):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, owner)
    links = page.locator(".cpt-sidebar .cpt-nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    topic = busy_workspace.topics.get()
    links += ["/account/", f"/w/{busy_workspace.slug}/stream/?item=1", f"/w/{busy_workspace.slug}/channels/connect/webhook/",
              f"/w/{busy_workspace.slug}/listening/topics/{topic.pk}/", f"/w/{busy_workspace.slug}/listening/topics/add/",
              f"/w/{busy_workspace.slug}/listening/?topic={topic.pk}&item={topic.mentions.first().item_id}"]
    assert len(links) >= 8, links
    wide = {}
    for href in links:
        page.goto(href)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            culprits = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => {
                const r = e.getBoundingClientRect(); return r.right > 392 && getComputedStyle(e).position !== 'fixed'
                  && !e.closest('.table-responsive, .cpt-sidebar, .dropdown-menu');
              }).slice(0, 4).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 40))""")
            wide[href] = (width, culprits)
    assert not wide, f"pages wider than the phone: {wide}"
