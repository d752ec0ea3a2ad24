"""An exhibition open every day: one card in the agendas, a calendar of days on its page."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from parvis.programming.models import Genre, PerformanceStatus
from parvis.testing import EventFactory, PerformanceFactory, VenueFactory
from parvis.ticketing.tests.factories import tariff

pytestmark = pytest.mark.django_db


@pytest.fixture
def expo():
    event = EventFactory(title="Lumières du Nord", genre=Genre.EXHIBITION, slug="lumieres")
    venue = VenueFactory(organizer=event.organizer, slug="musee", name="Musée")
    start = timezone.localdate() + datetime.timedelta(days=3)
    days = []
    for n in range(12):
        day = start + datetime.timedelta(days=n)
        if day.weekday() == 0:  # closed on Mondays
            continue
        at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
        p = PerformanceFactory(
            event=event, venue=venue, starts_at=at, ends_at=at + datetime.timedelta(hours=8)
        )
        tariff(p, price="12.00")
        days.append(p)
    concert = PerformanceFactory(
        event=EventFactory(organizer=event.organizer, title="Quatuor", slug="quatuor"), venue=venue
    )
    return event, days, concert


def test_the_agenda_shows_one_card_for_the_exhibition(client, expo):
    event, days, concert = expo
    page = client.get(reverse("programming:organizer", args=[event.organizer.slug])).content.decode()
    assert page.count("Lumières du Nord</a>") == 1 and "Quatuor</a>" in page
    assert f"· {len(days)} jours" in page
    # asked from a later day on, the card starts there and counts what is left
    later = days[4].local_starts_at.date()
    page = client.get(
        reverse("programming:organizer", args=[event.organizer.slug]), {"date_from": later.isoformat()}
    ).content.decode()
    assert page.count("Lumières du Nord</a>") == 1 and f"· {len(days) - 4} jours" in page


def test_the_exhibition_page_is_a_calendar_of_days(client, expo):
    event, days, concert = expo
    days[1].status = PerformanceStatus.SOLD_OUT
    days[1].save()
    page = client.get(event.get_absolute_url()).content.decode()
    assert '<table class="calendar">' in page
    links = re.findall(r'href="/billets/(\d+)/"', page)
    assert sorted(int(pk) for pk in links) == sorted(p.pk for p in days if p is not days[1])
    assert "complet" in page
    assert "fermé" in page  # a Monday, among twelve days
    # a concert keeps its list of dates
    concert_page = client.get(concert.event.get_absolute_url()).content.decode()
    assert '<table class="calendar">' not in concert_page
