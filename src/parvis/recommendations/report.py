"""The « Recommandations » report of an organizer: what its suggestions were shown and opened, and what
they changed, measured against the holdout group, with 95 % confidence intervals.

- **Where shown**: per surface, the impressions, the people named (those who consented), the clicks;
  the event pages' lists as counted per day.
- **Against the holdout**: among the people who consented and were shown suggestions in the period, those
  who got their own (personal) and those who got the common list (holdout). For each person, from their
  first impression and for `WINDOW_DAYS` after it: whether they opened a suggestion, the tickets they
  bought from the organizer (all of them: what the suggestions changed, not only what they named), the
  revenue, the tickets of the shows they were suggested, and the places new to them they went to. The
  difference of the means, with Welch's interval (scipy), says what the personal suggestions brought.
- **By balance**: the same figures of the personal group, per setting of the slider in force at their
  first impression, with the share of their suggested tickets in a genre or a place new to them.

People whose window has not run to its end are counted with what they did so far, in both groups alike.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from scipy import stats

from parvis.crm import network_audience
from parvis.network.models import NetworkMembership
from parvis.ticketing.models import Ticket, TicketState

from .models import Arm, Impression, Surface, Tally

WINDOW_DAYS = 30
MEASURES = (
    ("clicked", _("A ouvert une suggestion"), "share"),
    ("tickets", _("Billets achetés par personne"), "number"),
    ("revenue", _("Recette par personne"), "money"),
    ("suggested", _("Billets des spectacles suggérés, par personne"), "number"),
    ("new_venues", _("Lieux nouveaux pour la personne, par personne"), "number"),
)


@dataclass
class _Person:
    arm: str
    curiosity: Decimal
    first: datetime.datetime
    shown: set = field(default_factory=set)
    clicked: bool = False
    tickets: int = 0
    revenue: Decimal = Decimal("0")
    suggested: int = 0
    suggested_new: int = 0
    new_venues: set = field(default_factory=set)


@dataclass(frozen=True)
class Compared:
    key: str
    label: str
    unit: str  # "share", "number", "money"
    personal: float
    holdout: float
    difference: float
    low: float | None  # the 95 % interval of the difference; None when it cannot be drawn
    high: float | None

    @property
    def relative(self) -> float | None:
        return 100 * self.difference / self.holdout if self.holdout else None

    @property
    def clear(self) -> bool:
        """The interval leaves out zero: a difference the measure can tell from chance."""
        return self.low is not None and (self.low > 0 or self.high < 0)


def report(owner: dict, since: datetime.datetime, until: datetime.datetime) -> dict:
    """`owner`: {"organizer_id": …} or {"network_id": …} (its model's suggestions: a pass's page; the
    tickets of the person at every member, through all the contacts their shared profile links)."""
    impressions = Impression.objects.filter(**owner, at__gte=since, at__lt=until)
    people = _people(impressions)
    if "network_id" in owner:
        _outcomes(_network_tickets(owner["network_id"], impressions), people)
    else:
        _outcomes(_organizer_tickets(owner["organizer_id"], impressions), people)
    groups = {arm: [p for p in people.values() if p.arm == arm] for arm in (Arm.PERSONAL, Arm.HOLDOUT)}
    return {
        "surfaces": _surfaces(impressions),
        "pages": _pages(owner, since, until),
        "people": {arm: len(group) for arm, group in groups.items()},
        "compared": _compared(groups[Arm.PERSONAL], groups[Arm.HOLDOUT]),
        "by_balance": _by_balance(groups[Arm.PERSONAL]),
        "versions": sorted(set(impressions.exclude(version=None).values_list("version", flat=True))),
        "window": WINDOW_DAYS,
        # A network's figures rest on the people who share their profile with it: how many they are.
        "sharing": (
            network_audience.linked_profiles(owner["network_id"]).count() if "network_id" in owner else None
        ),
    }


def _people(impressions) -> dict[int, _Person]:
    people: dict[int, _Person] = {}
    rows = (
        impressions.filter(contact__isnull=False)
        .order_by("at", "pk")
        .values_list("contact_id", "arm", "curiosity", "at", "events", "clicked_at")
    )
    for contact_id, arm, curiosity, at, events, clicked_at in rows.iterator(chunk_size=10_000):
        person = people.setdefault(contact_id, _Person(arm=arm, curiosity=curiosity, first=at))
        person.shown.update(events)
        person.clicked = person.clicked or clicked_at is not None
    return people


TICKET_FIELDS = (
    "order__contact_id",
    "performance__event_id",
    "performance__event__genre",
    "performance__venue_id",
    "price",
    "order__paid_at",
)


def _organizer_tickets(organizer_id: int, impressions):
    """The organizer's tickets of the people named, in the order paid: (person, …) rows."""
    return (
        Ticket.objects.filter(
            organizer_id=organizer_id,
            state=TicketState.VALID,
            order__contact_id__in=impressions.filter(contact__isnull=False).values("contact_id"),
            order__paid_at__isnull=False,
        )
        .order_by("order__paid_at")
        .values_list(*TICKET_FIELDS)
        .iterator(chunk_size=10_000)
    )


def _network_tickets(network_id: int, impressions):
    """The tickets of the people named at every member of the network, through every contact their
    profile links (read through the network's one door, consent-aware), each given to the person."""
    links = network_audience.live_links(network_id)
    named = impressions.filter(contact__isnull=False).values("contact_id")
    profile_of = dict(links.filter(contact_id__in=named).values_list("profile_id", "contact_id"))
    person_of = {
        contact_id: profile_of[profile_id]
        for contact_id, profile_id in links.filter(profile_id__in=list(profile_of)).values_list(
            "contact_id", "profile_id"
        )
    }
    members = NetworkMembership.objects.filter(network_id=network_id).values("organizer_id")
    rows = (
        Ticket.objects.filter(
            organizer_id__in=members,
            state=TicketState.VALID,
            order__contact_id__in=list(person_of),
            order__paid_at__isnull=False,
        )
        .order_by("order__paid_at")
        .values_list(*TICKET_FIELDS)
    )
    for contact_id, *rest in rows.iterator(chunk_size=10_000):
        yield (person_of[contact_id], *rest)


def _outcomes(rows, people: dict[int, _Person]) -> None:
    """Each person's tickets in their window, and the places and genres they knew before it, from
    their tickets in the order paid."""
    window = datetime.timedelta(days=WINDOW_DAYS)
    known: dict[int, set] = defaultdict(set)
    for contact_id, event_id, genre, venue_id, price, paid_at in rows:
        person = people.get(contact_id)
        if person is None:
            continue
        met = known[contact_id]
        if person.first <= paid_at < person.first + window:
            person.tickets += 1
            person.revenue += price
            if event_id in person.shown:
                person.suggested += 1
                person.suggested_new += bool({f"genre:{genre}", f"venue:{venue_id}"} - met)
            if f"venue:{venue_id}" not in met:
                person.new_venues.add(venue_id)
        if paid_at < person.first:
            met |= {f"genre:{genre}", f"venue:{venue_id}"}


def _values(group: list[_Person], key: str) -> np.ndarray:
    if key == "clicked":
        return np.array([float(p.clicked) for p in group])
    if key == "revenue":
        return np.array([float(p.revenue) for p in group])
    if key == "new_venues":
        return np.array([float(len(p.new_venues)) for p in group])
    return np.array([float(getattr(p, key)) for p in group])


def _compared(personal: list[_Person], holdout: list[_Person]) -> list[Compared]:
    if not personal or not holdout:
        return []
    rows = []
    for key, label, unit in MEASURES:
        a, b = _values(personal, key), _values(holdout, key)
        low = high = None
        if len(a) >= 2 and len(b) >= 2 and (a.var() > 0 or b.var() > 0):
            interval = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
            low, high = float(interval.low), float(interval.high)
        rows.append(
            Compared(
                key=key,
                label=str(label),
                unit=unit,
                personal=float(a.mean()),
                holdout=float(b.mean()),
                difference=float(a.mean() - b.mean()),
                low=low,
                high=high,
            )
        )
    return rows


def _by_balance(personal: list[_Person]) -> list[dict]:
    settings: dict[Decimal, list[_Person]] = defaultdict(list)
    for person in personal:
        settings[person.curiosity].append(person)
    rows = []
    for curiosity in sorted(settings):
        group = settings[curiosity]
        suggested = sum(p.suggested for p in group)
        rows.append(
            {
                "curiosity": curiosity,
                "people": len(group),
                "clicked": float(_values(group, "clicked").mean()),
                "tickets": float(_values(group, "tickets").mean()),
                "new_venues": float(_values(group, "new_venues").mean()),
                "discovery": sum(p.suggested_new for p in group) / suggested if suggested else None,
            }
        )
    return rows


def _surfaces(impressions) -> list[dict]:
    labels = dict(Surface.choices)
    rows = (
        impressions.values("surface")
        .annotate(shown=Count("pk"), people=Count("contact", distinct=True), clicks=Count("clicked_at"))
        .order_by("surface")
    )
    return [
        {
            "surface": labels.get(row["surface"], row["surface"]),
            "shown": row["shown"],
            "people": row["people"],
            "clicks": row["clicks"],
            "rate": row["clicks"] / row["shown"] if row["shown"] else None,
        }
        for row in rows
    ]


def _pages(owner: dict, since, until) -> list[dict]:
    """The event pages' lists per balance setting: shown, opened, and the share."""
    rows = (
        Tally.objects.filter(
            **owner,
            day__gte=timezone.localtime(since).date(),
            day__lt=timezone.localtime(until).date(),
        )
        .values("curiosity")
        .annotate(shown=Sum("shown"), clicked=Sum("clicked"))
        .order_by("curiosity")
    )
    return [{**row, "rate": row["clicked"] / row["shown"] if row["shown"] else None} for row in rows]
