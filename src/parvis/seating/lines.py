"""How the seats follow the ticketing core's places (docs/adr/0005): a held seat becomes sold with its
hold, takes its ticket when the ticket is issued, and comes back when the hold is released or the ticket
refunded. Registered in `SeatingConfig.ready()`."""

from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parvis.ticketing.errors import SaleError
from parvis.ticketing.extensions import (
    TicketPageExtension,
    performance_notes,
    ticket_mentions,
    ticket_page,
    ticket_relations,
)
from parvis.ticketing.inventory import PlaceFollower, SoldOut, place_followers
from parvis.ticketing.models import Tariff

from .claims import SeatTaken, claims_release, seats_claim
from .models import CategoryTariff, ClaimState, SeatClaim, SeatedPerformance
from .selectors import category_of, tariff_seating
from .services import seats_choose, seats_like


class SeatFollower(PlaceFollower):
    def converted(self, hold) -> None:
        sold = SeatClaim.objects.filter(hold_id=hold.pk, state=ClaimState.HELD).update(
            state=ClaimState.SOLD, expires_at=None
        )
        if sold == hold.quantity:
            return
        # The hold expired and some of its seats were set aside for another buyer: take those seats
        # again if they are still free, or the conversion fails (the caller refunds).
        states = dict(SeatClaim.objects.filter(hold_id=hold.pk).values_list("seat_id", "state"))
        kept = {seat for seat, state in states.items() if state == ClaimState.SOLD}
        missing = sorted(set(states) - kept)
        if len(kept) + len(missing) != hold.quantity:
            raise SoldOut(None, hold.quantity)
        try:
            seats_claim(
                performance_id=hold.performance_id, seat_ids=missing, state=ClaimState.SOLD, hold_id=hold.pk
            )
        except SeatTaken:
            raise SoldOut(None, len(missing)) from None

    def released(self, hold_id: int) -> None:
        claims_release(hold_id=hold_id)

    def issued(self, hold_id: int, tickets: list) -> None:
        _seat_tickets(
            SeatClaim.objects.filter(hold_id=hold_id, state=ClaimState.SOLD, ticket__isnull=True), tickets
        )

    def voided(self, ticket_ids: list[int]) -> None:
        claims_release(ticket_ids=ticket_ids)

    def placed(self, tariff, quantity: int, seat_ids: list[int] | None, *, like_tickets=()):
        link = tariff_seating(tariff.pk)  # one query for the category, the plan and the painted qualities
        if link is None:
            raise SaleError("not_seated")
        claim = {"performance_id": tariff.performance_id, "category_id": link.category_id}
        if seat_ids is None and like_tickets:
            claims = seats_like(quantity=quantity, like_tickets=like_tickets, state=ClaimState.SOLD, **claim)
        else:
            claims = seats_choose(
                quantity=quantity, seat_ids=seat_ids, state=ClaimState.SOLD, link=link, **claim
            )
        return lambda tickets: _seat_tickets(claims, tickets)

    def hold_placed(self, hold, *, like_tickets=(), like_holds=()) -> None:
        seats_like(
            performance_id=hold.performance_id,
            category_id=category_of(hold.tariff_id),
            quantity=hold.quantity,
            like_tickets=like_tickets,
            like_holds=like_holds,
            hold_id=hold.pk,
            expires_at=hold.expires_at,
        )


def _seat_tickets(claims, tickets) -> None:
    """Each ticket its seat, in the order of the seats and of the tickets' numbers: one UPDATE (written
    out: the ORM's CASE cost more than running it)."""
    pairs = list(
        zip(sorted(claims, key=lambda c: c.seat_id), sorted(tickets, key=lambda t: t.number), strict=True)
    )
    if not pairs:
        return
    table = connection.ops.quote_name(SeatClaim._meta.db_table)
    whens = " ".join(["WHEN %s THEN %s"] * len(pairs))
    params = [value for claim, ticket in pairs for value in (claim.pk, ticket.pk)]
    params += [claim.pk for claim, _ticket in pairs]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET ticket_id = CASE id {whens} END "  # noqa: S608
            f"WHERE id IN ({', '.join(['%s'] * len(pairs))})",
            params,
        )


class SeatMapPage(TicketPageExtension):
    """A date with numbered seats is bought on its seat map: the tickets page sends the buyer there."""

    def context(self, request, performance) -> dict:
        if (
            getattr(performance, "sells_seats", True)
            and SeatedPerformance.objects.filter(performance_id=performance.pk).exists()
        ):
            return {"seat_map_url": reverse("seating:choose", args=[performance.pk])}
        return {}


def seat_mention(ticket) -> list[tuple[str, str]]:
    """« Place : Balcon, rang B, place 7 » on the ticket, from its claim read with it."""
    claim = getattr(ticket, "seat_claim", None)
    if claim is None or claim.state != ClaimState.SOLD:
        return []
    return [(_("Place"), claim.seat.label)]


def unmapped_note(performance) -> list[str]:
    """On a seated date's sales page: the active tariffs that sell no category of its plan (added later):
    they sell places without seats until staff link them."""
    seated = SeatedPerformance.objects.filter(performance_id=performance.pk).first()
    if seated is None:
        return []
    names = list(
        Tariff.objects.filter(performance_id=performance.pk, is_active=True)
        .exclude(pk__in=CategoryTariff.objects.filter(seated=seated).values("tariff_id"))
        .values_list("name", flat=True)
    )
    if not names:
        return []
    return [
        ngettext(
            "Cette date se vend en placement numéroté, mais le tarif %(names)s n'est lié à aucune "
            "catégorie du plan : il vend des places sans siège. Liez-le à une catégorie sur la page du "
            "placement numéroté.",
            "Cette date se vend en placement numéroté, mais les tarifs %(names)s ne sont liés à aucune "
            "catégorie du plan : ils vendent des places sans siège. Liez-les à une catégorie sur la page du "
            "placement numéroté.",
            len(names),
        )
        % {"names": ", ".join(f"« {name} »" for name in names)}
    ]


def register() -> None:
    """The seats follow the places and the tickets (called once, from `SeatingConfig.ready()`)."""
    place_followers.register("seats", SeatFollower())
    ticket_page.register("seats", SeatMapPage())
    ticket_mentions.register("seats", seat_mention)
    performance_notes.register("seats", unmapped_note)
    if "seat_claim__seat" not in ticket_relations:
        ticket_relations.append("seat_claim__seat")
