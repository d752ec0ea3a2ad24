"""Each date has its own check-in list from the start: a ticket bought for it is scanned with no list made
by hand; dates made in bulk get theirs when the door first looks; staff may edit it."""

import datetime

import pytest
from django.utils import timezone

from parvis.checkin import services
from parvis.checkin.models import CheckinList
from parvis.network.models import Role
from parvis.programming.models import Performance
from parvis.testing import login_staff, staff
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

from .test_redeem import _redeem, _soon

pytestmark = pytest.mark.django_db


def test_a_date_comes_with_its_list_and_its_tickets_are_scanned_at_once(client):
    performance = on_sale_performance()
    performance.venue.doors_minutes_before = 45
    performance.venue.save()
    later = on_sale_performance(organizer=performance.organizer, days=20)
    later.doors_at = later.starts_at - datetime.timedelta(minutes=30)  # this date opens its doors itself
    later.save()
    order = buy(tariff(performance), 1)
    _soon(performance)
    default = CheckinList.objects.get(default_for=performance)
    assert list(default.performances.all()) == [performance] and default.tariff_ids == frozenset()
    assert performance.event.title in default.name
    assert (
        CheckinList.objects.get(default_for=later).opens_minutes_before == 60
    )  # made before the venue changed
    _device, token = services.device_create(organizer=performance.organizer, name="Téléphone")
    secret = order.tickets.get().secret
    assert _redeem(client, token, default, secret).json()["result"] == "accepted"


def test_dates_made_in_bulk_get_their_list_when_the_door_looks(client):
    performance = on_sale_performance()
    organizer, venue, event = performance.organizer, performance.venue, performance.event
    venue.doors_minutes_before = 45
    venue.save()
    starts = timezone.now() + datetime.timedelta(days=3)
    Performance.objects.bulk_create(  # no signal: a series of dates, the demo
        [
            Performance(
                event=event, organizer=organizer, venue=venue, starts_at=starts + datetime.timedelta(days=d)
            )
            for d in range(3)
        ]
    )
    past = Performance.objects.create(
        event=event, organizer=organizer, venue=venue, starts_at=timezone.now() - datetime.timedelta(days=30)
    )
    assert CheckinList.objects.filter(default_for__isnull=False).count() == 2  # the first and the past one
    _device, token = services.device_create(organizer=organizer, name="Téléphone")
    lists = client.get("/api/v1/checkin/lists", headers={"Authorization": f"Bearer {token}"}).json()["lists"]
    assert len(lists) == 4  # every coming date, none of the past
    assert CheckinList.objects.get(default_for__starts_at=starts).opens_minutes_before == 45
    login_staff(client, staff(organizer, Role.DOOR))
    page = client.get(f"/staff/o/{organizer.slug}/controle/").content.decode()
    assert page.count("liste de la date") == 4
    old = client.get(f"/staff/o/{organizer.slug}/controle/?passees=1").content.decode()
    assert CheckinList.objects.get(default_for=past).name in old and old.count("liste de la date") == 1
