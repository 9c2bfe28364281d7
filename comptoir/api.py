"""The REST API under /api/v1/: personal tokens, JSON errors naming the field, docs served from our own files."""

import json
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.core.signals import got_request_exception
from django.http import Http404
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger
from ninja.parser import Parser
from ninja.security import HttpBearer

from comptoir.errors import api_error, status_message
from comptoir.lib.sanitize import clean_data
from comptoir.uploads import UploadTooLarge
from comptoir.workspaces import actions, throttle
from comptoir.workspaces.models import ApiToken

logger = logging.getLogger("comptoir.api")


class TokenThrottled(HttpError):
    def __init__(self, wait: int):
        self.wait = wait
        super().__init__(429, "throttled")


class TokenAuth(HttpBearer):
    """Personal tokens; failed attempts slow down the client address that makes them (see ``throttle``)."""

    def __call__(self, request):
        if not request.headers.get(self.header):
            return None
        keys = [(throttle.Scope.TOKEN_ADDRESS, throttle.client_address(request))]
        counters = throttle.rows(keys)
        wait = throttle.remaining(counters)
        if wait:
            logger.info("API token attempt from %s refused: locked for %d s more", keys[0][1], wait)
            raise TokenThrottled(wait)
        found = super().__call__(request)
        if found is None:
            if throttle.count_failure(keys):
                logger.warning("API token attempts locked for %s after repeated failures", keys[0][1])
        elif counters:
            throttle.clear(keys)
        return found

    def authenticate(self, request, token):
        found = ApiToken.authenticate(token.strip())
        if found is None:
            return None
        actions.touch_api_token(found)
        request.user = found.user
        translation.activate(found.user.language)
        return found


class BodyNotAnObject(ValueError):
    pass


class ObjectParser(Parser):
    """Every request body is a JSON object: ``[]``, ``null`` or ``42`` are refused, not read as empty. Its text is
    cleaned once (NUL, lone surrogates) before any schema or action reads it."""

    def parse_body(self, request):
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise BodyNotAnObject
        return clean_data(data)


class Docs(Swagger):
    """Swagger UI from our own static files: nothing from a CDN (our CSP forbids it, and an instance may be offline)."""

    template = "api/docs.html"

    def render_page(self, request, api, **kwargs):
        ui_settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(request, self.template, {"swagger_settings": ui_settings, "api": api})


api = NinjaAPI(
    title="Comptoir API",
    version="1",
    description="Personal tokens: `Authorization: Bearer cpt_…`, created in your account settings or with "
    "`comptoir token create`. Each token works on one workspace, with its owner's role. Every error is JSON: "
    "`{\"message\": …, \"field\": …}`, in the token owner's language.",
    auth=TokenAuth(),
    urls_namespace="api",
    parser=ObjectParser(),
    docs=Docs(settings={"validatorUrl": None}),
)


def _error(request, status: int, message: str, field: str | None = None, errors: list | None = None):
    return api_error(status, message, field, **({"errors": errors} if errors else {}))


def _schema_message(err: dict) -> str:
    """Pydantic's message for one error, in the user's language for the kinds people meet."""
    ctx = err.get("ctx") or {}
    kind = err.get("type", "")
    with_limits = {
        "string_too_long": _("At most %(max_length)s characters."),
        "string_too_short": _("At least %(min_length)s characters."),
        "too_long": _("At most %(max_length)s items."),
        "too_short": _("At least %(min_length)s items."),
        "greater_than_equal": _("Must be %(ge)s or more."),
        "greater_than": _("Must be more than %(gt)s."),
        "less_than_equal": _("Must be %(le)s or less."),
        "less_than": _("Must be less than %(lt)s."),
    }
    if kind in with_limits:
        try:
            return with_limits[kind] % ctx
        except (KeyError, TypeError):
            return err.get("msg", "")
    messages = {
        "missing": _("This field is required."),
        "string_type": _("Must be text (a JSON string)."),
        "int_type": _("Must be a whole number."),
        "int_parsing": _("Must be a whole number."),
        "int_from_float": _("Must be a whole number."),
        "bool_type": _("Must be true or false."),
        "bool_parsing": _("Must be true or false."),
        "dict_type": _("Must be a JSON object."),
        "model_type": _("Must be a JSON object."),
        "model_attributes_type": _("Must be a JSON object."),
        "list_type": _("Must be a list."),
        "string_pattern_mismatch": _("Does not have the expected form."),
    }
    return messages.get(kind, err.get("msg", ""))


def _field_of(loc) -> str:
    """The body or query field an error is about: its location without where it was (``body``, ``query``, ``path``)
    nor the schema parameter it was read into (``payload``, ``filters``). Only those leading parts go: a field may
    itself be called ``body`` (a comment's text)."""
    parts = [str(p) for p in loc]
    if parts[:1] and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
    if parts[:1] and parts[0] in ("payload", "filters"):
        parts = parts[1:]
    return ".".join(parts)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc):
    errors = []
    for err in exc.errors:
        errors.append({"field": _field_of(err.get("loc", [])) or None, "message": _schema_message(err)})
    first = errors[0] if errors else {"field": None, "message": ""}
    if first["field"] is None and exc.errors and exc.errors[0].get("type") == "missing":
        return _error(request, 422, _("The request body is empty: send a JSON object."), None, errors)
    message = _("Invalid value for “%(field)s”: %(detail)s") % {"field": first["field"] or "body", "detail": first["message"]}
    return _error(request, 422, message, first["field"], errors)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        message = " ".join(m for e in errors for m in e.messages)
        return _error(request, 400, message, None if field == "__all__" else field)
    return _error(request, 400, " ".join(exc.messages))


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return _error(request, 403, str(exc) or _("Your role in this workspace does not allow this."))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, _("Not found (or not in this token's workspace)."))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return _error(request, 401, _("Missing or invalid API token. Send `Authorization: Bearer <token>`."))


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    return _error(request, 413, _("The request body is too large: at most %(size)s.") % {
        "size": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)})


@api.exception_handler(UploadTooLarge)
def on_upload_too_large(request, exc):
    # A file passed its limit while the form was read (comptoir/uploads.py): its field and the limit.
    return _error(request, 413, exc.message(), exc.field)


@api.exception_handler(TokenThrottled)
def on_throttled(request, exc):
    response = _error(request, 429, _("Too many failed token attempts from your address. Try again in %(wait)s.") % {
        "wait": throttle.wait_text(exc.wait)})
    response["Retry-After"] = str(exc.wait)
    return response


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    # Ninja wraps a body it could not parse in HttpError(400); the cause says what was wrong with it.
    cause = exc.__cause__
    if isinstance(cause, BodyNotAnObject):
        return _error(request, 400, _("The request body must be a JSON object, such as {\"name\": \"…\"}."))
    if isinstance(cause, json.JSONDecodeError):
        return _error(request, 400, _("The request body is not valid JSON (line %(line)d, column %(column)d).") % {
            "line": cause.lineno, "column": cause.colno})
    if isinstance(cause, ValueError):
        return _error(request, 400, _("The request body is not valid JSON: send UTF-8 text."))
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(Exception)
def on_crash(request, exc):
    logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
    got_request_exception.send(sender=None, request=request)
    return _error(request, 500, status_message(500))


from comptoir.workspaces.api import router as workspaces_router  # noqa: E402

api.add_router("/workspaces", workspaces_router)

from comptoir.publishing.api import router as publishing_router  # noqa: E402

api.add_router("/workspaces", publishing_router)

from comptoir.inbox.api import router as inbox_router  # noqa: E402

api.add_router("/workspaces", inbox_router)

from comptoir.moderation.api import router as moderation_router  # noqa: E402

api.add_router("/workspaces", moderation_router)
