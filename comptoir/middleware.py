"""What comes in over HTTP is cleaned once, here, before any view, form or query sees it.

NUL characters and lone surrogates make PostgreSQL fail ("string literal cannot contain NUL",
UnicodeEncodeError), and other control characters have no business in a query string, a form or a
cookie. Rather than guard every field, this middleware cleans every query-string and form value and
name, and every cookie, with :func:`comptoir.lib.sanitize.clean_input`. JSON bodies are cleaned by
the API's parser (``comptoir.api``), and fetched or pushed items by ingestion (``stream.ingest``):
signed webhook bodies must stay byte for byte what was signed until the signature is checked.
"""

from django.http import QueryDict

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
        request.GET = _clean_query_dict(request.GET)
        request.COOKIES = {clean_input(k): clean_input(v) for k, v in request.COOKIES.items()}
        if (request.method == "POST" and request.content_type in FORM_TYPES
                and not request.path_info.startswith(RAW_BODY_PREFIXES)):
            request.POST = _clean_query_dict(request.POST)
        return self.get_response(request)
