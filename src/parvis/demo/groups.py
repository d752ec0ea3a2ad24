"""The demo's groups and schools: the museum's guided tour for classes (a teaching pack, two guides), the
lycées of the Éducation nationale's directory and three schools (fictional, in the directory's shape), a
request waiting for the team, a class confirmed next week, one that came and is ready to invoice, and one
that never came (noted absent by the nightly pass)."""

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from parvis.groups import establishments, services
from parvis.groups.models import Establishment, GroupBooking, GroupOffer, Guide
from parvis.programming.models import Performance

from .base import one_page_pdf

# Fictional schools, with UAIs whose check letter is right, beside the lycées Parvis ships (the whole
# directory is imported with `parvis groups_import_schools fichier.csv`).
SCHOOLS = (
    ("0759901", "École élémentaire de démonstration Lumière", "ecole", "75004", "Paris"),
    ("0759902", "Collège de démonstration Niépce", "college", "75011", "Paris"),
    ("0939903", "École de démonstration des Lilas", "ecole", "93260", "Les Lilas"),
)


def demo_groups(*, museum, expo) -> None:
    if GroupOffer.objects.filter(organizer=museum).exists():
        return
    establishments.import_vendored()
    for digits, name, kind, postcode, town in SCHOOLS:
        Establishment.objects.get_or_create(
            uai=digits + establishments.UAI_KEYS[int(digits) % 23],
            defaults={"name": name, "kind": kind, "postcode": postcode, "town": town},
        )
    offer = GroupOffer.objects.create(
        organizer=museum,
        event=expo,
        name="Visite contée pour les classes",
        kind="guided_tour",
        description="Une heure dans l'exposition avec une médiatrice : trois tableaux, une histoire, un "
        "atelier de dessin. Du CP au CM2.",
        audiences=["school", "association", "social"],
        min_size=8,
        max_size=32,
        adults_free_per=8,
        price=Decimal("5.00"),
        deposit_percent=0,
    )
    offer.teaching_pack.save("dossier-pedagogique-lumieres-du-nord.pdf", ContentFile(_pack()), save=True)
    lea = Guide.objects.create(organizer=museum, name="Léa Martin", email="lea.martin@musee-lumiere.example")
    Guide.objects.create(organizer=museum, name="Karim Haddad", email="karim.haddad@musee-lumiere.example")
    dates = list(services.offer_dates(offer)[:12])
    if len(dates) < 6:
        return
    schools = list(
        Establishment.objects.filter(uai__isnull=False, name__contains="démonstration").order_by("uai")
    )
    _request(offer, schools[0], [dates[3], dates[4]], "CE2", 26, 3, "ines.garnier@ecole.example")  # waiting
    coming = _request(offer, schools[1], [dates[5]], "6e", 28, 3, "paul.roche@college.example")
    services.confirm(actor=None, booking=coming, performance=dates[5], guide=lea)
    past = _past_visit(offer, schools[2], lea)
    if past is not None:
        services.arrival(actor=None, booking=past, pupils=22, adults=3)
    # A class confirmed for three days ago that nobody counted: the nightly pass notes it absent.
    _past_visit(offer, schools[0], lea, days_ago=3, leader=("Marc Petit", "marc.petit@ecole.example"))
    services.no_shows_close()


def _request(offer, school, dates, level, pupils, adults, email) -> GroupBooking:
    return services.request_booking(
        offer=offer,
        preferred=dates,
        data={
            "audience": "school",
            "establishment": school,
            "establishment_name": school.name,
            "public_body": True,
            "level": level,
            "pupils": pupils,
            "adults": adults,
            "leader_name": email.split("@")[0].replace(".", " ").title(),
            "leader_email": email,
        },
    )


def _past_visit(
    offer, school, guide, *, days_ago: int = 0, leader=("Claire Fontaine", "claire.fontaine@ecole.example")
) -> GroupBooking | None:
    """A class that came this morning (or `days_ago`): confirmed on a date made for it."""
    now = timezone.localtime()
    starts = now.replace(hour=9, minute=30, second=0, microsecond=0) - datetime.timedelta(days=days_ago)
    if starts > now:
        starts -= datetime.timedelta(days=1)
    model = Performance.objects.filter(event=offer.event).first()
    performance = Performance.objects.create(
        event=offer.event, organizer=offer.organizer, venue=model.venue, starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1), capacity=model.capacity, status="published",
    )  # fmt: skip
    booking = GroupBooking.objects.create(
        organizer=offer.organizer, offer=offer, audience="school", establishment=school,
        establishment_name=school.name, public_body=True, level="CM1", pupils=24, adults=3,
        leader_name=leader[0], leader_email=leader[1],
    )  # fmt: skip
    services.confirm(actor=None, booking=booking, performance=performance, guide=guide)
    return booking


def _pack() -> bytes:
    return one_page_pdf(
        "Lumières du Nord — dossier pédagogique",
        (
            "Avant la visite : regarder une photographie de la mer en hiver, nommer ses couleurs.",
            "Pendant la visite : trois tableaux, une histoire, un atelier de dessin.",
            "Après la visite : dessiner la lumière de sa rue à la tombée du jour.",
        ),
    )
