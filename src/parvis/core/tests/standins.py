"""Stand-ins for the services Parvis talks to over HTTP (a payment provider), for tests and benchmarks."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def reply_json(handler: BaseHTTPRequestHandler, payload: dict, status: int = 200) -> None:
    body = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, dict]:
    """The stand-in on a free port, on a thread; and the settings that send Stripe's calls to it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stripe = {
        "STRIPE_SECRET_KEY": "sk_test_standin",
        "STRIPE_API_BASE": f"http://127.0.0.1:{server.server_port}",
    }
    return server, stripe
