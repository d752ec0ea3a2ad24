"""Reads of the audience relations: consent state, who may be messaged, a contact's timeline and totals."""

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery, Sum

from parvis.core.models import MailBounce
from parvis.core.text import fold

from .models import Consent, Contact, Interaction, Purpose
from .services import normalise_phone


def consent_state(contact: Contact, purpose: str, channel: str = "email") -> Consent | None:
    """The latest ledger row for this purpose and channel (None: never asked)."""
    return (
        Consent.objects.filter(contact=contact, purpose=purpose, channel=channel)
        .order_by("-at", "-pk")
        .first()
    )


def consents_of(contact: Contact) -> list[dict]:
    """Every purpose with its current state, for the profile and the self-service page."""
    latest = {}
    for row in Consent.objects.filter(contact=contact).order_by("at", "pk"):
        latest[(row.purpose, row.channel)] = row
    return [
        {"purpose": purpose, "label": label, "consent": latest.get((purpose, "email"))}
        for purpose, label in Purpose.choices
    ]


def identifiers_of(contact: Contact) -> list[tuple]:
    """The contact's e-mails and phones, each with the relay's last refusal of it for good (a bounce: an
    SMTP 5xx, not tried again) or None."""
    identifiers = list(contact.identifiers.order_by("kind", "value"))
    emails = [i.value for i in identifiers if i.kind == "email"]
    bounces: dict[str, MailBounce] = {}
    for bounce in MailBounce.objects.filter(address__in=emails):  # the latest first
        bounces.setdefault(bounce.address, bounce)
    return [(i, bounces.get(i.value) if i.kind == "email" else None) for i in identifiers]


def can_message(contact: Contact, purpose: str, channel: str = "email") -> bool:
    """Whether a marketing message for this purpose may go to this contact. Every sender asks this."""
    if not contact.is_active:
        return False
    state = consent_state(contact, purpose, channel)
    return bool(state and state.given)


def messageable(queryset, purpose: str, channel: str = "email"):
    """The contacts of a queryset whose latest consent for the purpose is given (one SQL query)."""
    latest = Consent.objects.filter(contact=OuterRef("pk"), purpose=purpose, channel=channel).order_by(
        "-at", "-pk"
    )
    return (
        queryset.filter(merged_into__isnull=True, anonymised_at__isnull=True)
        .annotate(_given=Subquery(latest.values("given")[:1]))
        .filter(_given=True)
    )


def timeline(contact: Contact, *, limit: int = 200):
    return (
        Interaction.objects.filter(contact=contact)
        .select_related("venue", "performance__event", "author")
        .order_by("-occurred_at", "-pk")[:limit]
    )


def totals(contact: Contact) -> dict:
    """Visits, spend, first and last visit, favourite venues and genres."""
    visits = Interaction.objects.filter(contact=contact, kind=Interaction.Kind.ATTENDANCE)
    summary = visits.aggregate(n=Count("pk"), first=Min("occurred_at"), last=Max("occurred_at"))
    money = Interaction.objects.filter(
        contact=contact, kind__in=[Interaction.Kind.ORDER, Interaction.Kind.REFUND]
    ).aggregate(
        paid=Sum("amount", filter=Q(kind=Interaction.Kind.ORDER)),
        refunded=Sum("amount", filter=Q(kind=Interaction.Kind.REFUND)),
        orders=Count("pk", filter=Q(kind=Interaction.Kind.ORDER)),
    )
    venues = list(
        visits.exclude(venue=None)
        .values("venue__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "venue__name")[:3]
    )
    genres = list(
        visits.exclude(performance=None)
        .values("performance__event__genre")
        .annotate(n=Count("pk"))
        .order_by("-n", "performance__event__genre")[:3]
    )
    return {
        "visits": summary["n"],
        "first_visit": summary["first"],
        "last_visit": summary["last"],
        "orders": money["orders"],
        "spend": (money["paid"] or 0) - (money["refunded"] or 0),
        "venues": [(v["venue__name"], v["n"]) for v in venues],
        "genres": [(g["performance__event__genre"], g["n"]) for g in genres],
    }


def search(organizer, q: str):
    """By name, e-mail, or phone as people type it ("06 12 34 56 78" finds +33612345678)."""

    contacts = Contact.objects.filter(organizer=organizer, merged_into__isnull=True)
    q = q.strip()
    if q:
        match = (
            Q(name_key__contains=fold(q))
            | Q(last_name__icontains=q)
            | Q(identifiers__value__iexact=q.lower())
            | Q(email__icontains=q)
        )
        phone = normalise_phone(q) if sum(c in "0123456789" for c in q) >= 6 else ""
        if phone:
            match |= Q(identifiers__value=phone)
        contacts = contacts.filter(match).distinct()
    return contacts.order_by("last_name", "first_name", "pk")
