"""The issue's acceptance journey, in Chromium, as people click and type it: a contributor asks for a post, the
community manager writes it for two channels and sends it for approval, the approver approves, the clock and the
worker publish it on two real local peers (Mastodon through mastodon_mock, Matrix through a real Synapse), and the
calendar, the board and the contributor's requests show it published with links to the remote posts.

Only the fixtures are made through the models (the two channels, the workspace's single approval stage); every step
of the journey goes through the pages. The clock's claim and the delivery task run in-process (as the delivery
tests run them), a few minutes ahead thanks to time_machine: the network calls really reach the peers."""

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.utils import translation
from playwright.sync_api import expect

from comptoir.conftest import log_in
from comptoir.publishing.models import ApprovalStage, ContentRequest, Post, Variant

from . import test_delivery_networks as networks
from .delivery_fixtures import *  # noqa: F403 - the Mastodon peer's fixtures
from .delivery_fixtures import mastodon_channel, run_due, statuses_of
from .test_delivery_networks import matrix_channel, room_texts

synapse_peer, room = networks.synapse_peer, networks.room  # the real Synapse and a fresh room of the delivery tests

pytestmark = [pytest.mark.browser, pytest.mark.peers, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MASTODON_TEXT = "Atelier réparation samedi 10 h au local : apportez votre vélo, on le répare ensemble ! #velo"
MATRIX_TEXT = "Bonjour à toutes et à tous : atelier réparation ce samedi à 10 h au local, venez avec votre vélo."
SCREENSHOTS = "/tmp/journey-{}.png"


def test_a_request_becomes_a_post_approved_and_published_on_two_peers(
        page, workspace, owner, cm, contributor, masto, synapse_peer, room, django_capture_on_commit_callbacks):
    # Fixtures: the workspace's two channels on the local peers, and its single approval stage (the owner decides).
    matrix_account, room_id = room
    mastodon = mastodon_channel(workspace, masto)
    mastodon.label = "Mastodon des Amis"
    mastodon.save()
    matrix = matrix_channel(workspace, synapse_peer.url, matrix_account, room_id)
    matrix.label = "Salon Matrix des Amis"
    matrix.save()
    stage = ApprovalStage.objects.create(workspace=workspace, name="Direction de la communication")
    stage.approvers.add(owner)

    # 1. The contributor submits a content request through the form.
    log_in(page, contributor)
    page.get_by_test_id("nav-my-requests").click()
    page.get_by_test_id("new-request").click()
    page.fill("#id_title", "Atelier réparation de samedi")
    page.select_option("#id_goal", "engagement")
    page.fill("#id_key_message", "Apprenez à réparer votre vélo, gratuit, samedi 10 h.")
    deadline = dt.datetime.now(zoneinfo.ZoneInfo(contributor.time_zone)) + dt.timedelta(days=5)
    page.fill("#id_deadline", deadline.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Mastodon des Amis").check()
    page.get_by_label("Salon Matrix des Amis").check()
    page.get_by_test_id("submit-request").click()
    expect(page).to_have_url(re.compile(r"/w/velo/publishing/requests/\d+/$"))
    content_request = ContentRequest.objects.get()
    assert set(content_request.channels.all()) == {mastodon, matrix}

    # 2. The community manager finds it on the board, creates the post from it, adapts the text for each channel,
    # sets a publication date a few minutes ahead and sends it for approval.
    page.context.clear_cookies()
    log_in(page, cm)
    page.get_by_test_id("nav-board").click()
    card = page.get_by_test_id("column-new").get_by_test_id("card").filter(has_text="Atelier réparation de samedi")
    expect(card).to_be_visible()
    card.get_by_role("link", name="Atelier réparation de samedi").click()
    page.get_by_test_id("create-post").click()
    expect(page).to_have_url(re.compile(r"/w/velo/publishing/posts/\d+/$"))
    post = Post.objects.get()
    expect(page.get_by_test_id("channel-mastodon")).to_be_checked()
    expect(page.get_by_test_id("channel-matrix")).to_be_checked()
    expect(page.get_by_test_id("master-text")).to_have_value("Apprenez à réparer votre vélo, gratuit, samedi 10 h.")
    page.get_by_test_id("master-text").fill("Atelier réparation samedi 10 h au local : venez avec votre vélo !")
    page.get_by_test_id("text-mastodon").fill(MASTODON_TEXT)
    page.get_by_test_id("text-matrix").fill(MATRIX_TEXT)
    publish_at = (dt.datetime.now(zoneinfo.ZoneInfo(cm.time_zone)) + dt.timedelta(minutes=10)).replace(
        second=0, microsecond=0)
    page.get_by_test_id("publish-at").fill(publish_at.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("save-post").click()
    expect(page.get_by_test_id("post-status")).to_be_visible()
    expect(page.get_by_test_id("form-errors")).to_have_count(0)
    expect(page.get_by_test_id("schedule-post")).to_have_count(0)  # approval first
    page.get_by_test_id("approval").get_by_test_id("submit-approval").click()
    expect(page.get_by_test_id("approval-status")).to_contain_text("Direction de la communication")
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW and post.publish_at == publish_at
    assert {v.network: v.text for v in post.variants.all()} == {"mastodon": MASTODON_TEXT, "matrix": MATRIX_TEXT}

    # 3. The approver, another member, opens "to approve" and approves: the post is scheduled.
    page.context.clear_cookies()
    log_in(page, owner)
    page.get_by_test_id("bell-toggle").click()  # told in the app (and by e-mail)
    expect(page.get_by_test_id("bell-items")).to_contain_text("Atelier réparation de samedi")
    page.locator(".cpt-sidebar a[href$='/publishing/approvals/']").click()
    awaiting = page.get_by_test_id("awaiting-post").filter(has_text="Atelier réparation de samedi")
    expect(awaiting).to_be_visible()
    awaiting.get_by_test_id("approve").click()
    expect(page.get_by_test_id("awaiting-empty")).to_be_visible()
    expect(page.locator(".alert-success")).to_contain_text(publish_at.strftime("%H:%M"))  # told when it goes out
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert set(post.variants.values_list("state", flat=True)) == {Variant.State.SCHEDULED}

    # 4. At its time, the clock claims both versions and the worker publishes them, once each, on the real peers.
    # (The room is new and empty; reading it now would not do: Synapse answers the same first sync from a cache.)
    assert statuses_of(masto) == []
    with time_machine.travel(publish_at + dt.timedelta(seconds=20), tick=True):
        assert run_due(django_capture_on_commit_callbacks) == [{"sent": 2}]
        assert run_due(django_capture_on_commit_callbacks) == []
    published = statuses_of(masto)
    assert len(published) == 1 and "on le répare ensemble" in published[0]["content"]
    assert room_texts(synapse_peer, matrix_account, room_id) == [MATRIX_TEXT]
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    remote = {v.network: v.remote_url for v in post.variants.all()}
    assert remote["mastodon"] and remote["matrix"].startswith("https://matrix.to/#/")
    assert published[0]["id"] == post.variants.get(network="mastodon").remote_id
    assert remote["mastodon"] == published[0]["url"]  # the links below lead to the posts the peers hold
    assert remote["matrix"].endswith(post.variants.get(network="matrix").remote_id.split("/")[-1])

    # 5. The CM's calendar shows it published, with a link to each remote post; the post page too; the request is
    # published on the board and for the contributor.
    page.context.clear_cookies()
    log_in(page, cm)
    page.get_by_test_id("nav-calendar").click()
    entry = page.get_by_test_id(f"post-{post.pk}")
    expect(entry).to_have_class(re.compile(r"\bis-published\b"))
    links = entry.get_by_test_id("remote-link")
    expect(links).to_have_count(2)
    assert sorted(links.evaluate_all("els => els.map(e => e.getAttribute('href'))")) == sorted(remote.values())
    page.screenshot(path=SCREENSHOTS.format("calendar"), full_page=True)

    entry.get_by_role("link", name=re.compile("Atelier réparation de samedi")).click()
    expect(page).to_have_url(re.compile(rf"/w/velo/publishing/posts/{post.pk}/$"))
    delivered = page.get_by_test_id("delivery").get_by_test_id("delivery-link")
    expect(delivered).to_have_count(2)
    assert sorted(delivered.evaluate_all("els => els.map(e => e.getAttribute('href'))")) == sorted(remote.values())
    expect(page.locator("#id_request")).to_have_value(str(content_request.pk))  # still the request's post
    page.screenshot(path=SCREENSHOTS.format("post"), full_page=True)

    page.get_by_test_id("nav-board").click()
    expect(page.get_by_test_id("column-published").get_by_test_id("card")
           .filter(has_text="Atelier réparation de samedi")).to_be_visible()

    page.context.clear_cookies()
    log_in(page, contributor)
    with translation.override("fr"):  # the contributor reads French
        published_label = str(ContentRequest.Status.PUBLISHED.label)
    page.get_by_test_id("nav-my-requests").click()
    row = page.get_by_test_id("my-requests").locator("tr").filter(has_text="Atelier réparation de samedi")
    expect(row.get_by_test_id("request-status")).to_have_text(published_label)
    # Told of it: the bell's note opens the request, published.
    page.get_by_test_id("bell-toggle").click()
    page.get_by_test_id("bell-items").get_by_role("link").filter(has_text=published_label).first.click()
    expect(page).to_have_url(re.compile(rf"/w/velo/publishing/requests/{content_request.pk}/$"))
    expect(page.get_by_test_id("request-status")).to_have_text(published_label)
    shared = page.get_by_test_id("published-links").get_by_role("link")  # where to find (and share) it
    expect(shared).to_have_count(2)
    assert sorted(shared.evaluate_all("els => els.map(e => e.getAttribute('href'))")) == sorted(remote.values())
    content_request.refresh_from_db()
    assert content_request.status == ContentRequest.Status.PUBLISHED
    assert page.console_errors == []
