"""The taxe sur les spectacles: the body proposed from the genre and confirmed by staff (never guessed for
circus or classical music), 3.5 % of the box office excluding VAT with pass shares in the base, the ASTP
exemption, a free performance taxed on its cession contract, a co-production's share, the deadline, the
80 € threshold, each body's spreadsheet, and who may change what."""

import datetime
import html
from decimal import Decimal

import pytest
from django.urls import reverse

from parvis.core.models import AuditLogEntry
from parvis.declarations import show_tax
from parvis.declarations.models import EventTax, OrganizerTax, PerformanceTax, TaxBody
from parvis.network.models import Role
from parvis.passes.services import pass_book
from parvis.passes.tests.factories import bought_pass, club, concert, pass_product
from parvis.programming.models import Genre, Performance
from parvis.testing import login_staff, staff
from parvis.ticketing import services as sales
from parvis.ticketing.models import Tariff, Ticket
from parvis.ticketing.tests.factories import buy, tariff

pytestmark = pytest.mark.django_db
PARIS = show_tax.PARIS
CENT = Decimal("0.01")


def _month_rows(performance):
    local = performance.starts_at.astimezone(PARIS)
    return show_tax.rows(performance.organizer, *show_tax.month_bounds(local.year, local.month))


def _month(performance) -> str:
    local = performance.starts_at.astimezone(PARIS)
    return f"{local.year}-{local.month:02d}"


def test_bodies_proposed_from_the_genre_and_deadlines():
    assert show_tax.proposal(Genre.JAZZ) == TaxBody.CNM
    assert show_tax.proposal(Genre.THEATRE) == TaxBody.ASTP
    assert show_tax.proposal(Genre.CIRCUS) == TaxBody.UNDECIDED  # on neither list: never guessed
    assert show_tax.proposal(Genre.CLASSICAL) == TaxBody.UNDECIDED  # taxed by neither

    class At:
        def __init__(self, moment):
            self.starts_at = moment

    assert show_tax.deadline(At(datetime.datetime(2027, 1, 15, 20, tzinfo=PARIS))) == datetime.date(
        2027, 4, 30
    )
    # 23:30 UTC on 31 October is 00:30 on 1 November in Paris: November's, due by the end of February.
    late = At(datetime.datetime(2026, 10, 31, 23, 30, tzinfo=datetime.UTC))
    assert show_tax.deadline(late) == datetime.date(2027, 2, 28)
    assert show_tax.deadline(At(datetime.datetime(2026, 11, 3, 20, tzinfo=PARIS))) == datetime.date(
        2027, 2, 28
    )


def test_the_base_excludes_vat_counts_pass_shares_and_waits_for_the_body(client, network):
    organizer = club(network, "club-tax")
    performance = concert(organizer, days=5, price="22.15", genre=Genre.JAZZ)
    full = Tariff.objects.get(performance=performance)
    invitation = tariff(performance, name="Invitation", price="0.00", kind="exonerated")
    paid = buy(full, 3)
    buy(invitation, 2)
    holding = bought_pass(pass_product(organizer, network))  # 45 € for 3 entries
    pass_book(holding=holding, performance_id=performance.pk)
    sales.tickets_refund(tickets=[paid.tickets.first()], reason="Malade", fee_per_ticket=Decimal("2.00"))

    # Independent computation: each valid ticket's amount, per VAT rate, divided once.
    gross_by_rate = {}
    for ticket in Ticket.objects.filter(performance=performance, state="valid"):
        entry = getattr(ticket, "pass_entry", None)
        amount, rate = (
            ((entry.holding.price / entry.holding.entries).quantize(CENT), entry.holding.vat_rate)
            if entry
            else (ticket.price, ticket.vat_rate)
        )
        gross_by_rate[rate] = gross_by_rate.get(rate, Decimal(0)) + amount
    base = sum((g * 100 / (100 + r)).quantize(CENT) for r, g in gross_by_rate.items())
    assert sum(gross_by_rate.values()) == Decimal("59.30")  # 2 × 22.15 + 15: the 2 € fee is not box office

    [row] = _month_rows(performance)
    assert (row.body, row.proposed, row.due) == (TaxBody.UNDECIDED, TaxBody.CNM, 0)
    assert any("à confirmer" in w for w in row.warnings)
    assert (row.gross, row.base, row.paying, row.exonerated) == (Decimal("59.30"), base, 3, 2)

    admin = staff(organizer, Role.ADMINISTRATOR, username="admin@example.org")
    login_staff(client, admin)
    url = reverse("staff:show_tax", args=[organizer.slug])
    client.post(
        url, {"action": "body", "event": performance.event_id, "body": "cnm", "mois": _month(performance)}
    )
    assert EventTax.objects.get(event=performance.event).body == TaxBody.CNM
    assert AuditLogEntry.objects.filter(action="show_tax.body", actor=admin).count() == 1
    client.post(
        url,
        {"action": "performance", "performance": performance.pk, "share": "50", "cession_amount": "",
         "private_contract": "0", "mois": _month(performance)},
    )  # fmt: skip
    [row] = _month_rows(performance)
    assert row.warnings == []
    assert row.tax == (base * Decimal("0.035")).quantize(CENT)
    assert row.due == (row.tax / 2).quantize(CENT)

    page = client.get(url, {"mois": _month(performance)}).content.decode()
    assert "tax-to-fix" not in page and "non recouvrée" in page  # a few euros over the year: under 80 €
    sheet = client.get(url, {"mois": _month(performance), "format": "cnm"}).content.decode("utf-8-sig")
    line = sheet.strip().splitlines()[1].split(";")
    assert line[7:14] == [
        "3", "2", "59,30", str(base).replace(".", ","), str(row.tax).replace(".", ","), "50,00",
        str(row.due).replace(".", ","),
    ]  # fmt: skip
    assert (
        len(client.get(url, {"mois": _month(performance), "format": "astp"}).content.decode().splitlines())
        == 1
    )


def test_astp_exemption_and_a_free_performance_taxed_on_its_cession(network):
    organizer = club(network, "club-astp")
    play = concert(organizer, days=6, price="30.00", genre=Genre.THEATRE)
    buy(Tariff.objects.get(performance=play), 2)
    EventTax.objects.create(event=play.event, body=TaxBody.ASTP)
    OrganizerTax.objects.create(organizer=organizer, subsidised=True)
    [row] = [r for r in _month_rows(play) if r.performance == play]
    assert row.due == 0 and row.exempt
    PerformanceTax.objects.create(performance=play, private_contract=True)
    [row] = [r for r in _month_rows(play) if r.performance == play]
    assert not row.exempt and row.due == (row.base * Decimal("0.035")).quantize(CENT) > 0
    assert row.base == (Decimal("60.00") * 100 / Decimal("105.5")).quantize(CENT)

    free = concert(organizer, days=6, price="0.00", genre=Genre.MUSIC)
    buy(Tariff.objects.get(performance=free), 4)
    EventTax.objects.create(event=free.event, body=TaxBody.CNM)
    [row] = [r for r in _month_rows(free) if r.performance == free]
    assert row.debtor == show_tax.Debtor.SELLER and row.due == 0
    assert any("contrat de cession" in w for w in row.warnings)
    PerformanceTax.objects.create(performance=free, cession_amount=Decimal("1200.00"))
    [row] = [r for r in _month_rows(free) if r.performance == free]
    assert (row.base, row.due, row.warnings) == (Decimal("1200.00"), Decimal("42.00"), [])
    year = free.starts_at.astimezone(PARIS).year
    totals = show_tax.year_totals(organizer, year)
    assert TaxBody.CNM not in totals  # owed by the seller, not by this organizer


def test_circus_and_classical_are_never_guessed(network):
    organizer = club(network, "club-circus")
    circus = concert(organizer, days=7, genre=Genre.CIRCUS)
    classical = concert(organizer, days=7, genre=Genre.CLASSICAL)
    for performance in (circus, classical):
        buy(Tariff.objects.get(performance=performance), 1)
    rows = {r.performance.pk: r for r in _month_rows(circus) + _month_rows(classical)}
    assert rows[circus.pk].body == rows[circus.pk].proposed == TaxBody.UNDECIDED
    assert "cirque" in rows[circus.pk].warnings[0].lower()
    assert "classique" in rows[classical.pk].warnings[0]
    assert rows[circus.pk].due == rows[classical.pk].due == 0


def test_who_may_read_and_change_and_bad_input(client, network):
    organizer = club(network, "club-perm")
    performance = concert(organizer, days=5, genre=Genre.JAZZ)
    url = reverse("staff:show_tax", args=[organizer.slug])
    seller = staff(organizer, Role.BOX_OFFICE, username="seller@example.org")
    login_staff(client, seller)
    assert client.get(url, {"mois": _month(performance)}).status_code == 200
    denied = client.post(url, {"action": "body", "event": performance.event_id, "body": "cnm"})
    assert denied.status_code == 403 and not EventTax.objects.exists()

    other = club(network, "club-other")
    login_staff(client, staff(other, Role.ADMINISTRATOR, username="other@example.org"))
    assert client.get(url).status_code == 404
    # An administrator of another organizer cannot set this organizer's event through their own page.
    mine = reverse("staff:show_tax", args=[other.slug])
    client.post(mine, {"action": "body", "event": performance.event_id, "body": "none"})
    assert not EventTax.objects.exists()

    login_staff(client, staff(organizer, Role.ADMINISTRATOR, username="boss@example.org"))
    for share, cession in (("150", ""), ("abc", ""), ("50", "-3"), ("50", "douze")):
        data = {"action": "performance", "performance": performance.pk, "share": share}
        data["cession_amount"] = cession
        response = client.post(url, data, follow=True)
        assert "rien n'a été enregistré" in html.unescape(response.content.decode())
    assert not PerformanceTax.objects.exists()
    client.post(
        url,
        {
            "action": "performance",
            "performance": performance.pk,
            "share": "33,5",
            "cession_amount": "1 200,50",
        },
    )
    saved = PerformanceTax.objects.get()
    assert (saved.share, saved.cession_amount) == (Decimal("33.50"), Decimal("1200.50"))
    Performance.objects.filter(pk=performance.pk).update(status="cancelled")
    assert _month_rows(performance) == []
