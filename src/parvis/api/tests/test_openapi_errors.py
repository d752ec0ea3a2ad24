"""The OpenAPI document declares every operation's error answers and their codes; the test settings check
every API answer the suite observes against it (parvis.testing.ApiContractMiddleware)."""

import copy
import json

import pytest

from parvis import testing
from parvis.testing import api_answer_undeclared

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def _codes(document, response) -> list[str]:
    schema = response["content"]["application/json"]["schema"]
    schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert schema["required"] == ["code", "message"]
    code = schema["properties"]["code"]
    return code.get("enum") or [code["const"]]


def test_every_operation_declares_its_errors_with_their_codes(document):
    operations = list(_operations(document))
    assert len(operations) == 18
    for _method, path, operation in operations:
        responses = operation["responses"]
        assert "invalid_input" in _codes(document, responses["400"]), path
        assert _codes(document, responses["413"]) == ["too_large"], path
        assert "invalid_input" in _codes(document, responses["422"]), path
        secured = bool(operation.get("security"))
        assert ("401" in responses) == secured, path
        if secured:
            assert _codes(document, responses["401"]) == ["unauthorized"]
    create = document["paths"]["/api/v1/orders"]["post"]["responses"]
    assert {"sold_out", "hold_expired", "price_mismatch"} <= set(_codes(document, create["409"]))
    assert {"sales_closed", "unknown_tariff", "idempotency_key_reused"} <= set(
        _codes(document, create["422"])
    )
    assert "404" not in create  # nothing named in its path
    event = document["paths"]["/api/v1/events/{event_id}"]["get"]["responses"]
    assert _codes(document, event["404"]) == ["not_found"]
    assert _codes(document, document["paths"]["/api/v1/events"]["get"]["responses"]["400"]) == [
        "invalid_input",
        "unknown_parameter",
    ]


def test_the_check_finds_an_undeclared_status_or_code():
    body = json.dumps({"code": "not_found", "message": "Introuvable."}).encode()
    assert api_answer_undeclared("GET", "/api/v1/events/3", 404, body) is None
    assert "409" in api_answer_undeclared("GET", "/api/v1/events/3", 409, body)
    sold_out = json.dumps({"code": "sold_out", "message": "Complet"}).encode()
    assert "sold_out" in api_answer_undeclared("GET", "/api/v1/events/3", 404, sold_out)
    assert api_answer_undeclared("POST", "/api/v1/orders", 409, sold_out) is None
    assert "401" in api_answer_undeclared("GET", "/api/v1/events", 401, body)  # no token asked there
    assert api_answer_undeclared("GET", "/api/v1/openapi.json", 200, b"{}") is None  # not an operation
    assert api_answer_undeclared("GET", "/api/v1/nowhere", 404, body) is None


def test_an_answer_observed_by_the_suite_is_checked(client, monkeypatch):
    """The middleware of the test settings fails a request whose answer the document does not declare."""
    assert client.get("/api/v1/events/999999").status_code == 404  # declared: passes
    document = copy.deepcopy(testing._openapi())
    del document["paths"]["/api/v1/events/{event_id}"]["get"]["responses"]["404"]
    monkeypatch.setattr(testing, "_openapi", lambda: document)
    with pytest.raises(AssertionError, match="answered 404, not declared"):
        client.get("/api/v1/events/999999")
