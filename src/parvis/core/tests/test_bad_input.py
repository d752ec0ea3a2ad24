"""Junk where input enters is a clean 4xx in the person's language, with nothing written: a NUL character
(which no text column holds), numbers typed with other digits than 0-9 or too long, a body too large."""

import pytest
from django.test import override_settings

from parvis.checkin.tests.test_redeem import _redeem, _setup
from parvis.testing import NetworkFactory
from parvis.ticketing.models import Cart, Hold, Order, WaitingEntry
from parvis.ticketing.tests.factories import api_sale, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _api_order(client, token, first_name: str, tariff_id: int):
    body = {
        "items": [{"tariff": tariff_id, "quantity": 1}],
        "buyer": {"email": "zoe@example.org", "first_name": first_name, "last_name": "Martin"},
    }
    return client.post(
        "/api/v1/orders", body, content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )


def test_a_nul_in_an_api_order_is_refused_with_its_code_and_nothing_written(client):
    _performance, full, token = api_sale(capacity=4)
    response = _api_order(client, token, "Zo\u0000é", full.pk)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert not Order.objects.exists()
    assert _api_order(client, token, "Zoé", full.pk).status_code == 201  # the same order without it sells


@pytest.mark.parametrize(
    "url",
    ["/api/v1/performances?q=%00", "/r/nowhere/?q=%00", "/billets/1/%00/", "/api/v1/performances?%00=1"],
)
def test_a_nul_in_a_path_or_a_query_is_a_400(client, url):
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert response.status_code != 500


def test_a_nul_in_a_form_is_refused_in_the_persons_language(client):
    performance = on_sale_performance(capacity=0)
    full = tariff(performance)
    data = {"tariff": full.pk, "quantity": "1", "email": "a@example.org", "first_name": "A\x00"}
    response = client.post(f"/billets/{performance.pk}/attente/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "NUL" in response.content.decode() and "request" in response.content.decode()
    assert not WaitingEntry.objects.exists()


@pytest.mark.parametrize("quantity", ["²", "٣", "1" * 10_000, "-1", "1.5"])
def test_a_quantity_that_is_not_a_plain_number_is_a_form_error(client, quantity):
    performance = on_sale_performance()
    full = tariff(performance)
    response = client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": quantity})
    assert response.status_code == 409  # the page again, with the reason
    assert not Hold.objects.exists()


@pytest.mark.parametrize("hold_id", ["²", "1" * 5_000, "99999999999999999999"])
def test_removing_junk_from_the_cart_changes_nothing(client, hold_id):
    performance = on_sale_performance()
    full = tariff(performance)
    client.post(f"/billets/{performance.pk}/", {f"q-{full.pk}": "1"})
    response = client.post("/panier/", {"remove": hold_id})
    assert response.status_code in (200, 302)
    assert Hold.objects.filter(state="active").count() == 1 and Cart.objects.count() == 1


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_limit_is_413(client):
    _performance, full, token = api_sale(capacity=4)
    response = _api_order(client, token, "x" * 2000, full.pk)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("offset=9223372036854775808", 422),
        ("offset=-1", 422),
        ("limit=1000000", 422),
        ("limit=0", 422),
        ("limit=100&offset=1000000000", 200),
        ("date_to=9999-12-31", 200),
        ("date_from=0001-01-01&date_to=0001-01-02", 200),
        ("date_from=9999-12-31", 200),
    ],
)
def test_the_api_lists_answer_out_of_range_numbers_and_dates_without_failing(client, query, status):
    on_sale_performance()
    response = client.get(f"/api/v1/performances?{query}")
    assert response.status_code == status, response.content
    if status == 422:
        assert response.json()["code"] == "invalid_input"


def test_the_agenda_takes_the_last_possible_date(client):
    network = NetworkFactory()
    for query in ("date_to=9999-12-31", "date_from=9999-12-31", "date_from=0001-01-01"):
        assert client.get(f"/r/{network.slug}/?{query}").status_code == 200


def test_a_door_scan_time_without_its_utc_offset_is_a_422(client):
    _performance, order, checkin_list, _device, token = _setup()
    secret = order.tickets.first().secret
    response = _redeem(client, token, checkin_list, secret, scanned_at="2026-12-05T20:00:00")
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    with_offset = _redeem(client, token, checkin_list, secret, scanned_at="2026-12-05T20:00:00+01:00")
    assert with_offset.status_code == 200
