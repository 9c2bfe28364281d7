"""The media library through the REST API (the router ``publishing/api/media.py``)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, reverse

from comptoir.publishing.models import MediaAsset, Post, Variant, VariantMedia
from comptoir.workspaces import actions

from .test_media import MP4, image_bytes


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def router_mounted():
    try:
        reverse("api:publishing_media_file", args=["velo", 1])
    except NoReverseMatch:
        pytest.fail("The media API router is not mounted: add `router.add_router(\"\", media.router)` to "
                    "comptoir/publishing/api/__init__.py.", pytrace=False)


def api(user, workspace) -> Client:
    _token, raw = actions.do_create_api_token(user, workspace, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def body(response):
    return json.loads(response.content)


def test_a_cm_uploads_lists_and_reads_a_file_through_the_api(workspace, cm):
    client = api(cm, workspace)
    response = client.post("/api/v1/workspaces/velo/media", {"file": SimpleUploadedFile("a.png", image_bytes()),
                                                              "alt_text": "Un vélo"})
    assert response.status_code == 201, response.content
    data = body(response)
    assert data["kind"] == "image" and data["alt_text"] == "Un vélo" and data["created"] is True
    again = client.post("/api/v1/workspaces/velo/media", {"file": SimpleUploadedFile("b.png", image_bytes())})
    assert again.status_code == 200 and body(again)["id"] == data["id"] and body(again)["created"] is False
    listed = body(client.get("/api/v1/workspaces/velo/media", {"missing_alt": "true"}))
    assert listed == []
    assert [m["id"] for m in body(client.get("/api/v1/workspaces/velo/media"))] == [data["id"]]
    file = client.get(data["file_url"])
    assert file.status_code == 200 and b"".join(file.streaming_content) == image_bytes()


def test_a_lying_file_gets_a_json_error_naming_the_field(workspace, cm):
    client = api(cm, workspace)
    response = client.post("/api/v1/workspaces/velo/media", {"file": SimpleUploadedFile("a.jpg", b"<html>")})
    assert response.status_code == 400 and body(response)["field"] == "file"
    response = client.post("/api/v1/workspaces/velo/media", {"file": SimpleUploadedFile("a.mp4", image_bytes())})
    assert response.status_code == 400 and body(response)["field"] == "file"
    response = client.post("/api/v1/workspaces/velo/media", {"alt_text": "x"})
    assert response.status_code == 400 and body(response)["field"] == "file"
    response = client.post("/api/v1/workspaces/velo/media", {"file": SimpleUploadedFile("a.mp4", MP4),
                                                             "alt_text": "x" * 2000})
    assert response.status_code == 400 and body(response)["field"] == "alt_text"
    assert not MediaAsset.objects.exists()


def test_patch_archive_and_delete_through_the_api(workspace, cm):
    client = api(cm, workspace)
    asset_id = body(client.post("/api/v1/workspaces/velo/media", {"file": SimpleUploadedFile("a.png", image_bytes())}))["id"]
    url = f"/api/v1/workspaces/velo/media/{asset_id}"
    response = client.patch(url, {"alt_text": "Affiche", "archived": True}, content_type="application/json")
    assert response.status_code == 200 and body(response)["alt_text"] == "Affiche" and body(response)["archived_at"]
    assert client.patch(url, {"alt_text": 42}, content_type="application/json").status_code == 422
    assert client.patch(url, "[]", content_type="application/json").status_code == 400
    variant = Variant.objects.create(post=Post.objects.create(workspace=workspace), network="mastodon")
    VariantMedia.objects.create(variant=variant, asset_id=asset_id)
    response = client.delete(url)
    assert response.status_code == 400 and "archive" in body(response)["message"].lower()
    VariantMedia.objects.all().delete()
    assert client.delete(url).status_code == 204
    assert not MediaAsset.objects.exists()


def test_another_workspaces_media_id_is_404_through_the_api(workspace, other_workspace, cm, outsider):
    asset_id = body(api(cm, workspace).post("/api/v1/workspaces/velo/media",
                                            {"file": SimpleUploadedFile("a.png", image_bytes())}))["id"]
    client = api(outsider, other_workspace)
    for method, url in [("get", f"/api/v1/workspaces/autre/media/{asset_id}"),
                        ("get", f"/api/v1/workspaces/autre/media/{asset_id}/file"),
                        ("get", f"/api/v1/workspaces/velo/media/{asset_id}"),
                        ("delete", f"/api/v1/workspaces/autre/media/{asset_id}")]:
        assert getattr(client, method)(url).status_code == 404, url
    assert client.patch(f"/api/v1/workspaces/autre/media/{asset_id}", {"alt_text": "x"},
                        content_type="application/json").status_code == 404
    assert MediaAsset.objects.get(pk=asset_id).alt_text == ""


def test_an_analyst_token_reads_but_cannot_upload(workspace, analyst):
    client = api(analyst, workspace)
    assert client.get("/api/v1/workspaces/velo/media").status_code == 200
    response = client.post("/api/v1/workspaces/velo/media", {"file": SimpleUploadedFile("a.png", image_bytes())})
    assert response.status_code == 403
