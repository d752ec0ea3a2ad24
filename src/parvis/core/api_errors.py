"""One JSON shape for every API error: {"code": "<stable machine code>", "message": "<human text>", ...}.

Each operation declares, in the OpenAPI document, the error answers it can give and, for each, the codes it
can carry (an enum): `errors(...)` builds them. A client generated from the document handles them all.
"""

from collections.abc import Iterable
from typing import Literal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import ConfigDict, create_model


class FieldError(Schema):
    field: str = Field(..., description="Where, dotted (buyer.email, items.0.quantity)")
    message: str


class ErrorOut(Schema):
    """An error: its stable code, a sentence in the client's language (Accept-Language: fr or en), and for
    some codes more: `errors` (invalid_input), `parameters` (unknown_parameter)."""

    model_config = ConfigDict(extra="allow")
    code: str
    message: str
    errors: list[FieldError] | None = Field(None, description="invalid_input: each field refused")


# What any operation may answer before its view runs: a NUL character or a malformed value (400), a body
# over the size limit (413), a parameter of the wrong type or out of range (422); and, whatever it is
# doing, the database out of reach for a moment (503, with Retry-After: nothing was written, ask again).
COMMON = {
    400: ("invalid_input",),
    413: ("too_large",),
    422: ("invalid_input",),
    503: ("database_unavailable",),
}


def errors(operation: str, *, auth: bool = False, lookup: bool = False, **codes: Iterable[str]) -> dict:
    """The error answers of an operation, to merge into its `response=`: the common ones, 401 with `auth`,
    404 with `lookup` (something named in the path or the query may not exist), and its own codes by status
    (`e409=("sold_out", ...)`). Each answer's schema names its codes as an enum."""
    by_status: dict[int, set[str]] = {status: set(c) for status, c in COMMON.items()}
    if auth:
        by_status[401] = {"unauthorized"}
    if lookup:
        by_status[404] = {"not_found"}
    for key, values in codes.items():
        by_status.setdefault(int(key.removeprefix("e")), set()).update(values)
    return {
        status: create_model(
            f"{operation}Error{status}",
            __base__=ErrorOut,
            code=(Literal[tuple(sorted(values))], ...),  # noqa: F821 (a Literal built from values)
        )
        for status, values in sorted(by_status.items())
    }


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
