""" "Vous aimerez aussi" under an event (issue 23): trained from what the organizer's audience bought and
from what staff wrote of each show; only dates that may be booked now and within reach; no personal data,
a fixed number of queries; a person who refused recommendations is left out of the training."""

import datetime

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parvis.crm.models import Consent, Contact, Purpose
from parvis.crm.services import consent_record
from parvis.programming.models import EventStatus, Genre, PerformanceStatus
from parvis.programming.services import event_set_status
from parvis.recommendations import selectors, training
from parvis.recommendations.models import Neighbour, Policy, Training
from parvis.testing import PerformanceFactory, VenueFactory
from parvis.ticketing import services
from parvis.ticketing.models import Cart, Channel, Quota
from parvis.ticketing.tests.factories import buyer, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _buy(tariff_obj, email: str):
    cart = Cart.objects.create(channel=Channel.ONLINE)
    services.cart_add(cart=cart, tariff_id=tariff_obj.pk, quantity=1, channel=Channel.ONLINE)
    order = services.checkout_place_orders(cart=cart, buyer=buyer(email=email), provider_code="demo")[0]
    if order.state == "pending":
        services.payment_confirm(payment_id=order.payments.get(state="created").pk)


def _show(organizer, title, *, genre=Genre.JAZZ, description="", days=10, venue=None, **fields):
    performance = on_sale_performance(
        organizer=organizer, title=title, genre=genre, description=description, days=days, **fields
    )
    if venue is not None:
        performance.venue = venue
        performance.save(update_fields=["venue"])
    tariff(performance)
    return performance


@pytest.fixture
def catalogue(organizer):
    home = VenueFactory(organizer=organizer, postcode="75011", latitude=48.86, longitude=2.38)
    far = VenueFactory(organizer=organizer, postcode="69001", latitude=45.76, longitude=4.83, town="Lyon")
    near = VenueFactory(
        organizer=organizer, postcode="93100", latitude=48.86, longitude=2.44, town="Montreuil"
    )
    text = "quartet de jazz, piano et contrebasse, swing et ballades"
    shows = {
        "source": _show(organizer, "Quartet", description=text, venue=home),
        "together": _show(organizer, "Trio du soir", venue=home),
        "alike": _show(organizer, "Ballades", genre=Genre.DANCE, description=text, venue=near),
        "sold_out": _show(organizer, "Complet", description=text, venue=home),
        "cancelled": _show(organizer, "Annulé", description=text, venue=home),
        "far": _show(organizer, "Lyon swing", description=text, venue=far),
        "draft": _show(organizer, "Brouillon", description=text, venue=home),
    }
    past = PerformanceFactory(
        event__organizer=organizer,
        event__title="Passé",
        event__description=text,
        venue=home,
        starts_at=timezone.now() - datetime.timedelta(days=3),
    )
    shows["past"] = past
    for n in range(3):  # three people took the quartet and the trio
        _buy(tariff_of(shows["source"]), f"p{n}@example.org")
        _buy(tariff_of(shows["together"]), f"p{n}@example.org")
    Quota.objects.filter(performance=shows["sold_out"]).update(used=F("capacity"))
    shows["cancelled"].status = PerformanceStatus.CANCELLED
    shows["cancelled"].save(update_fields=["status"])
    shows["draft"].event.status = EventStatus.DRAFT
    shows["draft"].event.save(update_fields=["status"])
    return shows


def tariff_of(performance):
    return performance.tariffs.get()


def test_the_event_page_suggests_bookable_dates_within_reach_and_says_why(client, organizer, catalogue):
    done = training.train_organizer(organizer)
    assert done.version == 1 and done.people == 3 and done.signals == 6
    source = catalogue["source"].event

    suggested = [s.performance.event.title for s in selectors.also_like(source)]

    assert set(suggested) == {"Trio du soir", "Ballades"}
    page = client.get(source.get_absolute_url()).content.decode()
    assert "Vous aimerez aussi" in page
    assert "Le public de « Quartet » l'a aussi choisi" in page  # the trio: the same audience
    assert "Dans la veine de « Quartet » · Un genre à découvrir" in page  # nobody bought it yet: its text
    for absent in ("Complet", "Annulé", "Lyon swing", "Brouillon", "Passé"):
        assert absent not in page.split("Vous aimerez aussi")[1]
    # A neighbour is never the event itself, and only coming events are kept as neighbours.
    kept = set(
        Neighbour.objects.filter(training=done, event=source).values_list("neighbour__title", flat=True)
    )
    assert "Quartet" not in kept and "Passé" not in kept


def test_a_wider_reach_lets_a_far_date_in_and_a_new_training_replaces_the_old(organizer, catalogue):
    Policy.objects.create(organizer=organizer, reach_km=500)
    training.train_organizer(organizer)
    second = training.train_organizer(organizer)

    suggested = {s.performance.event.title for s in selectors.also_like(catalogue["source"].event, count=10)}

    assert "Lyon swing" in suggested
    assert list(Training.objects.filter(organizer=organizer).values_list("version", flat=True)) == [2]
    assert Neighbour.objects.exclude(training=second).count() == 0


def test_the_suggestions_cost_a_fixed_number_of_queries(organizer, catalogue):
    Policy.objects.create(organizer=organizer, reach_km=1000)
    training.train_organizer(organizer)
    with CaptureQueriesContext(connection) as queries:
        suggestions = selectors.also_like(catalogue["source"].event, count=10)
    assert len(suggestions) == 3
    assert len(queries) <= 5


def test_nothing_is_shown_before_a_training_nor_on_an_event_without_neighbours(client, organizer, catalogue):
    source = catalogue["source"].event
    assert selectors.also_like(source) == []
    assert "Vous aimerez aussi" not in client.get(source.get_absolute_url()).content.decode()


def test_people_who_refused_recommendations_are_left_out_of_the_training(organizer, catalogue):
    for email in ("p0@example.org", "p1@example.org"):
        contact = Contact.objects.get(organizer=organizer, email=email)
        consent_record(
            contact=contact, purpose=Purpose.RECOMMENDATIONS, given=False, source=Consent.Source.STAFF
        )

    done = training.train_organizer(organizer)

    assert done.people == 1 and done.signals == 2


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sold_out=st.lists(st.booleans(), min_size=4, max_size=4),
    cancelled=st.lists(st.booleans(), min_size=4, max_size=4),
    days=st.lists(st.integers(min_value=-5, max_value=30), min_size=4, max_size=4),
    curiosity=st.sampled_from([0, 0.5, 1]),
)
def test_a_suggestion_is_always_a_published_date_to_come_with_places(
    organizer, catalogue, sold_out, cancelled, days, curiosity
):
    Policy.objects.update_or_create(organizer=organizer, defaults={"curiosity": curiosity, "reach_km": 1000})
    training.train_organizer(organizer)
    others = [catalogue[k] for k in ("together", "alike", "far", "sold_out")]
    for performance, full, off, day in zip(others, sold_out, cancelled, days, strict=True):
        Quota.objects.filter(performance=performance).update(used=F("capacity") if full else 0)
        performance.status = PerformanceStatus.CANCELLED if off else PerformanceStatus.PUBLISHED
        performance.starts_at = timezone.now() + datetime.timedelta(days=day, hours=1)
        performance.save(update_fields=["status", "starts_at"])

    for suggestion in selectors.also_like(catalogue["source"].event, count=10):
        performance = suggestion.performance
        assert performance.starts_at > timezone.now()
        assert performance.status == PerformanceStatus.PUBLISHED
        assert performance.event.status == EventStatus.PUBLISHED
        assert not Quota.objects.filter(
            performance=performance, is_total=True, used__gte=F("capacity")
        ).exists()


def test_a_show_published_after_the_training_is_offered_from_the_start(
    organizer, catalogue, django_capture_on_commit_callbacks
):
    training.train_organizer(organizer)
    text = "quartet de jazz, piano et contrebasse, swing et ballades"
    fresh = _show(organizer, "Nouveau quartet", description=text, venue=catalogue["source"].venue)
    event = fresh.event
    event.status = EventStatus.DRAFT
    event.save(update_fields=["status"])
    training.train_organizer(organizer)  # the nightly training: the draft is not in it
    assert "Nouveau quartet" not in {
        s.performance.event.title for s in selectors.also_like(catalogue["source"].event, count=10)
    }

    with django_capture_on_commit_callbacks(execute=True):
        event_set_status(actor=None, event=event, status=EventStatus.PUBLISHED)

    assert Training.objects.get(organizer=organizer).version == 3  # trained again at once
    suggested = {s.performance.event.title for s in selectors.also_like(catalogue["source"].event, count=10)}
    assert "Nouveau quartet" in suggested  # nobody bought it: its text makes it a neighbour
    with django_capture_on_commit_callbacks(execute=True):  # back to draft: nothing to train
        event_set_status(actor=None, event=event, status=EventStatus.DRAFT)
    assert Training.objects.get(organizer=organizer).version == 3
