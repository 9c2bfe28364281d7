"""The requests' pages with each persona: a contributor sees only their own requests and never the board, an analyst
reads the board but changes nothing, an outsider gets 404 everywhere."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from comptoir.conftest import membership_of
from comptoir.publishing import requests
from comptoir.publishing.models import ContentRequest, Post

from .requestdata import channel, submit

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def url(name, *args):
    from django.urls import reverse

    return reverse(name, args=["velo", *args])


def _post_form(**overrides):
    data = {"title": "Recrutement de bénévoles", "goal": "recruitment", "audience": "community", "audience_detail": "",
            "key_message": "On cherche des bénévoles pour l'atelier.",
            "deadline": (timezone.localtime(timezone.now() + timedelta(days=7))).strftime("%Y-%m-%dT%H:%M"),
            "desired_at": "", "links": ""}
    data.update(overrides)
    return data


def main_of(response) -> str:
    """The page's own content, without the shell (whose bell lists notifications naming requests)."""
    return response.content.decode().split('<main', 1)[1]


def test_a_contributor_submits_a_request_with_a_file_and_follows_it(workspace, contributor, as_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    masto = channel(workspace)
    client = as_user(contributor)
    page = client.get(url("publishing_request_new"))
    assert page.status_code == 200 and masto.handle in page.content.decode()
    response = client.post(url("publishing_request_new"), {
        **_post_form(), "channels": [str(masto.pk)], "attachments": [SimpleUploadedFile("brief.pdf", PDF)]})
    r = ContentRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == url("publishing_request", r.pk)
    assert (r.requester, r.goal, list(r.channels.all())) == (contributor, "recruitment", [masto])
    page = client.get(url("publishing_request", r.pk)).content.decode()
    assert "On cherche des bénévoles" in page and "brief.pdf" in page
    assert "priority-score" not in page and "create-post" not in page  # the triage is not theirs
    mine = client.get(url("publishing_requests")).content.decode()
    assert "Recrutement de bénévoles" in mine and 'data-testid="to-board"' not in mine
    download = client.get(url("publishing_request_file", r.pk, r.attachments.get().pk))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff" and "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize("overrides", [
    {"title": ""}, {"key_message": "<script>alert(1)</script>" * 500}, {"deadline": "2001-01-01T10:00"},
    {"deadline": "pas une date"}, {"goal": "x" * 10_000}, {"links": "javascript:alert(document.cookie)"},
    {"channels": ["999999999999999999999999"]}, {"desired_at": "0000-00-00T00:00"},
])
def test_a_wrong_form_answers_400_with_the_error_under_its_field(workspace, contributor, as_user, overrides):
    response = as_user(contributor).post(url("publishing_request_new"), _post_form(**overrides))
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    assert not ContentRequest.objects.exists()


def test_what_was_typed_stays_in_a_refused_form(workspace, contributor, as_user):
    response = as_user(contributor).post(url("publishing_request_new"), _post_form(title="", key_message="Mon message <b>"))
    body = response.content.decode()
    assert "Mon message &lt;b&gt;" in body and "<b>" not in body.split("Mon message")[1][:10]


def test_a_contributor_sees_only_their_own_requests_and_not_the_board(workspace, contributor, cm, as_user):
    theirs = submit(cm, workspace, title="Demande interne du CM")
    mine = submit(contributor, workspace)
    client = as_user(contributor)
    assert client.get(url("publishing_request", theirs.pk)).status_code == 404
    assert client.post(url("publishing_request_comment", theirs.pk), {"body": "hello"}).status_code == 404
    assert client.get(url("publishing_request", mine.pk)).status_code == 200
    assert client.get(url("publishing_board")).status_code == 403
    assert client.post(url("publishing_request_move", mine.pk), {"status": "accepted"}).status_code == 403
    assert client.post(url("publishing_request_post", mine.pk)).status_code == 403
    assert "Demande interne du CM" not in client.get(url("publishing_requests")).content.decode()
    mine.refresh_from_db()
    assert mine.status == "new"


def test_an_analyst_reads_the_board_but_changes_nothing(workspace, contributor, analyst, as_user):
    r = submit(contributor, workspace)
    client = as_user(analyst)
    board = client.get(url("publishing_board"))
    assert board.status_code == 200 and r.title in board.content.decode()
    assert "card-move" not in board.content.decode()
    page = client.get(url("publishing_request", r.pk)).content.decode()
    assert "priority-score" in page and "create-post" not in page and "send-comment" not in page
    for name, data in (("publishing_request_move", {"status": "accepted"}), ("publishing_request_assign", {"assignee": ""}),
                       ("publishing_request_priority", {"priority_override": "10", "priority_override_reason": "x"}),
                       ("publishing_request_post", {})):
        assert client.post(url(name, r.pk), data).status_code == 403, name
    assert client.post(url("publishing_request_comment", r.pk), {"body": "moi"}).status_code == 403
    r.refresh_from_db()
    assert (r.status, r.priority_override, r.comments.count()) == ("new", None, 0)


def test_an_outsider_gets_404_on_every_page(workspace, contributor, outsider, as_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    r = submit(contributor, workspace, files=[SimpleUploadedFile("brief.pdf", PDF)])
    client = as_user(outsider)
    for name, args in (("publishing_requests", ()), ("publishing_request_new", ()), ("publishing_board", ()),
                       ("publishing_request", (r.pk,)), ("publishing_request_file", (r.pk, r.attachments.get().pk))):
        assert client.get(url(name, *args)).status_code == 404, name
    for name in ("publishing_request_comment", "publishing_request_move", "publishing_request_assign",
                 "publishing_request_priority", "publishing_request_post", "publishing_request_attach"):
        assert client.post(url(name, r.pk), {"status": "accepted", "body": "x"}).status_code == 404, name


def test_the_board_sorts_each_column_by_priority_and_filters(workspace, contributor, cm, as_user):
    low = submit(contributor, workspace, title="Petite annonce", goal="awareness", audience="niche", deadline="")
    high = submit(contributor, workspace, title="Urgence à l'atelier", goal="crisis", audience="broad",
                  deadline=(timezone.now() + timedelta(days=1)).isoformat())
    requests.do_assign(membership_of(cm, workspace), low, cm.pk)
    client = as_user(cm)
    body = main_of(client.get(url("publishing_board")))
    assert body.index("Urgence à l&#x27;atelier") < body.index("Petite annonce")
    body = main_of(client.get(url("publishing_board") + "?goal=awareness"))
    assert "Petite annonce" in body and "Urgence" not in body
    body = main_of(client.get(url("publishing_board") + f"?assignee={cm.pk}"))
    assert "Petite annonce" in body and "Urgence" not in body
    body = main_of(client.get(url("publishing_board") + "?assignee=none"))
    assert "Urgence" in body and "Petite annonce" not in body
    for junk in ("?goal=" + "x" * 5000, "?assignee=99999999999999999999999999", "?assignee=<script>"):
        assert client.get(url("publishing_board") + junk).status_code == 200
    assert high.pk


def test_the_cm_moves_a_card_and_declines_one_with_a_reason(workspace, contributor, cm, as_user):
    r = submit(contributor, workspace)
    client = as_user(cm)
    response = client.post(url("publishing_request_move", r.pk), {"status": "accepted", "next": url("publishing_board")})
    assert response.status_code == 302 and response["Location"] == url("publishing_board")
    r.refresh_from_db()
    assert r.status == "accepted"
    response = client.post(url("publishing_request_move", r.pk), {"status": "declined", "decline_reason": ""}, follow=True)
    r.refresh_from_db()
    assert r.status == "accepted" and "alert-danger" in response.content.decode()
    client.post(url("publishing_request_move", r.pk), {"status": "declined", "decline_reason": "Pas pour nous."})
    client.post(url("publishing_request_move", r.pk), {"status": "nonsense"})
    client.post(url("publishing_request_move", r.pk), {"status": "accepted", "next": "https://evil.test/"})
    r.refresh_from_db()
    assert r.status == "accepted"  # moved back after the decline; the junk status changed nothing
    page = as_user(contributor).get(url("publishing_request", r.pk)).content.decode()
    assert "Pas pour nous." in page


def test_the_cm_overrides_the_priority_and_a_wrong_value_is_explained(workspace, contributor, cm, as_user):
    r = submit(contributor, workspace)
    client = as_user(cm)
    response = client.post(url("publishing_request_priority", r.pk), {"priority_override": "250",
                                                                      "priority_override_reason": "x"})
    assert response.status_code == 400 and "0 à 100" in response.content.decode()  # in the CM's language
    client.post(url("publishing_request_priority", r.pk), {"priority_override": "80",
                                                           "priority_override_reason": "Demande du maire"})
    r.refresh_from_db()
    assert (r.priority_override, r.priority_override_reason) == (80, "Demande du maire")
    assert "Demande du maire" in client.get(url("publishing_board")).content.decode()
    client.post(url("publishing_request_priority", r.pk), {"reset": "1"})
    r.refresh_from_db()
    assert r.priority_override is None


def test_the_cm_creates_the_post_from_the_request(workspace, contributor, cm, as_user):
    r = submit(contributor, workspace, channels=[channel(workspace).pk])
    response = as_user(cm).post(url("publishing_request_post", r.pk))
    assert response.status_code == 302
    post = Post.objects.get()
    r.refresh_from_db()
    assert (post.request_id, r.status, post.variants.count()) == (r.pk, "in_progress", 1)


def test_the_discussion_shows_comments_and_status_lines(workspace, contributor, cm, as_user):
    r = submit(contributor, workspace)
    as_user(contributor).post(url("publishing_request_comment", r.pk), {"body": "Il faut <b>vite</b> publier"})
    requests.do_move(membership_of(cm, workspace), r, "accepted")
    response = as_user(cm).post(url("publishing_request_comment", r.pk), {"body": ""})
    assert response.status_code == 400
    body = as_user(contributor).get(url("publishing_request", r.pk)).content.decode()
    assert "Il faut &lt;b&gt;vite&lt;/b&gt; publier" in body
    assert 'data-testid="event"' in body and "Accept" in body


def test_requests_finished_long_ago_leave_the_board(workspace, contributor, cm, as_user):
    old = submit(contributor, workspace, title="Vieille demande publiée")
    recent = submit(contributor, workspace, title="Demande publiée hier")
    ContentRequest.objects.filter(pk=old.pk).update(status="published", status_changed_at=timezone.now() - timedelta(days=90))
    ContentRequest.objects.filter(pk=recent.pk).update(status="published", status_changed_at=timezone.now() - timedelta(days=1))
    body = main_of(as_user(cm).get(url("publishing_board")))
    assert "Demande publiée hier" in body and "Vieille demande publiée" not in body
    assert as_user(cm).get(url("publishing_request", old.pk)).status_code == 200


def test_the_requester_finds_where_the_request_was_published(as_user, workspace, contributor, cm):
    from comptoir.publishing.models import Variant

    r = submit(contributor, workspace, title="Bourse aux vélos")
    masto = channel(workspace, label="Mastodon des Amis")
    matrix = channel(workspace, network="matrix", handle="@velo:matrix.test", label="Salon Matrix")
    post = requests.do_create_post(membership_of(cm, workspace), r)
    other = Post.objects.create(workspace=workspace, master_text="Autre chose")  # not this request's
    Variant.objects.create(post=post, channel=masto, network="mastodon", state=Variant.State.SENT,
                           remote_url="https://masto.test/@velo/1", sent_at=timezone.now())
    Variant.objects.create(post=post, channel=matrix, network="matrix", state=Variant.State.FAILED)
    Variant.objects.create(post=other, channel=matrix, network="matrix", state=Variant.State.SENT,
                           remote_url="https://matrix.to/#/!autre", sent_at=timezone.now())

    page = as_user(contributor).get(url("publishing_request", r.pk)).content.decode()
    assert 'href="https://masto.test/@velo/1"' in page and "Mastodon des Amis" in page
    assert "matrix.to" not in page  # neither the failed version nor another post's
