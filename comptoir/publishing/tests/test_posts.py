"""Saving posts and their variants: versions, the way back to approval, the checks of each network, the
pre-flight, duplicating and deleting."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from comptoir.conftest import membership_of
from comptoir.publishing import posts
from comptoir.publishing.models import Campaign, MediaAsset, Post, PostVersion, PublishingSettings, Variant
from comptoir.workspaces.models import AuditEvent, Channel

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
TEXT = "Vélorution samedi 14h place Bellecour : venez nombreux !"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


def _error(exc) -> tuple[str, str]:
    field, messages = next(iter(exc.value.message_dict.items()))
    return field, messages[0]


def test_a_cm_writes_a_post_for_two_channels_and_its_first_version_is_kept(save, mastodon, bluesky, image, cm):
    post = save(title="Vélorution", master_text=TEXT, link="https://velo.example/velorution",
                publish_at="2027-03-12T09:30",
                variants=[{"channel": mastodon.pk, "media": [image.pk], "visibility": "public"},
                          {"channel": bluesky.pk, "text": "Vélorution samedi !"}])
    assert post.status == Post.Status.DRAFT and post.version == 1
    # The wall time is the CM's (Europe/Paris, UTC+1 in March before the change).
    assert post.publish_at == datetime(2027, 3, 12, 8, 30, tzinfo=UTC)
    masto, bsky = post.variants.order_by("pk")
    assert masto.network == "mastodon" and list(masto.media.all()) == [image]
    assert bsky.text == "Vélorution samedi !"
    [version] = post.versions.all()
    assert version.number == 1 and version.content["master_text"] == TEXT
    assert [v["channel"] for v in version.content["variants"]] == [mastodon.pk, bluesky.pk]
    event = AuditEvent.objects.get(action="publishing.post_create")
    assert event.actor == cm and event.after["variants"] == ["Bluesky velo", "Mastodon @velo"]


def test_a_content_change_bumps_the_version_and_a_date_change_does_not(save, mastodon):
    post = save(master_text=TEXT, variants=[mastodon.pk])
    post = save(post, master_text=TEXT + " #velo")
    assert post.version == 2
    assert list(post.versions.values_list("number", flat=True)) == [2, 1]
    post = save(post, publish_at="2027-03-20T10:00")
    assert post.version == 2
    post = save(post, variants=[{"channel": mastodon.pk, "content_warning": "politique"}])
    assert post.version == 3
    assert PostVersion.objects.get(post=post, number=3).content["variants"][0]["content_warning"] == "politique"
    # Saving the same content again is no new version.
    post = save(post, master_text=TEXT + " #velo")
    assert post.version == 3


def test_an_approved_post_whose_text_changes_goes_back_to_approval_and_is_disarmed(save, workspace, mastodon):
    workspace.approval_stages.create(name="Direction de la communication")
    post = save(master_text=TEXT, variants=[mastodon.pk], publish_at="2027-03-12T09:30")
    Post.objects.filter(pk=post.pk).update(status=Post.Status.SCHEDULED, approved_version=1)
    post.variants.update(state=Variant.State.SCHEDULED, due_at=post.publish_at)
    post.refresh_from_db()

    post = save(post, master_text="Finalement dimanche !")

    assert post.version == 2 and post.approved_version == 1
    assert post.status == Post.Status.IN_REVIEW
    assert list(post.variants.values_list("state", flat=True)) == [Variant.State.PENDING]


def test_the_date_is_refused_in_the_past_and_in_the_hour_the_clocks_skip(save, mastodon):
    with pytest.raises(ValidationError) as exc:
        save(master_text=TEXT, publish_at="2027-02-28T10:00")
    assert _error(exc) == ("publish_at", "This date is in the past: choose a time to come.")
    with pytest.raises(ValidationError) as exc:
        save(master_text=TEXT, publish_at="2027-03-28T02:30")  # Europe/Paris goes from 2:00 to 3:00
    field, message = _error(exc)
    assert field == "publish_at" and "28/03/2027 02:30 does not exist in the time zone Europe/Paris" in message
    with pytest.raises(ValidationError) as exc:
        save(master_text=TEXT, publish_at="demain matin")
    assert _error(exc)[0] == "publish_at"
    assert save(master_text=TEXT, publish_at="2027-03-28T03:30").publish_at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert not Post.objects.filter(publish_at__lt=NOW).exists()


def test_a_date_that_has_passed_does_not_stop_the_text_from_being_edited(save, mastodon):
    post = save(master_text=TEXT, publish_at="2027-03-02T10:00")
    with time_machine.travel(datetime(2027, 3, 5, tzinfo=UTC), tick=False):
        post = save(post, master_text="Corrigé", publish_at="2027-03-02T10:00")
    assert post.master_text == "Corrigé"


def test_another_workspaces_channel_media_and_campaign_are_unknown(save, other_workspace, other_channel, mastodon):
    their_image = MediaAsset.objects.create(workspace=other_workspace, file="m/x.png", filename="x.png",
                                            kind="image", content_type="image/png", size=10)
    their_campaign = Campaign.objects.create(workspace=other_workspace, name="Leur campagne")
    cases = [
        ({"variants": [other_channel.pk]}, "variants.0.channel"),
        ({"variants": [{"channel": mastodon.pk, "media": [their_image.pk]}]}, "variants.0.media"),
        ({"campaign": their_campaign.pk}, "campaign"),
    ]
    for data, field in cases:
        with pytest.raises(ValidationError) as exc:
            save(master_text=TEXT, **data)
        assert _error(exc)[0] == field
    assert not Post.objects.exists()


def test_only_active_channels_that_can_publish_are_offered(save, workspace, mastodon):
    paused = Channel.objects.create(workspace=workspace, network="mastodon", handle="@pause@masto.example",
                                    status=Channel.Status.PAUSED)
    rss = Channel.objects.create(workspace=workspace, network="rss", handle="https://velo.example/feed")
    assert posts.publishing_channels(workspace) == [mastodon]
    for channel in (paused, rss):
        with pytest.raises(ValidationError):
            save(master_text=TEXT, variants=[channel.pk])
    # A channel paused after it was chosen stays on the post (the pre-flight tells).
    post = save(master_text=TEXT, variants=[mastodon.pk])
    Channel.objects.filter(pk=mastodon.pk).update(status=Channel.Status.PAUSED)
    assert save(post, master_text="autre", variants=[mastodon.pk]).variants.count() == 1


@pytest.mark.parametrize(("data", "field"), [
    ({"master_text": "x" * 1_000_000}, "master_text"),
    ({"master_text": 12}, "master_text"),
    ({"title": ["a"]}, "title"),
    ({"link": "javascript:alert(1)"}, "link"),
    ({"campaign": "abc"}, "campaign"),
    ({"campaign": True}, "campaign"),
    ({"variants": "mastodon"}, "variants"),
    ({"variants": [{"channel": None}]}, "variants.0.channel"),
    ({"variants": [{"channel": 2**70}]}, "variants.0.channel"),
    ({"variants": [None]}, "variants.0"),
    ({"publish_at": 1234}, "publish_at"),
    ({"publish_at": "9" * 200}, "publish_at"),
])
def test_hostile_input_is_refused_naming_the_field(save, mastodon, data, field):
    with pytest.raises(ValidationError) as exc:
        save(**data)
    assert _error(exc)[0] == field
    assert not Post.objects.exists()


def test_text_is_stored_without_control_characters_and_html_stays_text(save):
    post = save(master_text="<script>alert(1)</script>\x00 bonjour", title="  Titre\n  interne ")
    assert post.master_text == "<script>alert(1)</script> bonjour" and post.title == "Titre interne"


def test_only_managers_save_and_never_another_workspaces_post(workspace, other_workspace, analyst, outsider, cm):
    with pytest.raises(PermissionDenied):
        posts.do_save_post(membership_of(analyst, workspace), None, {"master_text": TEXT})
    theirs = posts.do_save_post(membership_of(outsider, other_workspace), None, {"master_text": "Leur post"})
    with pytest.raises(PermissionDenied):
        posts.do_save_post(membership_of(cm, workspace), theirs, {"master_text": "pris"})
    with pytest.raises(PermissionDenied):
        posts.do_delete_post(membership_of(cm, workspace), theirs)
    assert Post.objects.get(pk=theirs.pk).master_text == "Leur post"


def test_a_published_post_cannot_be_changed(save, mastodon):
    post = save(master_text=TEXT, variants=[mastodon.pk])
    Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHED)
    with pytest.raises(ValidationError):
        save(post, master_text="autre")


def test_deleting_a_draft_forgets_it_and_other_posts_are_cancelled(save, workspace, cm, mastodon):
    me = membership_of(cm, workspace)
    draft = save(master_text=TEXT, variants=[mastodon.pk])
    assert posts.do_delete_post(me, draft) == {"deleted": True, "variants": 1, "versions": 1, "comments": 0}
    assert not Post.objects.filter(pk=draft.pk).exists()
    armed = save(master_text=TEXT, variants=[mastodon.pk], publish_at="2027-03-12T09:30")
    Post.objects.filter(pk=armed.pk).update(status=Post.Status.SCHEDULED)
    armed.variants.update(state=Variant.State.SCHEDULED)
    done = posts.do_delete_post(me, armed)
    assert done["cancelled"] and Post.objects.get(pk=armed.pk).status == Post.Status.CANCELLED
    assert list(armed.variants.values_list("state", flat=True)) == [Variant.State.CANCELLED]
    assert list(AuditEvent.objects.filter(action__in=["publishing.post_delete", "publishing.post_cancel"])
                .values_list("action", flat=True)) == ["publishing.post_cancel", "publishing.post_delete"]


def test_duplicating_makes_a_new_draft_without_date_nor_state(save, workspace, cm, mastodon, image):
    post = save(title="AG", master_text=TEXT, variants=[{"channel": mastodon.pk, "media": [image.pk]}],
                publish_at="2027-03-12T09:30")
    Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHED)
    copy = posts.do_duplicate_post(membership_of(cm, workspace), post)
    assert copy.status == Post.Status.DRAFT and copy.publish_at is None and copy.title == "Copy of AG"
    [variant] = copy.variants.all()
    assert variant.state == Variant.State.PENDING and list(variant.media.all()) == [image]


# The networks' checks and the pre-flight --------------------------------------------------------------------


def test_check_variant_counts_the_way_each_network_counts(save, mastodon, bluesky):
    # 470 characters and a long link: Mastodon counts the link as 23 (493 ≤ 500); 490 + link would not fit.
    link = "https://velo.example/" + "a" * 200
    post = save(master_text="é" * 470, link=link, variants=[mastodon.pk])
    [masto] = post.variants.all()
    assert posts.check_variant(masto) == []
    post = save(post, master_text="é" * 480)
    [problem] = posts.check_variant(post.variants.get())
    assert "505 characters long" in problem
    # Bluesky counts graphemes: 300 "é" written as e + combining accent (600 code points) fit, 301 do not.
    family = "e\u0301"
    post = save(master_text=family * 300, variants=[bluesky.pk])
    assert posts.check_variant(post.variants.get()) == []
    post = save(post, master_text=family * 301)
    assert "301 characters long" in posts.check_variant(post.variants.get())[0]


def test_check_variant_says_what_a_network_cannot_carry(save, bluesky):
    post = save(master_text=TEXT, variants=[{"channel": bluesky.pk, "content_warning": "spoiler"}])
    assert posts.check_variant(post.variants.get()) == [
        "Bluesky has no content warnings: remove it from this version of the post."]


def test_preflight_lists_errors_and_warnings(save, workspace, mastodon, bluesky, image, monkeypatch):
    PublishingSettings.objects.create(workspace=workspace, forbidden_words="gratuit\nbon plan")
    bare = MediaAsset.objects.create(workspace=workspace, file="m/p.png", filename="photo.png", kind="image",
                                     content_type="image/png", size=3_000_000)
    post = save(master_text="Un BON  PLAN pour la vélorution, GRATUÏT !", link="https://velo.example/mort",
                publish_at="2027-03-12T09:30",
                variants=[{"channel": mastodon.pk, "media": [image.pk]},
                          {"channel": bluesky.pk, "media": [bare.pk], "text": "x" * 301}])
    monkeypatch.setattr(posts, "check_link_alive", lambda url: "the address answers with the error 404")
    with time_machine.travel(datetime(2027, 3, 13, tzinfo=UTC), tick=False):
        problems = posts.preflight(post)
    found = {(p.severity, p.variant_id, p.field) for p in problems}
    masto, bsky = post.variants.order_by("pk")
    assert ("warning", None, "publish_at") in found
    assert ("warning", None, "link") in found
    assert ("warning", bsky.pk, "media") in found  # no alt text
    assert ("warning", masto.pk, "text") in found  # the charter, accents and case aside
    charter = next(p for p in problems if p.variant_id == masto.pk and p.field == "text")
    assert "« gratuit », « bon plan »" in charter.message
    errors = [p.message for p in problems if p.severity == "error"]
    assert any("301 characters long" in m for m in errors)
    assert any("larger than Bluesky's 1 MB limit" in m for m in errors)  # the image too large for the network
    assert not any(p.variant_id == masto.pk and p.severity == "error" for p in problems)


def test_preflight_of_an_empty_post_says_what_is_missing(save):
    messages = {p.field: p.message for p in posts.preflight(save(master_text="  "))}
    assert messages == {"variants": "Choose at least one channel to publish on.", "master_text": "The post has no text."}


def test_forbidden_words_match_whole_words_only():
    assert posts.find_forbidden("Un Bon-Plan génial", ["bon plan"]) == ["bon plan"]
    assert posts.find_forbidden("Les bonsplans", ["bon plan"]) == []
    assert posts.find_forbidden("L'Église", ["eglise"]) == ["eglise"]


def test_a_dead_link_is_found_through_the_safe_fetch(httpserver, settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = True
    httpserver.expect_request("/vivant").respond_with_data("ok")
    httpserver.expect_request("/mort").respond_with_data("non", status=404)
    assert posts.check_link_alive(httpserver.url_for("/vivant")) is None
    assert posts.check_link_alive(httpserver.url_for("/mort")) == "the address answers with the error 404"
    assert "cannot be reached" in posts.check_link_alive("http://127.0.0.1:1/rien")


def test_a_saved_content_becomes_a_draft_post_in_one_click(workspace, other_workspace, cm, outsider):
    from comptoir.listening.models import Curation

    curation = Curation.objects.create(workspace=workspace, title="Le vélo-cargo séduit les familles",
                                       url="https://journal.example/velo-cargo", note="À relayer avec notre atelier")
    post = posts.do_draft_from_curation(membership_of(cm, workspace), curation)
    assert post.status == Post.Status.DRAFT and post.link == "https://journal.example/velo-cargo"
    assert post.master_text == "À relayer avec notre atelier\n\nLe vélo-cargo séduit les familles"
    assert post.from_url == curation.url and post.versions.count() == 1
    curation.refresh_from_db()
    assert curation.status == Curation.Status.DRAFTED
    with pytest.raises(PermissionDenied):
        posts.do_draft_from_curation(membership_of(outsider, other_workspace), curation)


def test_moving_the_date_of_a_scheduled_post_moves_its_variants_without_a_new_version(save, mastodon):
    post = save(master_text=TEXT, variants=[mastodon.pk], publish_at="2027-03-12T09:30")
    Post.objects.filter(pk=post.pk).update(status=Post.Status.SCHEDULED, approved_version=1)
    post.variants.update(state=Variant.State.SCHEDULED, due_at=post.publish_at)
    post.refresh_from_db()
    post = save(post, publish_at="2027-03-13T10:00")
    assert post.version == 1 and post.status == Post.Status.SCHEDULED
    assert list(post.variants.values_list("state", "due_at")) == [
        (Variant.State.SCHEDULED, datetime(2027, 3, 13, 9, 0, tzinfo=UTC))]


def test_checking_a_variant_with_a_big_video_neither_reads_nor_allocates_it(workspace, mastodon):
    from comptoir.publishing.outbound import outbound_post

    video = MediaAsset.objects.create(workspace=workspace, file="media/x/absent.mp4", filename="film.mp4",
                                      kind=MediaAsset.Kind.VIDEO, content_type="video/mp4", size=500 * 2**20)
    post = Post.objects.create(workspace=workspace, master_text="Le film de la fête")
    variant = Variant.objects.create(post=post, channel=mastodon, network="mastodon")
    variant.media.add(video)

    data = outbound_post(variant, with_media_data=False).media[0].data  # the file does not even exist on disk

    assert len(data) == 500 * 2**20 and bytes(data) == b""
    assert any("too large" in p for p in posts.check_variant(variant))  # Mastodon takes 99 MB videos
