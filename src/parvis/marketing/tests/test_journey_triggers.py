"""Journeys' triggers, entry rules and steps (issue 22): dated triggers found when their time comes (a late
run finds them once), entry once or again after N days, checks that send people out or past a step, tags,
a staff member told, waits until an hour relative to the person's performance."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from parvis.crm.models import Consent, Contact, Interaction, Purpose, Segment, Tag
from parvis.crm.services import consent_record, interaction_record
from parvis.marketing import journeys
from parvis.marketing.models import Campaign, Journey, JourneyEntry, Recipient
from parvis.memberships.models import Membership, Subscription, SubscriptionOffer
from parvis.memberships.tests.factories import level, member, program
from parvis.passes.models import PassHolding
from parvis.passes.tests.factories import bought_pass, pass_product
from parvis.testing import staff
from parvis.ticketing import services
from parvis.ticketing.models import Cart
from parvis.ticketing.tests.factories import buyer, on_sale_performance, tariff

from .factories import campaign, person

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def _journey(organizer, trigger, steps, *, at=None, **fields):
    """A journey in motion since `at` (now by default)."""
    at = at or timezone.now()
    return Journey.objects.create(
        organizer=organizer,
        name=f"Parcours {trigger}",
        trigger=trigger,
        steps=steps,
        active=True,
        watermark=Interaction.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        scanned_until=at,
        **fields,
    )


def _message(organizer):
    return campaign(organizer, state=Campaign.State.JOURNEY)


def _order(tariff_obj, email, *, pay=True, **checkout):
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=tariff_obj.pk, quantity=1)
    order = services.checkout_place_orders(
        cart=cart, buyer=buyer(email=email), provider_code="demo", **checkout
    )[0]
    if pay:
        return services.payment_confirm(payment_id=order.payments.get(state="created").pk)
    return order


def _consents(order):
    consent_record(
        contact=order.contact, purpose=Purpose.ORGANIZER_NEWSLETTER, given=True, source=Consent.Source.SIGNUP
    )
    return order.contact


def test_ticket_holders_enter_n_days_before_and_hear_from_us_three_hours_before_once(organizer):
    performance = on_sale_performance(organizer=organizer, days=10)
    full = tariff(performance)
    ana = _consents(_order(full, "ana@example.org"))
    bob = _order(full, "bob@example.org").contact  # no consent: enters, never written to
    refunded = _order(full, "carl@example.org")
    services.order_cancel(order=refunded, reason="test")
    message = _message(organizer)
    journey = _journey(
        organizer,
        Journey.Trigger.BEFORE_PERFORMANCE,
        [{"kind": "until", "hours": -3}, {"kind": "send", "campaign": message.pk}],
        days=2,
    )
    start = performance.starts_at
    assert journeys.run(start - 3 * DAY)["entered"] == 0
    late = journeys.run(start - DAY)  # a day late: found all the same, entered when it was due
    assert late["entered"] == 2 and late["queued"] == 0
    entries = JourneyEntry.objects.filter(journey=journey)
    assert {e.contact_id for e in entries} == {ana.pk, bob.pk}
    assert {(e.due_at, e.performance_id, e.occasion) for e in entries} == {
        (start - 3 * HOUR, performance.pk, "")
    }
    assert journeys.run(start - DAY + HOUR)["entered"] == 0
    journeys.run(start - 2 * HOUR)
    journeys.run(start - HOUR)
    assert list(Recipient.objects.filter(campaign=message).values_list("contact_id", "state")) == [
        (ana.pk, Recipient.State.SENT)
    ]


def test_who_missed_their_performance_enters_the_next_day_and_who_came_does_not(organizer):
    performance = on_sale_performance(organizer=organizer, days=3)
    full = tariff(performance)
    came = _order(full, "ana@example.org").contact
    missed = _order(full, "bob@example.org").contact
    interaction_record(
        contact=came,
        organizer_id=organizer.pk,
        kind=Interaction.Kind.ATTENDANCE,
        at=performance.starts_at,
        performance_id=performance.pk,
    )
    journey = _journey(organizer, Journey.Trigger.MISSED, [{"kind": "wait", "hours": 1}])
    assert journeys.run(performance.starts_at + 2 * HOUR)["entered"] == 0  # the evening is not over
    assert journeys.run(performance.starts_at + 2 * DAY)["entered"] == 1
    assert list(JourneyEntry.objects.filter(journey=journey).values_list("contact_id", flat=True)) == [
        missed.pk
    ]


def test_a_pass_with_entries_left_is_found_before_its_end_and_a_used_one_is_not(network, organizer):
    product = pass_product(organizer, network)
    left = bought_pass(product, email="ana@example.org")
    used = bought_pass(product, email="bob@example.org")
    PassHolding.objects.filter(pk=used.pk).update(entries_used=used.entries)
    journey = _journey(organizer, Journey.Trigger.PASS_UNUSED, [], days=21)
    assert journeys.run(left.valid_until - 22 * DAY)["entered"] == 0
    assert journeys.run(left.valid_until - 20 * DAY)["entered"] == 1
    entry = JourneyEntry.objects.get(journey=journey)
    assert entry.contact_id == left.order.contact_id and entry.entered_at == left.valid_until - 21 * DAY
    assert entry.state == JourneyEntry.State.DONE  # no steps: through at once


def test_a_member_card_ending_is_found_a_month_before_and_a_cancelled_one_is_not(organizer):
    lvl = level(program(organizer))
    ending, cancelled = member(lvl, email="ana@example.org"), member(lvl, email="bob@example.org")
    end = timezone.now() + 40 * DAY
    Membership.objects.filter(pk__in=[ending.pk, cancelled.pk]).update(valid_until=end)
    Membership.objects.filter(pk=cancelled.pk).update(state=Membership.State.CANCELLED)
    journey = _journey(organizer, Journey.Trigger.MEMBERSHIP_ENDING, [{"kind": "wait", "hours": 1}], days=30)
    assert journeys.run(end - 30 * DAY + HOUR)["entered"] == 1
    assert JourneyEntry.objects.get(journey=journey).contact_id == ending.order.contact_id


def test_a_first_visit_enters_once_and_a_regular_never(organizer):
    ana = person(organizer, "ana@example.org")
    regular = person(organizer, "bob@example.org")
    _came = interaction_record(contact=regular, organizer_id=organizer.pk, kind=Interaction.Kind.ATTENDANCE)
    journey = _journey(organizer, Journey.Trigger.FIRST_VISIT, [{"kind": "wait", "hours": 1}])
    for contact in (ana, regular, ana):
        interaction_record(contact=contact, organizer_id=organizer.pk, kind=Interaction.Kind.ATTENDANCE)
    assert journeys.run()["entered"] == 1
    assert list(JourneyEntry.objects.filter(journey=journey).values_list("contact_id", flat=True)) == [ana.pk]


def test_a_donation_is_on_the_givers_timeline_and_brings_them_into_the_thank_you(organizer):
    organizer.accepts_donations = True
    organizer.save()
    full = tariff(on_sale_performance(organizer=organizer))
    journey = _journey(organizer, Journey.Trigger.DONATION, [{"kind": "wait", "hours": 2}])
    order = _order(full, "ana@example.org", donations={organizer.pk: Decimal("15")})
    _order(full, "bob@example.org")  # no gift
    gift = Interaction.objects.get(kind=Interaction.Kind.DONATION)
    assert (gift.contact_id, gift.amount, gift.ref) == (
        order.contact_id,
        Decimal("15.00"),
        f"order:{order.code}",
    )
    assert journeys.run()["entered"] == 1
    assert JourneyEntry.objects.get(journey=journey).contact_id == order.contact_id


def test_an_abandoned_order_is_followed_only_with_consent_and_only_if_nothing_was_bought_since(organizer):
    full = tariff(on_sale_performance(organizer=organizer, days=20))
    consenting = _order(full, "ana@example.org", pay=False)
    _consents(consenting)
    silent = _order(full, "bob@example.org", pay=False)  # no consent: never followed
    came_back = _order(full, "carl@example.org", pay=False)
    _consents(came_back)
    _order(full, "carl@example.org")  # bought after all
    journey = _journey(organizer, Journey.Trigger.ABANDONED_CART, [{"kind": "wait", "hours": 1}], days=1)
    assert journeys.run(consenting.expires_at + 2 * DAY)["entered"] == 1
    entry = JourneyEntry.objects.get(journey=journey)
    assert entry.contact_id == consenting.contact_id != silent.contact_id


def test_the_at_risk_group_enters_once_found_there(organizer):
    ana, bob = person(organizer, "ana@example.org"), person(organizer, "bob@example.org")
    Contact.objects.filter(pk=ana.pk).update(rfm_group="at_risk")
    journey = _journey(organizer, Journey.Trigger.LAPSED, [{"kind": "wait", "hours": 24}])
    assert journeys.run()["entered"] == 1
    assert journeys.run(timezone.now() + HOUR)["entered"] == 0  # once: still at risk, not again
    assert not JourneyEntry.objects.filter(journey=journey, contact=bob).exists()


def test_a_person_enters_again_only_after_n_days_and_never_while_still_in(organizer):
    ana = person(organizer, "ana@example.org")
    t0 = timezone.now()
    journey = _journey(
        organizer, Journey.Trigger.ORDER_PAID, [{"kind": "wait", "hours": 48}], reentry_days=30
    )
    for at in (t0, t0 + DAY, t0 + 10 * DAY, t0 + 40 * DAY):  # still in; in again too soon; in again
        interaction_record(contact=ana, organizer_id=organizer.pk, kind=Interaction.Kind.ORDER, at=at)
        journeys.run(at + HOUR)
    entries = JourneyEntry.objects.filter(journey=journey).order_by("entered_at")
    assert [e.entered_at for e in entries] == [t0, t0 + 40 * DAY]
    assert entries[0].state == JourneyEntry.State.CONVERTED  # bought again meanwhile: left as converted
    assert len({e.occasion for e in entries}) == 2


def test_checks_tags_and_a_staff_member_told_move_each_person_their_own_way(
    organizer, django_capture_on_commit_callbacks
):
    vip = Tag.objects.create(organizer=organizer, name="VIP")
    welcomed = Tag.objects.create(organizer=organizer, name="Accueilli")
    second = Tag.objects.create(organizer=organizer, name="Étape 2")
    ana = person(organizer, "ana@example.org", first="Ana", last="Lima")
    bob = person(organizer, "bob@example.org", first="Bob", last="Marin")
    ana.tags.add(vip, second)
    bob.tags.add(second)
    parisians = Segment.objects.create(organizer=organizer, name="Ana seule", kind=Segment.Kind.STATIC)
    parisians.members.add(ana)
    manager = staff(organizer, "marketing", email="relations@club.example")
    journey = _journey(
        organizer,
        Journey.Trigger.SIGNUP,
        [
            {"kind": "check", "test": "tag", "arg": vip.pk, "otherwise": "skip"},
            {"kind": "notify", "user": manager.pk},
            {"kind": "tag", "tag": welcomed.pk},
            {"kind": "tag", "tag": second.pk, "remove": True},
            {"kind": "check", "test": "segment", "arg": parisians.pk},
            {"kind": "check", "test": "consent", "arg": Purpose.EMAIL_TRACKING, "negate": True},
        ],
    )
    for contact in (ana, bob):
        interaction_record(contact=contact, organizer_id=organizer.pk, kind=Interaction.Kind.SIGNUP)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        journeys.run()
    states = dict(JourneyEntry.objects.filter(journey=journey).values_list("contact_id", "state"))
    assert states == {ana.pk: JourneyEntry.State.DONE, bob.pk: JourneyEntry.State.LEFT}
    assert set(welcomed.contacts.all()) == {ana, bob} and not second.contacts.exists()
    told = [m for m in mail.outbox if m.to == ["relations@club.example"]]
    assert len(told) == 1 and "1 personne à l'étape 2" in told[0].subject
    assert "Ana Lima" in told[0].body and "Bob" not in told[0].body
    assert f"/publics/{ana.pk}/" in told[0].body
    assert journeys.funnel(journey)["left"] == 1


def test_subscribers_enter_the_renewal_window_n_days_before_the_season_ends(organizer):
    ends = timezone.now() + 50 * DAY
    offer = SubscriptionOffer.objects.create(
        organizer=organizer, name="Abonnement", season_starts=timezone.now() - 30 * DAY, season_ends=ends
    )
    full = tariff(on_sale_performance(organizer=organizer))
    kept, dropped = _order(full, "ana@example.org"), _order(full, "bob@example.org")
    for order, state in ((kept, Subscription.State.ACTIVE), (dropped, Subscription.State.CANCELLED)):
        Subscription.objects.create(
            offer=offer, order=order, first_name="A", last_name="B", email=order.email, state=state
        )
    journey = _journey(
        organizer, Journey.Trigger.SUBSCRIPTION_RENEWAL, [{"kind": "wait", "hours": 1}], days=45
    )
    assert journeys.run(ends - 46 * DAY)["entered"] == 0
    assert journeys.run(ends - 44 * DAY)["entered"] == 1
    entry = JourneyEntry.objects.get(journey=journey)
    assert (entry.contact_id, entry.entered_at) == (kept.contact_id, ends - 45 * DAY)
