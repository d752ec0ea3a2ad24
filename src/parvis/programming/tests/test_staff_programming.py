"""Programmers enter events and dates, publish them, and they appear in the network agenda."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from parvis.core.models import AuditLogEntry
from parvis.network.models import Role, Space
from parvis.programming import services
from parvis.programming.models import Event, Performance
from parvis.testing import EventFactory, staff

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def programmer(client, organizer):
    user = staff(organizer, Role.PROGRAMMING)
    client.force_login(user)
    return user


def test_create_event_add_three_dates_publish_and_it_is_in_the_network_agenda(
    client, programmer, network, organizer, venue
):
    response = client.post(
        reverse("staff:event_create", args=[organizer.slug]),
        {
            "title": "Nuit du jazz",
            "genre": "jazz",
            "description": "Trois soirs.",
            "share_with_network": "on",
            "price_min": "10",
            "price_max": "15",
        },
    )
    assert response.status_code == 302
    event = Event.objects.get(title="Nuit du jazz")
    assert event.status == "draft" and event.slug == "nuit-du-jazz"
    assert client.get(f"/r/{network.slug}/", {"q": "nuit"}).context["page"].paginator.count == 0

    # Publishing without dates is refused with a message.
    client.post(reverse("staff:event_status", args=[organizer.slug, event.pk]), {"status": "published"})
    event.refresh_from_db()
    assert event.status == "draft"

    start = timezone.localdate() + datetime.timedelta(days=7)
    response = client.post(
        reverse("staff:event_detail", args=[organizer.slug, event.pk]),
        {
            "venue": venue.pk,
            "date_from": start.isoformat(),
            "date_to": (start + datetime.timedelta(days=14)).isoformat(),
            "weekdays": [start.weekday()],
            "times": "20h30",
            "duration_minutes": "90",
            "status": "published",
        },
    )
    assert response.status_code == 302
    perfs = list(event.performances.order_by("starts_at"))
    assert len(perfs) == 3
    assert [p.starts_at.astimezone(PARIS).time() for p in perfs] == [datetime.time(20, 30)] * 3
    assert perfs[0].ends_at - perfs[0].starts_at == datetime.timedelta(minutes=90)

    client.post(reverse("staff:event_status", args=[organizer.slug, event.pk]), {"status": "published"})
    event.refresh_from_db()
    assert event.status == "published"
    agenda = client.get(f"/r/{network.slug}/", {"q": "nuit"})
    assert agenda.context["page"].paginator.count == 3
    actions = list(AuditLogEntry.objects.filter(organizer=organizer).values_list("action", flat=True))
    assert actions.count("performance.create") == 3
    assert "event.create" in actions
    update = AuditLogEntry.objects.filter(action="event.update").latest("id")
    assert (update.before["status"], update.after["status"], update.actor) == (
        "draft",
        "published",
        programmer,
    )


def test_edit_records_before_and_after(client, programmer, organizer):
    event = EventFactory(organizer=organizer, title="Avant")
    client.post(
        reverse("staff:event_edit", args=[organizer.slug, event.pk]), {"title": "Après", "genre": "jazz"}
    )
    entry = AuditLogEntry.objects.get(action="event.update")
    assert (entry.before["title"], entry.after["title"]) == ("Avant", "Après")


def test_bad_event_input_is_kept_and_explained(client, programmer, organizer):
    response = client.post(
        reverse("staff:event_create", args=[organizer.slug]),
        {
            "title": "x" * 201,
            "genre": "polka",
            "price_min": "20",
            "price_max": "10",
            "external_ticketing_url": "nope",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"title", "genre", "external_ticketing_url"} <= set(errors)
    assert not Event.objects.exists()


def test_price_range_must_be_ordered(client, programmer, organizer):
    response = client.post(
        reverse("staff:event_create", args=[organizer.slug]),
        {"title": "Prix", "genre": "jazz", "price_min": "20", "price_max": "10"},
    )
    assert response.status_code == 400 and not Event.objects.exists()


def test_every_day_of_an_exhibition(organizer, venue, programmer):
    event = EventFactory(organizer=organizer, genre="exhibition")
    dates = services.recurring_dates(
        date_from=datetime.date(2030, 3, 1),
        date_to=datetime.date(2030, 3, 31),
        weekdays=range(7),
        times=[datetime.time(10)],
    )
    created = services.performances_create(
        actor=programmer,
        event=event,
        venue=venue,
        space=None,
        dates=dates,
        duration=datetime.timedelta(hours=8),
    )
    assert len(created) == 31
    # 2030-03-31 is the daylight-saving change: still 10:00 local, one hour less in UTC.
    by_day = {p.starts_at.astimezone(PARIS).date(): p for p in created}
    assert by_day[datetime.date(2030, 3, 30)].starts_at.astimezone(datetime.UTC).hour == 9
    assert by_day[datetime.date(2030, 3, 31)].starts_at.astimezone(datetime.UTC).hour == 8
    # Entering the same series again creates nothing more.
    again = services.performances_create(actor=programmer, event=event, venue=venue, space=None, dates=dates)
    assert again == [] and event.performances.count() == 31


def test_every_friday_in_march_at_two_times():
    dates = services.recurring_dates(
        date_from=datetime.date(2030, 3, 1),
        date_to=datetime.date(2030, 3, 31),
        weekdays=[4],
        times=[datetime.time(22), datetime.time(19)],
    )
    assert [d.day for d, _ in dates] == [1, 1, 8, 8, 15, 15, 22, 22, 29, 29]
    assert dates[0][1] == datetime.time(19)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (
            {
                "date_from": datetime.date(2030, 3, 2),
                "date_to": datetime.date(2030, 3, 1),
                "weekdays": [1],
                "times": [datetime.time(20)],
            },
            "fin",
        ),
        (
            {
                "date_from": datetime.date(2030, 3, 1),
                "date_to": datetime.date(2030, 3, 2),
                "weekdays": [],
                "times": [datetime.time(20)],
            },
            "jour",
        ),
        (
            {
                "date_from": datetime.date(2030, 1, 1),
                "date_to": datetime.date(2032, 1, 1),
                "weekdays": range(7),
                "times": [datetime.time(20)],
            },
            "Trop",
        ),
    ],
)
def test_recurring_dates_refuse_bad_series(kwargs, message):
    with pytest.raises(ValidationError) as exc:
        services.recurring_dates(**kwargs)
    assert message in str(exc.value)


def test_dates_cannot_use_a_venue_or_space_of_another_organizer(
    organizer, other_organizer, venue, programmer
):
    from parvis.testing import VenueFactory

    event = EventFactory(organizer=organizer)
    foreign_venue = VenueFactory(organizer=other_organizer)
    with pytest.raises(ValidationError):
        services.performances_create(
            actor=programmer,
            event=event,
            venue=foreign_venue,
            space=None,
            dates=[(datetime.date(2030, 1, 1), datetime.time(20))],
        )
    foreign_space = Space.objects.create(venue=foreign_venue, name="Autre")
    with pytest.raises(ValidationError):
        services.performances_create(
            actor=programmer,
            event=event,
            venue=venue,
            space=foreign_space,
            dates=[(datetime.date(2030, 1, 1), datetime.time(20))],
        )
    assert not Performance.objects.exists()


def test_date_form_rejects_unreadable_times(client, programmer, organizer, venue):
    event = EventFactory(organizer=organizer)
    response = client.post(
        reverse("staff:event_detail", args=[organizer.slug, event.pk]),
        {
            "venue": venue.pk,
            "date_from": "2030-01-01",
            "times": "vingt heures",
            "status": "published",
        },
    )
    assert response.status_code == 400 and "illisible" in response.content.decode()
    assert not event.performances.exists()


def test_performance_status_change(client, programmer, organizer, venue):
    from parvis.testing import PerformanceFactory

    performance = PerformanceFactory(event=EventFactory(organizer=organizer), venue=venue)
    client.post(
        reverse("staff:performance_status", args=[organizer.slug, performance.event_id, performance.pk]),
        {"status": "cancelled"},
    )
    performance.refresh_from_db()
    assert performance.status == "cancelled"
    assert AuditLogEntry.objects.filter(action="performance.update").exists()


def test_festival_selection_only_takes_network_events(client, network, organizer, other_organizer):
    from parvis.network.models import NetworkStaff
    from parvis.programming.models import Festival
    from parvis.testing import OrganizerFactory, UserFactory

    coordinator = UserFactory()
    NetworkStaff.objects.create(network=network, user=coordinator)
    client.force_login(coordinator)
    festival = Festival.objects.create(
        network=network, slug="f", name="F", starts_on="2030-01-01", ends_on="2030-01-14"
    )
    mine = EventFactory(organizer=organizer)
    outsider = EventFactory(organizer=OrganizerFactory())
    client.post(
        reverse("staff:festival_edit", args=[network.slug, festival.pk]), {"events": [mine.pk, outsider.pk]}
    )
    assert list(festival.events.all()) == [mine]
    assert AuditLogEntry.objects.filter(action="festival.selection", network=network).exists()
