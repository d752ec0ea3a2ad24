"""A local SIBIL for the tests: the API v2 paths Parvis uses, with its habits (a refused login answered
`{"id_token": "", "typeError": "NOT AUTHENTICATED"}`, with 401 or 200), and faults on demand: unavailable
after N saves, an answer lost after a save, a slow answer, a field refused."""

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
            refused = self.reject(dto)
            if refused:
                return request._send(400, {"detail": refused})
            if method == "POST":
                if any(d["idExtBilletterie"] == dto["idExtBilletterie"] for d in self.declarations.values()):
                    return request._send(400, {"detail": "idExtBilletterie déjà déclaré"})
                dto["id"] = next(self._ids)
            elif dto.get("id") not in self.declarations:
                return request._send(404, {"detail": "déclaration inconnue"})
            dto["statutDeclaration"] = "ENREGISTRE"
            self.declarations[dto["id"]] = dto
            if self.lose_answer_of_save == self.saves:
                return request._send(503, {"detail": "Gateway lost the answer"})
        return request._send(200, dto)
