"""Moderation's journey, as the issue tells it, in Chromium against a real local Mastodon peer (mastodon_mock): an
insulting reply arrives and is held by a default rule; a moderator warns its author citing article 3; the author's
second offence makes the sanction panel propose a mute; the mute is carried out on the peer; the author appeals
through the link of the message they received; another moderator lifts the mute, and the peer unmutes."""

import re

import pytest
from playwright.sync_api import expect

from comptoir.conftest import log_in
from comptoir.moderation import rules
from comptoir.moderation.models import AutoAction, Case, Sanction
from comptoir.publishing.tests.delivery_fixtures import statuses_of
from comptoir.stream.actions import source_for_channel
from comptoir.stream.models import Item
from comptoir.stream.tasks import analyse_items, poll_source
from comptoir.workspaces.models import Channel

from .sanction_world import publish_charter

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.django_db(transaction=True)]


def _read(channel) -> None:
    """The worker reads the channel and understanding labels what came in (the rules run on it)."""
    source = source_for_channel(channel)
    poll_source.call(source.pk)
    analyse_items.call(list(Item.objects.filter(source=source, analysed_at__isnull=True).values_list("pk", flat=True)))


def _muted(masto, bob_id) -> bool:
    [relationship] = masto.client("alice").account_relationships(bob_id)
    return bool(relationship["muting"])


def test_an_insult_is_held_warned_then_muted_on_the_peer_appealed_and_lifted_by_another_moderator(
        browser, live_server, workspace, moderator, cm, masto, settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = True
    publish_charter(workspace)
    channel = Channel(workspace=workspace, network="mastodon", handle="@alice@127.0.0.1", label="Mastodon @alice",
                      config={"server": masto.base_url})
    channel.credentials = {"access_token": "alice_token"}
    channel.save()
    rules.ensure_default_rules(workspace)
    bob = masto.client("bob")
    bob_id = str(bob.me()["id"])

    def context(user=None):
        page = browser.new_context(base_url=live_server.url, locale="fr-FR",
                                   viewport={"width": 1280, "height": 900}).new_page()
        if user is not None:
            log_in(page, user)
        return page

    # 1. An insulting reply arrives from the peer: a default rule holds it (Mastodon cannot hide a member's reply:
    #    the hold is listed to do by hand) and it waits in the review queue.
    first = bob.status_post("@alice Bande d'abrutis, votre atelier est une arnaque")
    _read(channel)
    case = Case.objects.get(item__external_id=str(first["id"]))
    assert case.status == "open" and case.reasons
    assert AutoAction.objects.filter(case=case, action="hold").exists()

    # 2. The moderator goes through the queue with the keyboard and warns, citing article 3.
    mehdi = context(moderator)
    mehdi.goto("/w/velo/moderation/queue/")
    mehdi.keyboard.press("j")
    expect(mehdi.get_by_test_id("decide-form")).to_be_visible()
    expect(mehdi.get_by_test_id("case-reason-list")).to_be_visible()
    mehdi.get_by_test_id("article-3").check()
    mehdi.keyboard.press("w")
    expect(mehdi.get_by_test_id("queue-empty")).to_be_visible()
    warning = Sanction.objects.get()
    assert (warning.kind, warning.articles, warning.decided_by) == ("warning", [3], moderator)
    told = [s for s in statuses_of(masto, "alice") if str(s.get("in_reply_to_id")) == str(first["id"])]
    assert told and "Article 3" in told[0]["content"]

    # 3. A second offence: the sanction panel proposes the next step of the ladder, a mute, carried out on the peer.
    second = bob.status_post("@alice Toujours aussi abrutis, franchement")
    _read(channel)
    mehdi.goto("/w/velo/moderation/queue/")
    mehdi.keyboard.press("j")
    step = mehdi.get_by_test_id("sanction-step")
    expect(step.locator("option:checked")).to_have_text(re.compile("muet|Mute|sourdine|Silence", re.I))
    mehdi.get_by_test_id("sanction-panel").locator("input[name=articles][value='3']").check()
    mehdi.get_by_test_id("sanction-reason").fill("Récidive après un avertissement.")
    with mehdi.expect_navigation():
        mehdi.get_by_test_id("sanction-apply").click()
    mute = Sanction.objects.get(kind="mute")
    assert mute.case.item.external_id == str(second["id"]) and mute.decided_by == moderator
    assert _muted(masto, bob_id)
    assert [(x.action, x.state) for x in mute.executions.all()] == [("mute", "done")]

    # 4. The author appeals through the link of the message they received on the network.
    message = next(s for s in statuses_of(masto, "alice") if str(s.get("in_reply_to_id")) == str(second["id"]))
    link = re.search(r"/appel/[\w-]+/", message["content"])
    assert link and "Article 3" in message["content"], message["content"]
    author = context()
    author.goto(link.group(0))
    author.get_by_test_id("appeal-text").fill("Je m'excuse, je me suis emporté. Cela ne se reproduira pas.")
    author.get_by_test_id("appeal-send").click()
    expect(author.get_by_test_id("appeal-thanks")).to_be_visible()

    # 5. The moderator who decided cannot judge the appeal; another moderator lifts the mute, and the peer unmutes.
    mehdi.goto("/w/velo/moderation/appeals/")
    expect(mehdi.get_by_test_id("appeal-own")).to_be_visible()
    camille = context(cm)
    camille.goto("/w/velo/moderation/appeals/")
    form = camille.get_by_test_id("appeal-form")
    form.locator("input[name=decision][value=lifted]").check()
    form.get_by_test_id("appeal-reason").fill("Excuses sincères, première récidive : la sourdine est levée.")
    form.get_by_test_id("appeal-decide").click()
    expect(camille.get_by_test_id("appeals-decided")).to_contain_text("Excuses sincères")
    mute.refresh_from_db()
    assert mute.status == "lifted" and mute.lifted_by == cm
    assert not _muted(masto, bob_id)
