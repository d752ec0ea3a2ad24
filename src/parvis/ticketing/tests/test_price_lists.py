"""An event's price list: entered once, on every coming date, with per-date exceptions; a tariff edited or
closed from the staff pages with the audit trail; events and dates duplicated with their prices."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from parvis.core.models import AuditLogEntry
from parvis.network.models import Role
from parvis.programming.models import Event, EventStatus, Performance
from parvis.programming.services import performances_create
from parvis.testing import PerformanceFactory, login_staff, staff
from parvis.ticketing.models import EventPrice, Quota, SalesConfig, Tariff

from .factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _event_with_dates(n: int = 3):
    first = on_sale_performance(capacity=50, days=10)
    event = first.event
    for days in range(11, 10 + n):
        PerformanceFactory(
            event=event, venue=first.venue, starts_at=timezone.now() + datetime.timedelta(days=days)
        )
    return event, list(event.performances.order_by("starts_at"))


def _add_price(client, event, name, price, **extra):
    url = reverse("staff:event_prices", args=[event.organizer.slug, event.pk])
    data = {
        "price-name": name,
        "price-kind": "full",
        "price-price": price,
        "price-vat_rate": "5.50",
        "price-sold_online": "on",
        "price-sold_at_box_office": "on",
        "price-position": "0",
        "price-is_active": "on",
        **extra,
    }
    return client.post(url, data)


def _prices(performance):
    return dict(Tariff.objects.filter(performance=performance).values_list("name", "price"))


def test_three_tariffs_entered_once_reach_every_coming_date_and_the_dates_added_later(client):
    event, dates = _event_with_dates(3)
    past = PerformanceFactory(
        event=event, venue=dates[0].venue, starts_at=timezone.now() - datetime.timedelta(days=3)
    )
    login_staff(client, staff(event.organizer, Role.PROGRAMMING))
    for name, price in (("Plein", "24.00"), ("Réduit", "16.00"), ("Jeune", "10.00")):
        assert _add_price(client, event, name, price).status_code == 302
    for performance in dates:
        assert _prices(performance) == {"Plein": Decimal("24.00"), "Réduit": Decimal("16.00"), "Jeune": 10}
        assert Quota.objects.filter(performance=performance, is_total=True).exists()
    assert _prices(past) == {}  # a date that has begun keeps what it was sold at
    event.refresh_from_db()
    assert (event.price_min, event.price_max) == (Decimal("10.00"), Decimal("24.00"))
    # a series added afterwards gets the list with its dates
    venue = dates[0].venue
    day = (timezone.now() + datetime.timedelta(days=40)).date()
    made = performances_create(
        actor=None, event=event, venue=venue, space=None, dates=[(day, datetime.time(20, 30))], capacity=80
    )
    assert _prices(made[0]) == {"Plein": Decimal("24.00"), "Réduit": Decimal("16.00"), "Jeune": 10}
    assert Quota.objects.get(performance=made[0], is_total=True).capacity == 80
    assert AuditLogEntry.objects.filter(action="price.create").count() == 3


def test_a_price_change_reaches_following_dates_not_exceptions_nor_orders(client):
    event, dates = _event_with_dates(3)
    login_staff(client, staff(event.organizer, Role.PROGRAMMING))
    _add_price(client, event, "Plein", "24.00")
    sold = buy(Tariff.objects.get(performance=dates[0], name="Plein"), 2)
    # one date's own price: an exception, audited with the date it concerns
    special = Tariff.objects.get(performance=dates[1], name="Plein")
    url = reverse("staff:tariff_edit", args=[event.organizer.slug, dates[1].pk, special.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Modifier pour toutes les dates" in page.content.decode()
    form = {
        f"tariff-{k}": v
        for k, v in {
            "name": "Plein",
            "kind": "full",
            "price": "30.00",
            "vat_rate": "5.50",
            "sold_online": "on",
            "sold_at_box_office": "on",
            "is_active": "on",
        }.items()
    }
    assert client.post(url, form).status_code == 302
    special.refresh_from_db()
    assert special.is_exception and special.price == Decimal("30.00")
    entry = AuditLogEntry.objects.get(action="tariff.update")
    assert entry.before == {"price": "24.00", "is_exception": False}
    assert entry.after == {"price": "30.00", "is_exception": True}
    assert event.title in entry.object_repr and "/" in entry.object_repr  # which date
    # the list's price changes: every following date, not the exception, not the order
    line = EventPrice.objects.get(event=event)
    edit = reverse("staff:event_price_edit", args=[event.organizer.slug, event.pk, line.pk])
    data = {
        "name": "Plein",
        "kind": "full",
        "price": "26.00",
        "vat_rate": "5.50",
        "sold_online": "on",
        "sold_at_box_office": "on",
        "position": "0",
        "is_active": "on",
    }
    response = client.post(edit, data)
    assert response.status_code == 302
    assert [_prices(p)["Plein"] for p in dates] == [Decimal("26.00"), Decimal("30.00"), Decimal("26.00")]
    assert {i.unit_price for i in sold.items.all()} == {Decimal("24.00")}
    change = AuditLogEntry.objects.get(action="price.update")
    assert change.before == {"price": "24.00"} and change.after == {"price": "26.00", "dates": 2}
    listing = client.get(
        reverse("staff:event_prices", args=[event.organizer.slug, event.pk])
    ).content.decode()
    assert "30,00" in listing  # the exception is shown beside its line
    # aligned again, it follows the list
    assert client.post(url, {"realign": "1"}).status_code == 302
    special.refresh_from_db()
    assert not special.is_exception and special.price == Decimal("26.00")
    aligned = AuditLogEntry.objects.filter(action="tariff.update").latest("id")
    assert aligned.before == {"price": "30.00", "is_exception": True}
    assert aligned.after == {"price": "26.00", "is_exception": False}
    # a date's own tariff (not from the list) has nothing to align with: said, nothing written
    own = tariff(dates[2], name="Groupe", price="8.00")
    own_url = reverse("staff:tariff_edit", args=[event.organizer.slug, dates[2].pk, own.pk])
    refused = client.post(own_url, {"realign": "1"}, follow=True)
    assert (
        "n&#x27;appartient pas" in refused.content.decode() or "n'appartient pas" in refused.content.decode()
    )
    own.refresh_from_db()
    assert own.price == Decimal("8.00") and not own.is_exception


def test_closing_a_line_closes_it_on_every_following_date_and_off_sale(client):
    event, dates = _event_with_dates(2)
    login_staff(client, staff(event.organizer, Role.PROGRAMMING))
    _add_price(client, event, "Plein", "24.00")
    _add_price(client, event, "Early", "12.00")
    early = EventPrice.objects.get(event=event, name="Early")
    edit = reverse("staff:event_price_edit", args=[event.organizer.slug, event.pk, early.pk])
    data = {"name": "Early", "kind": "full", "price": "12.00", "vat_rate": "5.50", "position": "0"}
    data |= {"sold_online": "on", "sold_at_box_office": "on"}
    assert client.post(edit, data).status_code == 302  # is_active unchecked
    assert not Tariff.objects.filter(list_price=early, is_active=True).exists()
    ticket_page = client.get(reverse("ticketing:performance", args=[dates[0].pk])).content.decode()
    assert "Early" not in ticket_page and "Plein" in ticket_page
    event.refresh_from_db()
    assert event.price_min == Decimal("24.00")
    # one date's tariff closed from its staff page
    plein = Tariff.objects.get(performance=dates[1], name="Plein")
    url = reverse("staff:tariff_edit", args=[event.organizer.slug, dates[1].pk, plein.pk])
    form = {"tariff-name": "Plein", "tariff-kind": "full", "tariff-price": "24.00", "tariff-vat_rate": "5.50"}
    form |= {"tariff-sold_online": "on", "tariff-sold_at_box_office": "on"}
    assert client.post(url, form).status_code == 302
    plein.refresh_from_db()
    assert not plein.is_active and plein.is_exception
    assert AuditLogEntry.objects.get(action="tariff.update").after == {
        "is_active": False,
        "is_exception": True,
    }


def test_a_line_taking_a_name_already_used_at_a_date_is_refused_and_nothing_is_written(client):
    event, dates = _event_with_dates(2)
    login_staff(client, staff(event.organizer, Role.PROGRAMMING))
    _add_price(client, event, "Plein", "24.00")
    tariff(dates[1], name="Groupe", price="8.00")
    plein = EventPrice.objects.get(event=event)
    edit = reverse("staff:event_price_edit", args=[event.organizer.slug, event.pk, plein.pk])
    data = {
        "name": "Groupe",
        "kind": "full",
        "price": "24.00",
        "vat_rate": "5.50",
        "position": "0",
        "is_active": "on",
    }
    response = client.post(edit, data)
    assert response.status_code == 400 and "porte déjà ce nom" in response.content.decode()
    plein.refresh_from_db()
    assert plein.name == "Plein"
    assert Tariff.objects.filter(list_price=plein, name="Plein").count() == 2
    bad = _add_price(client, event, "Plein", "-3")
    assert bad.status_code == 400 and EventPrice.objects.count() == 1


def test_roles_and_tenants_are_checked(client):
    event, dates = _event_with_dates(1)
    other = on_sale_performance()
    login_staff(client, staff(event.organizer, Role.BOX_OFFICE))
    assert _add_price(client, event, "Plein", "24.00").status_code == 403
    login_staff(client, staff(other.organizer, Role.PROGRAMMING))
    url = reverse("staff:event_prices", args=[other.organizer.slug, event.pk])
    assert client.get(url).status_code == 404
    t = tariff(dates[0])
    assert (
        client.get(reverse("staff:tariff_edit", args=[other.organizer.slug, dates[0].pk, t.pk])).status_code
        == 404
    )
    assert EventPrice.objects.count() == 0


def test_a_date_duplicated_keeps_its_tariffs_exceptions_contingents_slots_and_settings(client):
    event, (source,) = _event_with_dates(1)
    login_staff(client, staff(event.organizer, Role.PROGRAMMING))
    _add_price(client, event, "Plein", "24.00")
    own = tariff(source, name="Groupe", price="8.00")
    plein = Tariff.objects.get(performance=source, name="Plein")
    Tariff.objects.filter(pk=plein.pk).update(price=Decimal("20.00"), is_exception=True)
    youth = Quota.objects.create(performance=source, name="Jeunes", capacity=10)
    youth.tariffs.set([own])
    SalesConfig.objects.create(performance=source, max_per_order=4, online_close_minutes=30)
    buy(own, 2)
    url = reverse("staff:performance_duplicate", args=[event.organizer.slug, event.pk, source.pk])
    assert client.get(url).status_code == 200
    day = source.local_starts_at.date() + datetime.timedelta(days=14)
    response = client.post(url, {"day": day.isoformat(), "time": "15:00"})
    assert response.status_code == 302
    copy = Performance.objects.exclude(pk=source.pk).get(event=event)
    assert copy.local_starts_at.date() == day and copy.local_starts_at.time() == datetime.time(15, 0)
    assert copy.venue_id == source.venue_id and copy.capacity == source.capacity
    assert _prices(copy) == {"Plein": Decimal("20.00"), "Groupe": Decimal("8.00")}
    assert Tariff.objects.get(performance=copy, name="Plein").is_exception
    jeunes = Quota.objects.get(performance=copy, name="Jeunes")
    assert jeunes.used == 0 and [t.name for t in jeunes.tariffs.all()] == ["Groupe"]
    assert jeunes.tariffs.get().performance_id == copy.pk
    assert Quota.objects.get(performance=copy, is_total=True).used == 0
    assert SalesConfig.objects.get(performance=copy).max_per_order == 4
    # the same date again is refused, in words
    again = client.post(url, {"day": day.isoformat(), "time": "15:00"})
    assert again.status_code == 400 and "existe déjà" in again.content.decode()
    assert Performance.objects.filter(event=event).count() == 2


def test_an_event_duplicated_is_a_draft_with_its_price_list_and_no_dates(client):
    event, _dates = _event_with_dates(1)
    login_staff(client, staff(event.organizer, Role.PROGRAMMING))
    _add_price(client, event, "Plein", "24.00")
    _add_price(client, event, "Réduit", "16.00")
    response = client.post(reverse("staff:event_duplicate", args=[event.organizer.slug, event.pk]))
    assert response.status_code == 302
    copy = Event.objects.exclude(pk=event.pk).get(organizer=event.organizer)
    assert copy.status == EventStatus.DRAFT and copy.slug != event.slug and "copie" in copy.title
    assert copy.description == event.description and not copy.performances.exists()
    assert sorted(EventPrice.objects.filter(event=copy).values_list("name", flat=True)) == ["Plein", "Réduit"]
    assert AuditLogEntry.objects.filter(action="event.duplicate", object_id=str(copy.pk)).exists()
    login_staff(client, staff(event.organizer, Role.BOX_OFFICE))
    assert (
        client.post(reverse("staff:event_duplicate", args=[event.organizer.slug, event.pk])).status_code
        == 403
    )
