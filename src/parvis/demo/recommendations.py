"""The demo's recommendations: regulars of the theatre who chose the same shows, then every organizer's
and every network's model trained, so that each event page shows « Vous aimerez aussi » and says why;
and a season of suggestions at the theatre, so that its report (Campagnes › Recommandations › Rapport)
has something to compare: 40 spectators who agreed to personalised suggestions, each with one earlier
choice, were shown three shows forty days ago (30 % of them, the holdout group, the common list), and
some bought one since."""

import datetime
import random

from django.utils import timezone

from parvis.crm.models import Consent, Contact, Purpose
from parvis.crm.services import consent_record
from parvis.network.models import Network, Organizer
from parvis.recommendations import personal
from parvis.recommendations.models import Arm, Policy, Surface, Training
from parvis.recommendations.training import train_network, train_organizer
from parvis.ticketing import services as sales
from parvis.ticketing.models import Cart, Order, Tariff

from .data import SEED


def demo_recommendations(*, theatre) -> None:
    if Training.objects.exists():
        return
    if not Order.objects.filter(email__endswith="@habitues.example").exists():
        _regulars(theatre)
    season = _season_people(theatre)
    for organizer in Organizer.objects.order_by("pk"):
        train_organizer(organizer)
    for network in Network.objects.order_by("pk"):
        train_network(network)
    _season_of_suggestions(theatre, season)


def _shows(theatre) -> list[Tariff]:
    """The full-price tariff of the first date of each of the theatre's coming shows."""
    tariffs = (
        Tariff.objects.filter(
            performance__organizer=theatre,
            performance__starts_at__gt=timezone.now(),
            performance__status="published",
            kind="full",
            is_active=True,
        )
        .select_related("performance")
        .order_by("performance__event_id", "performance__starts_at")
    )
    first_of_each: dict[int, Tariff] = {}
    for tariff in tariffs:
        first_of_each.setdefault(tariff.performance.event_id, tariff)
    return list(first_of_each.values())


def _bought(tariff: Tariff, email: str, n: int, paid_at) -> None:
    cart = Cart.objects.create()
    sales.cart_add(cart=cart, tariff_id=tariff.pk, quantity=1)
    buyer = sales.Buyer(email=email, first_name="Spectatrice", last_name=f"Saison {n}")
    for order in sales.checkout_place_orders(cart=cart, buyer=buyer, provider_code="demo"):
        sales.payment_confirm(payment_id=order.payments.get().pk, reference=f"demo-saison-{order.pk}")
        Order.objects.filter(pk=order.pk).update(paid_at=paid_at)


def _season_people(theatre) -> list:
    """40 spectators who agreed to personalised suggestions, each with one show booked two months ago."""
    shows = _shows(theatre)
    if len(shows) < 4 or Order.objects.filter(email__endswith="@saison.example").exists():
        return []
    rng = random.Random(SEED)
    earlier = timezone.now() - datetime.timedelta(days=60)
    people = []
    for n in range(40):
        email = f"saison{n + 1}@saison.example"
        _bought(rng.choice(shows[:4]), email, n + 1, earlier)
        contact = Contact.objects.get(organizer=theatre, email=email)
        consent_record(
            contact=contact, purpose=Purpose.RECOMMENDATIONS, given=True, source=Consent.Source.SELF_SERVICE
        )
        people.append(contact)
    return people


def _season_of_suggestions(theatre, people) -> None:
    """Each was shown three shows forty days ago, in their group (30 % held out for the demo); since,
    some bought one of them (more often those who got their own), and a few opened one first."""
    if not people:
        return
    Policy.objects.update_or_create(organizer=theatre, defaults={"holdout_percent": 30})
    rng = random.Random(SEED + 1)
    shown_at = timezone.now() - datetime.timedelta(days=40)
    tariffs = {tariff.performance.event_id: tariff for tariff in _shows(theatre)}
    picker = personal.Picker(theatre.pk, list(tariffs))
    picker.prepare([contact.pk for contact in people])
    for n, contact in enumerate(people, start=1):
        choices = picker.for_contact(contact.pk, 3)
        impression = picker.impression(contact.pk, choices, Surface.CAMPAIGN)
        impression.at = shown_at
        chance = 0.5 if impression.arm == Arm.PERSONAL else 0.25
        if choices and rng.random() < chance:
            chosen = choices[0].event_id
            impression.clicked_event_id, impression.clicked_at = (
                chosen,
                shown_at + datetime.timedelta(hours=2),
            )
            _bought(tariffs[chosen], contact.email, n, shown_at + datetime.timedelta(days=rng.randint(1, 20)))
        impression.save()


def _regulars(theatre) -> None:
    """Four regulars took the first two coming shows, three others the second and the third: the first's
    page suggests the second, « Le public de … l'a aussi choisi »."""
    shows = _shows(theatre)[:3]
    if len(shows) < 3:
        return
    groups = [(range(4), shows[0:2]), (range(4, 7), shows[1:3])]
    for people, pair in groups:
        for n in people:
            cart = Cart.objects.create()
            for tariff in pair:
                sales.cart_add(cart=cart, tariff_id=tariff.pk, quantity=1)
            buyer = sales.Buyer(
                email=f"habitue{n + 1}@habitues.example", first_name="Habitué", last_name=str(n + 1)
            )
            for order in sales.checkout_place_orders(cart=cart, buyer=buyer, provider_code="demo"):
                sales.payment_confirm(
                    payment_id=order.payments.get().pk, reference=f"demo-habitue-{order.pk}"
                )
