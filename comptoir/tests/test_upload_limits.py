"""Upload caps before and while the body is read: a body declared too large is refused unread, a body without a
length is refused, a file past its limit is stopped as it arrives (its temporary file deleted) and the answer names
the field and the limit — a page, or ``{message, field}`` under /api/."""

from __future__ import annotations

import io
import json

import pytest
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import resolve
from django.utils import translation

from comptoir import uploads
from comptoir.publishing import requests as request_actions
from comptoir.publishing.models import MediaAsset, RequestAttachment
from comptoir.workspaces import actions

MEDIA_PAGE = "/w/velo/publishing/media/upload/"
MEDIA_API = "/api/v1/workspaces/velo/media"


class CountingInput(io.RawIOBase):
    """A request body that counts what is read of it; ``explode``: reading any of it fails the test."""

    def __init__(self, data: bytes = b"", *, explode: bool = False):
        self.data, self.explode, self.read_bytes = io.BytesIO(data), explode, 0

    def readable(self):
        return True

    def read(self, size=-1):
        if self.explode:
            raise AssertionError("the body was read")
        chunk = self.data.read(size)
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size=-1):
        return self.read(size)


def size(n: int, language: str = "fr") -> str:
    with translation.override(language):
        return filesizeformat(n)


def api(user, workspace):
    _token, raw = actions.do_create_api_token(user, workspace, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def multipart(files: dict[str, tuple[str, bytes]], **fields) -> bytes:
    data = dict(fields)
    for name, (file_name, content) in files.items():
        upload = io.BytesIO(content)
        upload.name = file_name
        data[name] = upload
    return encode_multipart(BOUNDARY, data)


def send(client, path, body: bytes, *, declared: int | None = None, stream=None, **extra):
    """A real multipart POST whose declared length may differ from the body (a client can claim anything)."""
    stream = stream if stream is not None else CountingInput(body)
    response = client.generic("POST", path, body, content_type=MULTIPART_CONTENT, **{
        "CONTENT_LENGTH": str(len(body) if declared is None else declared), "wsgi.input": stream, **extra})
    return response, stream


@pytest.fixture
def temp_dir(settings, tmp_path):
    """Every upload goes through a temporary file there (nothing in memory), to see that it is gone after."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    return tmp_path


# Declared too large: refused before a byte is read -------------------------------------------------------------


def test_a_declared_body_over_the_largest_upload_is_refused_unread_with_a_page(as_user, cm):
    body = multipart({"file": ("film.mp4", b"x" * 1000)})
    declared = uploads.max_request_bytes() + 1

    response, _stream = send(as_user(cm), MEDIA_PAGE, body, declared=declared, stream=CountingInput(explode=True))

    assert response.status_code == 413
    html = response.content.decode()
    # In French (the default language: no cookie, no Accept-Language), naming the limit: 500 MB of video.
    assert 'data-testid="too-large"' in html and size(500 * 1024 * 1024) in html and 'lang="fr"' in html
    assert "Connection" not in response  # a hop-by-hop header: WSGI servers refuse it from the application
    assert not MediaAsset.objects.exists()


def test_the_page_speaks_the_browsers_language(as_user, cm):
    response, _stream = send(as_user(cm), MEDIA_PAGE, b"x", declared=2**40, stream=CountingInput(explode=True),
                             HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 413 and "500.0\xa0MB" in response.content.decode()


def test_a_declared_body_over_the_largest_upload_gets_json_under_the_api(workspace, cm):
    response, _stream = send(api(cm, workspace), MEDIA_API, b"x", declared=uploads.max_request_bytes() + 1,
                             stream=CountingInput(explode=True))

    assert response.status_code == 413
    body = json.loads(response.content)
    assert body["field"] is None and size(500 * 1024 * 1024) in body["message"]  # the token owner's: French


@pytest.mark.parametrize(("path", "content_type"), [(MEDIA_PAGE, "text/plain"), ("/hooks/webhook/1/", "application/json"),
                                                    ("/login/", "application/x-www-form-urlencoded")])
def test_any_body_declared_over_the_cap_is_refused_first_whatever_its_type_or_path(client, db, path, content_type):
    """The middleware's own check: before the session, the log-in check, CSRF or a webhook's signature."""
    response = client.generic("POST", path, b"x", content_type=content_type, **{
        "CONTENT_LENGTH": str(uploads.max_request_bytes() + 1), "wsgi.input": CountingInput(explode=True)})

    assert response.status_code == 413


def test_a_parser_without_the_middleware_still_refuses_a_declared_body_over_the_cap(rf):
    """The handlers' own check (a form read by code the middleware did not see first): raised before reading."""
    request = rf.generic("POST", MEDIA_PAGE, b"x", content_type=MULTIPART_CONTENT, **{
        "CONTENT_LENGTH": str(uploads.max_request_bytes() + 1), "wsgi.input": CountingInput(explode=True)})

    with pytest.raises(uploads.UploadTooLarge) as refused:
        request.POST  # noqa: B018
    assert refused.value.field is None and refused.value.limit == uploads.max_upload_bytes()


def test_the_margin_lets_a_largest_upload_and_its_form_through(as_user, cm):
    """Just under the cap, the body is read (the view then answers about the file itself)."""
    body = multipart({"file": ("affiche.png", b"not a png")}, alt_text="Affiche")
    response, stream = send(as_user(cm), MEDIA_PAGE, body, declared=len(body))

    assert response.status_code == 400 and stream.read_bytes == len(body)  # the view's own "not a PNG" answer
    assert uploads.max_request_bytes() > uploads.max_upload_bytes() >= 500 * 1024 * 1024


def test_a_body_without_a_declared_length_is_refused_unread(as_user, workspace, cm):
    """Chunked: Django would read it as an empty form. 411, and nothing read, on a page or the API."""
    for client, path in ((as_user(cm), MEDIA_PAGE), (api(cm, workspace), MEDIA_API)):
        stream = CountingInput(explode=True)
        response = client.generic("POST", path, b"", **{
            "CONTENT_TYPE": MULTIPART_CONTENT, "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": stream})
        assert response.status_code == 411, path
        assert "Content-Length" in response.content.decode()
    body = json.loads(response.content)
    assert body["field"] is None and body["message"]


@pytest.mark.parametrize("length", ["abc", "-5", "1e9"])
def test_a_malformed_length_is_refused_unread(as_user, cm, length):
    response, _stream = send(as_user(cm), MEDIA_PAGE, b"x", stream=CountingInput(explode=True), CONTENT_LENGTH=length)
    assert response.status_code == 411


def test_a_body_longer_than_declared_is_read_no_further_than_declared(as_user, cm):
    """A client lying about a huge body: what Django reads is what was declared (the rest is never read)."""
    body = multipart({"file": ("affiche.png", b"x" * 100)})
    stream = CountingInput(body + b"y" * 5_000_000)

    response, _stream = send(as_user(cm), MEDIA_PAGE, body, declared=len(body), stream=stream)

    assert response.status_code == 400 and stream.read_bytes == len(body)


# A file past its limit while it arrives -------------------------------------------------------------------------


def test_an_image_over_its_limit_is_stopped_as_it_arrives_on_the_page(as_user, cm, settings, temp_dir):
    settings.COMPTOIR_MEDIA_MAX_IMAGE_BYTES = 200_000
    body = multipart({"file": ("photo.png", b"x" * 3_000_000)}, alt_text="Une photo")

    response, stream = send(as_user(cm), MEDIA_PAGE, body)

    assert response.status_code == 413
    html = response.content.decode()
    assert "« photo.png »" in html and "« file »" in html and size(200_000) in html  # the page speaks French here
    assert stream.read_bytes < 1_000_000  # stopped soon after the limit, not read to the end
    assert list(temp_dir.iterdir()) == []  # the temporary file is gone
    assert not MediaAsset.objects.exists()


def test_a_video_has_its_own_larger_limit(as_user, cm, settings, temp_dir):
    settings.COMPTOIR_MEDIA_MAX_IMAGE_BYTES = 200_000
    settings.COMPTOIR_MEDIA_MAX_VIDEO_BYTES = 400_000
    under = multipart({"file": ("film.mp4", b"x" * 300_000)})
    over = multipart({"file": ("film.mp4", b"x" * 500_000)})

    assert send(as_user(cm), MEDIA_PAGE, under)[0].status_code == 400  # received, then refused as no real MP4
    response, _stream = send(as_user(cm), MEDIA_PAGE, over)
    assert response.status_code == 413 and size(400_000) in response.content.decode()
    assert list(temp_dir.iterdir()) == []


def test_small_files_kept_in_memory_are_capped_too(as_user, cm, settings):
    settings.COMPTOIR_MEDIA_MAX_IMAGE_BYTES = 10_000  # and Django's default: bodies under 2.5 MB stay in memory
    body = multipart({"file": ("photo.png", b"x" * 50_000)})

    response, _stream = send(as_user(cm), MEDIA_PAGE, body)

    assert response.status_code == 413 and "photo.png" in response.content.decode()


def test_an_image_over_its_limit_gets_json_naming_the_field_through_the_api(workspace, cm, settings, temp_dir):
    settings.COMPTOIR_MEDIA_MAX_IMAGE_BYTES = 200_000
    body = multipart({"file": ("photo.png", b"x" * 3_000_000)})

    response, stream = send(api(cm, workspace), MEDIA_API, body)

    assert response.status_code == 413
    error = json.loads(response.content)
    assert error["field"] == "file" and "photo.png" in error["message"] and size(200_000) in error["message"]
    assert stream.read_bytes < 1_000_000 and list(temp_dir.iterdir()) == []
    assert not MediaAsset.objects.exists()


def test_an_attachment_over_its_limit_is_stopped_page_and_api(workspace, cm, contributor, as_user, monkeypatch,
                                                               temp_dir):
    monkeypatch.setattr(request_actions, "ATTACHMENT_MAX_BYTES", 100_000)
    small = ("brief.pdf", b"%PDF-1.4 small")
    big = ("dossier.pdf", b"x" * 1_000_000)
    body = multipart({"attachments": big}, goal="Annoncer la fête du vélo")

    response, _stream = send(as_user(contributor), "/w/velo/publishing/requests/new/", body)
    assert response.status_code == 413 and "dossier.pdf" in response.content.decode()

    # Through the API, for a request that does not even exist: refused while the form is read, before the view.
    response, _stream = send(api(cm, workspace), "/api/v1/workspaces/velo/requests/999999/attachments",
                             encode_multipart(BOUNDARY, {"files": [_named(small), _named(big)]}))
    error = json.loads(response.content)
    assert response.status_code == 413 and error["field"] == "files" and size(100_000) in error["message"]
    assert list(temp_dir.iterdir()) == []  # the first file, received whole, is deleted too
    assert not RequestAttachment.objects.exists()


def _named(pair):
    upload = io.BytesIO(pair[1])
    upload.name = pair[0]
    return upload


def test_the_limits_follow_the_screens_they_name():
    """A renamed view or route would silently fall back on the largest limit: keep this table honest."""
    paths = {"/w/velo/publishing/media/upload/": uploads.MEDIA_VIEWS, MEDIA_API: uploads.MEDIA_VIEWS,
             "/w/velo/publishing/requests/new/": uploads.ATTACHMENT_VIEWS,
             "/w/velo/publishing/requests/3/attach/": uploads.ATTACHMENT_VIEWS,
             "/api/v1/workspaces/velo/requests": uploads.ATTACHMENT_VIEWS,
             "/api/v1/workspaces/velo/requests/3/attachments": uploads.ATTACHMENT_VIEWS}
    for path, names in paths.items():
        assert resolve(path).view_name in names, path


def test_forms_without_files_are_untouched(as_user, cm):
    """Ordinary forms are read and cleaned as before (NUL characters removed)."""
    response = as_user(cm).post("/w/velo/publishing/media/upload/", {"alt_text": "a\x00b"})
    assert response.status_code == 400 and response.wsgi_request.POST["alt_text"] == "ab"
