"""A small client of SIBIL's API v2 (the paths and fields of its published `DeclarationDTO`), over the
standard library's HTTP (as the webhooks are sent): authenticate, fetch the domains, find a declaration by
its external id, create or update it.

SIBIL's answers are read whatever their status: a refused login has been seen as
`{"id_token": "", "typeError": "NOT AUTHENTICATED"}` with 401 and must be understood with 200 too."""

import json
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.utils.translation import gettext as _

TIMEOUT_S = 20


class SibilError(Exception):
    """Why SIBIL did not take a request: `kind` is "credentials", "unavailable" (5xx, a timeout, no
    connection: try again later), "rejected" (SIBIL refused the content: `message` says why) or
    "configuration"."""

    def __init__(self, kind: str, message: str):
        self.kind, self.message = kind, message
        super().__init__(f"{kind}: {message}")


class SibilClient:
    def __init__(
        self, username: str, password: str, *, base_url: str | None = None, timeout: float = TIMEOUT_S
    ):
        self.base_url = (base_url or getattr(settings, "SIBIL_URL", "")).rstrip("/")
        if not self.base_url:
            raise SibilError("configuration", _("L'adresse de SIBIL n'est pas configurée (SIBIL_URL)."))
        self.username, self.password, self.timeout = username, password, timeout
        self.token = ""

    def _call(self, method: str, path: str, body=None, query: dict | None = None):
        url = self.base_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return answer.status, _json(answer.read())
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, _json(exc.read())
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            raise SibilError("unavailable", _("SIBIL ne répond pas (%(why)s).") % {"why": exc}) from None
        if status >= 500:
            raise SibilError("unavailable", _("SIBIL est indisponible (erreur %(code)s).") % {"code": status})
        if status in (401, 403) and path != "/api/v2/authenticate":
            raise SibilError("credentials", _("SIBIL refuse l'accès (erreur %(code)s).") % {"code": status})
        return status, payload

    def authenticate(self) -> None:
        _status, payload = self._call(
            "POST", "/api/v2/authenticate", {"username": self.username, "password": self.password}
        )
        token = payload.get("id_token") if isinstance(payload, dict) else ""
        if not token or (isinstance(payload, dict) and payload.get("typeError")):
            raise SibilError("credentials", _("SIBIL refuse l'identifiant ou le mot de passe."))
        self.token = token

    def domains(self) -> list[dict]:
        _status, payload = self._call("GET", "/api/v2/domaine-representations")
        return payload if isinstance(payload, list) else []

    def field_configs(self) -> list[dict]:
        """Per domain, the show's criteria SIBIL asks for: [{"idDomaineRepresentation": 1, "domaineConfig":
        {"critere1": {"libelleCourt", "libelleLong", "regleChamp"}, …}}]."""
        _status, payload = self._call("GET", "/api/v2/spectacles/configChamps")
        return payload if isinstance(payload, list) else []

    def place_types(self) -> list[dict]:
        """SIBIL's venue types: [{"code": "THEATRE", "value": "Théâtre"}, …]."""
        _status, payload = self._call("GET", "/api/v2/lieux/types")
        return payload if isinstance(payload, list) else []

    def declaration_find(self, ext_id: str) -> dict | None:
        _status, payload = self._call(
            "GET", "/api/v2/declarations", query={"idExtBilletterie.equals": ext_id}
        )
        found = payload.get("result") if isinstance(payload, dict) else None
        return found[0] if found else None

    def declaration_save(self, dto: dict) -> dict:
        """Create, or update when `dto` carries SIBIL's id; SIBIL's refusal raises "rejected"."""
        status, payload = self._call("PUT" if dto.get("id") else "POST", "/api/v2/declarations", dto)
        if status >= 400 or not isinstance(payload, dict):
            raise SibilError(
                "rejected",
                _message(payload) or _("SIBIL refuse la déclaration (%(code)s).") % {"code": status},
            )
        return payload


def _json(raw: bytes):
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


def _message(payload) -> str:
    if isinstance(payload, dict):
        # SIBIL's refusals put the words in "title" and a key in "message" ("error.errorsDataSib").
        for key in ("detail", "title", "message", "codeErreur", "typeError"):
            if payload.get(key):
                return str(payload[key])[:500]
    return ""
