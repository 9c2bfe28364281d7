"""Bulk import of posts from CSV: strict reading, a preview with each line's problems, drafts in one go."""

import base64
import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from comptoir.conftest import membership_of
from comptoir.publishing import postimport
from comptoir.publishing.models import Campaign, MediaAsset, Post, Variant
from comptoir.workspaces.models import AuditEvent, Channel


@pytest.fixture(autouse=True)
def english_cm(cm):
    """The import's problems are read in English here: the CM reads the pages in English."""
    cm.language = "en"
    cm.save(update_fields=["language"])

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def channels(workspace):
    return {
        "masto": Channel.objects.create(workspace=workspace, network="mastodon", handle="@velo@mastodon.test",
                                        label="Mastodon du club"),
        "bsky": Channel.objects.create(workspace=workspace, network="bluesky", handle="velo.bsky.test"),
    }


def csv_bytes(*rows, header="date,time,channels,text,link,campaign,media,title", encoding="utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def check(client, data, name="posts.csv"):
    return client.post(reverse("publishing_import", args=["velo"]), {"file": SimpleUploadedFile(name, data)})


def test_a_clean_file_previews_then_creates_drafts_in_one_go(workspace, cm, channels, as_user):
    Campaign.objects.create(workspace=workspace, name="Printemps")
    data = csv_bytes(
        '2027-03-14,09:30,mastodon,"La Fête du vélo, c\'est le 14 juin !",https://velo.test/fete?x=1,Printemps,,Annonce',
        "15/03/2027,18h00,\"@velo@mastodon.test; velo.bsky.test\",Rendez-vous ce soir.,,,,",
        ",,Mastodon du club,Un brouillon sans date,,,,",
    )
    client = as_user(cm)
    response = check(client, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-confirm"' in page and 'data-testid="row-error"' not in page
    assert not Post.objects.exists()  # the preview stores nothing
    payload = response.context["payload"]
    response = client.post(reverse("publishing_import_confirm", args=["velo"]), {"payload": payload})
    assert response.status_code == 302
    posts = list(Post.objects.order_by("pk"))
    assert [p.status for p in posts] == ["draft"] * 3
    assert posts[0].publish_at == dt.datetime(2027, 3, 14, 8, 30, tzinfo=dt.UTC)  # Paris is UTC+1 in March
    assert posts[0].campaign.name == "Printemps" and posts[0].title == "Annonce"
    assert posts[0].link == "https://velo.test/fete?x=1"
    assert [v.channel for v in posts[1].variants.all()] == [channels["masto"], channels["bsky"]]
    assert posts[2].publish_at is None
    assert not Variant.objects.exclude(state=Variant.State.PENDING).exists()  # nothing scheduled
    assert AuditEvent.objects.filter(action="post.import", workspace=workspace).count() == 1
    assert all(p.versions.filter(number=1).exists() for p in posts)
    done = client.get(response.url)
    assert done.status_code == 200 and done.content.decode().count("<tr>") == 4


@pytest.mark.parametrize(("row", "problem"), [
    ("2027-02-01,10:00,mastodon,Trop tard,,,,", "in the past"),
    ("2027-03-28,02:30,mastodon,Heure sautée,,,,", "does not exist in Europe/Paris"),
    ("2027-02-30,10:00,mastodon,Pas de 30 février,,,,", "does not exist"),
    ("demain,10:00,mastodon,Date floue,,,,", "is not a date"),
    ("2027-03-14,,mastodon,Sans heure,,,,", "without an hour"),
    ("2027-03-14,25:00,mastodon,Heure folle,,,,", "is not an hour"),
    ("2027-03-14,10:00,twitter,Réseau inconnu,,,,", "unknown channel"),
    ("2027-03-14,10:00,,Sans canal,,,,", "no channel"),
    ("2027-03-14,10:00,mastodon," + "x" * 600 + ",,,,", "500"),
    ("2027-03-14,10:00,bluesky," + "é" * 301 + ",,,,", "300"),
    ("2027-03-14,10:00,mastodon,Lien,javascript:alert(1),,,", "http"),
    ("2027-03-14,10:00,mastodon,Campagne,,Inconnue,,", "unknown campaign"),
    ("2027-03-14,10:00,mastodon,Image,,,absente.png,", "media library"),
    ("2027-03-14,10:00,mastodon,,,,,", "no text"),
])
def test_each_problem_is_shown_on_its_line_and_nothing_is_imported(workspace, cm, channels, as_user, row, problem):
    good = "2027-03-14,10:00,mastodon,Bonne ligne,,,,"
    response = check(as_user(cm), csv_bytes(good, row))
    assert response.status_code == 400
    rows = response.context["preview"].rows
    assert rows[0].errors == [] and rows[1].line == 3
    assert any(problem in error for error in rows[1].errors), rows[1].errors
    assert 'data-testid="import-confirm"' not in response.content.decode()
    assert not Post.objects.exists()


def test_a_network_name_shared_by_two_channels_is_ambiguous(workspace, cm, channels, as_user):
    Channel.objects.create(workspace=workspace, network="mastodon", handle="@autre@mastodon.test")
    response = check(as_user(cm), csv_bytes("2027-03-14,10:00,mastodon,Texte,,,,"))
    assert "names 2 channels" in " ".join(response.context["preview"].rows[0].errors)


def test_a_media_file_of_the_library_is_attached_to_each_variant(workspace, cm, channels, as_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from comptoir.publishing import media

    from .test_media import image_bytes
    asset, _ = media.do_upload(membership_of(cm, workspace), SimpleUploadedFile("affiche.png", image_bytes()),
                               alt_text="Affiche")
    client = as_user(cm)
    response = check(client, csv_bytes('2027-03-14,10:00,"mastodon,bluesky",Avec image,,,affiche.png,'))
    assert response.status_code == 200, response.context["preview"].rows[0].errors
    client.post(reverse("publishing_import_confirm", args=["velo"]), {"payload": response.context["payload"]})
    assert [list(v.media.all()) for v in Variant.objects.all()] == [[asset], [asset]]


def test_formulas_and_html_are_kept_as_literal_text(workspace, cm, channels, as_user):
    data = csv_bytes('2027-03-14,10:00,mastodon,"=HYPERLINK(""http://evil.test"",""clic"")",,,,"<script>alert(1)</script>"')
    client = as_user(cm)
    response = check(client, data)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    client.post(reverse("publishing_import_confirm", args=["velo"]), {"payload": response.context["payload"]})
    post = Post.objects.get()
    assert post.master_text == '=HYPERLINK("http://evil.test","clic")'
    assert post.title == "<script>alert(1)</script>"


def test_french_headers_semicolons_and_an_excel_encoding_are_read(workspace, cm, channels, as_user):
    data = csv_bytes("14/03/2027;09:30;mastodon;Éléphant à vélo;;;;",
                     header="Date;Heure;Canaux;Texte;Lien;Campagne;Média;Titre", encoding="cp1252")
    response = check(as_user(cm), data)
    assert response.status_code == 200
    assert response.context["preview"].rows[0].text == "Éléphant à vélo"


@pytest.mark.parametrize(("data", "problem"), [
    (b"", "empty"),
    (b"PK\x03\x04" + b"\x00" * 100, "Excel"),
    (b"\x00\x01\x02" * 400, "binary data"),  # the listening import's messages are translated already
    (b"date,time,canal,texte,couleur\n", "Unknown columns"),
    (b"date,time,text\n2027-03-14,10:00,x\n", "no “channels” column"),
    (b'channels,text\nmastodon,"never closed\nmastodon,b\nmastodon,c\n', "quotes of the file"),
])
def test_a_file_that_cannot_be_read_is_refused_with_a_reason(workspace, cm, channels, as_user, data, problem):
    response = check(as_user(cm), data)
    assert response.status_code == 400
    page = response.content.decode()
    if data:
        assert any(problem in p for p in response.context["preview"].problems), response.context["preview"].problems
    else:
        assert "empty" in page or "vide" in page
    assert not Post.objects.exists()


def test_a_huge_file_is_refused_before_reading_it(workspace, cm, channels, as_user):
    data = csv_bytes(*["2027-03-14,10:00,mastodon,Texte,,,,"] * 80_000)
    assert len(data) > postimport.MAX_FILE_BYTES
    response = check(as_user(cm), data)
    assert response.status_code == 400 and "too large" in response.content.decode() or "trop" in response.content.decode()
    assert not Post.objects.exists()


def test_too_many_rows_are_refused(workspace, cm, channels, as_user):
    data = csv_bytes(*["2027-03-14,10:00,mastodon,Texte,,,,"] * (postimport.MAX_ROWS + 1))
    response = check(as_user(cm), data)
    assert response.status_code == 400
    assert any("more than" in p for p in response.context["preview"].problems)


def test_a_tampered_or_broken_payload_imports_nothing(workspace, cm, channels, as_user):
    client = as_user(cm)
    for payload in ["", "!!!not base64", base64.b64encode(csv_bytes("2027-01-01,10:00,mastodon,Passé,,,,")).decode()]:
        response = client.post(reverse("publishing_import_confirm", args=["velo"]), {"payload": payload})
        assert response.status_code == 400
    assert not Post.objects.exists()


def test_another_workspaces_channels_campaigns_and_media_are_unknown(workspace, other_workspace, cm, channels, as_user):
    Channel.objects.create(workspace=other_workspace, network="matrix", handle="#autre:matrix.test")
    Campaign.objects.create(workspace=other_workspace, name="Secrète")
    MediaAsset.objects.create(workspace=other_workspace, filename="secret.png", kind="image", content_type="image/png")
    response = check(as_user(cm), csv_bytes("2027-03-14,10:00,#autre:matrix.test,x,,Secrète,secret.png,"))
    errors = " ".join(response.context["preview"].rows[0].errors)
    assert "unknown channel" in errors and "unknown campaign" in errors and "media library" in errors


def test_the_import_is_for_those_who_manage_publishing(workspace, analyst, outsider, contributor, channels, as_user):
    data = csv_bytes("2027-03-14,10:00,mastodon,Texte,,,,")
    assert check(as_user(analyst), data).status_code == 403
    assert check(as_user(contributor), data).status_code == 403
    assert check(as_user(outsider), data).status_code == 404
    payload = base64.b64encode(data).decode()
    assert as_user(outsider).post(reverse("publishing_import_confirm", args=["velo"]), {"payload": payload}).status_code == 404
    assert not Post.objects.exists()


def test_the_page_documents_the_columns_and_offers_the_template(workspace, cm, channels, as_user):
    client = as_user(cm)
    page = client.get(reverse("publishing_import", args=["velo"])).content.decode()
    for column in postimport.COLUMNS:
        assert f"<code>{column}</code>" in page
    template = client.get(reverse("publishing_import_template", args=["velo"]))
    assert template.status_code == 200 and template["Content-Type"].startswith("text/csv")
    preview = postimport.preview(workspace, template.content, "Europe/Paris")
    # The template's own lines read without a column problem (their dates may be past, their channels unknown).
    assert not preview.problems and len(preview.rows) == 2


def test_the_result_page_lists_only_this_workspaces_posts(workspace, other_workspace, cm, as_user):
    theirs = Post.objects.create(workspace=other_workspace, title="Secret")
    page = as_user(cm).get(reverse("publishing_import_done", args=["velo"]), {"posts": f"{theirs.pk},abc,,99999999999999999999"})
    assert page.status_code == 200 and "Secret" not in page.content.decode()


def test_importing_the_same_file_twice_is_flagged_but_allowed(workspace, cm, channels, as_user):
    data = csv_bytes("2027-03-14,10:00,mastodon,Atelier samedi,,,,", "2027-03-14,10:00,bluesky,Atelier samedi,,,,")
    client = as_user(cm)
    first = check(client, data)
    assert [r.warnings for r in first.context["preview"].rows] == [[], ["same text and date as line 2"]]
    client.post(reverse("publishing_import_confirm", args=["velo"]), {"payload": first.context["payload"]})
    again = check(client, data)
    assert again.status_code == 200 and 'data-testid="row-warning"' in again.content.decode()
    assert all("exists already" in r.warnings[0] for r in again.context["preview"].rows)
