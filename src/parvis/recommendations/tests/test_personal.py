"""Suggestions by name (issue 23): from a person's own history only when they agreed to personalised
recommendations, each with why; the others get the same list for all; what they asked to forget no longer
counts, and withdrawing the consent stops it at once. A campaign's recommended block uses them."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parvis.crm.models import Consent, Contact, Interaction, Purpose
from parvis.crm.services import consent_record, interaction_record
from parvis.marketing import delivery, render
from parvis.marketing.tests.factories import campaign
from parvis.programming.models import Event, Genre
from parvis.recommendations import personal, training
from parvis.recommendations.models import Forgotten
from parvis.testing import PerformanceFactory, VenueFactory
from parvis.ticketing.models import Quota

from .test_event_page import _buy, _show

pytestmark = pytest.mark.django_db


@pytest.fixture
def season(organizer):
    """Ana came to a jazz evening and bought Jazz 1; three others took Jazz 1 and Jazz 2 together; Jazz 1
    sold best."""
    club = VenueFactory(organizer=organizer)
    past = PerformanceFactory(
        event__organizer=organizer,
        event__title="Jazz passé",
        venue=club,
        starts_at=timezone.now() - timezone.timedelta(days=9),
    )
    shows = {
        "jazz1": _show(organizer, "Jazz 1", description="trio piano swing", venue=club),
        "jazz2": _show(organizer, "Jazz 2", description="trio piano ballades", venue=club),
        "jazz3": _show(organizer, "Jazz 3", description="big band", venue=club),
        "dance": _show(organizer, "Danse", genre=Genre.DANCE, description="solo contemporain", venue=club),
    }
    for n in range(3):
        _buy(shows["jazz1"].tariffs.get(), f"p{n}@example.org")
        _buy(shows["jazz2"].tariffs.get(), f"p{n}@example.org")
    _buy(shows["jazz1"].tariffs.get(), "ana@example.org")
    _buy(shows["jazz1"].tariffs.get(), "bob@example.org")
    ana = Contact.objects.get(organizer=organizer, email="ana@example.org")
    interaction_record(
        contact=ana,
        organizer_id=organizer.pk,
        kind=Interaction.Kind.ATTENDANCE,
        at=timezone.now(),
        performance_id=past.pk,
    )
    consent_record(
        contact=ana, purpose=Purpose.RECOMMENDATIONS, given=True, source=Consent.Source.SELF_SERVICE
    )
    training.train_organizer(organizer)
    shows["past"] = past
    shows["ana"], shows["bob"] = ana, Contact.objects.get(organizer=organizer, email="bob@example.org")
    return shows


def _ids(season, *names):
    return [season[name].event_id for name in names]


def _picker(organizer, season, *people):
    picker = personal.Picker(organizer.pk, _ids(season, "jazz1", "jazz2", "jazz3", "dance"))
    picker.prepare([p.pk for p in people])
    return picker


def test_a_person_who_agreed_gets_picks_from_their_history_with_why(organizer, season):
    picker = _picker(organizer, season, season["ana"])

    choices = picker.for_contact(season["ana"].pk, 3)

    chosen = [c.event_id for c in choices]
    assert season["jazz1"].event_id not in chosen  # she has it
    assert chosen[0] == season["jazz2"].event_id  # the audience of Jazz 1 took it
    # why: the show of her history that leads there most (the jazz evening she came to counts most)
    assert choices[0].because.kind == "liked"
    assert choices[0].because.event_id in (season["past"].event_id, season["jazz1"].event_id)
    assert season["dance"].event_id in chosen
    dance = next(c for c in choices if c.event_id == season["dance"].event_id)
    assert dance.because.kind == "new_genre"
    with translation.override("fr"):
        said = personal.reason_text(choices[0].because, picker.titles)
        assert said in ("Parce que vous avez aimé « Jazz 1 »", "Parce que vous avez aimé « Jazz passé »")
    with translation.override("en"):
        assert personal.reason_text(dance.because, picker.titles) == "A genre to discover"


def test_without_consent_the_common_list_uses_nothing_of_theirs(organizer, season):
    picker = _picker(organizer, season, season["bob"])

    choices = picker.for_contact(season["bob"].pk, 3)

    assert choices == picker.popular(3)  # the same for all
    assert choices[0].event_id == season["jazz1"].event_id  # the most chosen, though Bob has it
    assert all(c.because.kind == "" for c in choices)


def test_a_show_that_cannot_be_booked_now_is_never_picked(organizer, season):
    Quota.objects.filter(performance=season["jazz2"]).update(used=F("capacity"))  # sold out
    season["jazz3"].tariffs.update(sold_online=False)  # only at the box office
    picker = _picker(organizer, season, season["ana"], season["bob"])

    for person in (season["ana"], season["bob"]):
        chosen = {c.event_id for c in picker.for_contact(person.pk, 4)}
        assert chosen.isdisjoint(_ids(season, "jazz2", "jazz3"))
        assert season["dance"].event_id in chosen
    assert season["jazz1"].event_id not in {c.event_id for c in picker.for_contact(season["ana"].pk, 4)}


def test_withdrawing_the_consent_stops_it_at_once_and_forgetting_removes_a_show(organizer, season):
    ana = season["ana"]
    Forgotten.objects.create(contact=ana, event_id=season["jazz1"].event_id, at=timezone.now())
    forgot = _picker(organizer, season, ana).for_contact(ana.pk, 4)
    assert season["jazz1"].event_id in [c.event_id for c in forgot]  # no longer hers for this purpose
    assert all(c.because.event_id != season["jazz1"].event_id for c in forgot)

    Forgotten.objects.create(contact=ana, event=None, at=timezone.now())  # start again: all of it
    picker = _picker(organizer, season, ana)
    assert picker.for_contact(ana.pk, 3) == picker.popular(3)

    Forgotten.objects.filter(contact=ana).delete()
    consent_record(
        contact=ana, purpose=Purpose.RECOMMENDATIONS, given=False, source=Consent.Source.SELF_SERVICE
    )
    picker = _picker(organizer, season, ana)
    assert picker.for_contact(ana.pk, 3) == picker.popular(3)


def test_a_batch_costs_the_same_queries_for_one_or_fifty_people(organizer, season):
    others = [Contact.objects.create(organizer=organizer, email=f"x{n}@example.org") for n in range(50)]
    for contact in others:
        consent_record(
            contact=contact, purpose=Purpose.RECOMMENDATIONS, given=True, source=Consent.Source.STAFF
        )
    picker = personal.Picker(organizer.pk, _ids(season, "jazz1", "jazz2", "jazz3", "dance"))
    with CaptureQueriesContext(connection) as one:
        picker.prepare([season["ana"].pk])
    with CaptureQueriesContext(connection) as fifty:
        picker.prepare([season["ana"].pk] + [c.pk for c in others])
    assert len(fifty) == len(one) <= 6


def test_a_campaigns_recommended_block_says_why_to_those_who_agreed(organizer, season):
    letter = campaign(organizer, blocks=[{"type": "recommended", "count": 3}])
    sender = delivery.Sender(letter, "test")
    sender.picker.prepare([season["ana"].pk, season["bob"].pk])
    compiled = sender.compiled_for("fr")

    for_ana = render.Person(first_name="Ana")
    delivery.choose_for(for_ana, sender.picker, season["ana"].pk, compiled)
    message = render.personalise(compiled, for_ana)
    assert "Jazz 2" in message.html and "Parce que vous avez aimé « Jazz" in message.html
    assert "Parce que vous avez aimé « Jazz" in message.text and render.WHY not in message.text
    for_bob = render.Person(first_name="Bob")
    delivery.choose_for(for_bob, sender.picker, season["bob"].pk, compiled)
    message = render.personalise(compiled, for_bob)
    assert "Jazz 1" in message.html and "Parce que" not in message.html and render.WHY not in message.html


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sold_out=st.lists(st.booleans(), min_size=4, max_size=4),
    online=st.lists(st.booleans(), min_size=4, max_size=4),
    advice=st.lists(st.sampled_from([None, 12, 18]), min_size=4, max_size=4),
    agreed=st.booleans(),
    born=st.sampled_from([None, 2016, 1980]),
)
def test_picks_always_keep_the_business_rules(organizer, season, sold_out, online, advice, agreed, born):
    """Whatever the state: only shows that may be booked now, none a person already has (when their
    history is read), none under their age advice, and nothing of theirs read without consent."""
    names = ("jazz1", "jazz2", "jazz3", "dance")
    for name, full, sold_online, age in zip(names, sold_out, online, advice, strict=True):
        performance = season[name]
        Quota.objects.filter(performance=performance).update(used=F("capacity") if full else 0)
        performance.tariffs.update(sold_online=sold_online)
        Event.objects.filter(pk=performance.event_id).update(age_min=age)
    ana = season["ana"]
    Contact.objects.filter(pk=ana.pk).update(birth_year=born)
    consent_record(
        contact=ana, purpose=Purpose.RECOMMENDATIONS, given=agreed, source=Consent.Source.SELF_SERVICE
    )
    bookable = {
        n for n, full, sold_online in zip(names, sold_out, online, strict=True) if sold_online and not full
    }
    picker = _picker(organizer, season, ana, season["bob"])

    choices = picker.for_contact(ana.pk, 4)
    picks = {c.event_id for c in choices}

    assert picks <= set(_ids(season, *bookable))
    if born is not None:
        age = timezone.now().year - born - 1
        for name, minimum in zip(names, advice, strict=True):
            assert season[name].event_id not in picks or not minimum or age >= minimum
    if agreed:
        assert season["jazz1"].event_id not in picks  # hers already
    else:
        assert all(not c.because.kind for c in choices)
        if born is None:
            assert choices == picker.for_contact(season["bob"].pk, 4)  # the same as for anyone
