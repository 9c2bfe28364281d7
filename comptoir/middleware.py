"""What comes in over HTTP is cleaned once, here, before any view, form or query sees it.

NUL characters and lone surrogates make PostgreSQL fail ("string literal cannot contain NUL",
UnicodeEncodeError), and other control characters have no business in a query string, a form or a
cookie. Rather than guard every field, this middleware cleans every query-string and form value and
name, and every cookie, with :func:`comptoir.lib.sanitize.clean_input`. JSON bodies are cleaned by
the API's parser (``comptoir.api``), and fetched or pushed items by ingestion (``stream.ingest``):
signed webhook bodies must stay byte for byte what was signed until the signature is checked.

As it is the first to read a form's body, it also refuses a body too large to be an upload Comptoir accepts, before
reading it, and one sent without a declared length (chunked: Django would read it as empty); and it answers a file that
passed its limit while the form was read (see :mod:`comptoir.uploads`).
"""

from django.http import QueryDict
from django.utils.translation import gettext as _

from comptoir import uploads
from comptoir.lib.sanitize import clean_input

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Machine endpoints read their raw JSON body: parsing it as a form here would consume it.
RAW_BODY_PREFIXES = ("/api/", "/hooks/")


def _clean_query_dict(data: QueryDict) -> QueryDict:
    if all(clean_input(k) == k and all(clean_input(v) == v for v in values) for k, values in data.lists()):
        return data
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        cleaned.setlist(clean_input(key), [clean_input(v) for v in values])
    cleaned._mutable = False
    return cleaned


class CleanInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = _refuse_body(request)
        if refused is not None:
            return refused
        request.GET = _clean_query_dict(request.GET)
        request.COOKIES = {clean_input(k): clean_input(v) for k, v in request.COOKIES.items()}
        if (request.method == "POST" and request.content_type in FORM_TYPES
                and not request.path_info.startswith(RAW_BODY_PREFIXES)):
            try:
                request.POST = _clean_query_dict(request.POST)
            except uploads.UploadTooLarge as exc:
                return uploads.too_large_response(request, exc.message, field=exc.field)
        return self.get_response(request)


def _declared_length(request) -> int | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return length if length >= 0 else None


def _refuse_body(request):
    """A 413 for a declared body over the largest upload, a 411 for a body without a length; None otherwise."""
    length = _declared_length(request)
    if length is not None:
        if length > uploads.max_request_bytes():
            return uploads.too_large_response(request, uploads.request_too_large_message)
        return None
    if request.META.get("HTTP_TRANSFER_ENCODING") or request.META.get("CONTENT_LENGTH"):
        # A chunked body (or a length that is not a number): Django reads such a body as empty, and would hand the
        # view an empty form. Say so rather than lose what was sent.
        return uploads.too_large_response(request, lambda: _(
            "The request did not say how large it is (Content-Length): send it again with its length."), status=411)
    return None
