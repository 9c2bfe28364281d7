"""The post editor in Chromium: a community manager writes a post for two channels and watches each network's
counter, which turns red when the text goes over that network's limit."""

import re

import pytest
from playwright.sync_api import expect

from comptoir.conftest import log_in
from comptoir.publishing.models import Post
from comptoir.workspaces.models import Channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cm_writes_for_two_channels_and_sees_a_counter_turn_red_over_the_limit(page, cm, workspace):
    Channel.objects.create(workspace=workspace, network="mastodon", handle="@velo@masto.example", label="Mastodon @velo")
    Channel.objects.create(workspace=workspace, network="bluesky", handle="velo.bsky.example", label="Bluesky velo")
    log_in(page, cm)
    page.goto("/w/velo/publishing/posts/")
    expect(page.get_by_test_id("posts-empty")).to_be_visible()
    page.get_by_test_id("new-post-empty").click()

    page.get_by_test_id("master-text").fill("Vélorution samedi 14h place Bellecour : venez nombreux !")
    page.get_by_test_id("channel-mastodon").check()
    page.get_by_test_id("channel-bluesky").check()
    expect(page.get_by_test_id("counter-mastodon")).to_have_text("56 / 500")
    expect(page.get_by_test_id("counter-bluesky")).to_have_text("56 / 300")
    expect(page.get_by_test_id("counter-bluesky")).to_have_attribute("data-over", "no")

    # Bluesky gets its own, longer version (316 characters once its trailing space is trimmed, as Bluesky does): over
    # its 300 characters the counter goes red, Mastodon's stays green.
    page.get_by_test_id("text-bluesky").fill("Vélorution ! " + "On roule ensemble. " * 16)
    counter = page.get_by_test_id("counter-bluesky")
    expect(counter).to_have_text("316 / 300")
    expect(counter).to_have_attribute("data-over", "yes")
    expect(counter).to_have_class(re.compile("cpt-chip-error"))
    expect(page.get_by_test_id("counter-mastodon")).to_have_attribute("data-over", "no")
    expect(page.get_by_test_id("problems-bluesky")).to_contain_text("316")

    # Tagged at the end, the Mastodon counter stays green; Bluesky offers to drop the trailing hashtags.
    page.get_by_test_id("text-bluesky").fill("Vélorution ! " + "On roule ensemble. " * 14
                                             + "#velo #lyon #velorution #mobilitedouce #bellecour")
    expect(counter).to_have_text("328 / 300")
    shortenings = page.get_by_test_id("shortenings-bluesky")
    expect(shortenings).to_contain_text("278")
    shortenings.get_by_role("button").last.click()
    expect(counter).to_have_text("278 / 300")
    expect(counter).to_have_attribute("data-over", "no")

    page.get_by_test_id("save-post").click()
    expect(page.get_by_test_id("post-status")).to_be_visible()
    post = Post.objects.get()
    assert sorted(post.variants.values_list("network", flat=True)) == ["bluesky", "mastodon"]
    expect(page.get_by_test_id("preflight-ok")).to_be_visible()
    assert post.variants.get(network="bluesky").text.endswith("On roule ensemble.")
    assert page.console_errors == []


def test_a_cm_makes_a_post_evergreen_with_rotating_texts(page, cm, workspace):
    Channel.objects.create(workspace=workspace, network="mastodon", handle="@velo@masto.example", label="Mastodon @velo")
    log_in(page, cm)
    page.goto("/w/velo/publishing/posts/new/")
    page.get_by_test_id("master-text").fill("Atelier réparation samedi 10h : venez avec votre vélo !")
    page.get_by_test_id("channel-mastodon").check()
    page.get_by_test_id("publish-at").fill("2031-03-15T10:00")
    fields = page.get_by_test_id("repeat-fields")
    fields.locator("[name=repeat_every_weeks]").fill("53")
    page.get_by_test_id("variant-mastodon").locator("textarea[name^=alternates_]").fill("Deuxième texte\n---\nTroisième")
    page.get_by_test_id("save-post").click()
    # Refused next to the field, nothing typed lost.
    expect(fields.locator(".invalid-feedback")).to_be_visible()
    expect(page.get_by_test_id("variant-mastodon").locator("textarea[name^=alternates_]")).to_have_value(
        "Deuxième texte\n---\nTroisième")
    fields.locator("[name=repeat_every_weeks]").fill("2")
    fields.locator("[name=repeat_until]").fill("2031-06-30")
    page.get_by_test_id("save-post").click()
    expect(page.get_by_test_id("series")).to_be_visible()
    expect(page.get_by_test_id("repeats")).to_contain_text("2")
    post = Post.objects.get()
    assert (post.repeat_every_weeks, str(post.repeat_until)) == (2, "2031-06-30")
    assert post.variants.get().alternates == ["Deuxième texte", "Troisième"]
