"""Groups and online viewers in the boards: a date's fill counts the places its classes hold and leaves out
its online tickets (they take no place); the audiences board tells the groups that came (counted at the
door), those that never came, and the online accesses given and opened; the network hides small counts."""

import csv
import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from parvis.analytics import audiences, fill, rollups
from parvis.analytics.boards import Filters
from parvis.groups import services as groups
from parvis.groups.models import GroupBooking
from parvis.groups.tests.test_bookings import _ask, _offer
from parvis.network.models import Role
from parvis.online import services as online
from parvis.online.models import ContentKind, OnlineAccess, OnlineContent
from parvis.testing import login_staff, staff
from parvis.ticketing.tests.factories import buy, tariff

pytestmark = pytest.mark.django_db


def test_classes_fill_the_room_online_tickets_do_not_and_both_reach_the_audiences_board(client):
    offer, (performance, _second) = _offer(capacity=60)
    OnlineContent.objects.create(performance=performance, kind=ContentKind.LIVE, max_devices=2)
    buy(tariff(performance, name="Salle", price="12.00"), 10)
    buy(tariff(performance, name="En ligne", price="6.00", online=True), 6)
    for email in ("ines.garnier@ecole.example", "paul.roux@ecole.example"):
        _ask(Client(), offer, performance, pupils=12, adults=2, leader_email=email)
    came, absent = GroupBooking.objects.order_by("pk")
    for booking in (came, absent):
        groups.confirm(actor=None, booking=booking, performance=performance)
    type(performance).objects.filter(pk=performance.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=2)
    )
    came.refresh_from_db(), absent.refresh_from_db()
    groups.arrival(actor=None, booking=came, pupils=11, adults=2)
    groups.no_show(actor=None, booking=absent)
    assert online.grant_performance(performance) == 6  # the links made (staff's page, the e-mails)
    OnlineAccess.objects.filter(pk__in=OnlineAccess.objects.values("pk")[:4]).update(
        first_opened_at=timezone.now()
    )
    rollups.rebuild()
    today = timezone.localdate()
    f = Filters(start=today - datetime.timedelta(days=1), end=today + datetime.timedelta(days=1))

    (line,) = [line for line in fill.board([offer.organizer_id], f)["lines"] if line.pk == performance.pk]
    # 10 seats sold and 13 people of the class that came: 23 of 60; the 6 online tickets hold no seat.
    assert (line.sold, line.groups, line.online, line.fill) == (10, 13, 6, 38.3)
    assert line.scanned == 13  # the class was counted in at the door

    charts = {c.key: c for c in audiences.board([offer.organizer_id], f)["charts"]}
    assert charts["groups"].rows == [["Établissements scolaires", 1, 11, 2, 1]]
    assert "1 groupes venus, 13 personnes" in charts["groups"].summary
    assert charts["online"].rows == [["Diffusion en direct", 6, 4]]

    login_staff(client, staff(offer.organizer, Role.READ_ONLY))
    url = reverse("staff:analytics_fill", args=[offer.organizer.slug])
    answer = client.get(url + f"?du={f.start}&au={f.end}&export=dates&format=csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-2:] == ["Places de groupes", "Billets en ligne (sans place)"]
    assert [r[-2:] for r in rows[1:] if r[1] == performance.event.title] == [["13", "6"]]
    page = client.get(reverse("staff:analytics_audiences", args=[offer.organizer.slug]))
    assert page.status_code == 200 and "Groupes et scolaires" in page.content.decode()


def test_the_network_hides_a_lone_class():
    offer, (performance, _second) = _offer(capacity=60)
    _ask(Client(), offer, performance, pupils=12, adults=2)
    booking = GroupBooking.objects.get()
    groups.confirm(actor=None, booking=booking, performance=performance)
    groups.arrival(actor=None, booking=booking, pupils=12, adults=2)
    day = timezone.localtime(performance.starts_at).date()
    charts = {
        c.key: c
        for c in audiences.board([offer.organizer_id], Filters(start=day, end=day), network=True)["charts"]
    }
    # 12 pupils is enough people to show; one visit and two adults are not.
    assert charts["groups"].rows == [["Établissements scolaires", None, 12, None, 0]]


def test_a_dates_pace_is_compared_with_the_room_tickets_of_earlier_dates_not_their_online_ones():
    from parvis.analytics.models import SalesDay
    from parvis.ticketing.tests.factories import on_sale_performance

    earlier = on_sale_performance(capacity=60, days=5)
    coming = type(earlier).objects.create(
        event=earlier.event, organizer=earlier.organizer, venue=earlier.venue, capacity=60,
        starts_at=timezone.now() + datetime.timedelta(days=10), status="published",
    )  # fmt: skip
    OnlineContent.objects.create(performance=earlier, kind=ContentKind.LIVE, max_devices=2)
    buy(tariff(earlier, name="Salle", price="12.00"), 10)
    watching = tariff(earlier, name="En ligne", price="6.00", online=True)
    for _order in range(3):
        buy(watching, 10)
    type(earlier).objects.filter(pk=earlier.pk).update(starts_at=timezone.now() - datetime.timedelta(days=3))
    rollups.rebuild()
    SalesDay.objects.filter(performance=earlier).update(
        day=timezone.localdate() - datetime.timedelta(days=20)
    )
    today = timezone.localdate()
    f = Filters(start=today, end=today + datetime.timedelta(days=30))
    (line,) = [line for line in fill.board([earlier.organizer_id], f)["lines"] if line.pk == coming.pk]
    # Ten days before, the earlier date had 10 of its 60 seats sold; its 30 online tickets took none.
    assert line.expected == 16.7 and line.fill == 0 and line.at_risk


def test_a_dates_pace_counts_the_groups_of_earlier_dates_from_the_day_they_were_confirmed():
    from parvis.analytics.models import SalesDay

    offer, (earlier, coming) = _offer(capacity=60)
    buy(tariff(earlier, name="Salle", price="12.00"), 10)
    _ask(Client(), offer, earlier, pupils=12, adults=2)
    groups.confirm(actor=None, booking=GroupBooking.objects.get(), performance=earlier)
    today = timezone.localdate()
    type(earlier).objects.filter(pk=earlier.pk).update(starts_at=timezone.now() - datetime.timedelta(days=3))
    type(coming).objects.filter(pk=coming.pk).update(starts_at=timezone.now() + datetime.timedelta(days=10))
    rollups.rebuild()
    SalesDay.objects.filter(performance=earlier).update(day=today - datetime.timedelta(days=20))
    confirmed = timezone.now() - datetime.timedelta(days=18)
    GroupBooking.objects.update(quoted_at=confirmed)
    f = Filters(start=today, end=today + datetime.timedelta(days=30))
    (line,) = [line for line in fill.board([offer.organizer_id], f)["lines"] if line.pk == coming.pk]
    # Ten days before, the earlier date had 10 tickets and the class's 14 places: 24 of 60.
    assert line.expected == 40.0
    GroupBooking.objects.update(quoted_at=timezone.now() - datetime.timedelta(days=5))  # confirmed later
    (line,) = [line for line in fill.board([offer.organizer_id], f)["lines"] if line.pk == coming.pk]
    assert line.expected == 16.7
