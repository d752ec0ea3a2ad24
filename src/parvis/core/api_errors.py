"""One JSON shape for every API error: {"code": "<stable machine code>", "message": "<human text>", ...}."""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, ValidationError


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, **extra):
        self.code, self.message, self.status, self.extra = code, message, status, extra


def install(api) -> None:
    @api.exception_handler(ApiError)
    def _api_error(request, exc: ApiError):
        return api.create_response(
            request, {"code": exc.code, "message": exc.message, **exc.extra}, status=exc.status
        )

    @api.exception_handler(ValidationError)
    def _validation(request, exc: ValidationError):
        fields = []
        for error in exc.errors:
            loc = [str(p) for p in error.get("loc", []) if p not in ("query", "body", "path")]
            fields.append({"field": ".".join(loc), "message": error.get("msg", "")})
        return api.create_response(
            request,
            {"code": "invalid_input", "message": _("Paramètres invalides."), "errors": fields},
            status=422,
        )

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return api.create_response(request, {"code": "not_found", "message": _("Introuvable.")}, status=404)

    @api.exception_handler(AuthenticationError)
    def _unauthorized(request, exc):
        return api.create_response(
            request, {"code": "unauthorized", "message": _("Authentification requise.")}, status=401
        )

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        return api.create_response(
            request, {"code": "http_error", "message": str(exc)}, status=exc.status_code
        )


def reject_unknown_params(request, allowed: set[str]) -> None:
    unknown = sorted(set(request.GET) - allowed)
    if unknown:
        raise ApiError(
            "unknown_parameter",
            _("Paramètre inconnu : %(names)s") % {"names": ", ".join(unknown)},
            status=400,
            parameters=unknown,
        )
