"""Counter sales, refunds, reprints, cash and the till session, each with its journal entry."""

import datetime
from decimal import Decimal

import pypdfium2
import pytest
from django.urls import reverse
from django.utils import timezone

from parvis.boxoffice import journal, services
from parvis.boxoffice.models import Chain, EntryKind, JournalEntry, TillSession
from parvis.crm.models import Consent, Contact
from parvis.network.models import Role
from parvis.testing import OrganizerFactory, login_staff, staff
from parvis.ticketing import services as ticketing
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Order, Quota, Ticket, TicketState
from parvis.ticketing.tests.factories import on_sale_performance, tariff

from .helpers import cash_sale, open_counter

pytestmark = pytest.mark.django_db


@pytest.fixture
def show():
    performance = on_sale_performance(capacity=10)
    return performance, tariff(performance, price="18.00"), tariff(performance, name="Jeune", price="8.00")


def _pdf_text(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(data)
    return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def test_a_cash_sale_to_an_anonymous_customer_makes_a_paid_order_and_its_journal_entry(show):
    performance, full, _youth = show
    user, session = open_counter(performance.organizer)
    result = cash_sale(session, user, full, 2, cash_tendered=Decimal("40"))
    order = result.order
    assert order.state == "paid" and order.channel == "box_office" and order.contact is None
    assert order.tickets.filter(state=TicketState.VALID).count() == 2
    assert list(order.payments.values_list("provider", "amount", "state")) == [
        ("cash", Decimal("36.00"), "confirmed")
    ]
    assert result.change == Decimal("4.00")
    entry = result.entry
    assert (entry.kind, entry.order_code, entry.total) == ("sale", order.code, Decimal("36.00"))
    assert entry.methods == {"cash": "36.00"} and entry.vat["5.50"]["ttc"] == "36.00"
    assert entry.detail["change"] == "4.00"
    assert Quota.objects.get(performance=performance, is_total=True).used == 2
    assert journal.verify(performance.organizer, Chain.LIVE, full=True).ok


def test_mixed_payment_and_the_errors_of_paying(show):
    performance, full, youth = show
    user, session = open_counter(performance.organizer)
    services.basket_add(session=session, tariff_id=full.pk, quantity=1)
    services.basket_add(session=session, tariff_id=youth.pk, quantity=1)
    with pytest.raises(services.CounterError) as exc:
        services.sale(
            session=session, actor=user, payments=[services.CounterPayment("card_terminal", Decimal("30"))]
        )
    assert exc.value.code == "overpaid"
    with pytest.raises(services.CounterError) as exc:
        services.sale(
            session=session, actor=user, payments=[services.CounterPayment("cheque", Decimal("20"))]
        )
    assert exc.value.code == "underpaid"
    with pytest.raises(services.CounterError) as exc:
        services.sale(
            session=session, actor=user, payments=[services.CounterPayment("bitcoin", Decimal("26"))]
        )
    assert exc.value.code == "unknown_method"
    with pytest.raises(SaleError) as exc:
        services.sale(
            session=session, actor=user, payments=[services.CounterPayment("cash", Decimal(26))],
            expected_total=Decimal("20"),
        )  # fmt: skip
    assert exc.value.code == "price_mismatch"
    with pytest.raises(services.CounterError):  # 10 € cash against 16 € due in cash
        services.sale(
            session=session,
            actor=user,
            cash_tendered=Decimal("5"),
            payments=[
                services.CounterPayment("card_terminal", Decimal("10"), "T-1"),
                services.CounterPayment("cash", Decimal("16")),
            ],
        )
    assert (
        not Order.objects.exists() and not JournalEntry.objects.filter(kind="sale").exists()
    )  # nothing half-made
    result = services.sale(
        session=session,
        actor=user,
        cash_tendered=Decimal("20"),
        payments=[
            services.CounterPayment("card_terminal", Decimal("10"), "T-1"),
            services.CounterPayment("cash", Decimal("16")),
        ],
    )
    assert result.change == Decimal("4.00")
    assert result.entry.methods == {"card_terminal": "10.00", "cash": "16.00"}
    assert sorted(result.order.payments.values_list("provider", "amount", "reference")) == [
        ("card_terminal", Decimal("10.00"), "T-1"), ("cash", Decimal("16.00"), ""),
    ]  # fmt: skip


def test_counter_and_online_draw_on_the_same_capacity(show):
    performance, full, _youth = show
    user, session = open_counter(performance.organizer)
    services.basket_add(session=session, tariff_id=full.pk, quantity=8)
    online = Cart.objects.create()
    ticketing.cart_add(cart=online, tariff_id=full.pk, quantity=2)
    with pytest.raises(SaleError) as exc:
        ticketing.cart_add(cart=Cart.objects.create(), tariff_id=full.pk, quantity=1)
    assert exc.value.code == "sold_out"
    with pytest.raises(SaleError):
        services.basket_add(session=session, tariff_id=full.pk, quantity=1)


def test_a_customer_created_at_the_counter_gets_a_profile_and_the_consents_ticked(show):
    performance, full, _youth = show
    user, session = open_counter(performance.organizer)
    customer = services.Customer(
        email="Zoe@Example.org", first_name="Zoé", last_name="Roux", consents=["organizer_newsletter"]
    )
    order = cash_sale(session, user, full, customer=customer).order
    contact = Contact.objects.get(organizer=performance.organizer)
    assert order.contact == contact and order.email == "zoe@example.org"
    consent = Consent.objects.get(contact=contact)
    assert (consent.purpose, consent.given, consent.source) == ("organizer_newsletter", True, "box_office")
    again = cash_sale(session, user, full, customer=services.Customer(contact_id=contact.pk)).order
    assert again.contact == contact and Contact.objects.count() == 1
    other = OrganizerFactory()
    stranger = Contact.objects.create(organizer=other, last_name="X")
    services.basket_add(session=session, tariff_id=full.pk)
    with pytest.raises(services.CounterError):
        services.sale(
            session=session,
            actor=user,
            payments=[services.CounterPayment("cash", Decimal(18))],
            customer=services.Customer(contact_id=stranger.pk),
        )


def test_refund_at_the_counter_gives_the_place_back_and_writes_a_negative_entry(show):
    performance, full, _youth = show
    user, session = open_counter(performance.organizer)
    order = cash_sale(session, user, full, 2).order
    ticket = order.tickets.first()
    with pytest.raises(services.CounterError):
        services.refund(session=session, actor=user, tickets=[ticket], reason=" ")
    entry = services.refund(session=session, actor=user, tickets=[ticket], reason="Malade", method="cash")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.REFUNDED
    assert (entry.kind, entry.total, entry.methods) == ("refund", Decimal("-18.00"), {"cash": "-18.00"})
    assert entry.grand_total == Decimal("18.00") and entry.grand_total_abs == Decimal("54.00")
    assert Quota.objects.get(performance=performance, is_total=True).used == 1
    assert order.payments.filter(provider="cash", amount=Decimal("-18.00")).exists()
    with pytest.raises(services.CounterError):  # already refunded
        services.refund(
            session=session, actor=user, tickets=[Ticket.objects.get(pk=ticket.pk)], reason="encore"
        )


def test_reprints_are_numbered_marked_duplicata_and_journaled(show, client):
    performance, full, _youth = show
    user, session = open_counter(performance.organizer)
    order = cash_sale(session, user, full).order
    ticket = order.tickets.get()
    login_staff(client, user)
    url = reverse("staff:boxoffice_reprint", args=[performance.organizer.slug, ticket.pk])
    first = client.post(url)
    second = client.post(url, {"layout": "80mm"})
    assert first.status_code == second.status_code == 200
    assert "DUPLICATA n° 1" in _pdf_text(first.content)
    assert "DUPLICATA n° 2" in _pdf_text(second.content)
    entries = JournalEntry.objects.filter(kind=EntryKind.REPRINT).order_by("seq")
    assert [e.detail["duplicate"] for e in entries] == [1, 2] and all(e.total == 0 for e in entries)


def test_cash_moves_and_closing_count_record_the_discrepancy(show):
    performance, full, _youth = show
    user, session = open_counter(performance.organizer, float_="100.00")
    order = cash_sale(session, user, full, 2).order  # +36 cash
    cash_sale(session, user, full, payments=[services.CounterPayment("card_terminal", Decimal("18"))])
    services.refund(
        session=session, actor=user, tickets=[order.tickets.first()], reason="Erreur", method="cash"
    )  # −18
    services.cash_move(session=session, actor=user, amount=Decimal("20"), reason="Monnaie")
    services.cash_move(session=session, actor=user, amount=Decimal("-50"), reason="Dépôt au coffre")
    with pytest.raises(services.CounterError):
        services.cash_move(session=session, actor=user, amount=Decimal("10"), reason="")
    assert services.expected_cash(session) == Decimal("88.00")
    closed = services.session_close(
        session=session, actor=user, counted_cash=Decimal("87.50"), note="pièce perdue"
    )
    assert (closed.expected_cash, closed.counted_cash, closed.discrepancy) == (
        Decimal("88.00"),
        Decimal("87.50"),
        Decimal("-0.50"),
    )
    last = JournalEntry.objects.order_by("-seq").first()
    assert last.kind == "session_close" and last.detail["discrepancy"] == "-0.50"
    with pytest.raises(services.CounterError):
        cash_sale(closed, user, full)


def test_training_mode_sells_nothing_and_writes_only_the_training_chain(show):
    performance, full, _youth = show
    user, session = open_counter(performance.organizer, training=True)
    result = cash_sale(session, user, full, 3)
    assert result.order is None and not Order.objects.exists()
    assert Quota.objects.get(performance=performance, is_total=True).used == 0
    assert set(JournalEntry.objects.values_list("chain", flat=True)) == {"training"}
    assert not JournalEntry.objects.filter(chain=Chain.LIVE).exists()


def test_one_open_session_per_drawer_and_per_person(show):
    performance, _full, _youth = show
    user, session = open_counter(performance.organizer)
    other = staff(performance.organizer, Role.BOX_OFFICE, username="b@example.org")
    with pytest.raises(services.CounterError) as exc:
        services.session_open(actor=other, drawer=session.drawer, opening_float=Decimal(0))
    assert exc.value.code == "drawer_busy"


# --- the pages -----------------------------------------------------------------------------------------


def test_permissions_of_the_counter(show, client):
    performance, _full, _youth = show
    organizer = performance.organizer
    url = reverse("staff:boxoffice", args=[organizer.slug])
    door = staff(organizer, Role.DOOR, username="door@example.org")
    login_staff(client, door)
    assert client.get(url).status_code == 403
    outsider = staff(OrganizerFactory(), Role.BOX_OFFICE, username="else@example.org")
    login_staff(client, outsider)
    assert client.get(url).status_code == 404
    seller = staff(organizer, Role.BOX_OFFICE, username="seller@example.org")
    login_staff(client, seller)
    assert client.get(url).status_code == 200


def test_a_sale_through_the_pages_then_print_and_z(show, client):
    performance, full, _youth = show
    organizer = performance.organizer
    seller = staff(organizer, Role.BOX_OFFICE, username="seller@example.org")
    login_staff(client, seller)
    base = reverse("staff:boxoffice", args=[organizer.slug])
    client.post(reverse("staff:boxoffice_drawer_add", args=[organizer.slug]), {"name": "Accueil"})
    drawer = organizer.cash_drawers.get()
    client.post(
        reverse("staff:boxoffice_open", args=[organizer.slug]), {"drawer": drawer.pk, "opening_float": "50"}
    )
    page = client.get(base)
    assert full.localized_name in page.content.decode()
    for _ in range(2):
        client.post(reverse("staff:boxoffice_basket", args=[organizer.slug]), {"tariff": full.pk})
    response = client.post(
        reverse("staff:boxoffice_pay", args=[organizer.slug]),
        {"method": "cash", "cash_tendered": "50", "expected_total": "36.00"},
    )
    assert response.status_code == 302
    order = Order.objects.get()
    page = client.get(base).content.decode()
    assert order.code in page and "14,00" in page  # the change to give
    a4 = client.get(reverse("staff:boxoffice_tickets", args=[organizer.slug, order.code, "a4"]))
    thermal = client.get(reverse("staff:boxoffice_tickets", args=[organizer.slug, order.code, "80mm"]))
    assert a4["Content-Type"] == thermal["Content-Type"] == "application/pdf"
    page0 = pypdfium2.PdfDocument(thermal.content)[0]
    assert round(page0.get_width() / 72 * 25.4) == 80
    assert order.code in _pdf_text(thermal.content)
    bad = client.post(reverse("staff:boxoffice_pay", args=[organizer.slug]), {"method": "cash"}, follow=True)
    assert "Votre panier est vide" in bad.content.decode()  # paying an empty basket is refused, said
    close = client.post(reverse("staff:boxoffice_close", args=[organizer.slug]), {"counted_cash": "86"})
    session = TillSession.objects.get()
    assert close.status_code == 302 and session.discrepancy == Decimal("0.00")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    made = journal.closures_generate(organizer, Chain.LIVE, today=tomorrow)
    z = made[0]
    assert z.total == Decimal("36.00")
    page = client.get(reverse("staff:boxoffice_closure", args=[organizer.slug, z.pk])).content.decode()
    assert "36,00" in page and z.hash in page


def test_an_exchange_to_a_dearer_tariff_takes_the_difference_and_journals_both_lines(show, client):
    performance, full, youth = show
    user, session = open_counter(performance.organizer)
    order = cash_sale(session, user, youth).order  # 8 €
    ticket = order.tickets.get()
    login_staff(client, user)
    response = client.post(
        reverse("staff:boxoffice_exchange", args=[performance.organizer.slug]),
        {
            "ticket": ticket.pk,
            "tariff": full.pk,
            "method": "card_terminal",
            "reason": "Pas de justificatif",
            "order": order.code,
        },
        follow=True,
    )
    assert "10,00 € à encaisser" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.EXCHANGED
    assert order.tickets.filter(state=TicketState.VALID, tariff=full).count() == 1
    entry = JournalEntry.objects.get(kind=EntryKind.EXCHANGE)
    assert entry.total == Decimal("10.00") and entry.methods == {"card_terminal": "10.00"}
    assert entry.vat == {"5.50": {"ht": "9.48", "tva": "0.52", "ttc": "10.00"}}
    assert order.payments.filter(provider="card_terminal", amount=Decimal("10.00")).exists()
    assert Quota.objects.get(performance=performance, is_total=True).used == 1
    assert journal.verify(performance.organizer, Chain.LIVE, full=True).ok


def test_add_ons_and_a_donation_at_the_counter_are_sold_with_the_tickets(show, client):
    from parvis.ticketing.models import Product

    performance, full, _youth = show
    organizer = performance.organizer
    organizer.accepts_donations = True
    organizer.save()
    programme = Product.objects.create(organizer=organizer, name="Programme", price=Decimal("5.00"))
    user, session = open_counter(organizer)
    login_staff(client, user)
    basket = reverse("staff:boxoffice_basket", args=[organizer.slug])
    client.post(basket, {"action": "extra_add", "product": programme.pk})
    client.post(basket, {"action": "extra_add", "product": programme.pk})
    session.refresh_from_db()
    with pytest.raises(services.CounterError) as exc:  # add-ons alone: no
        services.sale(session=session, actor=user, payments=[services.CounterPayment("cash", Decimal(10))])
    assert exc.value.code == "tickets_required"
    client.post(basket, {"tariff": full.pk})
    page = client.get(reverse("staff:boxoffice", args=[organizer.slug])).content.decode()
    assert "2 × Programme" in page and "28,00 €" in page
    client.post(
        reverse("staff:boxoffice_pay", args=[organizer.slug]),
        {"method": "cash", "expected_total": "28.00", "donation": "12"},
    )
    order = Order.objects.get()
    assert order.total == Decimal("40.00")
    assert sorted(order.extras.values_list("kind", "quantity", "unit_price")) == [
        ("donation", 1, Decimal("12.00")), ("product", 2, Decimal("5.00")),
    ]  # fmt: skip
    entry = JournalEntry.objects.get(kind=EntryKind.SALE)
    assert entry.vat["20.00"]["ttc"] == "10.00" and entry.vat["0.00"]["ttc"] == "12.00"
    assert entry.vat["5.50"]["ttc"] == "18.00" and entry.total == Decimal("40.00")
    session.refresh_from_db()
    assert session.basket_extras == {}


def test_counter_orders_are_refunded_only_at_the_counter(show, client):
    performance, full, _youth = show
    organizer = performance.organizer
    user, session = open_counter(organizer)
    order = cash_sale(session, user, full).order
    admin = staff(organizer, Role.ADMINISTRATOR, username="admin@example.org")
    login_staff(client, admin)
    page = client.get(reverse("staff:order_detail", args=[organizer.slug, order.code])).content.decode()
    assert "depuis l'écran du" in page and "Rembourser ce billet" not in page
    response = client.post(
        reverse("staff:order_action", args=[organizer.slug, order.code]),
        {"action": "refund_ticket", "ticket": order.tickets.get().pk, "reason": "x"},
        follow=True,
    )
    assert "écran du guichet" in response.content.decode()
    assert order.tickets.get().state == TicketState.VALID


def test_a_wrong_payment_method_is_corrected_by_a_new_entry(show, client):
    performance, full, _youth = show
    user, session = open_counter(performance.organizer, float_="0")
    sale_entry = cash_sale(session, user, full).entry
    login_staff(client, user)
    url = reverse("staff:boxoffice_correct", args=[performance.organizer.slug])
    data = {
        "entry": sale_entry.seq,
        "from_method": "cash",
        "to_method": "card_terminal",
        "reason": "Carte en fait",
    }
    assert client.post(url, {**data, "reason": ""}).status_code == 302
    assert not JournalEntry.objects.filter(kind=EntryKind.CORRECTION).exists()
    client.post(url, data)
    client.post(url, data)  # twice: refused
    correction = JournalEntry.objects.get(kind=EntryKind.CORRECTION)
    assert correction.methods == {"card_terminal": "18.00", "cash": "-18.00"} and correction.total == 0
    assert correction.detail["corrects"] == sale_entry.seq
    assert JournalEntry.objects.get(pk=sale_entry.pk).methods == {"cash": "18.00"}  # never edited
    assert services.expected_cash(session) == Decimal("0.00")
    order = Order.objects.get(code=sale_entry.order_code)
    assert sum(p.amount for p in order.payments.filter(state="confirmed")) == Decimal("18.00")
    assert journal.verify(performance.organizer, Chain.LIVE, full=True).ok


def test_the_counter_finds_a_customer_by_phone_and_emails_the_tickets(
    show, client, django_capture_on_commit_callbacks
):
    from django.core import mail

    from parvis.crm import services as crm

    performance, full, _youth = show
    organizer = performance.organizer
    contact = crm.contact_resolve(
        organizer_id=organizer.pk, email="lea@example.org", phone="+33612345678", last_name="Petit"
    )
    user, session = open_counter(organizer)
    login_staff(client, user)
    found = client.get(reverse("staff:boxoffice_customers", args=[organizer.slug]), {"q": "06 12 34 56 78"})
    assert f'value="{contact.pk}"' in found.content.decode()
    services.basket_add(session=session, tariff_id=full.pk, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("staff:boxoffice_pay", args=[organizer.slug]),
            {
                "method": "card_terminal",
                "contact": contact.pk,
                "send_email": "on",
                "card_terminal_reference": "T9",
            },
        )
    order = Order.objects.get()
    assert order.contact == contact and order.email == "lea@example.org"
    (email,) = mail.outbox
    assert email.to == ["lea@example.org"] and email.attachments[0][0] == f"billets-{order.code}.pdf"


def test_the_counter_sells_the_whole_season_and_groups_the_basket_by_date_and_tariff(show, client):
    performance, full, _youth = show
    organizer = performance.organizer
    user, session = open_counter(organizer)
    login_staff(client, user)
    dates = [on_sale_performance(organizer=organizer, days=20 + d, title=f"Saison {d}") for d in range(25)]
    for p in dates:
        tariff(p, price="12.00")
    late = on_sale_performance(organizer=organizer, days=200, title="Le Misanthrope")
    late_full = tariff(late, price="25.00")
    base = reverse("staff:boxoffice", args=[organizer.slug])
    page = client.get(base).content.decode()
    assert performance.event.title in page and "Dates suivantes" in page and "Le Misanthrope" not in page
    found = client.get(base, {"spectacle": "misanthrope"}).content.decode()
    assert "Le Misanthrope" in found and "Saison 3" not in found
    day = timezone.localtime(late.starts_at).date().isoformat()
    assert "Le Misanthrope" in client.get(base, {"jour": day}).content.decode()
    assert "Aucune date ne correspond" in client.get(base, {"spectacle": "zzz"}).content.decode()
    assert client.get(base, {"jour": "9999-99-99", "plus": "²"}).status_code == 200  # junk: no filter
    for tariff_obj in (full, full, full, late_full):
        client.post(reverse("staff:boxoffice_basket", args=[organizer.slug]), {"tariff": tariff_obj.pk})
    lines = services.basket_lines(services.basket_holds(session))
    assert [(line.performance.pk, line.quantity, line.line_total) for line in lines] == [
        (performance.pk, 3, Decimal("54.00")),
        (late.pk, 1, Decimal("25.00")),
    ]


def test_a_refund_at_the_counter_is_confirmed_with_its_amount_and_means(show, client):
    performance, full, _youth = show
    organizer = performance.organizer
    user, session = open_counter(organizer)
    order = cash_sale(session, user, full, quantity=2).order
    login_staff(client, user)
    ticket = order.tickets.order_by("number").first()
    url = reverse("staff:boxoffice_refund", args=[organizer.slug])
    data = {"order": order.code, "ticket": [ticket.pk], "reason": "Malade", "method": "card_terminal"}
    step = client.post(url, data)
    assert step.status_code == 200
    text = step.content.decode()
    assert "18,00 €" in text and "Carte" in text and 'name="confirm" value="1"' in text
    ticket.refresh_from_db()
    assert ticket.state == TicketState.VALID  # nothing done before the confirmation
    assert "Paiement inconnu" not in text
    unknown = client.post(url, {**data, "method": "bitcoin"}, follow=True)
    assert 'name="confirm"' not in unknown.content.decode()
    no_reason = client.post(url, {**data, "reason": " "}, follow=True)
    assert "motif" in no_reason.content.decode().lower()
    done = client.post(url, {**data, "confirm": "1"}, follow=True)
    assert "Remboursé : 18,00 €" in done.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.REFUNDED


def test_the_counter_offers_each_days_slots_with_their_places_in_a_constant_number_of_queries(show, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from parvis.boxoffice.counter_dates import CounterSearch, performances

    performance, _full, _youth = show
    organizer = performance.organizer

    def exhibition_days(n):
        days = []
        for d in range(n):
            day = on_sale_performance(organizer=organizer, days=3 + d, title=f"Expo {d}")
            day.ends_at = day.starts_at + datetime.timedelta(hours=2)
            day.save()
            tariff(day, price="8.00")
            ticketing.timed_slots_create(actor=None, performance=day, every_minutes=30, capacity=5)
            days.append(day)
        return days

    days = exhibition_days(2)
    first_slot = Quota.objects.filter(performance=days[0], slot_starts_at__isnull=False).order_by(
        "slot_starts_at"
    )[0]
    Quota.objects.filter(pk=first_slot.pk).update(used=3)
    _user, session = open_counter(organizer)
    with CaptureQueriesContext(connection) as few:
        shown = performances(organizer, session, CounterSearch())
    by_pk = {p.pk: p for p in shown}
    assert [free for _slot, free in by_pk[days[0].pk].counter_slots] == [2, 5, 5, 5]
    assert len(by_pk[days[1].pk].counter_slots) == 4 and not by_pk[performance.pk].counter_slots
    exhibition_days(6)
    with CaptureQueriesContext(connection) as many:
        performances(organizer, session, CounterSearch())
    assert len(many) == len(few)
