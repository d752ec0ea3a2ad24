"""Ticket VAT rates as the law sets them, per venue territory (CGI 278-0 bis, 279, 281 quater, 296, 296 bis,
297): a live show at the reduced rate; a new creation (or a classic newly staged) at the particular rate
for its first 140 performances counted nationally (those played elsewhere, entered by staff, plus this
organizer's own dates in order), unless food or drink is served during the show; a ticket that includes a
drink at the normal rate. An online tariff (a stream, a virtual visit) is a service supplied
electronically, at the normal rate: the reduced rates name shows given before an audience, and the State
refused to extend them to streams (answer to written question no. 34040, JO 16 February 2021).
Exhibitions and other rates are left as staff set them.

The rule adjusts a date's tariff when it is made or aligned on its price list (the ticketing's
`tariff_vat_rates` extension point), and, when an event's or a venue's settings change, every coming date's
tariffs. Tickets sold keep the rate they were sold at."""

import bisect
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record
from parvis.programming.models import Performance, PerformanceStatus
from parvis.ticketing.extensions import tariff_vat_rates
from parvis.ticketing.models import Tariff

from .models import EventVat, Territory, VenueTax

CREATION_LIMIT = 140
WARN_BEFORE = 10
RATES = {  # per territory: (new creation's first 140, live show, normal)
    Territory.METROPOLE: (Decimal("2.10"), Decimal("5.50"), Decimal("20.00")),
    Territory.CORSE: (Decimal("0.90"), Decimal("2.10"), Decimal("20.00")),
    Territory.DOM: (Decimal("1.05"), Decimal("2.10"), Decimal("8.50")),
    Territory.NO_VAT: (Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
}
# The rates a live show's ticket may carry anywhere: only those are adjusted.
SHOW_RATES = {rate for creation, live, _normal in RATES.values() for rate in (creation, live)}


def creation_rank(performance, settings: EventVat) -> int:
    """The performance's number in the creation's run: those played elsewhere, then this organizer's dates
    of the event in order (cancelled ones do not count)."""
    before = (
        Performance.objects.filter(event_id=performance.event_id, starts_at__lt=performance.starts_at)
        .exclude(status=PerformanceStatus.CANCELLED)
        .count()
    )
    return settings.played_elsewhere + before + 1


def expected(
    performance,
    rate: Decimal,
    settings: EventVat | None,
    territory: str,
    rank: int | None = None,
    *,
    online: bool = False,
) -> Decimal:
    if rate not in SHOW_RATES:
        return rate
    creation, live, normal = RATES[territory]
    if online or (settings is not None and settings.drink_included):
        return normal
    if settings is not None and settings.new_creation and not settings.drinks_served:
        if (rank or creation_rank(performance, settings)) <= CREATION_LIMIT:
            return creation
    return live


def _territory(venue_id: int) -> str:
    return VenueTax.objects.filter(venue_id=venue_id).values_list("territory", flat=True).first() or (
        Territory.METROPOLE
    )


def adjust(performance, rate, online: bool = False):
    """The extension point's rule: only where the tariff is online, or the event or the venue says
    something."""
    settings = EventVat.objects.filter(event_id=performance.event_id).first()
    territory = _territory(performance.venue_id)
    if settings is None and territory == Territory.METROPOLE and not online:
        return rate
    return expected(performance, Decimal(rate), settings, territory, online=online)


@dataclass
class Mismatch:
    tariff: Tariff
    expected: Decimal


def coming(organizer):
    return (
        Performance.objects.filter(organizer=organizer, starts_at__gte=timezone.now())
        .exclude(status=PerformanceStatus.CANCELLED)
        .select_related("event", "venue")
        .order_by("starts_at")
    )


def mismatches(organizer) -> list[Mismatch]:
    """Coming dates' paying tariffs whose rate is not the one the rules give."""
    found = []
    performances = list(coming(organizer)[:2000])
    settings = {s.event_id: s for s in EventVat.objects.filter(event__in={p.event_id for p in performances})}
    territories = dict(
        VenueTax.objects.filter(venue__organizer=organizer).values_list("venue_id", "territory")
    )
    by_performance = {p.pk: p for p in performances}
    ranks = _ranks(performances, settings)
    for tariff in Tariff.objects.filter(performance__in=performances, price__gt=0).order_by(
        "performance", "pk"
    ):
        performance = by_performance[tariff.performance_id]
        territory = territories.get(performance.venue_id, Territory.METROPOLE)
        event_settings = settings.get(performance.event_id)
        if event_settings is None and territory == Territory.METROPOLE and not tariff.online:
            continue
        right = expected(
            performance,
            tariff.vat_rate,
            event_settings,
            territory,
            ranks.get(performance.pk),
            online=tariff.online,
        )
        if right != tariff.vat_rate:
            tariff.performance = performance
            found.append(Mismatch(tariff, right))
    return found


def _ranks(performances, settings: dict) -> dict[int, int]:
    """Each creation's performances' ranks in its run, read in one query (not one per tariff)."""
    creations = {event_id for event_id, s in settings.items() if s.new_creation}
    starts: dict[int, list] = {}
    for event_id, starts_at in (
        Performance.objects.filter(event_id__in=creations)
        .exclude(status=PerformanceStatus.CANCELLED)
        .order_by("starts_at")
        .values_list("event_id", "starts_at")
    ):
        starts.setdefault(event_id, []).append(starts_at)
    return {
        p.pk: settings[p.event_id].played_elsewhere + bisect.bisect_left(starts[p.event_id], p.starts_at) + 1
        for p in performances
        if p.event_id in starts
    }


def warnings(organizer) -> list[str]:
    """Creations close to their 140th performance, and the rates that are wrong."""
    found = []
    for settings in EventVat.objects.filter(event__organizer=organizer, new_creation=True).select_related(
        "event"
    ):
        last = (
            Performance.objects.filter(event=settings.event)
            .exclude(status=PerformanceStatus.CANCELLED)
            .order_by("-starts_at")
            .first()
        )
        if last is None:
            continue
        left = CREATION_LIMIT - creation_rank(last, settings)
        if 0 <= left < WARN_BEFORE:
            text = _("« %(event)s » : plus que %(n)s représentations au taux des créations ; dès la 141ᵉ, "
                     "le taux du spectacle vivant.")  # fmt: skip
            found.append(text % {"event": settings.event.title, "n": left})
        elif left < 0:
            text = _("« %(event)s » : %(n)s représentations au-delà des 140 premières, au taux du "
                     "spectacle vivant.")  # fmt: skip
            found.append(text % {"event": settings.event.title, "n": -left})
    wrong = mismatches(organizer)
    if wrong:
        found.append(_("%(n)s tarifs de dates à venir n'ont pas le taux de TVA attendu.") % {"n": len(wrong)})
    return found


def apply(organizer, actor, request=None) -> int:
    """Give the coming dates' tariffs the rates the rules give; tickets sold keep theirs."""
    wrong = mismatches(organizer)
    with transaction.atomic():
        for mismatch in wrong:
            Tariff.objects.filter(pk=mismatch.tariff.pk).update(vat_rate=mismatch.expected)
        if wrong:
            audit_record(
                actor=actor, action="vat.rates_applied", instance=organizer, organizer_id=organizer.pk,
                after={str(m.tariff.pk): [str(m.tariff.vat_rate), str(m.expected)] for m in wrong},
                request=request,
            )  # fmt: skip
    return len(wrong)


def register() -> None:
    """The rule adjusts new tariffs' rates (called once, from `DeclarationsConfig.ready()`)."""
    tariff_vat_rates.register("declarations", adjust)
