"""The demo network: reproducible (fixed seed), idempotent (running it twice duplicates nothing).

- a jazz network of 25 clubs in Île-de-France and its two-week festival of 180 concerts;
- a theatre with its season; a museum with a timed-entry exhibition;
- a digital-arts biennale across Marseille and Aix-en-Provence;
- staff accounts for every role.
"""

import datetime
import random
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from parvis.accounts.models import TOTPDevice
from parvis.network.models import (
    Network,
    NetworkMembership,
    NetworkRole,
    NetworkStaff,
    Organizer,
    OrganizerStaff,
    Role,
    Space,
    Venue,
)
from parvis.network.services import staff_role_grant
from parvis.programming.models import (
    Event,
    EventStatus,
    FeaturedEvent,
    Festival,
    Genre,
    Performance,
    PerformanceStatus,
)

SEED = 2026
DEMO_PASSWORD = "parvis-demo-2026"  # noqa: S105 - printed on purpose
# Base32 secret of the demo administrator's authenticator (demo only: printed on purpose).
DEMO_TOTP_SECRET = "PARVISDEMOADMINTOTPWINTERABCDEFG"  # noqa: S105 - base32: letters and 2-7 only
PARIS = zoneinfo.ZoneInfo("Europe/Paris")

IDF_TOWNS = [
    ("Paris", "75011", 48.8590, 2.3790),
    ("Montreuil", "93100", 48.8638, 2.4485),
    ("Saint-Denis", "93200", 48.9362, 2.3574),
    ("Vincennes", "94300", 48.8474, 2.4392),
    ("Boulogne-Billancourt", "92100", 48.8397, 2.2399),
    ("Versailles", "78000", 48.8049, 2.1204),
    ("Nanterre", "92000", 48.8924, 2.2071),
    ("Ivry-sur-Seine", "94200", 48.8131, 2.3847),
    ("Créteil", "94000", 48.7904, 2.4556),
    ("Pantin", "93500", 48.8944, 2.4093),
    ("Malakoff", "92240", 48.8169, 2.2994),
    ("Argenteuil", "95100", 48.9472, 2.2467),
    ("Évry-Courcouronnes", "91000", 48.6290, 2.4410),
    ("Cergy", "95000", 49.0364, 2.0761),
    ("Meaux", "77100", 48.9601, 2.8788),
    ("Fontainebleau", "77300", 48.4047, 2.7016),
    ("Saint-Germain-en-Laye", "78100", 48.8989, 2.0938),
    ("Rueil-Malmaison", "92500", 48.8778, 2.1803),
    ("Vitry-sur-Seine", "94400", 48.7875, 2.3928),
    ("Clichy", "92110", 48.9045, 2.3055),
    ("Le Blanc-Mesnil", "93150", 48.9386, 2.4614),
    ("Noisy-le-Grand", "93160", 48.8486, 2.5526),
    ("Massy", "91300", 48.7309, 2.2713),
    ("Melun", "77000", 48.5421, 2.6554),
    ("Rambouillet", "78120", 48.6437, 1.8295),
]
CLUB_WORDS = [
    "Blue Note",
    "Caveau",
    "Swing",
    "Sunset",
    "Duc",
    "Comptoir",
    "Studio",
    "Petit Journal",
    "Péniche",
    "Baiser Salé",
    "Cave",
    "Arbre",
    "Triton",
    "Sept Lézards",
    "Écluse",
    "Minotaure",
    "Bémol",
    "Quai",
    "Quartier",
    "Tambour",
    "Archipel",
    "Cabaret",
    "Grange",
    "Kiosque",
    "Usine",
]
# The article each club's name takes (the others: "Le").
CLUB_ARTICLES = {
    "Péniche": "La ",
    "Cave": "La ",
    "Grange": "La ",
    "Sept Lézards": "Les ",
    "Arbre": "L'",
    "Écluse": "L'",
    "Archipel": "L'",
    "Usine": "L'",
}
BANDS = [
    "Quartet Aurore",
    "Trio Sillage",
    "Big Band des Lilas",
    "Nora Delmas Quintet",
    "Samba de Chambre",
    "Léon Farrah Trio",
    "Les Swingueurs",
    "Marie-Ève Kessler",
    "Orchestre du Canal",
    "Duo Ardoise",
    "Jazz Manouche Express",
    "Amadou Sy Sextet",
    "Hélène Brun & Co",
    "Trio Éphémère",
    "Funk Ambassade",
    "Clara Nguyen Quartet",
    "Bebop Collectif",
    "Yann Le Goff Trio",
    "Fanfare Ébène",
    "Sofia Ramos Group",
]
THEATRE_SHOWS = [
    ("Le Misanthrope", Genre.THEATRE, "Molière revisité par une troupe de huit comédiens."),
    ("Les Bonnes", Genre.THEATRE, "Jean Genet, huis clos et jeux de rôles."),
    ("Cendrillon", Genre.YOUNG_AUDIENCE, "Conte musical pour les enfants dès 6 ans."),
    ("Fragments d'un corps", Genre.DANCE, "Pièce chorégraphique pour cinq danseurs."),
    ("La Cerisaie", Genre.THEATRE, "Tchekhov, l'histoire d'une maison que l'on quitte."),
    ("Voltige", Genre.CIRCUS, "Cirque aérien et mât chinois."),
]


@dataclass
class DemoAccount:
    username: str
    role: str
    where: str


def _user(username: str, first: str, last: str, *, superuser: bool = False):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "email": username,
            "first_name": first,
            "last_name": last,
            "is_staff": superuser,
            "is_superuser": superuser,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _organizer(slug: str, **fields) -> Organizer:
    organizer, _ = Organizer.objects.get_or_create(slug=slug, defaults=fields)
    return organizer


def _venue(organizer: Organizer, slug: str, **fields) -> Venue:
    venue, _ = Venue.objects.get_or_create(organizer=organizer, slug=slug, defaults=fields)
    return venue


def _event(organizer: Organizer, title: str, *, slug: str = "", **fields) -> tuple[Event, bool]:
    fields.setdefault("status", EventStatus.PUBLISHED)
    event, created = Event.objects.get_or_create(
        organizer=organizer, slug=slug or slugify(title)[:100], defaults={"title": title, **fields}
    )
    return event, created


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


def _perf(event: Event, venue: Venue, starts_at: datetime.datetime, minutes: int, **extra) -> Performance:
    return Performance(
        event=event,
        organizer=event.organizer,
        venue=venue,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=minutes),
        capacity=venue.capacity,
        **extra,
    )


def _next_monday(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=(7 - today.weekday()) % 7 or 7)


@transaction.atomic
def build_demo(*, today: datetime.date | None = None) -> list[DemoAccount]:
    rng = random.Random(SEED)
    today = today or timezone.localdate()
    start = _next_monday(today)
    accounts: list[DemoAccount] = []

    # --- The jazz network and its festival -------------------------------------------------------------
    jazz, _ = Network.objects.get_or_create(
        slug="jazz-idf",
        defaults={
            "name": "Jazz en Île-de-France",
            "description": "Vingt-cinq clubs de jazz, un agenda commun et un festival.",
            "description_en": "Twenty-five jazz clubs, one shared agenda and a festival.",
        },
    )
    clubs: list[Venue] = []
    for i, (town, postcode, lat, lon) in enumerate(IDF_TOWNS):
        name = CLUB_ARTICLES.get(CLUB_WORDS[i], "Le ") + CLUB_WORDS[i]
        slug = slugify(f"{CLUB_WORDS[i]}-{town}")[:60]
        club = _organizer(
            slug,
            name=f"{name} ({town})",
            legal_name=f"Association {name}",
            email=f"contact@{slug}.example",
            description=f"Club de jazz à {town}.",
        )
        NetworkMembership.objects.get_or_create(network=jazz, organizer=club)
        venue = _venue(
            club,
            "club",
            name=name,
            street=f"{rng.randint(1, 120)} rue de la Musique",
            postcode=postcode,
            town=town,
            latitude=Decimal(str(lat)),
            longitude=Decimal(str(lon)),
            capacity=rng.choice([60, 80, 120, 150, 200, 300]),
            wheelchair_accessible=rng.random() < 0.6,
            accessibility_info="Accès de plain-pied, boucle magnétique." if rng.random() < 0.5 else "",
        )
        clubs.append(venue)

    festival_start = start
    festival, _ = Festival.objects.get_or_create(
        network=jazz,
        slug="festival",
        defaults={
            "name": f"Festival Jazz en Île-de-France {festival_start.year}",
            "description": "180 concerts dans 25 clubs pendant deux semaines.",
            "starts_on": festival_start,
            "ends_on": festival_start + datetime.timedelta(days=13),
        },
    )
    if not festival.events.exists():
        new_perfs, festival_events = [], []
        for n in range(180):
            venue = clubs[n % len(clubs)]
            band = BANDS[rng.randrange(len(BANDS))]
            day = festival_start + datetime.timedelta(days=rng.randrange(14))
            hour, minute = rng.choice([(19, 30), (20, 0), (20, 30), (21, 0), (22, 0)])
            free = rng.random() < 0.1
            price = Decimal(rng.choice([12, 15, 18, 20, 25])) if not free else None
            event, created = _event(
                venue.organizer,
                band,
                slug=f"{slugify(band)}-{day:%m%d}-{hour}h{minute:02d}",
                genre=Genre.JAZZ,
                artists=band,
                description=f"{band} en concert au {venue.name}, dans le cadre du festival.",
                tags="festival, jazz",
                is_free=free,
                price_min=price,
                price_max=price,
                wheelchair=venue.wheelchair_accessible,
                duration_minutes=90,
            )
            festival_events.append(event)
            if created:
                new_perfs.append(_perf(event, venue, _at(day, hour, minute), 90))
        Performance.objects.bulk_create(new_perfs, ignore_conflicts=True)
        festival.events.set(festival_events)
        for position, event in enumerate(festival_events[:6]):
            FeaturedEvent.objects.get_or_create(network=jazz, event=event, defaults={"position": position})

    coordinator = _user("coordination@jazz-idf.example", "Camille", "Roux")
    NetworkStaff.objects.get_or_create(network=jazz, user=coordinator, role=NetworkRole.COORDINATOR)
    accounts.append(DemoAccount(coordinator.username, "coordination du réseau", jazz.name))
    club_prog = _user("programmation@caveau.example", "Malik", "Benali")
    OrganizerStaff.objects.get_or_create(organizer=clubs[1].organizer, user=club_prog, role=Role.PROGRAMMING)
    accounts.append(DemoAccount(club_prog.username, "programmation", clubs[1].organizer.name))

    # --- A theatre and its season ------------------------------------------------------------------------
    theatre = _organizer(
        "theatre-du-parvis",
        name="Théâtre du Parvis",
        legal_name="SCIC Théâtre du Parvis",
        siret="12345678900012",
        license_numbers="PLATESV-R-2024-000001",
        email="billetterie@theatre-du-parvis.example",
        bank_details="SCIC Théâtre du Parvis\nIBAN FR76 3000 6000 0112 3456 7890 189\nBIC AGRIFRPP (fictif)",
        description="Scène conventionnée, 28 spectacles par saison.",
    )
    grande = _venue(
        theatre,
        "salle",
        name="Théâtre du Parvis",
        street="2 place du Parvis",
        postcode="75020",
        town="Paris",
        latitude=Decimal("48.8640"),
        longitude=Decimal("2.3980"),
        capacity=450,
        wheelchair_accessible=True,
        accessibility_info="Boucle magnétique, places PMR au rang A.",
    )
    big_hall, _ = Space.objects.get_or_create(venue=grande, name="Grande salle", defaults={"capacity": 450})
    small_hall, _ = Space.objects.get_or_create(venue=grande, name="Studio", defaults={"capacity": 90})
    NetworkMembership.objects.get_or_create(network=jazz, organizer=theatre)  # it hosts the festival's finale
    for i, (title, genre, description) in enumerate(THEATRE_SHOWS):
        event, created = _event(
            theatre,
            title,
            genre=genre,
            description=description,
            price_min=Decimal("10"),
            price_max=Decimal("28"),
            duration_minutes=100,
            age_min=6 if genre == Genre.YOUNG_AUDIENCE else 12,
            sign_language=(i == 2),
            audio_description=(i == 4),
            relaxed=(i == 2),
            wheelchair=True,
            share_with_network=(i == 0),
        )
        if created:
            first = start + datetime.timedelta(days=7 * i + 1)
            space = small_hall if genre == Genre.DANCE else big_hall
            perfs = [
                _perf(event, grande, _at(first + datetime.timedelta(days=d), 20), 100, space=space)
                for d in range(4)
            ]
            perfs.append(_perf(event, grande, _at(first + datetime.timedelta(days=4), 16), 100, space=space))
            Performance.objects.bulk_create(perfs, ignore_conflicts=True)
    for role in Role:
        user = _user(f"{role.value.replace('_', '-')}@theatre-du-parvis.example", role.label, "Démo")
        OrganizerStaff.objects.get_or_create(organizer=theatre, user=user, role=role)
        accounts.append(DemoAccount(user.username, str(role.label), theatre.name))
        if role == Role.ADMINISTRATOR:
            # Updated, not only created: a demo loaded by an earlier version kept a key no app could read.
            TOTPDevice.objects.update_or_create(
                user=user, defaults={"secret": DEMO_TOTP_SECRET, "confirmed_at": timezone.now()}
            )
    # A newcomer invited to the team: the invitation e-mail goes through the task worker to the outbox.
    recruit = "nouvelle.recrue@theatre-du-parvis.example"
    if not get_user_model().objects.filter(username=recruit).exists():
        staff_role_grant(
            actor=None,
            organizer=theatre,
            email=recruit,
            role=Role.MARKETING,
            first_name="Nina",
            last_name="Recrue",
        )
    _event(
        theatre,
        "Lecture : nouvelles écritures",
        genre=Genre.THEATRE,
        status=EventStatus.DRAFT,
        description="Brouillon : pas encore publié.",
    )

    # --- A museum with a timed-entry exhibition ---------------------------------------------------------
    museum = _organizer(
        "musee-de-la-lumiere",
        name="Musée de la Lumière",
        legal_name="Musée de la Lumière",
        email="accueil@musee-lumiere.example",
    )
    museum_venue = _venue(
        museum,
        "musee",
        name="Musée de la Lumière",
        street="11 quai des Arts",
        postcode="75004",
        town="Paris",
        latitude=Decimal("48.8530"),
        longitude=Decimal("2.3499"),
        capacity=300,
        wheelchair_accessible=True,
    )
    expo, created = _event(
        museum,
        "Lumières du Nord",
        genre=Genre.EXHIBITION,
        is_free=False,
        price_min=Decimal("8"),
        price_max=Decimal("14"),
        wheelchair=True,
        easy_read=True,
        description="Exposition : la peinture scandinave et la lumière. Entrée par créneau.",
    )
    if created:
        perfs = []
        for d in range(60):
            day = today + datetime.timedelta(days=d)
            if day.weekday() == 0:  # closed on Mondays
                continue
            perfs.append(_perf(expo, museum_venue, _at(day, 10), 8 * 60))
        Performance.objects.bulk_create(perfs, ignore_conflicts=True)

    # --- A digital-arts biennale across Marseille and Aix-en-Provence -----------------------------------
    biennale_net, _ = Network.objects.get_or_create(
        slug="biennale-imaginaires",
        defaults={
            "name": "Biennale des imaginaires numériques",
            "description": "Arts numériques à Marseille et Aix-en-Provence.",
        },
    )
    biennale = _organizer(
        "biennale-imaginaires",
        name="Biennale des imaginaires numériques",
        legal_name="Association Biennale des imaginaires numériques",
    )
    NetworkMembership.objects.get_or_create(network=biennale_net, organizer=biennale)
    friche = _venue(
        biennale,
        "friche",
        name="La Friche",
        street="41 rue Jobin",
        postcode="13003",
        town="Marseille",
        latitude=Decimal("43.3100"),
        longitude=Decimal("5.3900"),
        capacity=800,
    )
    aix = _venue(
        biennale,
        "aix",
        name="Pavillon numérique",
        street="1 place de l'Hôtel de Ville",
        postcode="13100",
        town="Aix-en-Provence",
        latitude=Decimal("43.5297"),
        longitude=Decimal("5.4474"),
        capacity=400,
    )
    for title, venue, genre in [
        ("Machines sensibles", friche, Genre.DIGITAL_ARTS),
        ("Forêt de pixels", aix, Genre.DIGITAL_ARTS),
        ("Nuit audiovisuelle", friche, Genre.MUSIC),
    ]:
        event, created = _event(
            biennale,
            title,
            genre=genre,
            price_min=Decimal("0"),
            price_max=Decimal("12"),
            description=f"{title} : une œuvre de la biennale.",
        )
        if created:
            days = range(0, 42, 1) if genre == Genre.DIGITAL_ARTS else range(5, 42, 7)
            hour = 11 if genre == Genre.DIGITAL_ARTS else 22
            minutes = 7 * 60 if genre == Genre.DIGITAL_ARTS else 240
            Performance.objects.bulk_create(
                [_perf(event, venue, _at(today + datetime.timedelta(days=d), hour), minutes) for d in days],
                ignore_conflicts=True,
            )
    _demo_sales(theatre=theatre, museum=museum, jazz=jazz, rng=rng)
    _demo_passes(jazz=jazz, festival=festival)
    _demo_memberships(museum=museum, expo=expo)
    _demo_subscriptions(theatre=theatre)
    _demo_vouchers(theatre=theatre)
    return accounts


def _demo_vouchers(*, theatre) -> None:
    """A gift voucher bought online and partly spent, a promo code, people waiting for a sold-out evening."""
    from parvis.ticketing import services as sales
    from parvis.ticketing import waitlist
    from parvis.ticketing.models import Cart, PromoCode, Tariff, Voucher
    from parvis.ticketing.vouchers import voucher_order_place

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


def _demo_subscriptions(*, theatre) -> None:
    """The theatre's season subscription, "4 shows or more" at 20 € each, and one subscriber."""
    from parvis.memberships.models import SubscriptionOffer
    from parvis.memberships.subscriptions import offer_performances, subscription_order_place
    from parvis.ticketing import services as sales

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


def _demo_memberships(*, museum, expo) -> None:
    """The museum's friends: five levels, free entry to the exhibition, two members (one card ends soon,
    so its renewal reminder can be sent), a catalogue with the members' discount, a door that admits cards."""
    from parvis.checkin.models import CheckinList
    from parvis.memberships.models import Membership, MembershipLevel, MembershipProgram
    from parvis.memberships.services import membership_order_place
    from parvis.ticketing import services as sales
    from parvis.ticketing.models import Product

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


def _demo_passes(*, jazz, festival) -> None:
    """The jazz network's festival pass, "3 concerts in 3 clubs", sold by the network's association,
    with two holders who have booked concerts (so that the settlements and discovery pages show something)."""
    from parvis.passes.models import PassProduct
    from parvis.passes.services import pass_book, pass_order_place
    from parvis.ticketing import services as sales

    association = _organizer(
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
    )
    paid = Performance.objects.filter(event__festivals=festival, tariffs__kind="full").order_by("starts_at")
    choices = list(paid.exclude(status=PerformanceStatus.SOLD_OUT)[:12])
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
        venues: set[int] = set()
        for performance in choices[n::2]:
            if len(venues) == 2 - n or performance.venue_id in venues:
                continue
            pass_book(holding=holding, performance_id=performance.pk, notify=False)
            venues.add(performance.venue_id)
    # A festival concert bought online after that: the association is the seller, the club's ticket.
    from parvis.ticketing.models import Cart, Tariff

    concert = choices[-1] if choices else None
    tariff = Tariff.objects.filter(performance=concert, kind="full").first() if concert else None
    if tariff is not None:
        cart = Cart.objects.create()
        sales.cart_add(cart=cart, tariff_id=tariff.pk, quantity=2)
        buyer = sales.Buyer(email="elodie.petit@public.example", first_name="Élodie", last_name="Petit")
        for order in sales.checkout_place_orders(cart=cart, buyer=buyer, provider_code="demo"):
            sales.payment_confirm(payment_id=order.payments.get().pk, reference=f"demo-seed-agent-{order.pk}")


def _demo_sales(*, theatre, museum, jazz, rng) -> None:
    """Tariffs and quotas on every sold performance, a few orders, and sold-out dates."""
    from parvis.ticketing import services as sales
    from parvis.ticketing.models import Cart, Order, Quota, Tariff

    def tariffs_for(performance, rows):
        if Tariff.objects.filter(performance=performance).exists():
            return None
        made = [sales.tariff_create(actor=None, performance=performance, **row) for row in rows]
        return made

    theatre_perfs = Performance.objects.filter(organizer=theatre, event__status=EventStatus.PUBLISHED)
    for performance in theatre_perfs:
        made = tariffs_for(
            performance,
            [
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
            ],
        )
        if made:
            sales.quota_create(
                actor=None, performance=performance, name="Jeunes", capacity=40, tariffs=[made[2]]
            )
            capacity = sales.performance_capacity(performance)
            sales.quota_create(
                actor=None,
                performance=performance,
                name="Vente en ligne",
                capacity=max(0, capacity - 20),
                channels=Quota.Channels.ONLINE,
            )
    for performance in Performance.objects.filter(organizer=museum):
        made = tariffs_for(
            performance,
            [
                {
                    "name": "Plein tarif",
                    "name_en": "Full price",
                    "price": Decimal("14"),
                    "vat_rate": Decimal("10"),
                },
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
            ],
        )
        if made:  # timed entry: a slot every 30 minutes, 40 visitors each
            sales.timed_slots_create(actor=None, performance=performance, every_minutes=30, capacity=40)
    festival_perfs = Performance.objects.filter(event__festivals__network=jazz).select_related("event")
    for performance in festival_perfs:
        event = performance.event
        price = Decimal("0") if event.is_free else (event.price_min or Decimal("15"))
        tariffs_for(
            performance,
            [
                {
                    "name": "Tarif unique",
                    "name_en": "Single price",
                    "price": price,
                    "kind": "free" if not price else "full",
                }
            ],
        )

    from parvis.ticketing.models import Product

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
    from parvis.checkin.models import CheckinList, Gate

    Gate.objects.get_or_create(organizer=theatre, name="Entrée principale")
    for performance in theatre_perfs.order_by("starts_at")[:4]:
        name = f"{performance.event.title} — {timezone.localtime(performance.starts_at):%d/%m %H:%M}"
        checkin_list, created = CheckinList.objects.get_or_create(organizer=theatre, name=name)
        if created:
            checkin_list.performances.add(performance)
    # The box office: one till at the theatre's main venue.
    from parvis.boxoffice.models import CashDrawer

    CashDrawer.objects.get_or_create(
        organizer=theatre, name="Accueil", defaults={"venue": theatre.venues.order_by("pk").first()}
    )
    if Order.objects.filter(email__endswith="@public.example").exists():
        return
    # A few buyers, and two sold-out dates (a club's small room and a theatre evening).
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
