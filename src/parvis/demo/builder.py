"""The demo network: reproducible (fixed seed), idempotent (running it twice duplicates nothing).

- a jazz network of 25 clubs in Île-de-France and its two-week festival of 180 concerts;
- a theatre with its season; a museum with a timed-entry exhibition;
- a digital-arts biennale across Marseille and Aix-en-Provence;
- staff accounts for every role.
"""

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django_tasks_db.models import DBTaskResult, get_date_max

from parvis.accounts.models import TOTPDevice
from parvis.core import jobs
from parvis.core.models import FailedJob, MailBounce
from parvis.crm import network_profiles
from parvis.crm.models import Consent, Purpose
from parvis.crm.services import consent_record, contact_resolve
from parvis.network.models import (
    Network,
    NetworkMembership,
    NetworkRole,
    NetworkStaff,
    OrganizerStaff,
    Role,
    Space,
    Venue,
)
from parvis.network.services import staff_role_grant
from parvis.passes.models import PassEntry
from parvis.programming.models import (
    EventStatus,
    FeaturedEvent,
    Festival,
    Genre,
    Performance,
)
from parvis.ticketing.models import Order
from parvis.ticketing.tasks import send_order_confirmation

from .analytics import demo_history
from .base import (
    DemoAccount,
    add_event,
    add_logo,
    add_organizer,
    add_user,
    add_venue,
    new_performance,
    next_monday,
    paris_at,
)
from .campaigns import demo_campaigns
from .data import (
    BANDS,
    CLUB_ARTICLES,
    CLUB_WORDS,
    DEMO_TOTP_SECRET,
    IDF_TOWNS,
    SEED,
    THEATRE_SHOWS,
)
from .declarations import demo_declarations
from .groups import demo_groups
from .market import demo_market
from .online import demo_online
from .products import demo_memberships, demo_passes, demo_sales, demo_subscriptions, demo_vouchers
from .recommendations import demo_recommendations
from .seating import demo_seating


@transaction.atomic
def build_demo(*, today: datetime.date | None = None) -> list[DemoAccount]:
    rng = random.Random(SEED)
    today = today or timezone.localdate()
    start = next_monday(today)
    accounts: list[DemoAccount] = []
    jazz, festival = _demo_jazz(start=start, rng=rng, accounts=accounts)
    theatre = _demo_theatre(start=start, jazz=jazz, accounts=accounts)
    museum, expo = _demo_museum(today=today)
    _demo_biennale(today=today)
    demo_sales(theatre=theatre, museum=museum, jazz=jazz, rng=rng)
    demo_passes(jazz=jazz, festival=festival)
    demo_memberships(museum=museum, expo=expo)
    demo_online(museum=museum, theatre=theatre, today=today)
    demo_groups(museum=museum, expo=expo)
    demo_market(today=today, accounts=accounts)
    demo_subscriptions(theatre=theatre)
    demo_vouchers(theatre=theatre)
    _demo_failed_job(theatre=theatre)
    _demo_network_profiles(jazz=jazz)
    demo_campaigns(theatre=theatre, jazz=jazz)
    demo_recommendations(theatre=theatre)
    demo_declarations(theatre=theatre, jazz=jazz)
    demo_history(theatre=theatre)
    demo_seating(theatre=theatre)
    return accounts


def _demo_network_profiles(*, jazz) -> None:
    """Spectators known at several clubs who agreed, at each, to share their profile with the network and
    proved their address (as when they sign in to their account): the coordinator's « Publics partagés »
    shows how they move between clubs; pairs of clubs with fewer than 10 of them stay hidden. Lucie Moreau,
    who never signed in, agreed at the three clubs her festival pass took her to: the pass links her there.
    Spectateur 1 gave another address, with the same name and phone, at a fourth club: signed in
    (spectateur1@exemple.org, the link is in the development outbox), « Est-ce aussi vous ? » asks them."""
    clubs = list(jazz.organizers.order_by("pk")[:4])
    if len(clubs) < 4:
        return
    visits = [(0, 1)] * 8 + [(0, 1, 2)] * 6 + [(1, 3)] * 10  # 14 at clubs 1 and 2, 10 at 2 and 4, 6 at 1 to 3
    for n, places in enumerate(visits):
        email = f"spectateur{n + 1}@exemple.org"
        for place in places:
            contact = contact_resolve(
                organizer_id=clubs[place].pk,
                email=email,
                first_name="Spectateur",
                last_name=str(n + 1),
                phone="+33612340001" if n == 0 else "",
            )
            _demo_share(contact, Consent.Source.CHECKOUT)
        network_profiles.address_proven(email)
    other = contact_resolve(
        organizer_id=clubs[3].pk,
        email="s.un@travail.exemple.org",
        first_name="Spectateur",
        last_name="1",
        phone="+33612340001",
    )
    _demo_share(other, Consent.Source.BOX_OFFICE)
    for entry in PassEntry.objects.filter(holding__email="lucie.moreau@public.example"):
        _demo_share(entry.ticket.order.contact, Consent.Source.SELF_SERVICE)


def _demo_share(contact, source) -> None:
    if not contact.consents.filter(purpose=Purpose.NETWORK_SHARING).exists():
        consent_record(contact=contact, purpose=Purpose.NETWORK_SHARING, given=True, source=source)


def _demo_failed_job(*, theatre) -> None:
    """A confirmation the mail relay refused for good (a mistyped address): shown to the theatre's
    administrators under « Tâches en échec », with its banner; « Relancer » sends it to the outbox."""
    if FailedJob.objects.filter(organizer=theatre).exists():
        return
    order = Order.objects.filter(organizer=theatre, state="paid").order_by("pk").first()
    if order is None:
        return
    Order.objects.filter(pk=order.pk).update(confirmation_sent_at=None)  # given back when the task failed
    now = timezone.now()
    row = DBTaskResult.objects.create(
        task_path=send_order_confirmation.module_path,
        args_kwargs={"args": [], "kwargs": {"order_id": order.pk}},
        queue_name="default",
        backend_name="default",
        run_after=get_date_max(),
        status="RUNNING",
        started_at=now,
        worker_ids=["demo-worker"],
    )
    MailBounce.objects.create(address=order.email, code=550, reason="5.1.1 Mailbox unavailable (démo)")
    jobs.fail(row, jobs.Bounced(550, "5.1.1 Mailbox unavailable"))


def _demo_jazz(*, start, rng, accounts):
    """The jazz network, its 25 clubs and its two-week festival of 180 concerts."""
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
        club = add_organizer(
            slug,
            name=f"{name} ({town})",
            legal_name=f"Association {name}",
            email=f"contact@{slug}.example",
            description=f"Club de jazz à {town}.",
        )
        NetworkMembership.objects.get_or_create(network=jazz, organizer=club)
        venue = add_venue(
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

    festival = _jazz_festival(jazz=jazz, clubs=clubs, start=start, rng=rng)
    coordinator = add_user("coordination@jazz-idf.example", "Camille", "Roux")
    NetworkStaff.objects.get_or_create(network=jazz, user=coordinator, role=NetworkRole.COORDINATOR)
    accounts.append(DemoAccount(coordinator.username, "coordination du réseau", jazz.name))
    club_prog = add_user("programmation@caveau.example", "Malik", "Benali")
    OrganizerStaff.objects.get_or_create(organizer=clubs[1].organizer, user=club_prog, role=Role.PROGRAMMING)
    accounts.append(DemoAccount(club_prog.username, "programmation", clubs[1].organizer.name))
    return jazz, festival


def _jazz_festival(*, jazz, clubs, start, rng):
    """The network's two-week festival: 180 concerts across its clubs, six of them featured."""
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
            event, created = add_event(
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
                new_perfs.append(new_performance(event, venue, paris_at(day, hour, minute), 90))
        Performance.objects.bulk_create(new_perfs, ignore_conflicts=True)
        festival.events.set(festival_events)
        for position, event in enumerate(festival_events[:6]):
            FeaturedEvent.objects.get_or_create(network=jazz, event=event, defaults={"position": position})

    return festival


def _theatre_staff(*, theatre, accounts):
    """A staff account for every role (the administrator with two factors), and a newcomer invited."""
    for role in Role:
        user = add_user(f"{role.value.replace('_', '-')}@theatre-du-parvis.example", role.label, "Démo")
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


def _demo_theatre(*, start, jazz, accounts):
    """A theatre, its season, and a staff account for every role."""
    # --- A theatre and its season ------------------------------------------------------------------------
    theatre = add_organizer(
        "theatre-du-parvis",
        name="Théâtre du Parvis",
        legal_name="SCIC Théâtre du Parvis",
        siret="12345678900012",
        license_numbers="PLATESV-R-2024-000001",
        email="billetterie@theatre-du-parvis.example",
        bank_details="SCIC Théâtre du Parvis\nIBAN FR76 3000 6000 0112 3456 7890 189\nBIC AGRIFRPP (fictif)",
        description="Scène conventionnée, 28 spectacles par saison.",
    )
    add_logo(theatre, "TdP", (154, 31, 51))
    grande = add_venue(
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
        event, created = add_event(
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
                new_performance(
                    event, grande, paris_at(first + datetime.timedelta(days=d), 20), 100, space=space
                )
                for d in range(4)
            ]
            perfs.append(
                new_performance(
                    event, grande, paris_at(first + datetime.timedelta(days=4), 16), 100, space=space
                )
            )
            Performance.objects.bulk_create(perfs, ignore_conflicts=True)
    _theatre_staff(theatre=theatre, accounts=accounts)
    add_event(
        theatre,
        "Lecture : nouvelles écritures",
        genre=Genre.THEATRE,
        status=EventStatus.DRAFT,
        description="Brouillon : pas encore publié.",
    )
    return theatre


def _demo_museum(*, today):
    """A museum with a timed-entry exhibition."""
    # --- A museum with a timed-entry exhibition ---------------------------------------------------------
    museum = add_organizer(
        "musee-de-la-lumiere",
        name="Musée de la Lumière",
        legal_name="Musée de la Lumière",
        email="accueil@musee-lumiere.example",
    )
    museum_venue = add_venue(
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
    expo, created = add_event(
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
            perfs.append(new_performance(expo, museum_venue, paris_at(day, 10), 8 * 60))
        Performance.objects.bulk_create(perfs, ignore_conflicts=True)
    return museum, expo


def _demo_biennale(*, today):
    """A digital-arts biennale across Marseille and Aix-en-Provence."""
    # --- A digital-arts biennale across Marseille and Aix-en-Provence -----------------------------------
    biennale_net, _ = Network.objects.get_or_create(
        slug="biennale-imaginaires",
        defaults={
            "name": "Biennale des imaginaires numériques",
            "description": "Arts numériques à Marseille et Aix-en-Provence.",
        },
    )
    biennale = add_organizer(
        "biennale-imaginaires",
        name="Biennale des imaginaires numériques",
        legal_name="Association Biennale des imaginaires numériques",
    )
    NetworkMembership.objects.get_or_create(network=biennale_net, organizer=biennale)
    friche = add_venue(
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
    aix = add_venue(
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
        event, created = add_event(
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
                [
                    new_performance(event, venue, paris_at(today + datetime.timedelta(days=d), hour), minutes)
                    for d in days
                ],
                ignore_conflicts=True,
            )
