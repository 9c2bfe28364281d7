"""Evergreen posts in the editor, the actions and the API: the repetition (saved, audit-logged, no new version),
each channel's rotation texts (content: a change sends an approved post back to approval and shows in the diff),
the form's fields and their errors, the series on the post page, hostile input through the API."""

import json
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from comptoir.publishing import editor, posts
from comptoir.publishing.models import Post, PostVersion, Variant
from comptoir.workspaces import actions
from comptoir.workspaces.models import AuditEvent, Notification

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
TEXT = "Atelier réparation samedi 10h : venez avec votre vélo !"
BASE = "/api/v1/workspaces/velo/posts"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


def _error(exc) -> tuple[str, str]:
    field, messages = next(iter(exc.value.message_dict.items()))
    return field, messages[0]


# The actions. ----------------------------------------------------------------------------------------------


def test_the_repetition_is_saved_armed_and_audit_logged_without_a_new_version(save, mastodon, cm):
    post = save(master_text=TEXT, variants=[mastodon.pk], publish_at="2027-03-13T10:00",
                repeat_every_weeks="2", repeat_until="2027-06-30")
    assert (post.repeat_every_weeks, post.repeat_until) == (2, date(2027, 6, 30))
    post.refresh_from_db()
    assert post.next_repeat_at == post.publish_at  # the save signal armed it
    assert AuditEvent.objects.get(action="publishing.post_create").after["repeat_every_weeks"] == 2

    post = save(post, repeat_every_weeks=4)  # the end date is kept when only the period is given
    assert (post.version, post.repeat_every_weeks, post.repeat_until) == (1, 4, date(2027, 6, 30))
    assert post.versions.count() == 1
    event = AuditEvent.objects.filter(action="publishing.post_update").latest("pk")
    assert event.actor == cm and event.after["content_changed"] is False
    assert (event.before["repeat_every_weeks"], event.after["repeat_every_weeks"]) == (2, 4)
    assert "changed the settings of the post" in _describe(event)

    post = save(post, repeat_every_weeks=None)  # stopping the repetition drops its end date
    post.refresh_from_db()
    assert (post.repeat_every_weeks, post.repeat_until, post.next_repeat_at) == (None, None, None)
    event = AuditEvent.objects.filter(action="publishing.post_update").latest("pk")
    assert (event.before["repeat_until"], event.after["repeat_until"]) == ("2027-06-30", None)


def _describe(event):
    from comptoir.workspaces import audit

    return audit.describe(event)


def test_a_repetition_change_on_an_approved_post_needs_no_new_approval(save, workspace, mastodon):
    workspace.approval_stages.create(name="Direction de la communication")
    post = save(master_text=TEXT, variants=[mastodon.pk], publish_at="2027-03-13T10:00")
    Post.objects.filter(pk=post.pk).update(status=Post.Status.APPROVED, approved_version=1)
    post.refresh_from_db()
    post = save(post, repeat_every_weeks=1, repeat_until="2027-04-30")
    post.refresh_from_db()
    assert (post.status, post.version, post.approved_version) == (Post.Status.APPROVED, 1, 1)


@pytest.mark.parametrize(("data", "field"), [
    ({"repeat_every_weeks": 0}, "repeat_every_weeks"),
    ({"repeat_every_weeks": 53}, "repeat_every_weeks"),
    ({"repeat_every_weeks": "abc"}, "repeat_every_weeks"),
    ({"repeat_every_weeks": [2]}, "repeat_every_weeks"),
    ({"repeat_every_weeks": 2, "repeat_until": "2027-03-12"}, "repeat_until"),  # before the first date
    ({"repeat_until": "2027-06-30"}, "repeat_until"),  # an end without a period
    ({"repeat_every_weeks": 2, "repeat_until": 20270630}, "repeat_until"),
])
def test_a_bad_repetition_is_refused_naming_the_field(save, mastodon, data, field):
    with pytest.raises(ValidationError) as exc:
        save(master_text=TEXT, variants=[mastodon.pk], publish_at="2027-03-13T10:00", **data)
    assert _error(exc)[0] == field
    assert not Post.objects.exists()


def test_moving_the_date_past_the_end_of_the_repetition_is_refused(save, mastodon):
    post = save(master_text=TEXT, variants=[mastodon.pk], publish_at="2027-03-13T10:00", repeat_every_weeks=2,
                repeat_until="2027-04-30")
    with pytest.raises(ValidationError) as exc:
        save(post, publish_at="2027-05-08T10:00")
    assert _error(exc)[0] == "repeat_until"
    post.refresh_from_db()
    assert post.publish_at == datetime(2027, 3, 13, 9, 0, tzinfo=UTC)


def test_the_rotation_texts_are_content_and_kept_with_the_versions(save, mastodon, bluesky):
    post = save(master_text=TEXT, variants=[{"channel": mastodon.pk, "alternates": "Deuxième\n---\nTroisième"},
                                            {"channel": bluesky.pk}])
    masto, bsky = post.variants.order_by("pk")
    assert (masto.alternates, bsky.alternates) == (["Deuxième", "Troisième"], [])
    assert PostVersion.objects.get(post=post, number=1).content["variants"][0]["alternates"] == ["Deuxième", "Troisième"]
    # The same texts again (as a list this time) are no change.
    post = save(post, variants=[{"channel": mastodon.pk, "alternates": ["Deuxième", "Troisième"]},
                                {"channel": bluesky.pk}])
    assert post.version == 1
    # Leaving the field out keeps them.
    post = save(post, variants=[{"channel": mastodon.pk, "text": "Court"}, {"channel": bluesky.pk}])
    assert post.version == 2 and post.variants.get(channel=mastodon).alternates == ["Deuxième", "Troisième"]
    post = save(post, variants=[{"channel": mastodon.pk, "alternates": ["Deuxième", "Quatrième"]}, {"channel": bluesky.pk}])
    assert post.version == 3
    older, newer = (PostVersion.objects.get(post=post, number=n).content for n in (2, 3))
    [row] = editor.version_diff(older, newer)
    assert row["label"].endswith("other texts") and "<del>Troisième</del>" in row["diff"]
    assert "<ins>Quatrième</ins>" in row["diff"]


def test_changing_the_rotation_texts_sends_an_approved_post_back_to_review(save, workspace, mastodon, owner):
    workspace.approval_stages.create(name="Direction de la communication")
    post = save(master_text=TEXT, variants=[{"channel": mastodon.pk, "alternates": ["Deuxième"]}],
                publish_at="2027-03-13T10:00", repeat_every_weeks=2)
    Post.objects.filter(pk=post.pk).update(status=Post.Status.SCHEDULED, approved_version=1)
    post.variants.update(state=Variant.State.SCHEDULED, due_at=post.publish_at)
    post.refresh_from_db()

    post = save(post, variants=[{"channel": mastodon.pk, "alternates": ["Deuxième", "Un texte non relu"]}])

    post.refresh_from_db()
    assert (post.status, post.version, post.approved_version) == (Post.Status.IN_REVIEW, 2, 1)
    assert list(post.variants.values_list("state", flat=True)) == [Variant.State.PENDING]
    assert AuditEvent.objects.filter(action="post.back_to_review", object_id=str(post.pk)).exists()
    assert Notification.objects.filter(kind="approval.request", user=owner).exists()


@pytest.mark.parametrize(("alternates", "what"), [
    (["autre"] * 11, "11 other texts"),
    (["x" * 1_000_000], "1000000 characters"),
    ([1, 2], "list of texts"),
    ({"a": "b"}, "list of texts"),
    (12, "list of texts"),
])
def test_bad_rotation_texts_are_refused_naming_the_variant(save, mastodon, alternates, what):
    with pytest.raises(ValidationError) as exc:
        save(master_text=TEXT, variants=[{"channel": mastodon.pk, "alternates": alternates}])
    field, message = _error(exc)
    assert field == "variants.0.alternates" and what in message
    assert not Post.objects.exists()


# The editor page. ------------------------------------------------------------------------------------------


def _url(name, *args):
    return reverse(name, args=["velo", *args])


def _form(channels=(), **fields):
    data = {"title": "", "master_text": TEXT, "link": "", "publish_at": "2027-03-13T10:00", "campaign": "",
            "request": "", "repeat_every_weeks": "", "repeat_until": "", "channels": [str(c.pk) for c in channels]}
    data.update(fields)
    return data


def test_the_form_round_trips_the_repetition_and_the_rotation_texts(as_user, cm, mastodon, bluesky):
    client = as_user(cm)
    page = client.get(_url("publishing_post_new")).content.decode()
    assert 'data-testid="repeat-fields"' in page
    assert f'name="alternates_{mastodon.pk}"' in page and f'name="alternates_{bluesky.pk}"' in page
    response = client.post(_url("publishing_post_new"), _form(
        [mastodon, bluesky], repeat_every_weeks="3", repeat_until="2027-06-30",
        **{f"alternates_{mastodon.pk}": "Deuxième <b>texte</b>\r\n---\r\nTroisième"}))
    post = Post.objects.get()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert (post.repeat_every_weeks, post.repeat_until) == (3, date(2027, 6, 30))
    assert post.variants.get(channel=mastodon).alternates == ["Deuxième <b>texte</b>", "Troisième"]
    assert post.variants.get(channel=bluesky).alternates == []

    page = client.get(_url("publishing_post", post.pk)).content.decode()
    assert 'name="repeat_every_weeks" id="id_repeat_every_weeks"' in page
    assert 'value="3"' in page.split('id="id_repeat_every_weeks"')[1][:400]
    assert 'value="2027-06-30"' in page.split('id="id_repeat_until"')[1][:400]
    assert "Deuxième &lt;b&gt;texte&lt;/b&gt;\n---\nTroisième</textarea>" in page
    assert 'data-testid="series"' in page and 'data-testid="repeats"' in page
    assert "3" in page.split('data-testid="repeats"')[1][:200]

    # Saving the page as it is changes nothing: no new version.
    client.post(_url("publishing_post", post.pk), _form(
        [mastodon, bluesky], repeat_every_weeks="3", repeat_until="2027-06-30",
        **{f"alternates_{mastodon.pk}": "Deuxième <b>texte</b>\n---\nTroisième", f"alternates_{bluesky.pk}": ""}))
    post.refresh_from_db()
    assert post.version == 1


def test_the_form_shows_each_error_next_to_its_field_and_keeps_what_was_typed(as_user, cm, mastodon):
    client = as_user(cm)
    response = client.post(_url("publishing_post_new"), _form([mastodon], repeat_every_weeks="53"))
    assert response.status_code == 400 and not Post.objects.exists()
    fields = response.content.decode().split('data-testid="repeat-fields"')[1].split("</fieldset>")[0]
    assert 'id="id_repeat_every_weeks" class="form-control form-control-sm is-invalid"' in fields
    assert "1 to 52 weeks" in fields or "1 à 52" in fields
    assert 'value="53"' in fields

    typed = "\n---\n".join(f"Texte {n}" for n in range(11))
    response = client.post(_url("publishing_post_new"), _form([mastodon], **{f"alternates_{mastodon.pk}": typed}))
    assert response.status_code == 400 and not Post.objects.exists()
    card = response.content.decode().split(f'data-channel="{mastodon.pk}"')[1].split("</section>")[0]
    field = card.split('data-testid="alternates-field"')[1]
    assert "is-invalid" in field and ("11 other texts" in field or "11 autres textes" in field)
    assert "Texte 10</textarea>" in field

    response = client.post(_url("publishing_post_new"), _form([mastodon], repeat_every_weeks="2",
                                                             repeat_until="2027-03-01"))
    fields = response.content.decode().split('data-testid="repeat-fields"')[1].split("</fieldset>")[0]
    assert response.status_code == 400 and 'id="id_repeat_until" class="form-control form-control-sm is-invalid"' in fields


def test_the_post_page_shows_the_series(as_user, cm, save, mastodon):
    root = save(master_text=TEXT, variants=[mastodon.pk], publish_at="2027-03-13T10:00", repeat_every_weeks=2)
    occurrence = Post.objects.create(workspace=root.workspace, master_text=TEXT, repeat_of=root, occurrence=1,
                                     repeat_every_weeks=2, publish_at=datetime(2027, 3, 27, 9, 0, tzinfo=UTC))
    client = as_user(cm)
    page = client.get(_url("publishing_post", root.pk)).content.decode()
    series = page.split('data-testid="series"')[1].split("</section>")[0]
    assert f'href="{_url("publishing_post", occurrence.pk)}"' in series
    page = client.get(_url("publishing_post", occurrence.pk)).content.decode()
    series = page.split('data-testid="series"')[1].split("</section>")[0]
    assert f'href="{_url("publishing_post", root.pk)}" data-testid="series-root"' in series
    # A post that does not repeat has no series box.
    plain = save(master_text=TEXT, variants=[mastodon.pk])
    assert 'data-testid="series"' not in client.get(_url("publishing_post", plain.pk)).content.decode()


# The API. -------------------------------------------------------------------------------------------------


def api(user, workspace):
    _token, raw = actions.do_create_api_token(user, workspace, "tests")
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def send(client, method, url, payload=None):
    if method == "get":
        response = client.get(url)
    else:
        data = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        response = getattr(client, method)(url, data, content_type="application/json")
    return response, (json.loads(response.content) if response.content else None)


def test_the_api_reads_and_writes_the_repetition_and_the_rotation_texts(workspace, cm, mastodon):
    client = api(cm, workspace)
    response, post = send(client, "post", BASE, {
        "master_text": TEXT, "publish_at": "2027-03-13T10:00", "repeat_every_weeks": 2, "repeat_until": "2027-06-30",
        "variants": [{"channel": mastodon.pk, "alternates": ["Deuxième", "Troisième"]}]})
    assert response.status_code == 201, post
    assert (post["repeat_every_weeks"], post["repeat_until"], post["repeat_of"], post["occurrence"]) == (
        2, "2027-06-30", None, 0)
    assert post["variants"][0]["alternates"] == ["Deuxième", "Troisième"]
    response, changed = send(client, "patch", f"{BASE}/{post['id']}", {"repeat_every_weeks": None})
    assert response.status_code == 200 and changed["version"] == 1
    assert (changed["repeat_every_weeks"], changed["repeat_until"]) == (None, None)
    assert changed["variants"][0]["alternates"] == ["Deuxième", "Troisième"]  # a row without them keeps them
    response, changed = send(client, "patch", f"{BASE}/{post['id']}", {
        "variants": [{"channel": mastodon.pk, "alternates": []}]})
    assert response.status_code == 200 and changed["version"] == 2 and changed["variants"][0]["alternates"] == []
    assert AuditEvent.objects.filter(action="publishing.post_update", via="api").count() == 2
    doc = json.loads(client.get("/api/v1/openapi.json").content)
    schemas = doc["components"]["schemas"]
    assert schemas["PostIn"]["properties"]["repeat_every_weeks"]["maximum"] == 52
    assert schemas["VariantIn"]["properties"]["alternates"]["maxItems"] == 10


@pytest.mark.parametrize(("payload", "field"), [
    ({"repeat_every_weeks": 0}, "repeat_every_weeks"),
    ({"repeat_every_weeks": 53}, "repeat_every_weeks"),
    ({"repeat_every_weeks": "abc"}, "repeat_every_weeks"),
    ({"repeat_every_weeks": True}, "repeat_every_weeks"),
    ({"repeat_every_weeks": {"n": 2}}, "repeat_every_weeks"),
    ({"repeat_every_weeks": 2, "repeat_until": "2027-03-12"}, "repeat_until"),
    ({"repeat_every_weeks": 2, "repeat_until": "2031-01-01"}, "repeat_until"),
    ({"repeat_every_weeks": 2, "repeat_until": "<script>alert(1)</script>"}, "repeat_until"),
    ({"repeat_every_weeks": 2, "repeat_until": ["2027-06-30"]}, "repeat_until"),
    ({"repeat_until": "2027-06-30"}, "repeat_until"),
    ({"variants": [{"channel": "MASTO", "alternates": ["x"] * 11}]}, "variants.0.alternates"),
    ({"variants": [{"channel": "MASTO", "alternates": ["x" * 1_000_000]}]}, "variants.0.alternates"),
    ({"variants": [{"channel": "MASTO", "alternates": "Un\n---\nDeux"}]}, "variants.0.alternates"),
    ({"variants": [{"channel": "MASTO", "alternates": [1, 2]}]}, "variants.0.alternates"),
    ({"variants": [{"channel": "MASTO", "alternates": [["x"]]}]}, "variants.0.alternates"),
    ({"variants": [{"channel": "MASTO", "alternates": {"a": "b"}}]}, "variants.0.alternates"),
])
def test_hostile_evergreen_input_gets_a_400_naming_the_field(workspace, cm, mastodon, payload, field):
    payload = json.loads(json.dumps(payload).replace('"MASTO"', str(mastodon.pk)))
    response, body = send(api(cm, workspace), "post", BASE,
                          {"master_text": TEXT, "publish_at": "2027-03-13T10:00", **payload})
    assert response.status_code == 400, body
    assert body["field"] == field and body["message"]
    assert not Post.objects.exists()


def test_a_patch_refused_loses_nothing(workspace, cm, mastodon):
    client = api(cm, workspace)
    _r, post = send(client, "post", BASE, {"master_text": TEXT, "publish_at": "2027-03-13T10:00",
                                           "repeat_every_weeks": 2, "variants": [{"channel": mastodon.pk,
                                                                                  "alternates": ["Deuxième"]}]})
    response, body = send(client, "patch", f"{BASE}/{post['id']}", {
        "repeat_every_weeks": 53, "variants": [{"channel": mastodon.pk, "alternates": ["Autre"]}]})
    assert response.status_code == 400 and body["field"] == "repeat_every_weeks"
    _r, fetched = send(client, "get", f"{BASE}/{post['id']}")
    assert fetched["repeat_every_weeks"] == 2 and fetched["variants"][0]["alternates"] == ["Deuxième"]
    assert posts.content_of(Post.objects.get())["variants"][0]["alternates"] == ["Deuxième"]
