"""Links of posts: UTM parameters, one stable tracked short link per variant, counted clicks."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse

from comptoir.publishing import links
from comptoir.publishing.models import Campaign, LinkClickDay, Post, PublishingSettings, ShortLink, Variant
from comptoir.publishing.outbound import outbound_post

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.BASE_URL = "https://comptoir.example"


def make_variant(workspace, link="https://velo.test/agenda", network="mastodon", **post_fields) -> Variant:
    post = Post.objects.create(workspace=workspace, title=post_fields.pop("title", "Fête du vélo 2027"),
                               master_text="Venez !", link=link, **post_fields)
    return Variant.objects.create(post=post, network=network)


def no_short_links(workspace):
    PublishingSettings.objects.update_or_create(workspace=workspace, defaults={"shorten_links": False})


def test_utm_parameters_are_added_after_the_existing_query_and_before_the_fragment(workspace):
    no_short_links(workspace)
    variant = make_variant(workspace, link="https://velo.test/agenda?ville=Lyon&tri=date%20desc#juin")
    assert links.outbound_link(variant) == (
        "https://velo.test/agenda?ville=Lyon&tri=date%20desc&utm_source=comptoir&utm_medium=social"
        "&utm_campaign=fete-du-velo-2027&utm_content=mastodon#juin")


def test_utm_parameters_the_link_already_has_are_kept_as_written(workspace):
    no_short_links(workspace)
    variant = make_variant(workspace, link="https://velo.test/?UTM_SOURCE=newsletter&flag")
    out = links.outbound_link(variant)
    assert out.startswith("https://velo.test/?UTM_SOURCE=newsletter&flag&utm_medium=social")
    assert "utm_source=comptoir" not in out


def test_utm_campaign_comes_from_the_post_then_its_campaign_then_its_title(workspace):
    no_short_links(workspace)
    campaign = Campaign.objects.create(workspace=workspace, name="Printemps", utm_campaign="printemps-2027")
    variant = make_variant(workspace, campaign=campaign)
    assert "utm_campaign=printemps-2027" in links.outbound_link(variant)
    variant.post.utm_campaign = "lancement"
    assert "utm_campaign=lancement" in links.outbound_link(variant)
    untitled = make_variant(workspace, title="")
    assert f"utm_campaign=post-{untitled.post.pk}" in links.outbound_link(untitled)


def test_settings_can_turn_utm_and_short_links_off(workspace):
    PublishingSettings.objects.create(workspace=workspace, add_utm=False, shorten_links=False)
    variant = make_variant(workspace)
    assert links.outbound_link(variant) == "https://velo.test/agenda"


def test_a_post_without_link_or_with_another_scheme_publishes_it_as_written(workspace):
    assert links.outbound_link(make_variant(workspace, link="")) == ""
    odd = make_variant(workspace, link="mailto:contact@velo.test")
    assert links.outbound_link(odd) == "mailto:contact@velo.test"
    assert not ShortLink.objects.exists()


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "ftp://velo.test/", "https://", "velo.test", "https://a b.test",
                                 "https://velo.test/" + "x" * 2100])
def test_check_link_accepts_only_web_addresses(bad):
    with pytest.raises(links.ValidationError) as exc:
        links.check_link(bad)
    assert "link" in exc.value.message_dict


def test_the_same_variant_always_gets_the_same_short_link(workspace):
    variant = make_variant(workspace)
    first = links.outbound_link(variant)
    assert first.startswith("https://comptoir.example/l/")
    assert links.outbound_link(variant) == first
    assert outbound_post(variant).link == first
    assert ShortLink.objects.count() == 1
    link = ShortLink.objects.get()
    assert link.target_url.endswith("utm_content=mastodon") and link.post == variant.post
    other = Variant.objects.create(post=variant.post, network="bluesky")
    assert links.outbound_link(other) != first
    assert ShortLink.objects.get(variant=other).target_url.endswith("utm_content=bluesky")


def test_the_target_follows_the_post_until_the_variant_is_sent(workspace):
    variant = make_variant(workspace)
    code = links.outbound_link(variant)
    variant.post.link = "https://velo.test/nouveau"
    assert links.outbound_link(variant) == code
    assert ShortLink.objects.get().target_url.startswith("https://velo.test/nouveau?")
    variant.state = Variant.State.SENT
    variant.post.link = "https://velo.test/encore"
    links.outbound_link(variant)
    assert ShortLink.objects.get().target_url.startswith("https://velo.test/nouveau?")


def test_a_click_redirects_and_is_counted_per_day(workspace, client):
    variant = make_variant(workspace)
    code = links.outbound_link(variant).rsplit("/", 1)[1]
    with time_machine.travel(dt.datetime(2027, 3, 1, 23, 30, tzinfo=dt.UTC)):  # already 2 March in Paris
        response = client.get(f"/l/{code}", HTTP_USER_AGENT=BROWSER)
        client.get(f"/l/{code}", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302
    assert response["Location"] == ShortLink.objects.get().target_url
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies.get("sessionid")
    link = ShortLink.objects.get()
    assert link.clicks == 2
    assert list(LinkClickDay.objects.values_list("day", "clicks")) == [(dt.date(2027, 3, 2), 2)]


@pytest.mark.parametrize("agent", ["", "Mastodon/4.3.0 (http.rb/5.2.0; +https://mastodon.social/)",
                                   "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                                   "facebookexternalhit/1.1", "curl/8.5.0", "Bluesky Cardyb/1.1", "python-requests/2.32"])
def test_robots_and_link_previews_are_not_counted(workspace, client, agent):
    code = links.outbound_link(make_variant(workspace)).rsplit("/", 1)[1]
    assert client.get(f"/l/{code}", HTTP_USER_AGENT=agent).status_code == 302
    assert ShortLink.objects.get().clicks == 0


def test_a_head_request_is_not_counted(workspace, client):
    code = links.outbound_link(make_variant(workspace)).rsplit("/", 1)[1]
    assert client.head(f"/l/{code}", HTTP_USER_AGENT=BROWSER).status_code == 302
    assert client.post(f"/l/{code}", HTTP_USER_AGENT=BROWSER).status_code == 405
    assert ShortLink.objects.get().clicks == 0 and not LinkClickDay.objects.exists()


@pytest.mark.parametrize("code", ["nope", "a" * 20, "%3Cscript%3E", "a" * 300, "x/../../admin"])
def test_an_unknown_code_is_a_404_page(db, client, code):
    response = client.get(f"/l/{code}", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 404


def test_a_stored_non_web_target_is_never_redirected_to(workspace, client):
    link = ShortLink.objects.create(workspace=workspace, target_url="javascript:alert(1)")
    assert client.get(f"/l/{link.code}", HTTP_USER_AGENT=BROWSER).status_code == 404


def test_clicks_from_the_same_day_accumulate_atomically(workspace):
    link = ShortLink.objects.create(workspace=workspace, target_url="https://velo.test/")
    stale = ShortLink.objects.get(pk=link.pk)
    for _ in range(3):
        links.count_click(stale)  # a stale object must not overwrite the count
    link.refresh_from_db()
    assert link.clicks == 3 and LinkClickDay.objects.get().clicks == 3


def test_the_links_page_shows_each_link_with_its_clicks(workspace, analyst, as_user, client):
    variant = make_variant(workspace, title="<script>alert(1)</script>")
    code = links.outbound_link(variant).rsplit("/", 1)[1]
    client.get(f"/l/{code}", HTTP_USER_AGENT=BROWSER)
    page = as_user(analyst).get(reverse("publishing_links", args=["velo"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"https://comptoir.example/l/{code}" in html and 'id="clicks-data"' in html
    assert "<script>alert(1)</script>" not in html
    detail = as_user(analyst).get(reverse("publishing_link", args=["velo", ShortLink.objects.get().pk]))
    assert detail.status_code == 200 and 'data-testid="clicks-table"' in detail.content.decode()


def test_the_csv_export_neutralises_formulas(workspace, cm, as_user):
    no_short_links(workspace)
    PublishingSettings.objects.filter(workspace=workspace).update(shorten_links=True)
    variant = make_variant(workspace, title="=HYPERLINK(\"http://evil.test\")")
    links.outbound_link(variant)
    response = as_user(cm).get(reverse("publishing_links_export", args=["velo"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2 and rows[1][2].startswith("'=HYPERLINK")


def test_links_pages_are_for_members_who_see_publishing(workspace, other_workspace, cm, contributor, outsider, as_user):
    variant = make_variant(workspace)
    links.outbound_link(variant)
    link = ShortLink.objects.get()
    for name, args in [("publishing_links", ["velo"]), ("publishing_links_export", ["velo"]),
                       ("publishing_link", ["velo", link.pk])]:
        assert as_user(outsider).get(reverse(name, args=args)).status_code == 404
        assert as_user(contributor).get(reverse(name, args=args)).status_code == 403
    # Another workspace's link id through the outsider's own workspace.
    assert as_user(outsider).get(reverse("publishing_link", args=["autre", link.pk])).status_code == 404


def test_a_manager_changes_the_link_settings_and_they_apply_to_the_next_links(workspace, cm, as_user):
    client = as_user(cm)
    response = client.post(reverse("publishing_link_settings", args=["velo"]),
                           {"add_utm": "on", "utm_source": "amis-du-velo", "utm_medium": "reseaux"})
    assert response.status_code == 302
    prefs = PublishingSettings.objects.get(workspace=workspace)
    assert (prefs.add_utm, prefs.utm_source, prefs.utm_medium, prefs.shorten_links) == (True, "amis-du-velo", "reseaux", False)
    out = links.outbound_link(make_variant(workspace))
    assert "utm_source=amis-du-velo&utm_medium=reseaux" in out and "/l/" not in out


@pytest.mark.parametrize("value", ["<script>", "a b", "x" * 81, "é&z=1", "utm=1"])
def test_bad_utm_values_are_refused_naming_the_field(workspace, cm, as_user, value):
    response = as_user(cm).post(reverse("publishing_link_settings", args=["velo"]),
                                {"add_utm": "on", "utm_source": value, "shorten_links": "on"})
    assert response.status_code == 400
    assert 'id="id_utm_source"' in response.content.decode() and "is-invalid" in response.content.decode() or \
        "invalid-feedback" in response.content.decode()
    assert not PublishingSettings.objects.filter(workspace=workspace).exists()


def test_only_managers_change_link_settings(workspace, analyst, outsider, as_user):
    url = reverse("publishing_link_settings", args=["velo"])
    assert as_user(analyst).post(url, {"utm_source": "x"}).status_code == 403
    assert as_user(outsider).post(url, {"utm_source": "x"}).status_code == 404
    assert 'data-testid="link-settings"' not in as_user(analyst).get(reverse("publishing_links", args=["velo"])).content.decode()
    assert not PublishingSettings.objects.exists()


def test_checks_and_previews_make_no_short_link(workspace):
    variant = make_variant(workspace)
    preview = outbound_post(variant, with_media_data=False).link
    assert preview == f"https://comptoir.example/l/{links.PLACEHOLDER_CODE}"
    assert not ShortLink.objects.exists()
    sent = outbound_post(variant).link  # what delivery publishes
    assert len(sent) == len(preview) and ShortLink.objects.count() == 1
    assert outbound_post(variant, with_media_data=False).link == sent
