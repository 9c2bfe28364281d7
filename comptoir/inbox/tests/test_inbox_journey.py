"""The inbox's journey, as the issue tells it, in Chromium against real local peers: a Mastodon mention (mastodon_mock)
and an e-mail (dovecot) arrive; the membership request is routed by a rule the CM wrote to the membership team; the
team's expert drafts an answer; the CM approves it and it appears on the Mastodon peer under the member's message; the
conversation is closed, the satisfaction question goes out on the network and the member's answer is recorded."""

import re

import pytest
from playwright.sync_api import expect

from comptoir.conftest import log_in, membership_of
from comptoir.connectors.email.tests.conftest import (  # noqa: F401 (fixtures)
    account,
    imap_server,
    mailbox,
    smtp,
    smtp_server,
)
from comptoir.inbox import replies, teams
from comptoir.inbox.models import Conversation, InboxSettings, Reply, Satisfaction
from comptoir.publishing.tests.delivery_fixtures import statuses_of
from comptoir.stream.actions import source_for_channel
from comptoir.stream.models import Item
from comptoir.stream.tasks import analyse_items, poll_source
from comptoir.workspaces.models import Channel

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.django_db(transaction=True)]

MAIL = (b"From: Lea Martin <lea@adherents.test>\r\nTo: contact@velo.test\r\nSubject: Horaires de l'atelier\r\n"
        b"Message-ID: <horaires-1@adherents.test>\r\nDate: Sat, 05 Dec 2026 09:00:00 +0100\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour, l'atelier est-il ouvert le dimanche ?\r\n")


def _read(channel) -> None:
    """What the worker does when the clock says a channel is due: read it, then understand what came in."""
    source = source_for_channel(channel)
    poll_source.call(source.pk)
    analyse_items.call(list(Item.objects.filter(source=source, analysed_at__isnull=True).values_list("pk", flat=True)))


def _send_queued() -> list[str]:
    return [replies.send_reply.call(pk) for pk in Reply.objects.filter(state="queued").values_list("pk", flat=True)]


def test_a_membership_request_is_routed_drafted_by_the_expert_sent_by_the_cm_and_rated(
        browser, live_server, workspace, cm, contributor, masto, account, settings):  # noqa: F811
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = True
    mastodon = Channel(workspace=workspace, network="mastodon", handle="@alice@127.0.0.1", label="Mastodon @alice",
                       config={"server": masto.base_url})
    mastodon.credentials = {"access_token": "alice_token"}
    mastodon.save()
    mail = Channel(workspace=workspace, network="email", handle=account.user, label="Contact", config=account.config)
    mail.credentials = {"password": account.password}
    mail.save()
    manager = membership_of(cm, workspace)
    team = teams.do_save_team(manager, {"name": "Adhésions", "working_hours": teams.DEFAULT_HOURS})
    teams.do_add_member(manager, team, contributor.pk)
    InboxSettings.objects.update_or_create(workspace=workspace, defaults={"csat_enabled": True})

    def context(user):
        ctx = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        log_in(page, user)
        return page

    # 1. The CM writes the rule, as a person fills the form.
    camille = context(cm)
    camille.goto("/w/velo/inbox/rules/add/")
    camille.fill("#id_name", "Demandes d'adhésion")
    camille.fill("#id_query", "adhérer OR adhésion OR adhérent*")
    camille.select_option("#id_team", str(team.pk))
    camille.locator("form button[type=submit], form button:not([type])").filter(has_text=re.compile("Créer|Create")).click()
    expect(camille.get_by_test_id("rule-row")).to_have_count(1)

    # 2. A member mentions the association on Mastodon; another writes an e-mail. The worker reads both channels.
    status = masto.client("bob").status_post("@alice Bonjour, je voudrais adhérer à l'association, comment faire ?")
    account.append(MAIL)
    _read(mastodon)
    _read(mail)
    request = Conversation.objects.get(channel=mastodon)
    question = Conversation.objects.get(channel=mail)
    assert request.team == team and question.team is None
    assert "Demandes d'adhésion" in request.events.get(kind="team").rule_name

    camille.goto("/w/velo/inbox/")
    rows = camille.get_by_test_id("inbox-rows")
    expect(rows).to_contain_text("adhérer")
    expect(rows).to_contain_text("Horaires de l'atelier")

    # 3. The expert sees what is routed to them, and drafts the answer.
    paul = context(contributor)
    paul.goto("/w/velo/inbox/")
    expect(paul.get_by_test_id("inbox-rows").locator("li")).to_have_count(1)
    paul.goto(f"/w/velo/inbox/c/{request.pk}/")
    expect(paul.get_by_test_id("review-notice")).to_be_visible()
    paul.get_by_test_id("reply-text").fill("Bonjour ! L'adhésion se fait en ligne sur velo.test/adherer, 20 € par an.")
    paul.get_by_test_id("send-reply").click()
    draft_line = paul.get_by_test_id("timeline").get_by_test_id("reply")
    expect(draft_line).to_have_attribute("data-state", "draft")
    draft = Reply.objects.get(conversation=request)
    assert draft.state == "draft" and draft.author == contributor

    # 4. The CM reads the draft, approves it; the worker sends it; it is on the peer, under the member's message.
    camille.goto(f"/w/velo/inbox/c/{request.pk}/")
    line = camille.get_by_test_id("timeline").get_by_test_id("reply")
    expect(line).to_have_attribute("data-state", "draft")
    line.get_by_test_id("approve-draft").click()
    expect(camille.get_by_test_id("timeline").get_by_test_id("reply").first).to_have_attribute("data-state", "queued")
    assert _send_queued() == ["sent"]
    draft.refresh_from_db()
    assert draft.state == "sent" and draft.approved_by == cm
    sent = next(s for s in statuses_of(masto, "alice") if str(s["id"]) == draft.remote_id)
    assert str(sent["in_reply_to_id"]) == str(status["id"]) and "velo.test/adherer" in sent["content"]
    camille.reload()
    expect(camille.get_by_test_id("timeline").get_by_test_id("reply").first).to_have_attribute("data-state", "sent")

    # 5. The CM closes it: the satisfaction question goes out on Mastodon with its private link; the member answers.
    camille.get_by_test_id("close").click()
    expect(camille.get_by_test_id("conversation-status")).to_have_text(re.compile("Fermée|Closed"))
    assert _send_queued() == ["sent"]
    asked = Reply.objects.get(conversation=request, purpose="csat")
    content = next(s for s in statuses_of(masto, "alice") if str(s["id"]) == asked.remote_id)["content"]
    link = re.search(r"/s/[\w-]+/", content)
    assert link, content
    member = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    member.goto(link.group(0))
    member.get_by_test_id("score-4").click()
    member.get_by_test_id("csat-comment").fill("Réponse rapide, merci !")
    member.get_by_test_id("csat-send").click()
    expect(member.get_by_test_id("csat-thanks")).to_be_visible()
    answer = Satisfaction.objects.get(conversation=request)
    assert answer.score == 4 and answer.team == team and answer.comment == "Réponse rapide, merci !"
    request.refresh_from_db()
    assert request.status == "closed" and request.first_replied_at is not None
