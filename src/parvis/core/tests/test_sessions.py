"""Sessions (`parvis.core.sessions`): a buyer's in its signed cookie; the others in the database, read with
a compiled statement, with the same behaviour as Django's."""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parvis.core import sessions
from parvis.core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_session_is_read_back_and_an_expired_or_unknown_one_is_empty(django_assert_num_queries):
    store = SessionStore()
    store["boxoffice_voucher"] = "abc"
    store.save(must_create=True)
    assert store.exists(store.session_key) and not store.exists("x" * 32)
    with django_assert_num_queries(1):
        assert SessionStore(store.session_key).load() == {"boxoffice_voucher": "abc"}
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
    store["n"] = 1
    store.save(must_create=True)
    with transaction.atomic():
        with pytest.raises(CreateError):
            SessionStore(store.session_key).save(must_create=True)
        assert Session.objects.count() == 1  # the transaction goes on after the failed insert


def test_a_new_session_whose_key_is_taken_draws_another(monkeypatch):
    taken = SessionStore()
    taken["n"] = 1
    taken.save(must_create=True)
    keys = iter([taken.session_key, "n" * 32])
    monkeypatch.setattr(sessions, "get_random_string", lambda *args: next(keys))
    store = SessionStore()
    store["boxoffice_voucher"] = "abc"
    store.save()
    assert store.session_key == "n" * 32
    assert SessionStore("n" * 32).load() == {"boxoffice_voucher": "abc"} and Session.objects.count() == 2


# A buyer's session in its cookie -------------------------------------------------------------------------


def _checkout(client) -> str:
    """Choose two tickets and check out with the demo provider; the payment page's path."""
    import re

    from parvis.ticketing.tests import factories

    performance = factories.on_sale_performance()
    tariff = factories.tariff(performance)
    assert client.post(f"/billets/{performance.pk}/", {f"q-{tariff.pk}": "2"}).status_code == 302
    page = client.get("/panier/commande/").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page)[1]
    response = client.post(
        "/panier/commande/",
        {
            "email": "b@example.org",
            "first_name": "B",
            "last_name": "U",
            "terms": "on",
            "provider": "demo",
            "idempotency_key": key,
        },
    )
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def test_a_buyer_checks_out_without_a_session_row_or_a_session_statement(client):
    payment_page = _checkout(client)
    assert not Session.objects.exists()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert set(SessionStore(cookie).load()) == {"parvis_cart", "parvis_checkouts"}
    with CaptureQueriesContext(connection) as statements:
        assert client.get(payment_page).status_code == 200  # the checkout is this browser's: it may pay
        response = client.post(payment_page, {"action": "pay"}, follow=True)
    assert "Payée" in response.content.decode()
    assert not [q for q in statements if "django_session" in q["sql"]]
    assert not Session.objects.exists()


def test_another_browser_or_an_altered_cookie_is_a_new_empty_session(client):
    from django.test import Client

    payment_page = _checkout(client)
    assert Client().get(payment_page).status_code == 404  # the checkout is not another browser's
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    data, _, signature = cookie.rpartition(":")
    altered = Client()
    altered.cookies[settings.SESSION_COOKIE_NAME] = data + ":" + signature[::-1]
    assert altered.get(payment_page).status_code == 404
    other_salt = signing.dumps({"parvis_checkouts": [payment_page.split("/")[-2]]}, compress=True)
    altered.cookies[settings.SESSION_COOKIE_NAME] = other_salt  # signed, but not as a session
    assert altered.get(payment_page).status_code == 404
    assert SessionStore(other_salt).load() == {} and not Session.objects.exists()


def test_a_cookie_session_expires_as_a_database_session_does(monkeypatch):
    store = SessionStore()
    store["parvis_cart"] = "abc"
    store.save()
    assert sessions._in_cookie(store.session_key) and SessionStore(store.session_key).load() == {
        "parvis_cart": "abc"
    }
    later = signing.time.time() + settings.SESSION_COOKIE_AGE + 1
    monkeypatch.setattr(signing.time, "time", lambda: later)
    expired = SessionStore(store.session_key)
    assert expired.load() == {} and expired.session_key is None


def test_anything_else_than_buying_moves_the_session_into_the_database_under_a_new_key():
    store = SessionStore()
    store["parvis_cart"] = "abc"
    store.save()
    cookie_key = store.session_key
    assert not Session.objects.exists()
    store["accounts_pending_user"] = 7  # the two-factor step, say: never in a cookie
    store.save()
    assert not sessions._in_cookie(store.session_key) and store.session_key != cookie_key
    row = Session.objects.get()
    assert row.session_key == store.session_key
    assert SessionStore(store.session_key).load() == {"parvis_cart": "abc", "accounts_pending_user": 7}
    del store["accounts_pending_user"]
    store.save()  # in the database for good
    assert SessionStore(store.session_key).load() == {"parvis_cart": "abc"}


def test_a_session_that_outgrows_its_cookie_moves_into_the_database():
    import uuid

    store = SessionStore()
    store["parvis_checkouts"] = [str(uuid.uuid4()) for _ in range(10)]
    store.save()
    assert sessions._in_cookie(store.session_key)
    store["parvis_checkouts"] = [str(uuid.uuid4()) for _ in range(100)]  # random: compression does not help
    store.save()
    assert not sessions._in_cookie(store.session_key)
    assert SessionStore(store.session_key).load()["parvis_checkouts"] == store["parvis_checkouts"]


def test_a_buyer_who_signs_in_keeps_the_cart_in_a_database_session_with_a_new_key(client):
    import re

    from django.core import mail

    from parvis.ticketing.tests import factories

    factories.buy(factories.tariff(factories.on_sale_performance()))  # an order of ana@example.org
    performance = factories.on_sale_performance()
    tariff = factories.tariff(performance)
    client.post(f"/billets/{performance.pk}/", {f"q-{tariff.pk}": "1"})
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    mail.outbox.clear()
    client.post("/compte/", {"email": "ana@example.org"})
    link = re.search(r"http://\S+/compte/lien/\S+/", mail.outbox[0].body)[0].split("testserver", 1)[-1]
    assert client.post(link).status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before and not sessions._in_cookie(after)
    assert "_auth_user_id" in SessionStore(after).load()
    assert client.get("/panier/").context["holds"][0].tariff_id == tariff.pk  # the cart kept
    client.post("/compte/deconnexion/")
    assert not Session.objects.filter(pk=after).exists()  # signing out ends it


def test_with_a_shared_cache_a_buyer_session_stays_in_its_cookie_and_the_others_are_read_from_the_cache(
    django_assert_num_queries,
):
    from parvis.core.cached_sessions import SessionStore as CachedSessionStore

    buyer = CachedSessionStore()
    buyer["parvis_cart"] = "abc"
    with django_assert_num_queries(0):
        buyer.save()
        assert CachedSessionStore(buyer.session_key).load() == {"parvis_cart": "abc"}
    staff = CachedSessionStore()
    staff["parvis_2fa_verified"] = True
    staff.save()
    with django_assert_num_queries(0):  # from the cache
        assert CachedSessionStore(staff.session_key).load() == {"parvis_2fa_verified": True}
    assert Session.objects.filter(pk=staff.session_key).exists()


def test_a_browser_remembers_its_latest_checkouts_and_its_session_stays_in_the_cookie():
    import uuid

    from django.test import RequestFactory

    from parvis.ticketing.views import CHECKOUTS_REMEMBERED, _checkout_remember

    request = RequestFactory().get("/")
    request.session = SessionStore()
    checkouts = [uuid.uuid4() for _ in range(CHECKOUTS_REMEMBERED + 5)]
    for checkout in checkouts:
        _checkout_remember(request, checkout)
    _checkout_remember(request, checkouts[-1])  # the same one again: listed once
    assert request.session["parvis_checkouts"] == [str(c) for c in checkouts[-CHECKOUTS_REMEMBERED:]]
    request.session.save()
    assert sessions._in_cookie(request.session.session_key) and not Session.objects.exists()
