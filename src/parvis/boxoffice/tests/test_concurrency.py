"""Two counters and online buyers race for the last places; counters append to one journal at once.
Real threads on the real database (PostgreSQL in CI)."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections

from parvis.boxoffice import journal, services
from parvis.boxoffice.models import Chain, JournalEntry
from parvis.ticketing import services as ticketing
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Quota, Ticket
from parvis.ticketing.tests.factories import buyer, on_sale_performance, tariff

from .helpers import open_counter

pytestmark = pytest.mark.django_db(transaction=True)


def _race(fns) -> Counter:
    barrier = threading.Barrier(len(fns))

    def run(fn):
        try:
            barrier.wait(timeout=10)
            return fn()
        except (SaleError, services.CounterError) as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(fns)) as pool:
        return Counter(pool.map(run, fns))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_two_counters_and_online_buyers_never_oversell_the_last_places():
    performance = on_sale_performance(capacity=5)
    full = tariff(performance, price="10.00")
    counters = [
        open_counter(performance.organizer, username=f"c{i}@example.org", drawer=f"C{i}") for i in (1, 2)
    ]

    def counter_sale(user, session):
        def sell():
            for _ in range(3):
                services.basket_add(session=session, tariff_id=full.pk, quantity=1)
                services.sale(
                    session=session, actor=user, payments=[services.CounterPayment("cash", Decimal(10))]
                )
            return "ok"

        return sell

    def online():
        cart = Cart.objects.create()
        ticketing.cart_add(cart=cart, tariff_id=full.pk, quantity=1)
        ticketing.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo")
        return "ok"

    outcomes = _race([counter_sale(*c) for c in counters] + [online] * 6)
    assert set(outcomes) <= {"ok", "sold_out"}
    sold = Ticket.objects.filter(performance=performance).count()
    held_online = Quota.objects.get(performance=performance, is_total=True).used
    assert held_online <= 5 and sold <= 5
    # Every counter sale that happened is in the journal, gapless, and the chain verifies.
    assert (
        JournalEntry.objects.filter(kind="sale").count()
        == Ticket.objects.filter(order__channel="box_office").count()
    )
    report = journal.verify(performance.organizer, Chain.LIVE, full=True)
    assert report.ok, report.first
    seqs = list(JournalEntry.objects.filter(chain=Chain.LIVE).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel walk: PostgreSQL")
def test_a_long_chain_is_walked_in_parallel_and_still_names_the_entry(settings):
    from parvis.boxoffice.models import EntryKind
    from parvis.testing import OrganizerFactory

    from .helpers import guard_off

    settings.PARVIS_JOURNAL_PARALLEL_MIN = 10
    org = OrganizerFactory()
    for i in range(41):
        journal.append(
            organizer=org,
            chain=Chain.LIVE,
            kind=EntryKind.SALE,
            vat=journal.vat_breakdown([(Decimal("5.50"), Decimal(10 + i))]),
            methods={"cash": Decimal(10 + i)},
        )
    assert journal._parallelism(org.pk, Chain.LIVE) > 1 or pytest.skip("one CPU")
    report = journal.verify(org, Chain.LIVE, full=True)
    assert report.ok and report.entries == 41 and report.signatures_checked == 41
    with guard_off() as cursor:
        cursor.execute(
            "UPDATE boxoffice_journalentry SET total = 1 WHERE organizer_id = %s AND seq = 33", [org.pk]
        )
    assert (journal.verify(org, Chain.LIVE).first.seq, journal.verify(org, Chain.LIVE).first.reason) == (
        33,
        "altered",
    )
    middle = -(-41 // journal._parallelism(org.pk, Chain.LIVE)) + 1  # the first entry of the second range
    with guard_off() as cursor:
        cursor.execute(
            "DELETE FROM boxoffice_journalentry WHERE organizer_id = %s AND seq = %s", [org.pk, middle]
        )
    first = journal.verify(org, Chain.LIVE).first
    assert (first.seq, first.reason) == (middle, "missing")
