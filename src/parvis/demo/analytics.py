"""The dashboards' demo: sales that happened over weeks, not all this morning, and a run of the theatre's
« Le Misanthrope » last season, so that the fill board compares this season's dates with it and lists the
one falling behind first. Last season's buyers give their postcode and some their birth year, and a
quarter of them come back this season: the audiences board has people new and returning, a map, ages.
Everything is made through the sales services, then dated back; the rollups are
then rebuilt, as `parvis analytics rebuild` would."""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from parvis.analytics import rollups
from parvis.crm.models import Contact
from parvis.programming.models import Event, Performance
from parvis.ticketing import services as sales
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Channel, Tariff, Ticket, TicketState
from parvis.ticketing.services.paid import PaidLine, order_place_paid

from .data import SEED
from .products import THEATRE_TARIFFS, _tariffs_for

SPREAD_DAYS = 42  # the demo's sales spread over the six weeks before today
# Where last season's audience lives: mostly Paris and its suburbs, some further away.
POSTCODES = (
    ["75011"] * 6
    + ["75020", "75018", "75012", "75019"] * 3
    + ["93100", "93200", "93500", "94300", "94200", "92100", "92240"] * 2
    + ["95100", "77300", "78000", "91300", "60200", "69003", "13001", "59000", "35000", "44000"]
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
                    email=f"passee-{n}-{k}@saison.example",
                    first_name="Spectateur",
                    last_name=str(k),
                    postal_code=rng.choice(POSTCODES),
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
    _returning(theatre, coming, rng)


def _returning(theatre, coming, rng: random.Random) -> None:
    """Birth years for two thirds of last season's buyers, and a quarter of them back for a date to come
    (the event's dates this season, the first with room)."""
    tariffs = list(
        Tariff.objects.filter(
            performance__event=coming.event, performance__starts_at__gte=coming.starts_at, kind="full"
        ).order_by("performance__starts_at")
    )
    this_year = timezone.localdate().year
    people = list(Contact.objects.filter(organizer=theatre, email__endswith="@saison.example").order_by("pk"))
    for contact in people:
        if rng.random() < 0.66:
            Contact.objects.filter(pk=contact.pk).update(
                birth_year=this_year - int(rng.triangular(16, 85, 52))
            )
    for contact in rng.sample(people, len(people) // 4):
        for tariff in tariffs:
            try:
                with transaction.atomic():  # a refusal rolls back to here, not the whole demo
                    order_place_paid(
                        organizer_id=theatre.pk,
                        lines=[PaidLine(tariff.pk, 1)],
                        buyer=sales.Buyer(
                            email=contact.email, first_name=contact.first_name, last_name=contact.last_name
                        ),
                        provider_code="channel",
                        reference=f"demo-retour-{contact.pk}",
                        channel=Channel.BOX_OFFICE,
                        notify=False,
                    )
                break
            except SaleError:  # that date is full: the next one
                continue
