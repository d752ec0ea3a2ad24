"""Content-Security-Policy on every response: a venue's pages load nothing from third parties. Requests
whose input no column can hold (a NUL character) or too large to read are answered 4xx where they enter."""

import contextlib
import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

DEFAULT_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'self'",
}


def build_policy(overrides: dict[str, str] | None = None) -> str:
    policy = {**DEFAULT_POLICY, **getattr(settings, "PARVIS_CSP_OVERRIDES", {}), **(overrides or {})}
    return "; ".join(f"{key} {value}" for key, value in policy.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = build_policy(getattr(response, "csp_overrides", None))
        return response


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


# A door scanner sends whatever a QR code holds: its endpoints judge it (refused as malformed, shown
# at the door) and keep no such text.
RAW_INPUT_PATHS = ("/api/v1/checkin/",)


class RejectNulMiddleware:
    """A NUL character fits in no text column (PostgreSQL refuses it; SQLite would keep a name cut short):
    a request that carries one in its path, its query, a form field or a JSON body is answered 400, in the
    person's language (the API in its `{"code", "message"}` shape), before any view writes anything."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            refused = self._carries_nul(request)
        except RequestDataTooBig:
            return self._refuse(request, 413, "too_large", _("La requête est trop volumineuse."))
        except TooManyFieldsSent:
            return self._refuse(request, 400, "invalid_input", _("La requête a trop de champs."))
        if refused:
            return self._refuse(request, 400, "invalid_input", _("Caractère invalide (NUL) dans la requête."))
        return self.get_response(request)

    @staticmethod
    def _refuse(request, status: int, code: str, message: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"code": code, "message": message}, status=status)
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")

    @staticmethod
    def _carries_nul(request) -> bool:
        if request.path.startswith(RAW_INPUT_PATHS):
            return False
        if "\x00" in request.path or _has_nul(dict(request.GET.lists())):
            return True
        if request.method not in ("POST", "PUT", "PATCH"):
            return False
        content_type = request.content_type or ""
        if content_type == "application/json":
            body = request.body
            if b"\\u0000" not in body and b"\x00" not in body:  # the common case: one bytes search
                return False
            try:
                return _has_nul(json.loads(body))
            except ValueError:
                return b"\x00" in body
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return _has_nul(dict(request.POST.lists()))
        return False


RETRY_AFTER_S = 5


class DatabaseUnavailableMiddleware:
    """The database out of reach (restarting, its connections cut) is answered 503 with Retry-After, never a
    500 page: the request's transaction was rolled back, so nothing is half written and a client may ask
    again (the API with the same Idempotency-Key gets one order). The broken connection is closed here; the
    next request opens a new one (with CONN_HEALTH_CHECKS, a dead persistent one is replaced first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable on %s %s: %s", request.method, request.path, exception)
        for conn in connections.all(initialized_only=True):
            with contextlib.suppress(Exception):
                conn.close()
        message = _("Le service est momentanément indisponible. Réessayez dans quelques secondes.")
        if request.path.startswith("/api/"):
            response = JsonResponse({"code": "database_unavailable", "message": message}, status=503)
        else:
            response = HttpResponse(
                f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>503</title></head>'
                f"<body><h1>{escape(message)}</h1></body></html>",
                status=503,
            )
        response["Retry-After"] = str(RETRY_AFTER_S)
        response["Cache-Control"] = "no-store"
        return response
