"""The demo's sales and products: tariffs, quotas, orders, a gift voucher, a subscription, member cards and
the festival pass, bought through the same services as a buyer's."""

import datetime
from decimal import Decimal

from django.utils import timezone

from parvis.boxoffice.models import CashDrawer
from parvis.checkin.models import CheckinList, Gate
from parvis.memberships.models import Membership, MembershipLevel, MembershipProgram, SubscriptionOffer
from parvis.memberships.services import membership_order_place
from parvis.memberships.subscriptions import offer_performances, subscription_order_place
from parvis.network.models import NetworkMembership
from parvis.passes.models import OverlapRule, PassProduct
from parvis.passes.services import overlapping, pass_book, pass_order_place
from parvis.programming.models import Event, EventStatus, Performance, PerformanceStatus
from parvis.ticketing import services as sales
from parvis.ticketing import waitlist
from parvis.ticketing.models import Cart, EventPrice, Order, Product, PromoCode, Quota, Tariff, Voucher
from parvis.ticketing.voucher_sales import voucher_order_place

from .base import add_organizer
from .data import PARIS


def demo_vouchers(*, theatre) -> None:
    """A gift voucher bought online and partly spent, a promo code, people waiting for a sold-out evening."""
    if Voucher.objects.filter(organizer=theatre).exists():
        return
    theatre.refresh_from_db()  # it sells gift vouchers since _demo_sales
    PromoCode.objects.get_or_create(
        organizer=theatre,
        code="VOISINS",
        defaults={
            "kind": "percent",
            "value": Decimal("20"),
            "reason": "Voisins du 20e : 20 % de réduction",
            "max_uses": 100,
        },
    )
    order = voucher_order_place(
        organizer=theatre,
        value=Decimal("50"),
        recipient="Camille Bernard",
        provider_code="demo",
        buyer=sales.Buyer(email="tom.nguyen@public.example", first_name="Tom", last_name="Nguyen"),
    )
    sales.payment_confirm(payment_id=order.payments.get().pk, reference=f"demo-seed-voucher-{order.pk}")
    voucher = Voucher.objects.get(order=order)
    # Camille spends 28 € of it on a theatre evening; 22 € are left for another time.
    tariff = (
        Tariff.objects.filter(performance__organizer=theatre, kind="full", performance__status="published")
        .order_by("performance__starts_at")
        .last()
    )
    if tariff is not None:
        cart = Cart.objects.create()
        sales.cart_add(cart=cart, tariff_id=tariff.pk, quantity=1)
        sales.checkout_place_orders(
            cart=cart,
            buyer=sales.Buyer(
                email="camille.bernard@public.example", first_name="Camille", last_name="Bernard"
            ),
            provider_code="voucher",
            voucher_code=voucher.code,
        )
    sold_out = (
        Tariff.objects.filter(performance__organizer=theatre, performance__status="sold_out", kind="full")
        .order_by("performance__starts_at")
        .first()
    )
    if sold_out is not None:
        for first, last in [("Inès", "Martin"), ("Paul", "Roux")]:
            waitlist.join(
                tariff=sold_out,
                quantity=2,
                email=f"{first.lower()}.{last.lower()}@public.example",
                first_name=first,
                last_name=last,
            )


def demo_subscriptions(*, theatre) -> None:
    """The theatre's season subscription, "4 shows or more" at 20 € each, and one subscriber."""
    if SubscriptionOffer.objects.filter(organizer=theatre).exists():
        return
    offer = SubscriptionOffer.objects.create(
        organizer=theatre,
        name="Abonnement — 4 spectacles ou plus",
        name_en="Season ticket — 4 shows or more",
        description="20 € la place au lieu de 28 €, des spectacles à ajouter toute la saison au même tarif, "
        "et un changement de date possible.",
        description_en="20 € a seat instead of 28 €, more shows at that price all season, one date change.",
        season_starts=timezone.now(),
        season_ends=timezone.now() + datetime.timedelta(days=180),
        min_shows=4,
        exchanges=1,
    )
    chosen, events = [], set()
    for performance in (
        offer_performances(offer).exclude(status=PerformanceStatus.SOLD_OUT).order_by("starts_at")
    ):
        if performance.event_id not in events and len(chosen) < 4:
            chosen.append(performance.pk)
            events.add(performance.event_id)
    if len(chosen) < 4:
        return
    order = subscription_order_place(
        offer=offer,
        buyer=sales.Buyer(email="karim.haddad@public.example", first_name="Karim", last_name="Haddad"),
        performance_ids=chosen,
        provider_code="demo",
    )
    sales.payment_confirm(payment_id=order.payments.get().pk, reference=f"demo-seed-subscription-{order.pk}")


def demo_memberships(*, museum, expo) -> None:
    """The museum's friends: five levels, free entry to the exhibition, two members (one card ends soon,
    so its renewal reminder can be sent), a catalogue with the members' discount, a door that admits cards."""
    if MembershipProgram.objects.filter(organizer=museum).exists():
        return
    program = MembershipProgram.objects.create(
        organizer=museum,
        name="Les Amis du Musée de la Lumière",
        name_en="Friends of the Musée de la Lumière",
        description="Entrée libre dans l'exposition, tarif adhérent sur les visites, "
        "réservation avant tout le monde pour les mécènes.",
        description_en="Free entry to the exhibition, member prices, early booking for patrons.",
    )
    rows = [
        ("individual", "Individuelle", "Individual", "35", 1, 0, "0", ""),
        ("duo", "Duo", "Duo", "60", 2, 0, "0", ""),
        ("family", "Famille", "Family", "75", 4, 0, "0", "Deux adultes et leurs enfants"),
        ("youth", "Jeune", "Youth", "15", 1, 0, "0", "Moins de 26 ans, sur justificatif"),
        ("patron", "Mécène", "Patron", "250", 2, 14, "10", "Dont 165 € de don ouvrant droit à réduction"),
    ]
    levels = {}
    for position, (kind, name, name_en, price, persons, priority, discount, note) in enumerate(rows):
        levels[kind] = MembershipLevel.objects.create(
            program=program,
            kind=kind,
            name=name,
            name_en=name_en,
            price=Decimal(price),
            persons=persons,
            priority_days=priority,
            addon_discount_percent=Decimal(discount),
            eligibility=note,
            position=position,
        )
        levels[kind].free_events.add(expo)
    Product.objects.get_or_create(
        organizer=museum,
        name="Catalogue de l'exposition",
        defaults={"name_en": "Exhibition catalogue", "price": Decimal("29"), "vat_rate": Decimal("5.50")},
    )
    checkin_list, _ = CheckinList.objects.get_or_create(
        organizer=museum, name="Accueil du musée", defaults={"admit_members": True}
    )
    checkin_list.performances.add(*Performance.objects.filter(event=expo).order_by("starts_at")[:14])
    for (first, last), kind, others in [
        (("Élodie", "Petit"), "duo", ["Marc Petit"]),
        (("Tom", "Nguyen"), "individual", []),
    ]:
        order = membership_order_place(
            level=levels[kind],
            buyer=sales.Buyer(
                email=f"{first.lower()}.{last.lower()}@public.example", first_name=first, last_name=last
            ),
            other_names=others,
            provider_code="demo",
        )
        sales.payment_confirm(payment_id=order.payments.get().pk, reference=f"demo-seed-member-{order.pk}")
    # Tom joined last year: his card ends in three weeks (its renewal reminder is due).
    tom = Membership.objects.get(email="tom.nguyen@public.example")
    Membership.objects.filter(pk=tom.pk).update(
        valid_from=tom.valid_from - datetime.timedelta(days=345),
        valid_until=tom.valid_until - datetime.timedelta(days=345),
    )


def demo_passes(*, jazz, festival) -> None:
    """The jazz network's festival pass, "3 concerts in 3 clubs", sold by the network's association,
    with two holders who have booked concerts (so that the settlements and discovery pages show something):
    Lucie Moreau's three concerts in three clubs link her there through the pass (issue 33)."""
    association = add_organizer(
        "jazz-idf-association",
        name="Jazz en Île-de-France (association)",
        legal_name="Association Jazz en Île-de-France",
        email="pass@jazz-idf.example",
        description="L'association du réseau : elle vend le pass du festival et reverse leur part aux clubs.",
    )
    NetworkMembership.objects.get_or_create(network=jazz, organizer=association)
    if PassProduct.objects.filter(organizer=association).exists():
        return
    # The clubs ask the association to sell their tickets online on their behalf (5 % commission).
    type(jazz).objects.filter(pk=jazz.pk).update(
        ticket_seller=association, ticket_commission_percent=Decimal("5")
    )
    NetworkMembership.objects.filter(network=jazz, organizer__venues__slug="club").update(
        sold_by_network=True
    )
    ends = datetime.datetime.combine(festival.ends_on, datetime.time(23, 59), tzinfo=PARIS)
    product = PassProduct.objects.create(
        organizer=association,
        network=jazz,
        festival=festival,
        name="Pass Festival — 3 concerts dans 3 clubs",
        name_en="Festival pass — 3 concerts in 3 clubs",
        description="Trois concerts du festival, dans trois clubs différents : "
        "l'occasion de pousser la porte d'un club que vous ne connaissez pas.",
        description_en="Three festival concerts in three different clubs: a reason to discover a new one.",
        price=Decimal("45.00"),
        entries=3,
        valid_from=timezone.now(),
        valid_until=ends,
        max_per_venue=1,
        cancel_hours=24,
        commission_percent=Decimal("10"),
        overlap_rule=OverlapRule.CONFIRM,  # two concerts at the same hour: asked, not refused
    )
    paid = Performance.objects.filter(event__festivals=festival, tariffs__kind="full").order_by("starts_at")
    choices = list(paid.exclude(status=PerformanceStatus.SOLD_OUT).select_related("event")[:60])
    venues: set[int] = set()
    for n, (first, last) in enumerate([("Lucie", "Moreau"), ("Karim", "Haddad")]):
        order = pass_order_place(
            product=product,
            buyer=sales.Buyer(
                email=f"{first.lower()}.{last.lower()}@public.example", first_name=first, last_name=last
            ),
            provider_code="demo",
        )
        sales.payment_confirm(payment_id=order.payments.get().pk, reference=f"demo-seed-pass-{order.pk}")
        holding = order.pass_holdings.get()
        booked: list = []
        for performance in choices[n::2] + choices:
            # Three, then one, concerts at clubs neither holder has booked, never two at the same hour.
            if len(booked) == 3 - 2 * n or performance.venue_id in venues or overlapping(performance, booked):
                continue
            pass_book(holding=holding, performance_id=performance.pk, notify=False)
            venues.add(performance.venue_id)
            booked.append(performance)
    # A festival concert bought online after that: the association is the seller, the club's ticket.

    concert = choices[:12][-1] if choices else None
    tariff = Tariff.objects.filter(performance=concert, kind="full").first() if concert else None
    if tariff is not None:
        cart = Cart.objects.create()
        sales.cart_add(cart=cart, tariff_id=tariff.pk, quantity=2)
        buyer = sales.Buyer(email="elodie.petit@public.example", first_name="Élodie", last_name="Petit")
        for order in sales.checkout_place_orders(cart=cart, buyer=buyer, provider_code="demo"):
            sales.payment_confirm(payment_id=order.payments.get().pk, reference=f"demo-seed-agent-{order.pk}")


def _tariffs_for(performance, rows):
    """The date's tariffs, made once (None when it has some already)."""
    if Tariff.objects.filter(performance=performance).exists():
        return None
    return [sales.tariff_create(actor=None, performance=performance, **row) for row in rows]


THEATRE_TARIFFS = [
    {"name": "Plein tarif", "name_en": "Full price", "price": Decimal("28"), "kind": "full"},
    {
        "name": "Tarif réduit",
        "name_en": "Reduced",
        "price": Decimal("18"),
        "kind": "reduced",
        "eligibility": "Demandeurs d'emploi, plus de 65 ans, sur justificatif",
        "eligibility_en": "Job seekers, over 65, with proof",
    },
    {
        "name": "Moins de 26 ans",
        "name_en": "Under 26",
        "price": Decimal("10"),
        "kind": "youth",
        "eligibility": "Sur justificatif",
        "eligibility_en": "With proof",
    },
    {"name": "Abonné", "name_en": "Subscriber", "price": Decimal("20"), "kind": "subscriber"},
]
MUSEUM_TARIFFS = [
    {"name": "Plein tarif", "name_en": "Full price", "price": Decimal("14"), "vat_rate": Decimal("10")},
    {
        "name": "Réduit",
        "name_en": "Reduced",
        "price": Decimal("8"),
        "kind": "reduced",
        "vat_rate": Decimal("10"),
    },
    {
        "name": "Gratuit (moins de 18 ans)",
        "name_en": "Free (under 18)",
        "price": Decimal("0"),
        "kind": "free",
        "vat_rate": Decimal("10"),
    },
    {
        "name": "Adhérent",
        "name_en": "Member",
        "price": Decimal("7"),
        "kind": "member",
        "vat_rate": Decimal("10"),
        "eligibility": "Sur présentation de la carte d'adhérent",
        "eligibility_en": "With a member card",
    },
]


def _theatre_tariffs(theatre):
    """The theatre's four tariffs, entered once per show as its price list (a date that has begun gets
    them on its own), a youth quota and the online quota on every published date."""
    for event in Event.objects.filter(organizer=theatre, status=EventStatus.PUBLISHED):
        if not EventPrice.objects.filter(event=event).exists():
            for row in THEATRE_TARIFFS:
                sales.price_create(actor=None, event=event, **row)
    theatre_perfs = Performance.objects.filter(organizer=theatre, event__status=EventStatus.PUBLISHED)
    for performance in theatre_perfs:
        _tariffs_for(performance, THEATRE_TARIFFS)
        if Quota.objects.filter(performance=performance, name="Jeunes").exists():
            continue
        youth = Tariff.objects.get(performance=performance, kind="youth")
        sales.quota_create(actor=None, performance=performance, name="Jeunes", capacity=40, tariffs=[youth])
        capacity = sales.performance_capacity(performance)
        sales.quota_create(
            actor=None,
            performance=performance,
            name="Vente en ligne",
            capacity=max(0, capacity - 20),
            channels=Quota.Channels.ONLINE,
        )
    return theatre_perfs


def _museum_and_festival_tariffs(museum, jazz):
    """The museum's days in timed-entry slots; one price per festival concert."""
    for performance in Performance.objects.filter(organizer=museum):
        if _tariffs_for(
            performance, MUSEUM_TARIFFS
        ):  # timed entry: a slot every 30 minutes, 40 visitors each
            sales.timed_slots_create(actor=None, performance=performance, every_minutes=30, capacity=40)
    festival_perfs = Performance.objects.filter(event__festivals__network=jazz).select_related("event")
    for performance in festival_perfs:
        event = performance.event
        price = Decimal("0") if event.is_free else (event.price_min or Decimal("15"))
        kind = "free" if not price else "full"
        _tariffs_for(
            performance, [{"name": "Tarif unique", "name_en": "Single price", "price": price, "kind": kind}]
        )
    return festival_perfs


def _theatre_extras(theatre, theatre_perfs):
    """The theatre's add-ons, donations and gift vouchers; its door and its till."""
    if not Product.objects.filter(organizer=theatre).exists():
        Product.objects.create(
            organizer=theatre, name="Programme de salle", name_en="Programme", price=Decimal("5")
        )
        Product.objects.create(
            organizer=theatre,
            name="Verre au bar",
            name_en="Drink at the bar",
            price=Decimal("4"),
            vat_rate=Decimal("10"),
        )
        type(theatre).objects.filter(pk=theatre.pk).update(
            accepts_donations=True,
            sells_gift_vouchers=True,
            self_cancellation_hours=48,
            self_cancellation_fee=Decimal("1.50"),
        )
    # The door: a main gate and a check-in list for each of the theatre's next evenings.

    Gate.objects.get_or_create(organizer=theatre, name="Entrée principale")
    for performance in theatre_perfs.order_by("starts_at")[:4]:
        name = f"{performance.event.title} — {timezone.localtime(performance.starts_at):%d/%m %H:%M}"
        checkin_list, created = CheckinList.objects.get_or_create(organizer=theatre, name=name)
        if created:
            checkin_list.performances.add(performance)
    # The box office: one till at the theatre's main venue.

    CashDrawer.objects.get_or_create(
        organizer=theatre, name="Accueil", defaults={"venue": theatre.venues.order_by("pk").first()}
    )


def _demo_orders(theatre_perfs, festival_perfs, rng):
    """A few buyers, and two sold-out dates (a club's small room and a theatre evening)."""
    if Order.objects.filter(email__endswith="@public.example").exists():
        return
    buyers = [("Lucie", "Moreau"), ("Karim", "Haddad"), ("Élodie", "Petit"), ("Tom", "Nguyen")]

    def sell(tariff, quantity, n):
        first, last = buyers[n % len(buyers)]
        cart = Cart.objects.create()
        sales.cart_add(cart=cart, tariff_id=tariff.pk, quantity=quantity)
        buyer = sales.Buyer(
            email=f"{first.lower()}.{last.lower()}@public.example",
            first_name=first,
            last_name=last,
            postal_code=rng.choice(["75011", "93100", "92100", "13001"]),
        )
        orders = sales.checkout_place_orders(cart=cart, buyer=buyer, provider_code="demo")
        for order in orders:
            sales.payment_confirm(payment_id=order.payments.get().pk, reference=f"demo-seed-{order.pk}")

    small = festival_perfs.filter(event__is_free=False).order_by("starts_at").first()
    if small is not None:
        Quota.objects.filter(performance=small, is_total=True).update(capacity=8)
        tariff = Tariff.objects.get(performance=small)
        for n in range(4):
            sell(tariff, 2, n)
        small.status = PerformanceStatus.SOLD_OUT
        small.save(update_fields=["status"])
    evening = theatre_perfs.order_by("starts_at").first()
    full = Tariff.objects.filter(performance=evening, kind="full").first()
    if full is not None:
        Quota.objects.filter(performance=evening, is_total=True).update(capacity=6)
        Quota.objects.filter(performance=evening, is_total=False).update(capacity=6)
        for n in range(3):
            sell(full, 2, n)
        evening.status = PerformanceStatus.SOLD_OUT
        evening.save(update_fields=["status"])


def demo_sales(*, theatre, museum, jazz, rng) -> None:
    """Tariffs and quotas on every sold performance, a few orders, and sold-out dates."""
    theatre_perfs = _theatre_tariffs(theatre)
    festival_perfs = _museum_and_festival_tariffs(museum, jazz)
    _theatre_extras(theatre, theatre_perfs)
    _demo_orders(theatre_perfs, festival_perfs, rng)
