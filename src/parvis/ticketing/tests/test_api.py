"""The sales-channel API: availability, orders with a token and an Idempotency-Key, one error shape."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from parvis.core import tokens
from parvis.testing import OrganizerFactory
from parvis.ticketing.auth import api_token_create
from parvis.ticketing.models import ApiToken, IdempotencyRecord, Order, Quota
from parvis.ticketing.signing import public_keys_of, verify_secret

from .factories import api_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale():
    return api_sale(capacity=3)


def _order(client, token, body, key=None):
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/orders", body, content_type="application/json", headers=headers)


def _body(tariff_id, quantity=1, **extra):
    return {
        "items": [{"tariff": tariff_id, "quantity": quantity}],
        "buyer": {"email": "api@example.org", "first_name": "Api", "last_name": "Buyer"},
        **extra,
    }


def test_availability_is_public(client, sale):
    performance, full, _ = sale
    data = client.get(f"/api/v1/performances/{performance.pk}/availability").json()
    assert data["tariffs"][0] == {
        "id": full.pk,
        "name": "Plein",
        "price": "20.00",
        "currency": "EUR",
        "vat_rate": "5.50",
        "eligibility": "",
        "available": 3,
        "on_sale": True,
        "reason": None,
    }


def test_create_order_returns_signed_tickets(client, sale):
    performance, full, token = sale
    response = _order(client, token, _body(full.pk, 2, expected_total="40.00"))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "paid" and data["total"] == "40.00" and len(data["tickets"]) == 2
    claims = verify_secret(data["tickets"][0]["secret"], public_keys_of(performance.organizer))
    assert claims.performance_id == performance.pk
    assert (
        client.get(f"/api/v1/orders/{data['code']}", headers={"Authorization": f"Bearer {token}"}).json()
        == data
    )


def test_idempotency_key_replays_the_same_order(client, sale):
    _, full, token = sale
    first = _order(client, token, _body(full.pk), key="k-1")
    second = _order(client, token, _body(full.pk), key="k-1")
    assert second.status_code == 201 and second.json() == first.json()
    # The first answer, encoded by the view, is the one ninja writes from OrderOut for the replay.
    assert second.content == first.content and second["Content-Type"] == first["Content-Type"]
    assert IdempotencyRecord.objects.get(key="k-1").response == first.json()  # a JSON object, not a string
    assert Order.objects.count() == 1
    reused = _order(client, token, _body(full.pk, 2), key="k-1")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"


def test_a_repeat_after_the_places_are_gone_replays_the_first_answer(client, sale):
    """The repeat's sale fails (sold out): its key is found taken, so it gets the first answer, not 409."""
    _, full, token = sale
    first = _order(client, token, _body(full.pk, 3), key="k-all")  # the capacity is 3
    again = _order(client, token, _body(full.pk, 3), key="k-all")
    assert again.status_code == 201 and again.json() == first.json()
    other = _order(client, token, _body(full.pk, 3), key="k-other")
    assert other.status_code == 409 and other.json()["code"] == "sold_out"
    assert Order.objects.count() == 1 and IdempotencyRecord.objects.count() == 1  # the failure kept no key


@pytest.mark.parametrize(
    "body_change,status,code",
    [
        ({"expected_total": "1.00"}, 409, "price_mismatch"),
        ({"items": [{"tariff": 999999, "quantity": 1}]}, 422, "unknown_tariff"),
        ({"items": [{"tariff": 0, "quantity": 1}]}, 422, "invalid_input"),
        ({"items": []}, 422, "invalid_input"),
        ({"buyer": {"email": "not-an-email", "first_name": "A", "last_name": "B"}}, 422, "invalid_input"),
        ({"provider": "free"}, 422, "provider_unavailable"),
    ],
)
def test_bad_orders_are_refused_with_a_stable_code(client, sale, body_change, status, code):
    _, full, token = sale
    response = _order(client, token, {**_body(full.pk), **body_change})
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert not Order.objects.exists()


def test_sold_out_and_quantity_limits(client, sale):
    performance, full, token = sale
    assert _order(client, token, _body(full.pk, 4)).json()["code"] == "sold_out"
    assert _order(client, token, _body(full.pk, 3)).status_code == 201
    response = _order(client, token, _body(full.pk, 1))
    assert response.status_code == 409 and response.json()["code"] == "sold_out"
    assert Quota.objects.get(performance=performance, is_total=True).used == 3


def test_tokens_are_required_and_scoped_to_their_organizer(client, sale):
    _, full, token = sale
    assert _order(client, "pv_nope_nope", _body(full.pk)).status_code == 401
    assert client.post("/api/v1/orders", _body(full.pk), content_type="application/json").status_code == 401
    other_token = api_token_create(organizer=OrganizerFactory(), name="other")
    response = _order(client, other_token, _body(full.pk))
    assert response.status_code == 422 and response.json()["code"] == "unknown_tariff"
    code = _order(client, token, _body(full.pk)).json()["code"]
    assert (
        client.get(f"/api/v1/orders/{code}", headers={"Authorization": f"Bearer {other_token}"}).status_code
        == 404
    )


def test_cancel_through_the_api_gives_places_back(client, sale):
    performance, full, token = sale
    code = _order(client, token, _body(full.pk, 2)).json()["code"]
    response = client.post(f"/api/v1/orders/{code}/cancel", headers={"Authorization": f"Bearer {token}"})
    assert response.json()["state"] == "refunded"
    assert Quota.objects.get(performance=performance, is_total=True).used == 0
    again = client.post(f"/api/v1/orders/{code}/cancel", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 409 and again.json()["code"] == "not_cancellable"


def test_apitoken_command_prints_a_working_token(capsys, client, sale):
    performance, full, _ = sale
    call_command("apitoken", "create", "--organizer", performance.organizer.slug)
    token = capsys.readouterr().out.strip()
    assert token.startswith("pv_")
    assert _order(client, token, _body(full.pk)).status_code == 201


def test_apitoken_command_lists_and_revokes_a_token_refused_at_once(capsys, client, sale):
    performance, full, token = sale
    prefix = token.split("_")[1]
    assert _order(client, token, _body(full.pk)).status_code == 201
    call_command("apitoken", "list", "--organizer", performance.organizer.slug)
    listed = capsys.readouterr().out
    assert f"pv_{prefix}_" in listed and "partner" in listed and "live" in listed and token not in listed
    call_command("apitoken", "revoke", f"pv_{prefix}")
    assert "revoked" in capsys.readouterr().out
    assert ApiToken.objects.get(prefix=prefix).revoked_at is not None
    assert _order(client, token, _body(full.pk)).status_code == 401
    with pytest.raises(CommandError, match="already revoked"):
        call_command("apitoken", "revoke", prefix)
    with pytest.raises(CommandError, match="unknown token prefix"):
        call_command("apitoken", "revoke", "deadbeef")
    with pytest.raises(CommandError, match="--organizer"):
        call_command("apitoken", "list")
    assert Order.objects.count() == 1


def test_a_token_revoked_by_another_process_is_refused_within_seconds(client, sale, monkeypatch):
    _, full, token = sale
    assert _order(client, token, _body(full.pk)).status_code == 201
    ApiToken.objects.update(revoked_at=timezone.now())  # as another process would: no signal here
    assert _order(client, token, _body(full.pk)).status_code == 201  # still known for a few seconds
    now = tokens.time.monotonic()
    monkeypatch.setattr(tokens.time, "monotonic", lambda: now + 6)
    assert _order(client, token, _body(full.pk)).status_code == 401
    assert Order.objects.count() == 2


def test_orders_with_add_ons_and_a_donation(client, sale):
    from decimal import Decimal

    from parvis.ticketing.models import Product

    performance, full, token = sale
    performance.organizer.accepts_donations = True
    performance.organizer.save()
    programme = Product.objects.create(organizer=performance.organizer, name="Programme", price=Decimal("4"))
    body = {
        **_body(full.pk),
        "extras": [{"product": programme.pk, "quantity": 2}],
        "donation": "10.00",
        "expected_total": "38.00",
    }
    response = _order(client, token, body)
    assert response.status_code == 201, response.content
    assert response.json()["total"] == "38.00"
    bad = _order(client, token, {**_body(full.pk), "extras": [{"product": 999999, "quantity": 1}]})
    assert bad.status_code == 422 and bad.json()["code"] == "unknown_product"


def test_a_channel_refunds_some_tickets_once_and_their_places_go_back(client, sale):
    performance, full, token = sale
    auth = {"Authorization": f"Bearer {token}"}
    created = _order(client, token, _body(full.pk, 3)).json()
    first, second, third = (t["id"] for t in created["tickets"])
    assert created["refunded"] == "0"
    url = f"/api/v1/orders/{created['code']}/refund"
    response = client.post(
        url, {"tickets": [first, second], "reason": "annulé"}, "application/json", headers=auth
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["state"], answer["refunded"]) == ("partially_refunded", "40.00")
    assert [t["state"] for t in answer["tickets"]] == ["refunded", "refunded", "valid"]
    assert Quota.objects.get(performance=performance, is_total=True).used == 1
    order = Order.objects.get(code=created["code"])
    assert list(order.payments.filter(amount__lt=0).values_list("provider", "amount")) == [("channel", -40)]
    # A retry after a lost answer refunds nothing more.
    again = client.post(url, {"tickets": [first, second]}, "application/json", headers=auth)
    assert again.status_code == 200 and again.json()["refunded"] == "40.00"
    assert order.payments.filter(amount__lt=0).count() == 1
    assert client.get(f"/api/v1/orders/{created['code']}", headers=auth).json()["refunded"] == "40.00"
    # Tickets of another order, none, or another organizer's order: refused with a stable code.
    other = _order(client, token, _body(full.pk, 1)).json()
    foreign = client.post(url, {"tickets": [other["tickets"][0]["id"]]}, "application/json", headers=auth)
    assert foreign.status_code == 422 and foreign.json()["code"] == "unknown_ticket"
    empty = client.post(url, {"tickets": []}, "application/json", headers=auth)
    assert empty.status_code == 422
    huge = client.post(url, {"tickets": [10**20]}, "application/json", headers=auth)  # no database holds it
    assert huge.status_code == 422 and huge.json()["code"] == "unknown_ticket"
    _p, _t, stranger = api_sale(capacity=1)
    assert (
        client.post(
            url, {"tickets": [third]}, "application/json", headers={"Authorization": f"Bearer {stranger}"}
        )
    ).status_code == 404
    last = client.post(url, {"tickets": [third]}, "application/json", headers=auth).json()
    assert (last["state"], last["refunded"]) == ("refunded", "60.00")
    assert "/api/v1/orders/{code}/refund" in client.get("/api/v1/openapi.json").json()["paths"]


def test_an_exchanged_ticket_cannot_be_refunded_through_the_api(client, sale):
    from parvis.ticketing import services
    from parvis.ticketing.models import Ticket

    performance, full, token = sale
    created = _order(client, token, _body(full.pk, 1)).json()
    ticket = Ticket.objects.get(pk=created["tickets"][0]["id"])
    Ticket.objects.filter(pk=ticket.pk).update(state="exchanged")  # as an exchange leaves the old ticket
    response = client.post(
        f"/api/v1/orders/{created['code']}/refund",
        {"tickets": [ticket.pk]},
        "application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 409 and response.json()["code"] == "nothing_to_refund"
    assert not Order.objects.get(code=created["code"]).payments.filter(amount__lt=0).exists()
    assert services.order_effective_state(Order.objects.get(code=created["code"])) == "paid"
