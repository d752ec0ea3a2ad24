"""The dashboards' demo: sales that happened over weeks, not all this morning, and a run of the theatre's
« Le Misanthrope » last season, so that the fill board compares this season's dates with it and lists the
one falling behind first. Everything is made through the sales services, then dated back; the rollups are
then rebuilt, as `parvis analytics rebuild` would."""

import datetime
import random

from django.utils import timezone

from parvis.analytics import rollups
from parvis.programming.models import Event, Performance
from parvis.ticketing import services as sales
from parvis.ticketing.models import Channel, Ticket, TicketState
from parvis.ticketing.services.paid import PaidLine, order_place_paid

from .data import SEED
from .products import THEATRE_TARIFFS, _tariffs_for

SPREAD_DAYS = 42
LAST_SEASON_CAPACITY = (
    80  # the small hall, last season  # the demo's sales spread over the six weeks before today
)


def demo_history(*, theatre) -> None:
    rng = random.Random(SEED)
    now = timezone.now()
    _last_season(theatre, rng, now)
    for pk, issued_at, starts_at, state in Ticket.objects.values_list(
        "pk", "issued_at", "performance__starts_at", "state"
    ).order_by("pk"):
        if issued_at < now - datetime.timedelta(days=1):
            continue  # already dated (last season's)
        latest = min(now, starts_at) - datetime.timedelta(hours=1)
        issued = latest - datetime.timedelta(days=rng.triangular(0, SPREAD_DAYS, 4), hours=rng.uniform(0, 12))
        voided = None
        if state != TicketState.VALID:
            voided = min(latest, issued + datetime.timedelta(days=rng.uniform(0, 10)))
        Ticket.objects.filter(pk=pk).update(issued_at=issued, voided_at=voided)
    rollups.rebuild()


def _last_season(theatre, rng: random.Random, now) -> None:
    """Three dates of « Le Misanthrope » about a year ago, sold to 60 % a week before, 90 % full at the
    end; sold at the counter and to the API partner, as the earlier season was."""
    event = Event.objects.filter(organizer=theatre, title="Le Misanthrope").first()
    coming = Performance.objects.filter(event=event, starts_at__gt=now).order_by("starts_at").first()
    if event is None or coming is None:
        return
    if Performance.objects.filter(event=event, starts_at__lt=now - datetime.timedelta(days=300)).exists():
        return  # made by an earlier run
    for n in range(3):
        starts_at = (now - datetime.timedelta(days=364 - n)).replace(
            hour=19, minute=0, second=0, microsecond=0
        )
        performance = Performance.objects.create(
            event=event,
            organizer=theatre,
            venue=coming.venue,
            space=coming.space,
            starts_at=now + datetime.timedelta(days=30),  # on sale while it is sold, dated back after
            capacity=coming.capacity,
        )
        tariff = next(t for t in _tariffs_for(performance, THEATRE_TARIFFS) if t.kind == "full")
        capacity, k = performance.capacity or 100, 0
        while k < capacity * 0.9:
            quantity = rng.randint(1, 4)
            order, tickets = order_place_paid(
                organizer_id=theatre.pk,
                lines=[PaidLine(tariff.pk, quantity)],
                buyer=sales.Buyer(
                    email=f"passee-{n}-{k}@saison.example", first_name="Spectateur", last_name=str(k)
                ),
                provider_code="channel",
                reference=f"demo-passee-{n}-{k}",
                channel=Channel.API if k % 3 == 0 else Channel.BOX_OFFICE,
                notify=False,
            )
            # 60 % of the places were sold a week or more before; the rest in the last days.
            before = rng.uniform(7, 45) if k < capacity * 0.6 else rng.uniform(0, 7)
            Ticket.objects.filter(order=order).update(issued_at=starts_at - datetime.timedelta(days=before))
            k += quantity
        Performance.objects.filter(pk=performance.pk).update(starts_at=starts_at)
