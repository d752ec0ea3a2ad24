"""The demo's professional market: the biennale's two market days at La Friche in three weeks. Six
categories, 300 accredited people (and a few applications waiting for the team), 40 exhibitors on a floor
plan of 48 stands (two pavilions), 12 round tables (one full, with its waiting list), 400 meeting requests
(300 accepted and placed by the scheduler, others waiting for an answer or declined), and one exhibitor's
scanned leads. The market's team signs in as marche@biennale-imaginaires.example."""

import datetime
import random
import uuid
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from parvis.market import badges, leads, meetings, sessions
from parvis.market.accreditation import search_text_of
from parvis.market.models import (
    Access,
    Category,
    Exhibitor,
    Market,
    Meeting,
    Participant,
    Registration,
    Stand,
    StandBooking,
    Zone,
)
from parvis.network.models import Organizer, OrganizerStaff, Role

from .base import DemoAccount, add_user, one_page_pdf

FIRST = [
    "Inès",
    "Hugo",
    "Camille",
    "Yanis",
    "Léa",
    "Omar",
    "Zoé",
    "Malik",
    "Jeanne",
    "Théo",
    "Nadia",
    "Paul",
    "Salomé",
    "Karim",
    "Louise",
    "Adam",
    "Maëlle",
    "Noé",
    "Sarah",
    "Victor",
]
LAST = [
    "Moreau",
    "Benali",
    "Fabre",
    "Nguyen",
    "Roux",
    "Diallo",
    "Garnier",
    "Lemoine",
    "Haddad",
    "Picard",
    "Marchetti",
    "Costa",
    "Blanc",
    "Fontaine",
    "Ribeiro",
    "Perrin",
    "Leclerc",
    "Mercier",
    "Aubert",
    "Simon",
]
STRUCTURES = [
    "Studio Lumen",
    "Collectif Pixel",
    "Scène nationale du Sud",
    "Festival Écrans",
    "Label Onde",
    "Lab Réalités",
    "Compagnie Fréquence",
    "Centre d'art Jobin",
    "Agence Diffuse",
    "Université d'Aix",
    "Fab Lab Belsunce",
    "Théâtre des Calanques",
    "Radio Canopée",
    "Musée des Ondes",
    "Atelier Vectoriel",
]
WORDS = [
    "réalité virtuelle",
    "installation",
    "jeu vidéo",
    "son immersif",
    "robotique",
    "IA et création",
    "diffusion",
    "coproduction",
    "danse et numérique",
    "vidéo-mapping",
    "médiation",
    "tournée",
]
ROUND_TABLES = [
    "L'IA dans la création : qui signe l'œuvre ?",
    "Diffuser les arts numériques en région",
    "Coproduire entre festivals européens",
    "Les publics des expositions immersives",
    "Sobriété numérique des œuvres",
    "Financer une création XR",
    "Jeu vidéo et spectacle vivant",
    "Droits d'auteur des œuvres génératives",
    "Médiation numérique pour les scolaires",
    "Tournées d'installations : la logistique",
    "Son spatialisé : de l'atelier à la salle",
    "Rencontre des lieux intermédiaires",
]


def demo_market(*, today: datetime.date, accounts: list[DemoAccount]) -> None:
    biennale = Organizer.objects.filter(slug="biennale-imaginaires").first()
    if biennale is None or Market.objects.filter(organizer=biennale).exists():
        return
    rng = random.Random(27)
    friche = biennale.venues.get(slug="friche")
    start = today + datetime.timedelta(days=21)
    market = Market.objects.create(
        organizer=biennale,
        venue=friche,
        slug="marche-pro",
        name="Marché pro de la biennale",
        starts_on=start,
        ends_on=start + datetime.timedelta(days=1),
        description="Deux journées pour les professionnels des arts numériques : stands, pavillons, "
        "démonstrations, tables rondes et rendez-vous d'affaires, à la Friche.",
    )
    cats = _categories(market)
    people = _participants(market, cats, rng)
    exhibitors = _floor(market, cats, people, rng)
    _round_tables(market, people, rng)
    _meetings(market, people, exhibitors, rng)
    _leads(exhibitors[0], people)
    user = add_user("marche@biennale-imaginaires.example", "Équipe", "Marché")
    OrganizerStaff.objects.get_or_create(organizer=biennale, user=user, role=Role.PROGRAMMING)
    accounts.append(DemoAccount(user.username, "marché professionnel", biennale.name))


def _categories(market: Market) -> dict[str, Category]:
    rows = [
        (
            "professional",
            "Professionnel",
            "#1d4ed8",
            "90.00",
            [Access.MARKET, Access.SESSIONS, Access.SHOWCASES],
        ),
        (
            "press",
            "Presse",
            "#b91c1c",
            "0",
            [Access.MARKET, Access.SESSIONS, Access.SHOWCASES, Access.PUBLIC],
        ),
        ("artist", "Artiste", "#7c3aed", "0", [Access.MARKET, Access.SESSIONS]),
        ("speaker", "Intervenant", "#047857", "0", [Access.MARKET, Access.SESSIONS, Access.SHOWCASES]),
        ("exhibitor", "Équipe d'exposant", "#b45309", "0", [Access.MARKET]),
        ("student", "Étudiant", "#0e7490", "25.00", [Access.SESSIONS]),
    ]
    made = {}
    for position, (kind, name, colour, fee, access) in enumerate(rows):
        made[kind] = Category.objects.create(
            market=market,
            kind=kind,
            name=name,
            colour=colour,
            fee=Decimal(fee),
            access=access,
            asks_proof=kind == "press",
            position=position,
        )
    return made


def _participants(market: Market, cats: dict, rng: random.Random) -> list[Participant]:
    kinds = ["professional"] * 6 + ["artist", "press", "student", "speaker"]
    rows = []
    for n in range(310):
        first, last = FIRST[n % 20], LAST[(n * 7 + n // 20) % 20]
        state = Participant.State.ACCREDITED if n < 300 else rng.choice(["applied", "applied", "more_info"])
        row = Participant(
            market=market,
            category=cats[kinds[n % len(kinds)]],
            first_name=first,
            last_name=last,
            email=f"{first}.{last}.{n}@pro.example".lower()
            .replace("ï", "i")
            .replace("ë", "e")
            .replace("é", "e"),
            organisation_name=STRUCTURES[n % len(STRUCTURES)],
            role=rng.choice(
                ["Programmation", "Production", "Diffusion", "Direction", "Journaliste", "Artiste"]
            ),
            interests=", ".join(rng.sample(WORDS, 3)),
            offers=rng.choice(WORDS),
            seeks=rng.choice(WORDS),
            in_directory=rng.random() < 0.8,
            share_with_exhibitors=rng.random() < 0.6,
            state=state,
            staff_message="Pouvez-vous joindre un lien vers votre carte de presse ?"
            if state == "more_info"
            else "",
        )
        row.search_text = search_text_of(row)
        rows.append(row)
    Participant.objects.bulk_create(rows)
    pending_press = market.participants.filter(state="applied", category__kind="press").order_by("pk").first()
    if pending_press is not None:  # a press card sent with the application, for the team to read
        card = one_page_pdf(
            "Carte de presse (démonstration)",
            (f"{pending_press.first_name} {pending_press.last_name}", pending_press.organisation_name),
        )
        pending_press.proof_file.save("carte-de-presse.pdf", ContentFile(card), save=True)
    return list(market.participants.filter(state=Participant.State.ACCREDITED).order_by("pk"))


def _floor(market: Market, cats: dict, people: list[Participant], rng: random.Random) -> list[Exhibitor]:
    """48 stands in the hall (two rows of 12) and two pavilions (12 each); 40 booked, 8 free."""
    hall = Zone.objects.create(market=market, name="Grande Halle", colour="#64748b")
    quebec = Zone.objects.create(
        market=market, name="Pavillon Québec", kind=Zone.Kind.PAVILION, colour="#2563eb"
    )
    occitanie = Zone.objects.create(
        market=market, name="Pavillon Occitanie", kind=Zone.Kind.PAVILION, colour="#dc2626"
    )
    stands = []
    for i in range(24):
        stands.append(
            Stand(
                market=market,
                zone=hall,
                label=f"H{i + 1}",
                x=(i % 12) * 4,
                y=(i // 12) * 8,
                width=3,
                depth=3,
                price=Decimal("600.00"),
            )
        )
    for i in range(12):
        stands.append(
            Stand(
                market=market,
                zone=quebec,
                label=f"Q{i + 1}",
                x=(i % 6) * 4,
                y=18 + (i // 6) * 4,
                width=3,
                depth=3,
                price=Decimal("450.00"),
            )
        )
        stands.append(
            Stand(
                market=market,
                zone=occitanie,
                label=f"O{i + 1}",
                x=26 + (i % 6) * 4,
                y=18 + (i // 6) * 4,
                width=3,
                depth=3,
                price=Decimal("450.00"),
            )
        )
    Stand.objects.bulk_create(stands)
    exhibitors = []
    for i, stand in enumerate(list(market.stands.order_by("pk"))[:40]):
        lead = people[i]
        exhibitor = Exhibitor.objects.create(
            market=market,
            name=f"{STRUCTURES[i % len(STRUCTURES)]} — stand {stand.label}",
            slug=f"exposant-{i + 1}",
            lead=lead,
            contact_email=lead.email,
            pavilion=stand.zone if stand.zone.kind == "pavilion" else None,
            description="Installations et outils pour la création numérique.",
            categories=rng.choice(WORDS),
            demo_times="10 h 30 et 15 h",
            siret="73282932000074",
            billing_address="41 rue Jobin, 13003 Marseille",
        )
        StandBooking.objects.create(
            stand=stand,
            exhibitor=exhibitor,
            price_excl_vat=stand.price,
            state=StandBooking.State.PAID if i % 3 else StandBooking.State.ORDERED,
            purchase_order="" if i % 3 else f"BC-2027-{i:03d}",
        )
        Participant.objects.filter(pk=lead.pk).update(exhibitor=exhibitor)
        exhibitors.append(exhibitor)
    return exhibitors


def _round_tables(market: Market, people: list[Participant], rng: random.Random) -> None:
    tz = market.venue.tzinfo
    for i, title in enumerate(ROUND_TABLES):
        day = market.starts_on + datetime.timedelta(days=i % 2)
        hour = [10, 11, 14, 15, 16, 17][i // 2]
        starts = datetime.datetime.combine(day, datetime.time(hour), tzinfo=tz)
        session = sessions.session_create(
            actor=None,
            market=market,
            title=title,
            kind="round_table",
            starts_at=starts,
            ends_at=starts + datetime.timedelta(minutes=50),
            capacity=40 if i else 12,
            description="Table ronde du marché professionnel de la biennale.",
            speakers=people[300 - 3 * (i + 1) : 300 - 3 * i],
        )
        for person in rng.sample(people[40:280], 15 if i else 16):
            sessions.register(session=session, participant=person)
    assert Registration.objects.filter(state="waiting").exists()


def _meetings(
    market: Market, people: list[Participant], exhibitors: list[Exhibitor], rng: random.Random
) -> None:
    for day in range(2):
        on = market.starts_on + datetime.timedelta(days=day)
        meetings.slots_create(market=market, day=on, start=datetime.time(9, 30), end=datetime.time(12, 50))
        meetings.slots_create(market=market, day=on, start=datetime.time(14), end=datetime.time(17, 20))
    meetings.tables_create(market=market, area="Salon des rendez-vous", count=30)
    now = timezone.now()
    pairs, rows = set(), []
    while len(rows) < 400:
        a = rng.choice(people[40:])
        b = rng.choice(exhibitors).lead if rng.random() < 0.5 else rng.choice(people)
        key = (min(a.pk, b.pk), max(a.pk, b.pk))
        if a.pk == b.pk or key in pairs:
            continue
        pairs.add(key)
        n = len(rows)
        state = (
            Meeting.State.ACCEPTED
            if n < 300
            else (Meeting.State.PENDING if n < 360 else Meeting.State.DECLINED)
        )
        rows.append(
            Meeting(
                market=market,
                requester=a,
                recipient=b,
                topic=rng.choice(WORDS).capitalize(),
                message="Seriez-vous disponible pour en parler pendant le marché ?",
                state=state,
                expires_at=now + datetime.timedelta(days=3),
                answered_at=now if n < 300 else None,
            )
        )
    Meeting.objects.bulk_create(rows)
    meetings.schedule_market(actor=None, market=market, seconds=3, notify=False)


def _leads(exhibitor: Exhibitor, people: list[Participant]) -> None:
    for n, visitor in enumerate(people[100:115]):
        leads.scan(
            exhibitor=exhibitor,
            secret=badges.badge_secret(visitor),
            nonce=uuid.uuid4().hex,
            rating=n % 6,
            tags="VR" if n % 2 else "diffusion",
            note="Rappeler après le marché" if n % 3 == 0 else "",
        )
