"""Junk posted to every form and every API operation is answered 4xx or with a form error, never 5xx.

On the demo, a crawler visits the public pages and, as each kind of staff, the staff pages (two pages per
route at most); every form it finds (and every htmx action) is then sent once per kind of junk, with each
field holding that junk. Every API operation of the OpenAPI document is called with junk in each path
parameter, each query parameter and each value of its body. A 5xx anywhere fails, listed with what caused it.
"""

import json
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone

from parvis.checkin.models import Device
from parvis.checkin.services import device_create
from parvis.memberships.models import Membership, MembershipProgram, Subscription, SubscriptionOffer
from parvis.network.models import Organizer
from parvis.opendata.api import sync_token_create
from parvis.opendata.models import SCOPES
from parvis.passes.models import PassHolding
from parvis.testing import login_staff
from parvis.ticketing.auth import api_token_create
from parvis.ticketing.models import Order, Tariff

pytestmark = pytest.mark.django_db

JUNK = {
    "long_text": "x" * 5000,
    "long_email": "a" * 256 + "@example.org",  # 268 characters: longer than any e-mail column
    "unicode_digit": "²",
    "huge_number": "9" * 10_000,
    "bigint_overflow": "9223372036854775808",
    "negative": "-1",
    "far_date": "9999-12-31",
    "far_datetime": "9999-12-31T23:59:59",
    "naive_time": "2026-12-05T20:00:00",
    "empty": "",
}
SKIP = re.compile(r"^/(static|media|admin|dev|i18n)/|logout|deconnexion|/api/")
PAGES_PER_ROUTE = 2
STAFF = [
    "administrator@theatre-du-parvis.example",
    "box-office@theatre-du-parvis.example",
    "coordination@jazz-idf.example",
    "programmation@caveau.example",
]


class _Page(HTMLParser):
    """The links and the forms of a page (fields by name, with their first value)."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for verb in ("hx-get", "hx-post"):
            if attrs.get(verb):
                self.forms.append({"method": verb[3:], "action": attrs[verb], "fields": {}})
        if tag == "form":
            self._form = {
                "method": (attrs.get("method") or "get").lower(),
                "action": attrs.get("action") or "",
                "fields": {},
            }
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea") and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            self._form["fields"].setdefault(attrs["name"], (kind, attrs.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _route(path: str) -> str | None:
    try:
        return resolve(path).route
    except Resolver404:
        return None


def _crawl(client: Client, seeds: list[str], limit: int = 250) -> list[tuple[str, dict]]:
    """(page, form) for every form met on the pages reachable from the seeds."""
    seen_routes: dict[str, int] = {}
    visited: set[str] = set()
    queue = deque(seeds)
    forms = []
    while queue and len(visited) < limit:
        url = queue.popleft()
        path = urlsplit(url).path
        route = _route(path)
        if (
            url in visited
            or route is None
            or SKIP.search(path)
            or seen_routes.get(route, 0) >= PAGES_PER_ROUTE
        ):
            continue
        visited.add(url)
        seen_routes[route] = seen_routes.get(route, 0) + 1
        response = client.get(url)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        if "html" not in response.get("Content-Type", ""):
            continue
        page = _Page()
        page.feed(response.content.decode())
        for link in page.links:
            if link.startswith("/") and not link.startswith("//"):
                queue.append(link.split("#")[0])
        forms += [(url, form) for form in page.forms]
    assert len(visited) >= 10, f"the crawl from {seeds} met {len(visited)} pages"
    return forms


def _send(client: Client, page: str, form: dict, junk: str):
    action = form["action"] or page
    if not action.startswith("/"):
        action = page
    fields = {}
    for name, (kind, value) in form["fields"].items():
        if name == "csrfmiddlewaretoken":
            fields[name] = value
        elif kind in ("checkbox", "radio"):
            fields[name] = value or "on"
        else:
            fields[name] = junk
    if form["method"] == "post":
        return client.post(action, fields)
    base = urlsplit(action)
    query = {**dict(parse_qsl(base.query)), **fields} or {"q": junk, "page": junk}
    return client.get(f"{base.path}?{urlencode(query)}")


def _fuzz_forms(client: Client, seeds: list[str], failures: list) -> int:
    sent = 0
    done: set[tuple[str, str, tuple]] = set()
    for page, form in _crawl(client, seeds):
        action = form["action"] or page
        key = (form["method"], _route(urlsplit(action).path) or action, tuple(sorted(form["fields"])))
        if key in done:
            continue
        done.add(key)
        for name, junk in JUNK.items():
            response = _send(client, page, form, junk)
            sent += 1
            if response.status_code >= 500:
                failures.append(
                    f"{form['method'].upper()} {action} (from {page}) with {name}: {response.status_code}"
                )
    return sent


@pytest.fixture
def demo():
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_junk_in_every_form_is_never_a_server_error(demo):
    failures: list[str] = []
    public = Client(raise_request_exception=False)
    sent = _fuzz_forms(public, _public_seeds(public), failures)
    for username in STAFF:
        client = Client(raise_request_exception=False)
        login_staff(client, _user(username))
        sent += _fuzz_forms(client, ["/staff/"], failures)
    assert sent > 500
    assert not failures, "\n".join(failures)


def _public_seeds(client: Client) -> list[str]:
    """The public pages, and those reached by a link in an e-mail (an order, a card, a pass, a season) or
    with something in the cart (the checkout)."""
    tariffs = Tariff.objects.filter(
        performance__starts_at__gt=timezone.now(), sold_online=True, is_active=True
    )
    assert any(  # a tariff that needs nothing more (no slot, no card)
        client.post(f"/billets/{t.performance_id}/", {f"q-{t.pk}": "1"}).status_code == 302
        for t in tariffs[:30]
    )
    owned = [
        Order.objects.filter(state="paid").first(),
        Membership.objects.first(),
        PassHolding.objects.first(),
    ]
    owned.append(Subscription.objects.first())
    return [
        "/",
        "/r/jazz-idf/",
        "/mes-donnees/",
        "/panier/commande/",
        "/staff/login/",
        "/porte/",
        *(o.get_absolute_url() for o in owned if o is not None),
        *(f"/adhesion/{pk}/" for pk in MembershipProgram.objects.values_list("pk", flat=True)[:2]),
        *(f"/abonnement/{pk}/" for pk in SubscriptionOffer.objects.values_list("pk", flat=True)[:2]),
        *(f"/o/{slug}/bon-cadeau/" for slug in Organizer.objects.values_list("slug", flat=True)[:2]),
    ]


def _user(username):
    return get_user_model().objects.get(username=username)


def _junk_body(schema, document, junk):
    """The body the schema describes with every leaf replaced by the junk (the types as a client gets them
    wrong: a string where a number goes)."""
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        schema = schema["anyOf"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: _junk_body(sub, document, junk) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [_junk_body(schema.get("items", {}), document, junk)]
    return junk


def test_junk_in_every_api_operation_is_never_a_server_error(demo):
    organizer = Organizer.objects.get(slug="theatre-du-parvis")
    sales_token = api_token_create(organizer=organizer, name="fuzz")
    _device, device_token = device_create(organizer=organizer, name="fuzz")
    sync_token = sync_token_create(organizer=organizer, name="fuzz", scopes=[s for s, _label in SCOPES])
    assert Device.objects.filter(organizer=organizer).exists()
    client = Client(raise_request_exception=False)
    document = client.get("/api/v1/openapi.json").json()
    failures, sent = [], 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            token = device_token if "/checkin/" in path else sync_token if "/sync/" in path else sales_token
            headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
            params = operation.get("parameters", [])
            body_schema = (
                operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            )
            for name, junk in JUNK.items():
                url = path
                for param in params:
                    if param["in"] == "path":
                        url = url.replace("{" + param["name"] + "}", junk or "0")
                query = {p["name"]: junk for p in params if p["in"] == "query"}
                body = json.dumps(_junk_body(body_schema, document, junk)) if body_schema else None
                full = f"{url}?{urlencode(query)}" if query else url
                if method == "get":
                    response = client.get(full, headers=headers)
                else:
                    response = client.post(
                        full, body or "{}", content_type="application/json", headers=headers
                    )
                sent += 1
                if response.status_code >= 500:
                    failures.append(f"{method.upper()} {path} with {name}: {response.status_code}")
    assert sent == 18 * len(JUNK)
    assert not failures, "\n".join(failures)
