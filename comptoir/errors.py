"""Error pages that keep the app's look and speak the user's language; JSON for API callers.

Under ``/api/`` every error is ``{"message": …, "field": …}`` (see ``api_error``), whoever produced it:
a route, Django's URL resolver or an uncaught exception.
"""

import logging

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Schema

logger = logging.getLogger("comptoir.errors")
API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def status_message(status: int) -> str:
    """The generic message of an API error status, in the active language."""
    messages = {
        400: _("The request could not be read: check its syntax."),
        401: _("Missing or invalid API token. Send `Authorization: Bearer <token>`."),
        403: _("Your role in this workspace does not allow this."),
        404: _("Not found (or not in this token's workspace)."),
        405: _("This method is not allowed on this address."),
        413: _("The request body is too large."),
        429: _("Too many requests: wait a moment and try again."),
    }
    return messages.get(status, _("Something went wrong on our side. The error is in the server logs; try again later."))


def api_error(status: int, message: str | None = None, field: str | None = None, **extra) -> JsonResponse:
    """The one shape of an API error: ``{"message", "field"}`` plus optional details."""
    body = {"message": message or status_message(status), "field": field, **extra}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False},
                        content_type="application/json; charset=utf-8")


class ApiFieldError(Schema):
    field: str | None
    message: str


class ApiError(Schema):
    """Every API error: a message in the token owner's language and the field at fault (or null)."""

    message: str
    field: str | None
    errors: list[ApiFieldError] | None = None


def api_responses(ok: dict, *, workspace: bool = True, body: bool = False) -> dict:
    """A route's ``response=``: its success answers plus the errors it can give, for the OpenAPI document.

    Every route: 401 (token), 422 (parameters), 429 (too many failed token attempts). Routes on a workspace:
    403 (role) and 404 (not in the token's workspace). Routes with a body: 400 (not a JSON object) and 413.
    """
    codes = [401, 422, 429] + ([403, 404] if workspace else []) + ([400, 413] if body else [])
    return {**ok, **dict.fromkeys(sorted(codes), ApiError)}


def _activate_token_language(request) -> None:
    """Speak the token owner's language on errors raised before the API saw the token (unknown routes).

    Through the API's own token check, so that these answers are throttled like any other token attempt.
    """
    from comptoir.api import TokenAuth, TokenThrottled

    try:
        TokenAuth()(request)  # activates the owner's language when the token is good
    except TokenThrottled:
        pass


def api_json_errors(get_response):
    """Middleware: an error response under /api/ that is not JSON (405 from the router, …) becomes JSON."""

    def middleware(request):
        response = get_response(request)
        status = response.status_code
        if not is_api(request) or status < 400 or response.get("Content-Type", "").startswith("application/json"):
            return response
        if status < 500:
            _activate_token_language(request)
        message = None
        if status == 405 and "Allow" in response:
            message = _("This method is not allowed on this address. Allowed: %(methods)s.") % {"methods": response["Allow"]}
        converted = api_error(status, message)
        for header in ("Allow", "Retry-After"):
            if header in response:
                converted[header] = response[header]
        return converted

    return middleware


def forbidden(request, exception=None):
    if is_api(request):
        return api_error(403, str(exception) if exception else None)
    return render(request, "errors/403.html", {"message": str(exception) if exception else ""}, status=403)


def not_found(request, exception=None):
    if is_api(request):
        _activate_token_language(request)
        return api_error(404)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    """Rendered without the database (which may be what failed): no context processors, no session, no user."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        if is_api(request):
            return api_error(500)
        try:
            return HttpResponse(loader.render_to_string("errors/500.html"), status=500)
        except Exception:
            logger.exception("The 500 page itself failed to render")
            return HttpResponse("<!doctype html><title>Comptoir</title><h1>Erreur / Error 500</h1>", status=500)
