"""Sessions read with a compiled statement (`parvis.core.sessions`): the same behaviour as Django's."""

import datetime

import pytest
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parvis.core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_session_is_read_back_and_an_expired_or_unknown_one_is_empty(django_assert_num_queries):
    store = SessionStore()
    store["parvis_cart"] = "abc"
    store.save(must_create=True)
    assert store.exists(store.session_key) and not store.exists("x" * 32)
    with django_assert_num_queries(1):
        assert SessionStore(store.session_key).load() == {"parvis_cart": "abc"}
    Session.objects.filter(pk=store.session_key).update(expire_date=timezone.now() - datetime.timedelta(1))
    expired = SessionStore(store.session_key)
    assert expired.load() == {} and expired.session_key is None  # a new key is made on the next save
    assert SessionStore("unknown-key-123").load() == {}


def test_pages_keep_the_cart_of_their_session(client):
    from parvis.ticketing.tests import factories

    performance = factories.on_sale_performance()
    tariff = factories.tariff(performance)
    response = client.post(f"/billets/{performance.pk}/", {f"q-{tariff.pk}": "2"})
    assert response.status_code == 302
    assert client.get("/panier/").context["holds"][0].quantity == 2


def test_a_session_is_created_once_and_updated_while_it_exists():
    store = SessionStore()
    store["n"] = 1
    store.save(must_create=True)
    with pytest.raises(CreateError):  # a key already taken
        SessionStore(store.session_key).save(must_create=True)
    again = SessionStore(store.session_key)
    again["n"] = 2
    with CaptureQueriesContext(connection) as statements:
        again.save()
    written = [q["sql"].split()[0] for q in statements if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert written == ["UPDATE"]  # written in one statement (it was read when changed)
    assert SessionStore(store.session_key).load() == {"n": 2}
    Session.objects.all().delete()
    with pytest.raises(UpdateError):  # deleted meanwhile (a log-out elsewhere)
        again.save()


def test_a_session_created_inside_a_transaction_leaves_it_usable():
    from django.db import transaction

    store = SessionStore()
    store.save(must_create=True)
    with transaction.atomic():
        with pytest.raises(CreateError):
            SessionStore(store.session_key).save(must_create=True)
        assert Session.objects.count() == 1  # the transaction goes on after the failed insert


def test_a_new_session_whose_key_is_taken_draws_another(monkeypatch):
    from parvis.core import sessions

    taken = SessionStore()
    taken.save(must_create=True)
    keys = iter([taken.session_key, "n" * 32])
    monkeypatch.setattr(sessions, "get_random_string", lambda *args: next(keys))
    store = SessionStore()
    store["parvis_cart"] = "abc"
    store.save()
    assert store.session_key == "n" * 32
    assert SessionStore("n" * 32).load() == {"parvis_cart": "abc"} and Session.objects.count() == 2
