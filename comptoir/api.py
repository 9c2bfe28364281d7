"""The REST API under /api/v1/: personal tokens, JSON errors naming the field."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer

from comptoir.lib.sanitize import clean_data
from comptoir.workspaces import actions
from comptoir.workspaces.models import ApiToken


class CleanParser(Parser):
    """JSON bodies are cleaned once (NUL, lone surrogates) before any schema or action reads them."""

    def parse_body(self, request):
        return clean_data(super().parse_body(request))


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = ApiToken.authenticate(token.strip())
        if found is None:
            return None
        actions.touch_api_token(found)
        request.user = found.user
        translation.activate(found.user.language)
        return found


api = NinjaAPI(
    title="Comptoir API",
    version="1",
    description="Personal tokens: `Authorization: Bearer cpt_…`, created in your account settings or with "
    "`comptoir token create`. Each token works on one workspace, with its owner's role.",
    auth=TokenAuth(),
    parser=CleanParser(),
    urls_namespace="api",
)


def _error(request, status: int, message: str, field: str | None = None, errors: list | None = None):
    body: dict = {"message": message, "field": field}
    if errors:
        body["errors"] = errors
    return api.create_response(request, body, status=status)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc):
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        errors.append({"field": ".".join(loc) or None, "message": err.get("msg", "")})
    first = errors[0] if errors else {"field": None, "message": ""}
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


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    return _error(request, exc.status_code, str(exc))


from comptoir.workspaces.api import router as workspaces_router  # noqa: E402

api.add_router("/workspaces", workspaces_router)
