"""The Stripe fixtures, and the requests Parvis sends, against the official library's model of Stripe's API.

This machine cannot reach Stripe to record live exchanges, so the answers are written by hand. The library
declares, for the API version it is pinned to, every field of each object and every parameter of each call,
with their types and known values (generated from Stripe's API description). Each answer must use only
declared fields, with values of the declared types and among the known values where the library lists them,
and carry every field Stripe never leaves null; each request Parvis sends (recorded in `test_stripe`) must
use only declared parameters and give the required ones. Upgrading the library re-reads both.
"""

import importlib
import json
import re
import typing
from decimal import Decimal
from pathlib import Path

import pytest
import stripe
import typing_extensions
from stripe._object_classes import OBJECT_CLASSES
from stripe._stripe_object import StripeObject

FIXTURES = Path(__file__).parent / "fixtures" / "stripe"
_SCALARS = {int: "an integer", str: "a string", bool: "true or false"}


def _resource(name: str) -> type[StripeObject]:
    module, cls = OBJECT_CLASSES[name]
    return getattr(importlib.import_module(module), cls)


def _fields(cls: type) -> dict[str, object]:
    """The fields a Stripe object class declares, its parents' included, with their types resolved."""
    declared = {}
    for klass in reversed(cls.__mro__):
        namespace = vars(importlib.import_module(klass.__module__))
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if isinstance(annotation, str):
                annotation = eval(annotation, namespace)  # noqa: S307 - the library's own annotations
            declared[name] = annotation
    return {name: a for name, a in declared.items() if not name.startswith("_") and name != "OBJECT_NAME"}


def _value_problems(value, annotation, where: str) -> list[str]:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, typing.ForwardRef):  # another resource: its id, or the object when expanded
        return [] if isinstance(value, str | dict) else [f"{where}: an id or an object expected"]
    if origin is typing.Union:
        if value is None:
            return [] if type(None) in args else [f"{where}: Stripe never leaves it null"]
        literals = [a for a in args if typing.get_origin(a) is typing.Literal]
        if literals:  # known values, and `str` for those added later: a fixture uses a known one
            known = typing.get_args(literals[0])
            return [] if value in known else [f"{where}: {value!r} is not one of {known}"]
        candidates = [_value_problems(value, a, where) for a in args if a is not type(None)]
        return [] if any(not problems for problems in candidates) else candidates[0]
    if origin is typing.Literal:
        return [] if value in args else [f"{where}: {value!r} is not one of {args}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: a list expected"]
        return [p for n, item in enumerate(value) for p in _value_problems(item, args[0], f"{where}[{n}]")]
    if annotation in _SCALARS:
        ok = isinstance(value, annotation) and (annotation is bool or not isinstance(value, bool))
        return [] if ok else [f"{where}: {_SCALARS[annotation]} expected"]
    cls = origin or annotation
    if isinstance(cls, type) and issubclass(cls, StripeObject):
        if not isinstance(value, dict):
            return [f"{where}: an object expected"]
        return [] if origin is not None else _object_problems(value, annotation, where)  # metadata: free
    return [f"{where}: no rule for {annotation!r}"]


def _object_problems(data: dict, cls: type, where: str) -> list[str]:
    declared = _fields(cls)
    problems = [f"{where}.{name}: not a field of {cls.__qualname__}" for name in data if name not in declared]
    for name, annotation in declared.items():
        if name in data:
            problems += _value_problems(data[name], annotation, f"{where}.{name}")
        elif type(None) not in typing.get_args(annotation):  # not Optional: always in Stripe's answers
            problems.append(f"{where}.{name}: missing, and Stripe always sends it")
    return problems


def problems_of(data: dict) -> list[str]:
    """What in an answer or event does not match the library's model of Stripe's API."""
    problems = _object_problems(data, _resource(data["object"]), data["object"])
    if data["object"] == "event":
        inner = data["data"]["object"]
        problems += _object_problems(inner, _resource(inner["object"]), "event.data.object")
        if data["api_version"] != stripe.api_version:
            problems.append(
                f"event.api_version: {data['api_version']}, the library speaks {stripe.api_version}"
            )
    return problems


def request_problems(sent: dict[str, list[str]], params: type) -> list[str]:
    """What in a form-encoded request (as `urllib.parse.parse_qs` reads it) the library's parameters for that
    call (a TypedDict, such as ``stripe.params.RefundCreateParams``) do not declare or need."""
    tree = {}
    for key, values in sent.items():
        path = re.findall(r"[^\[\]]+", key)
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = values[-1]
    return _param_problems(tree, params, params.__module__, "")


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _param_problems(value, annotation, module: str, where: str) -> list[str]:
    while typing.get_origin(annotation) in (typing.NotRequired, typing.Required):
        (annotation,) = typing.get_args(annotation)
    if isinstance(annotation, typing.ForwardRef | str):
        text = annotation.__forward_arg__ if isinstance(annotation, typing.ForwardRef) else annotation
        annotation = eval(text, vars(importlib.import_module(module)))  # noqa: S307 - the library's own
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Union:
        literals = [a for a in args if typing.get_origin(a) is typing.Literal]
        if literals and not isinstance(value, dict):  # known values, and `str` for later ones: a known one
            return _param_problems(value, literals[0], module, where)
        candidates = [_param_problems(value, a, module, where) for a in args]
        return [] if any(not problems for problems in candidates) else candidates[0]
    if typing_extensions.is_typeddict(annotation):
        if not isinstance(value, dict):
            return [f"{where}: parameters expected"]
        declared = annotation.__annotations__
        problems = [f"{_at(where, name)}: not a parameter" for name in value if name not in declared]
        problems += [f"{_at(where, name)}: required" for name in annotation.__required_keys__ - value.keys()]
        for name in sorted(value.keys() & declared.keys()):
            problems += _param_problems(value[name], declared[name], annotation.__module__, _at(where, name))
        return problems
    if origin in (list, dict):
        if not isinstance(value, dict) or (origin is list and not all(k.isdigit() for k in value)):
            return [f"{where}: a {origin.__name__} expected"]
        return [
            p for k, item in value.items() for p in _param_problems(item, args[-1], module, _at(where, k))
        ]
    if isinstance(value, dict):
        cls = origin or annotation
        ok = isinstance(cls, type) and issubclass(cls, StripeObject)  # metadata: any keys
        return [] if ok else [f"{where}: a single value expected"]
    if origin is typing.Literal:
        return [] if value in args else [f"{where}: {value!r} is not one of {args}"]
    if annotation is int:
        return [] if re.fullmatch(r"-?\d+", value) else [f"{where}: an integer expected"]
    if annotation is bool:
        return [] if value in ("true", "false") else [f"{where}: true or false expected"]
    return [] if annotation in (str, Decimal) else [f"{where}: no rule for {annotation!r}"]


@pytest.mark.parametrize("name", sorted(path.name for path in FIXTURES.glob("*.json")))
def test_each_fixture_matches_the_official_librarys_model_of_stripes_api(name):
    assert problems_of(json.loads((FIXTURES / name).read_text())) == []


def test_the_check_sees_an_unknown_field_a_wrong_type_an_unknown_value_and_a_missing_field():
    session = json.loads((FIXTURES / "checkout_session_create.json").read_text())
    del session["created"]
    session.update(amount_total="4000", payment_status="settled", parvis=1)
    session["automatic_tax"]["enabled"] = None
    assert sorted(problems_of(session)) == [
        "checkout.session.amount_total: an integer expected",
        "checkout.session.automatic_tax.enabled: true or false expected",
        "checkout.session.created: missing, and Stripe always sends it",
        "checkout.session.parvis: not a field of Session",
        "checkout.session.payment_status: 'settled' is not one of ('no_payment_required', 'paid', 'unpaid')",
    ]
    event = json.loads((FIXTURES / "event_payment_intent_succeeded.json").read_text())
    event["api_version"] = "2020-08-27"
    event["data"]["object"]["status"] = "paid"
    assert len(problems_of(event)) == 2


def test_the_request_check_sees_an_unknown_parameter_a_missing_one_a_wrong_type_and_an_unknown_value():
    from stripe.params.checkout import SessionCreateParams

    sent = {
        "mode": ["pay"],
        "line_items[0][quantity]": ["two"],
        "line_items[0][price_data][unit_amount]": ["4000"],
        "line_items[0][price_data][product_data][name]": ["Concert"],
        "metadata[anything]": ["goes"],
        "payment_intent_data[metadata][parvis_payments]": ["1"],
        "succes_url": ["https://example.org/"],
    }
    assert sorted(request_problems(sent, SessionCreateParams)) == [
        "line_items.0.price_data.currency: required",
        "line_items.0.quantity: an integer expected",
        "mode: 'pay' is not one of ('payment', 'setup', 'subscription')",
        "succes_url: not a parameter",
    ]
