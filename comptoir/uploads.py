"""Upload size caps, enforced before and while a body is read, not after it was written to disk.

Two guards (the views keep their own, finer checks):

- :class:`~comptoir.middleware.CleanInputMiddleware` refuses, before reading a byte of the body, a request whose
  declared ``Content-Length`` is over :func:`max_request_bytes` (the largest upload Comptoir accepts anywhere plus a
  margin for the form's other fields), and a body sent without a length (chunked), which Django cannot read: a
  translated 413 (411) page, or ``{message, field}`` under ``/api/``.
- The upload handlers (``FILE_UPLOAD_HANDLERS``) stop a file as soon as it passes the limit of the screen or endpoint it
  is sent to (:func:`file_limit`): the file being written is deleted, nothing more of the body is read, and
  :class:`UploadTooLarge` reaches the middleware (pages) or the API's exception handler, which answer 413 naming the
  field and the limit. It is a ``MultiPartParserError``: Django's parser lets it through (``SkipFile`` would read the
  rest of the file and hand the view a form without it, which then says "required"; ``StopUpload`` hands it a
  truncated form), closes the files already received, and anything that still reads the form gets an empty one.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.template import loader
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _

# Multipart framing: boundaries and each part's headers.
FRAMING_MARGIN = 1024 * 1024
# Screens and endpoints that take files, by view name (``api:`` ones are the API's paths, named after their first
# route); any other takes files up to the largest limit.
MEDIA_VIEWS = frozenset({"publishing_media_upload", "api:list_media"})
ATTACHMENT_VIEWS = frozenset({"publishing_request_new", "publishing_request_attach", "api:list_requests",
                              "api:list_attachments"})


def _media_limits() -> tuple[int, int]:
    from comptoir.publishing import media

    return media.max_image_bytes(), media.max_video_bytes()


def _attachment_limits() -> tuple[int, int]:
    from comptoir.publishing import requests

    return requests.ATTACHMENT_MAX_BYTES, requests.MAX_ATTACHMENTS


def _other_file_limits() -> list[int]:
    from comptoir.connectors.csvimport.importer import MAX_FILE_BYTES as CSV_IMPORT
    from comptoir.publishing.postimport import MAX_FILE_BYTES as POST_IMPORT

    return [CSV_IMPORT, POST_IMPORT]


def max_file_bytes() -> int:
    """The largest single file any screen accepts."""
    attachment, _count = _attachment_limits()
    return max(*_media_limits(), attachment, *_other_file_limits())


def max_upload_bytes() -> int:
    """The largest set of files one request may carry (the video limit by default; ten attachments otherwise)."""
    attachment, count = _attachment_limits()
    return max(max_file_bytes(), attachment * count)


def max_request_bytes() -> int:
    """A declared body larger than this is refused unread: the largest upload, the form's other fields, framing."""
    return max_upload_bytes() + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + FRAMING_MARGIN


def file_limit(request, file_name: str) -> int:
    """The most one file sent to this request's screen or endpoint may weigh."""
    try:
        view = resolve(request.path_info).view_name
    except Resolver404:
        view = ""
    if view in MEDIA_VIEWS:
        from comptoir.publishing import media

        image, video = _media_limits()
        extension = os.path.splitext(file_name or "")[1].lower().lstrip(".")
        if extension in media.IMAGE_TYPES:
            return image
        return video if extension in media.VIDEO_TYPES else max(image, video)
    if view in ATTACHMENT_VIEWS:
        return _attachment_limits()[0]
    return max_file_bytes()


class UploadTooLarge(MultiPartParserError):
    """A file passed its limit while it was being received (or a body was declared too large)."""

    def __init__(self, limit: int, field: str | None = None, file_name: str = ""):
        super().__init__(f"upload over {limit} bytes in field {field!r}")
        self.limit, self.field, self.file_name = limit, field, file_name

    def message(self) -> str:
        """What to tell the person, in the active language."""
        size = filesizeformat(self.limit)
        if self.field is None:
            return request_too_large_message(self.limit)
        return _("The file “%(name)s” (field “%(field)s”) is too large: at most %(size)s.") % {
            "name": self.file_name or "?", "field": self.field, "size": size}


def request_too_large_message(limit: int | None = None) -> str:
    return _("The upload is too large: at most %(size)s per sending. Send smaller or fewer files.") % {
        "size": filesizeformat(limit if limit is not None else max_upload_bytes())}


class _Capped:
    """Stops the file being received once it passes :func:`file_limit` (the handler's own copy is dropped)."""

    limit: int

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # The declared length, for callers that parse a body without the middleware's check.
        if content_length > max_request_bytes():
            raise UploadTooLarge(max_upload_bytes())
        return super().handle_raw_input(input_data, META, content_length, boundary, encoding)

    def new_file(self, field_name, file_name, *args, **kwargs):
        self.limit = file_limit(self.request, file_name)
        self.field_name, self.file_name = field_name, file_name  # also set by super(), which may stop the handlers
        super().new_file(field_name, file_name, *args, **kwargs)

    def holds_file(self) -> bool:
        return True

    def receive_data_chunk(self, raw_data, start):
        # Checked by the handler that keeps the file (the next ones never see the chunk), which drops its copy.
        if self.holds_file() and start + len(raw_data) > self.limit:
            self.file.close()  # a temporary file is deleted on close
            raise UploadTooLarge(self.limit, self.field_name, self.file_name)
        return super().receive_data_chunk(raw_data, start)


class CappedMemoryUploadHandler(_Capped, MemoryFileUploadHandler):
    """Small bodies (under ``FILE_UPLOAD_MAX_MEMORY_SIZE``): in memory, as Django does, with the cap."""

    def holds_file(self) -> bool:
        return self.activated  # otherwise the chunks go on to the temporary file


class CappedUploadHandler(_Capped, TemporaryFileUploadHandler):
    """Larger ones: streamed to a temporary file, stopped (and the file deleted) once past the cap."""


def too_large_response(request, message: str | Callable[[], str], *, field: str | None = None, status: int = 413) -> HttpResponse:
    """The 413 (or 411) answer given before any view: JSON under /api/, a page elsewhere, in the person's language
    (``message`` may be a callable, called once that language is active).

    It runs before the language and session middlewares: the API speaks the token owner's language, a page the one
    of the language cookie or the browser.
    """
    from comptoir.errors import _activate_token_language, api_error, is_api

    if is_api(request):
        with translation.override(translation.get_language()):
            _activate_token_language(request)
            response = api_error(status, message() if callable(message) else message, field)
    else:
        with translation.override(translation.get_language_from_request(request)):
            text = message() if callable(message) else message
            html = loader.render_to_string("errors/413.html", {"message": text, "status": status})
            response = HttpResponse(html, status=status)
    # No "Connection: close" here: WSGI forbids hop-by-hop headers (runserver asserts); the server deals with the
    # unread rest of the body (gunicorn closes or discards it, without writing it anywhere).
    return response
