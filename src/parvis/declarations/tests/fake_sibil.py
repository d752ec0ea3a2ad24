"""A local SIBIL for the tests: the API v2 paths Parvis uses, with its habits (a refused login answered
`{"id_token": "", "typeError": "NOT AUTHENTICATED"}`, with 401 or 200), and faults on demand: unavailable
after N saves, an answer lost after a save, a slow answer, a field refused. Its lists (domains, the show's
criteria per domain, venue types) have the shapes of SIBIL v2's published client types, and a declaration
without a venue type of the list or without a mandatory criterion is refused as SIBIL refuses (the words
in "title", a key in "message")."""

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeSibil:
    def __init__(self, *, username="declarant", password="secret"):  # noqa: S107 (the test server's account)
        self.username, self.password = username, password
        self.declarations: dict[int, dict] = {}
        self.domains = [{"id": 7, "libelle": "Concert de musiques actuelles", "actif": True},
                        {"id": 12, "libelle": "Théâtre", "actif": True}]  # fmt: skip
        title = {"libelleCourt": "Titre", "libelleLong": "Titre du spectacle", "regleChamp": "OBLIGATOIRE"}
        headliner = {
            "libelleCourt": "Artiste principal",
            "libelleLong": "Artiste ou groupe en tête d'affiche",
            "regleChamp": "OBLIGATOIRE",
        }
        opening = {"libelleCourt": "Première partie", "libelleLong": "", "regleChamp": "FACULTATIF"}
        director = {"libelleCourt": "Metteur en scène", "regleChamp": "FACULTATIF"}
        self.configs = [
            {
                "idDomaineRepresentation": 7,
                "domaineConfig": {
                    "domaineId": "7",
                    "critere1": title,
                    "critere2": headliner,
                    "critere3": opening,
                },
            },
            {"idDomaineRepresentation": 12, "domaineConfig": {"critere1": title, "critere2": director}},
        ]
        self.place_types = [
            {"code": "THEATRE", "value": "Théâtre"},
            {"code": "SALLE_CONCERT_AUDITORIUM_OPERA_ZENITH", "value": "Salle de concert, auditorium, opéra"},
            {"code": "CASINO_DISCOTHEQUE_HOTEL_CAFE_RESTAURANT", "value": "Casino, discothèque, café"},
            {"code": "AUTRE", "value": "Autre"},
        ]
        # SIBIL's lists of venues, shows and festivals: an entry is made from the fields a declaration gives
        # (`lieuChamps`…) unless it names one by its id (`lieuId`…).
        self.lieux: dict[int, dict] = {}
        self.spectacles: dict[int, dict] = {}
        self.festivals: dict[int, dict] = {}
        self.refused_login_status = 401
        self.unavailable_after: int | None = None  # saves accepted before 503s
        self.lose_answer_of_save: int | None = None  # the n-th save is stored, its answer a 503
        self.delay = 0.0
        self.reject = lambda dto: ""
        self.saves = 0
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self):
                return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")

            def _authorised(self):
                return self.headers.get("Authorization") == "Bearer token-ok"

            def do_POST(self):
                fake.handle(self, "POST")

            def do_PUT(self):
                fake.handle(self, "PUT")

            def do_GET(self):
                fake.handle(self, "GET")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request, method):
        time.sleep(self.delay)
        url = urlparse(request.path)
        if url.path == "/api/v2/authenticate":
            body = request._body()
            if (body.get("username"), body.get("password")) == (self.username, self.password):
                return request._send(200, {"id_token": "token-ok"})
            return request._send(
                self.refused_login_status, {"id_token": "", "typeError": "NOT AUTHENTICATED"}
            )
        if not request._authorised():
            return request._send(401, {"typeError": "NOT AUTHENTICATED"})
        if url.path == "/api/v2/domaine-representations":
            return request._send(200, self.domains)
        if url.path == "/api/v2/spectacles/configChamps":
            return request._send(200, self.configs)
        if url.path == "/api/v2/lieux/types":
            return request._send(200, self.place_types)
        if url.path == "/api/v2/declarations" and method == "GET":
            ext = parse_qs(url.query).get("idExtBilletterie.equals", [""])[0]
            found = [d for d in self.declarations.values() if d["idExtBilletterie"] == ext]
            return request._send(200, {"hits": {"total": len(found)}, "result": found})
        if url.path == "/api/v2/declarations":
            return self._save(request, method)
        return request._send(404, {"detail": "not found"})

    def _save(self, request, method):
        dto = request._body()
        with self._lock:
            if self.unavailable_after is not None and self.saves >= self.unavailable_after:
                return request._send(503, {"detail": "Service Unavailable"})
            self.saves += 1
            if len(dto.get("idExtBilletterie", "")) > 16:
                return request._send(400, {"detail": "idExtBilletterie trop long"})
            refused = self.reject(dto) or self._invalid(dto)
            if refused:
                return request._send(400, {"title": refused, "message": "error.errorsDataSib", "status": 400})
            if method == "POST":
                if any(d["idExtBilletterie"] == dto["idExtBilletterie"] for d in self.declarations.values()):
                    return request._send(400, {"detail": "idExtBilletterie déjà déclaré"})
                dto["id"] = next(self._ids)
            elif dto.get("id") not in self.declarations:
                return request._send(404, {"detail": "déclaration inconnue"})
            self._referential(dto)
            dto["statutDeclaration"] = "ENREGISTRE"
            self.declarations[dto["id"]] = dto
            if self.lose_answer_of_save == self.saves:
                return request._send(503, {"detail": "Gateway lost the answer"})
        return request._send(200, dto)

    def _invalid(self, dto: dict) -> str:
        """What SIBIL's own checks refuse: a venue type out of its list, a mandatory criterion missing for
        the domain, a festival without its town."""
        if dto.get("lieuChamps", {}).get("typeLieu") not in {t["code"] for t in self.place_types}:
            return "Le type de lieu est invalide"
        domain = dto.get("domaineRepresentationId")
        config = next(
            (c["domaineConfig"] for c in self.configs if c["idDomaineRepresentation"] == domain), {}
        )
        show = dto.get("spectacleChamps", {})
        for name, criterion in config.items():
            if (
                name.startswith("critere")
                and criterion.get("regleChamp") == "OBLIGATOIRE"
                and not show.get(name)
            ):
                return f"Le champ {criterion['libelleCourt']} est obligatoire"
        festival = dto.get("festivalChamps")
        if festival is not None and not all(festival.get(k) for k in ("nom", "codePostal", "ville")):
            return "Le festival est incomplet"
        return ""

    def _referential(self, dto: dict) -> None:
        for id_key, fields_key, kept in (
            ("lieuId", "lieuChamps", self.lieux),
            ("spectacleId", "spectacleChamps", self.spectacles),
            ("festivalId", "festivalChamps", self.festivals),
        ):
            if dto.get(id_key) in kept:
                continue
            if dto.get(fields_key):
                dto[id_key] = next(self._ids)
                kept[dto[id_key]] = dto[fields_key]
