"""The rollups equal a brute-force count of the tickets, after each sale as after a rebuild: on generated
sales with refunds, cancellations, exchanges, pass entries, invitations, timed slots and entries; the
audiences' rollup too, through dates moved to another month and contacts merged."""

import datetime
import random
import time
import uuid
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from parvis.analytics import rollups
from parvis.analytics.models import AudienceMonth, ConsentState, FirstVisit, PerformanceFigures, SalesDay
from parvis.checkin import services as door
from parvis.checkin.models import CheckinList
from parvis.core import changes
from parvis.core.models import Change
from parvis.crm.dedupe import contacts_merge
from parvis.crm.models import Consent, Contact, Purpose
from parvis.crm.services import consent_record
from parvis.passes.services import pass_book
from parvis.passes.tests.factories import bought_pass, pass_product
from parvis.programming.services import performance_update
from parvis.testing import PerformanceFactory
from parvis.ticketing import services
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Channel, Order, Ticket, TicketState
from parvis.ticketing.services.paid import PaidLine, order_place_paid
from parvis.ticketing.tests.factories import buy, buyer, on_sale_performance, tariff

pytestmark = pytest.mark.django_db

BRUTE_SQL = """
SELECT t.performance_id, t.tariff_id,
       CASE WHEN pe.id IS NOT NULL THEN 'pass'
            WHEN o.subscription_id IS NOT NULL THEN 'subscription'
            WHEN t.price = 0 AND tr.kind IN ('free', 'exonerated') THEN 'invitation'
            ELSE o.channel END AS source,
       COUNT(*), SUM(t.price),
       SUM(CASE WHEN t.state <> 'valid' THEN 1 ELSE 0 END),
       SUM(CASE WHEN t.state <> 'valid' THEN t.price ELSE 0 END)
FROM ticketing_ticket t
JOIN ticketing_order o ON o.id = t.order_id
JOIN ticketing_tariff tr ON tr.id = t.tariff_id
LEFT JOIN passes_passentry pe ON pe.ticket_id = t.id
GROUP BY 1, 2, 3
"""


def _brute_totals() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(BRUTE_SQL)
        return {
            (p, t, s): (n, Decimal(amount), r, Decimal(r_amount))
            for p, t, s, n, amount, r, r_amount in cursor.fetchall()
        }


def _rollup_totals() -> dict:
    out = defaultdict(lambda: [0, Decimal(0), 0, Decimal(0)])
    for row in SalesDay.objects.all():
        line = out[(row.performance_id, row.tariff_id, row.source)]
        line[0] += row.sold
        line[1] += row.sold_amount
        line[2] += row.returned
        line[3] += row.returned_amount
    return {k: tuple(v) for k, v in out.items()}


def _brute_days() -> dict:
    """Per (performance, local day): tickets issued and tickets given back, one ticket at a time."""
    out = defaultdict(lambda: [0, 0])
    for pk, issued, voided, state in Ticket.objects.values_list(
        "performance_id", "issued_at", "voided_at", "state"
    ):
        out[(pk, timezone.localtime(issued).date())][0] += 1
        if state != TicketState.VALID:
            out[(pk, timezone.localtime(voided or issued).date())][1] += 1
    return {k: tuple(v) for k, v in out.items()}


def _rollup_days() -> dict:
    out = defaultdict(lambda: [0, 0])
    for row in SalesDay.objects.all():
        out[(row.performance_id, row.day)][0] += row.sold
        out[(row.performance_id, row.day)][1] += row.returned
    return {k: tuple(v) for k, v in out.items() if v != [0, 0]}


def _brute_figures() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.performance_id, COUNT(DISTINCT p.ticket_id) FROM checkin_presence p "
            "JOIN ticketing_ticket t ON t.id = p.ticket_id GROUP BY 1"
        )
        scanned = dict(cursor.fetchall())
    valid = defaultdict(lambda: [0, Decimal(0)])
    for pk, price in Ticket.objects.filter(state=TicketState.VALID).values_list("performance_id", "price"):
        valid[pk][0] += 1
        valid[pk][1] += price
    keys = set(scanned) | set(Ticket.objects.values_list("performance_id", flat=True))
    return {pk: (valid[pk][0], valid[pk][1], scanned.get(pk, 0)) for pk in keys}


def _rollup_figures() -> dict:
    return {f.performance_id: (f.sold, f.revenue, f.scanned) for f in PerformanceFigures.objects.all()}


def _brute_people() -> dict:
    """(contact, venue, local month of the date) → (dates, tickets, amount, first month at the organizer,
    first at the venue, back the next season, back there), from every valid ticket."""
    out = defaultdict(lambda: [set(), 0, Decimal(0)])
    months = defaultdict(set)  # (contact, "o" or "v", organizer or venue) → months
    for contact_id, venue_id, organizer_id, starts_at, performance_id, price in Ticket.objects.filter(
        state=TicketState.VALID, order__contact__isnull=False
    ).values_list(
        "order__contact_id",
        "performance__venue_id",
        "performance__organizer_id",
        "performance__starts_at",
        "performance_id",
        "price",
    ):
        month = timezone.localtime(starts_at).date().replace(day=1)
        row = out[(contact_id, venue_id, month, organizer_id)]
        row[0].add(performance_id)
        row[1] += 1
        row[2] += price
        months[(contact_id, "o", organizer_id)].add(month)
        months[(contact_id, "v", venue_id)].add(month)

    def flags(held: set, month) -> tuple[bool, bool]:
        first = min(held)
        season = first.year if first.month >= 9 else first.year - 1
        seasons = {m.year if m.month >= 9 else m.year - 1 for m in held}
        return month == first, month == first and season + 1 in seasons

    found = {}
    for (contact_id, venue_id, month, organizer_id), v in out.items():
        first, back = flags(months[(contact_id, "o", organizer_id)], month)
        first_here, back_here = flags(months[(contact_id, "v", venue_id)], month)
        found[(contact_id, venue_id, month)] = (len(v[0]), v[1], v[2], first, first_here, back, back_here)
    return found


def _rollup_people() -> dict:
    return {
        (r.contact_id, r.venue_id, r.month): (
            r.visits,
            r.tickets,
            r.amount,
            r.first,
            r.first_here,
            r.back,
            r.back_here,
        )
        for r in AudienceMonth.objects.all()
    }


def _brute_firsts() -> dict:
    firsts = {}
    for contact_id, performance_id, at, entry in (
        Ticket.objects.filter(state=TicketState.VALID, order__contact__isnull=False)
        .order_by("issued_at", "pk")
        .values_list("order__contact_id", "performance_id", "issued_at", "pass_entry")
    ):
        firsts.setdefault(contact_id, (performance_id, at, entry is not None))
    return firsts


def _brute_consents() -> dict:
    latest = {}
    for contact_id, purpose, given in Consent.objects.order_by("at", "pk").values_list(
        "contact_id", "purpose", "given"
    ):
        latest[(contact_id, purpose)] = given
    return latest


def _assert_exact():
    assert _rollup_totals() == _brute_totals()
    assert _rollup_days() == _brute_days()
    assert _rollup_figures() == _brute_figures()
    assert _rollup_people() == _brute_people()
    assert {(r.contact_id, r.purpose): r.given for r in ConsentState.objects.all()} == _brute_consents()
    assert {
        r.contact_id: (r.performance_id, r.at, r.with_pass) for r in FirstVisit.objects.all()
    } == _brute_firsts()


def _world(network, organizer):
    """Three dates of one organizer (one a day of timed slots), tariffs full, reduced and invitation, a
    network pass, a door."""
    first = on_sale_performance(organizer=organizer, capacity=80)
    second = PerformanceFactory(
        event=first.event,
        venue=first.venue,
        capacity=60,
        starts_at=first.starts_at + datetime.timedelta(days=1),
    )
    day = on_sale_performance(organizer=organizer, capacity=100, genre="exhibition")
    day.ends_at = day.starts_at + datetime.timedelta(hours=2)
    day.save()
    tariffs = {}
    for performance in (first, second):
        tariffs[performance.pk] = [
            tariff(performance, price="22.00"),
            tariff(performance, name="Réduit", price="14.00", kind="reduced"),
            tariff(performance, name="Invitation", price="0.00", kind="free"),
        ]
    tariffs[day.pk] = [tariff(day, price="12.00")]
    slots = services.timed_slots_create(actor=None, performance=day, every_minutes=30, capacity=15)
    holding = bought_pass(pass_product(organizer, network, entries=5), email="pass@example.org")
    # Doors open from four months before: the dates are ahead, and some move by a month or more.
    door_list = CheckinList.objects.create(
        organizer=organizer, name="Soirée", opens_minutes_before=60 * 24 * 120
    )
    door_list.performances.add(first, second, day)
    device, _token = door.device_create(organizer=organizer, name="Téléphone")
    return first, second, day, tariffs, slots, holding, door_list, device


def _slot_buy(tariff_obj, slot, quantity):
    from parvis.ticketing.models import Cart

    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=tariff_obj.pk, quantity=quantity, slot_id=slot.pk)
    order = services.checkout_place_orders(cart=cart, buyer=buyer(), provider_code="demo")[0]
    return services.payment_confirm(payment_id=order.payments.get(state="created").pk)


def _step(rng, world):
    first, second, day, tariffs, slots, holding, door_list, device = world
    valid = list(Ticket.objects.filter(state=TicketState.VALID).exclude(pass_entry__isnull=False))
    action = rng.choice(
        [
            "online",
            "online",
            "api",
            "api",
            "slot",
            "refund",
            "cancel",
            "exchange",
            "pass",
            "scan",
            "move",
            "merge",
            "consent",
            "consent",
        ]
    )
    performance = rng.choice([first, second])
    if action == "online":
        buy(rng.choice(tariffs[performance.pk]), rng.randint(1, 3))
    elif action == "move":  # a date moved by a month or so, back or forth: its people change months
        moved = performance.__class__.objects.get(pk=performance.pk)
        shift = datetime.timedelta(days=rng.choice([-40, -33, 31, 45]))
        performance_update(actor=None, performance=moved, data={"starts_at": moved.starts_at + shift})
    elif action == "consent":
        contact = Contact.objects.filter(merged_into__isnull=True).order_by("?").first()
        if contact:
            purpose = rng.choice([Purpose.ORGANIZER_NEWSLETTER, Purpose.RECOMMENDATIONS])
            consent_record(contact=contact, purpose=purpose, given=rng.random() < 0.6, source="self_service")
    elif action == "merge":
        two = list(Contact.objects.filter(merged_into__isnull=True).order_by("?")[:2])
        if len(two) == 2:
            contacts_merge(survivor=two[0], merged=two[1])
    elif action == "api":
        order_place_paid(
            organizer_id=performance.organizer_id,
            lines=[PaidLine(tariffs[performance.pk][0].pk, rng.randint(1, 2))],
            buyer=buyer(email=f"p{rng.randint(1, 6)}@example.org", first_name=f"P{rng.randint(1, 6)}"),
            provider_code="channel",
            reference=uuid.uuid4().hex,
            channel=Channel.API,
        )
    elif action == "slot":
        _slot_buy(tariffs[day.pk][0], rng.choice(slots), rng.randint(1, 2))
    elif action == "refund" and valid:
        services.tickets_refund(tickets=[rng.choice(valid)])
    elif action == "cancel":
        order = Order.objects.filter(state="paid", tickets__pass_entry__isnull=True).order_by("?").first()
        if order:
            services.order_cancel(order=order)
    elif action == "exchange" and valid:
        ticket = rng.choice([t for t in valid if t.performance_id in (first.pk, second.pk)] or valid)
        if ticket.performance_id in (first.pk, second.pk):
            target = second if ticket.performance_id == first.pk else first
            cheaper = [t for t in tariffs[target.pk] if t.price <= ticket.price]
            services.ticket_exchange(ticket=ticket, tariff_id=rng.choice(cheaper).pk, actor=None)
    elif action == "pass" and holding.__class__.objects.get(pk=holding.pk).entries_left:
        pass_book(holding=holding, performance_id=rng.choice([first, second]).pk)
    elif action == "scan" and valid:
        ticket = rng.choice(valid)
        door.redeem(device=device, checkin_list=door_list, nonce=uuid.uuid4().hex, secret=ticket.secret)


@pytest.mark.parametrize("seed", [1, 2])
def test_rollups_equal_the_brute_force_count_after_every_settle_and_after_a_rebuild(network, organizer, seed):
    world = _world(network, organizer)
    rng = random.Random(seed)
    first, _second, _day, tariffs, _slots, holding, _door, _device = world
    pass_book(holding=holding, performance_id=first.pk)  # at least one of the rarer kinds, whatever the seed
    order_place_paid(
        organizer_id=organizer.pk, lines=[PaidLine(tariffs[first.pk][1].pk, 2)], buyer=buyer(),
        provider_code="channel", reference="r-1", channel=Channel.API,
    )  # fmt: skip
    consent_record(contact=Contact.objects.first(), purpose=Purpose.SMS, given=False, source="self_service")
    entered = Ticket.objects.filter(performance=first).first()  # and an entry
    assert door.redeem(device=world[7], checkin_list=world[6], nonce="first", secret=entered.secret).accepted
    for _round in range(6):
        if _round == 1:  # an entry alone in its batch: only the entries are counted again
            again = (
                Ticket.objects.filter(performance=first, state=TicketState.VALID)
                .exclude(pk=entered.pk)
                .first()
            )
            door.redeem(device=world[7], checkin_list=world[6], nonce="second", secret=again.secret)
            rollups.settle()
            _assert_exact()
        for _ in range(8):
            try:
                _step(rng, world)
            except SaleError:  # a refusal the rules make (a pass already used for that date)
                pass
        rollups.settle()
        _assert_exact()
    assert Change.objects.filter(topic="order.refunded").exists()
    assert SalesDay.objects.filter(source="pass").exists() and SalesDay.objects.filter(source="api").exists()
    assert SalesDay.objects.filter(returned__gt=0).exists()
    assert PerformanceFigures.objects.filter(scanned__gt=0).exists()  # entries were counted, not all refused

    # Days: tickets spread over the past weeks, some around local midnight (22:30 UTC is the next day in
    # Paris in summer, the same day at 23:30 in winter); the rebuild finds each in its local day.
    for ticket in Ticket.objects.all():
        back = datetime.timedelta(
            days=rng.randint(0, 40), hours=rng.choice([0, 0, 3]), minutes=rng.randint(0, 59)
        )
        issued = ticket.issued_at - back
        if rng.random() < 0.3:
            issued = issued.replace(hour=22, minute=30, tzinfo=datetime.UTC)
        voided = (
            issued + datetime.timedelta(days=rng.randint(0, 9)) if ticket.state != TicketState.VALID else None
        )
        Ticket.objects.filter(pk=ticket.pk).update(issued_at=issued, voided_at=voided)
    call_command("analytics", "rebuild", verbosity=0)
    _assert_exact()
    assert len({row.day for row in SalesDay.objects.all()}) > 5
    assert AudienceMonth.objects.values("contact_id").distinct().count() > 1
    assert Change.objects.filter(topic="performance.updated").exists()
    assert Change.objects.filter(topic="contact.merged").exists()
    assert (
        ConsentState.objects.filter(given=False).exists() and ConsentState.objects.filter(given=True).exists()
    )


def test_a_sale_is_in_the_rollups_once_settled_and_settling_twice_changes_nothing(organizer):
    performance = on_sale_performance(organizer=organizer)
    full = tariff(performance, price="20.00")
    buy(full, 2)
    assert not SalesDay.objects.exists()  # nothing yet: no worker ran (a reader settles first)
    assert (
        rollups.settle() == 2
    )  # the sale, and the buyer's new profile (the sale's change stands for its touchpoint)
    row = SalesDay.objects.get()
    assert (row.source, row.sold, row.sold_amount, row.returned) == ("online", 2, Decimal("40.00"), 0)
    assert rollups.settle() == 0
    assert SalesDay.objects.get().sold == 2
    services.tickets_refund(tickets=[Ticket.objects.first()])
    rollups.settle()
    row = SalesDay.objects.get()
    assert (row.sold, row.returned, row.returned_amount) == (2, 1, Decimal("20.00"))
    assert PerformanceFigures.objects.get().sold == 1


def test_the_feed_gives_places_in_commit_order_and_each_follower_reads_each_change_once(organizer):
    for n in range(3):
        changes.record("order.paid", organizer_id=organizer.pk, subject="order", subject_id=n)
    assert changes.sequence() == 3 and changes.sequence() == 0
    assert list(Change.objects.order_by("id").values_list("seq", flat=True)) == [1, 2, 3]
    seen = []
    assert changes.consume("test", lambda batch: seen.extend(c.subject_id for c in batch), limit=2) == 3
    changes.record("order.paid", organizer_id=organizer.pk, subject="order", subject_id=9)
    assert changes.consume("test", lambda batch: seen.extend(c.subject_id for c in batch)) == 1
    assert seen == [0, 1, 2, 9]


def test_a_follower_that_fails_reads_the_same_changes_again(organizer):
    changes.record("order.paid", organizer_id=organizer.pk, subject="order", subject_id=1)

    def broken(batch):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        changes.consume("test", broken)
    assert changes.position("test") == 0
    seen = []
    changes.consume("test", lambda batch: seen.extend(batch))
    assert [c.subject_id for c in seen] == [1]


@pytest.mark.django_db(transaction=True)  # the worker's sign of life writes from a thread of its own
def test_a_sale_wakes_the_worker_that_settles_the_rollups_soon_after(organizer, settings):
    settings.TASKS = {"default": {"BACKEND": "parvis.core.background.DatabaseBackend"}}
    settings.PARVIS_ANALYTICS_SETTLE_AFTER_S = 0.01
    changes._woken[0] = 0.0  # this process has not woken the followers lately
    performance = on_sale_performance(organizer=organizer)
    buy(tariff(performance, price="20.00"), 2, provider="demo")
    assert DBTaskResult.objects.filter(task_path__endswith="analytics_settle").count() == 1
    time.sleep(0.05)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0")
    assert SalesDay.objects.get().sold == 2  # no dashboard was read
    assert DBTaskResult.objects.get(task_path__endswith="analytics_settle").status == "SUCCESSFUL"
