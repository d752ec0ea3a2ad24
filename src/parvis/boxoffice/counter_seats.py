"""The seat map at the counter: the same map as the buyers', with the seats the venue keeps selectable
(the seller releases and sells them in one go), the best available in one click, and a sold ticket moved
to another seat (`?billet=`: the ticket kept, its seat changed)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from parvis.core.params import int_or_none
from parvis.seating import drawing
from parvis.seating.models import CategoryTariff, ClaimState, Seat, SeatClaim, SeatedPerformance
from parvis.seating.selectors import free_seats, layout_of
from parvis.seating.services import seat_change, seats_release
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Ticket, TicketState

from . import services
from .staff_views import organizer_for, session_required

MAX_SEATS = 20  # seats one sale takes at once at the counter


def _seated(organizer, performance_pk: int) -> SeatedPerformance:
    seated = (
        SeatedPerformance.objects.select_related("plan", "performance__event", "performance__venue")
        .filter(performance_id=performance_pk, performance__organizer=organizer)
        .first()
    )
    if seated is None:
        raise Http404
    return seated


def _ticket_moved(organizer, seated, raw) -> Ticket | None:
    pk = int_or_none(raw or "")
    if pk is None:
        return None
    return get_object_or_404(
        Ticket.objects.select_related("order", "seat_claim__seat"),
        pk=pk,
        organizer=organizer,
        performance_id=seated.performance_id,
        state=TicketState.VALID,
    )


@login_required
def counter_seats(request, organizer_slug: str, performance_pk: int):
    organizer = organizer_for(request, organizer_slug)
    session = session_required(request, organizer)
    seated = _seated(organizer, performance_pk)
    moved = _ticket_moved(organizer, seated, request.GET.get("billet") or request.POST.get("billet"))
    if request.method == "POST":
        _post(request, session, seated, moved)
        if moved is not None:
            return redirect(f"{request.path}?billet={moved.pk}")
        return redirect("staff:boxoffice", organizer.slug)
    layout = layout_of(seated.plan, seated.performance_id)
    free = free_seats(layout, seated.performance_id)
    kept = {
        claim.seat_id: claim.get_kept_display()
        for claim in SeatClaim.objects.filter(performance_id=seated.performance_id, state=ClaimState.KEPT)
    }
    if moved is not None:  # a ticket changes seat: the free ones of its category
        category = layout.places[moved.seat_claim.seat_id].category if hasattr(moved, "seat_claim") else None
        free = {pk for pk in free if layout.places[pk].category == category}
        kept = {}
    chosen = drawing.selection(request.GET.get("places", ""), free | set(kept), 1 if moved else MAX_SEATS)
    path = f"{request.path}?billet={moved.pk}" if moved else request.path
    seats = list(
        Seat.objects.filter(plan=seated.plan).select_related("category").order_by("zone", "row_index", "x")
    )
    tariffs = list(
        CategoryTariff.objects.filter(seated=seated, tariff__is_active=True, tariff__sold_at_box_office=True)
        .select_related("tariff", "category")
        .order_by("category__pk", "tariff__position", "tariff__pk")
    )
    return render(
        request,
        "boxoffice/counter_seats.html",
        {
            "organizer": organizer,
            "seated": seated,
            "performance": seated.performance,
            "moved": moved,
            "svg": drawing.seat_map_svg(seated.plan, seats, free, set(chosen), path, kept=kept),
            "rows": drawing.rows_for_list(seats, free, set(chosen), kept=kept),
            "chosen": [s for s in seats if s.pk in set(chosen)],
            "chosen_ids": ",".join(str(pk) for pk in chosen),
            "chosen_kept": any(pk in kept for pk in chosen),
            "links": tariffs,
            "max_seats": MAX_SEATS,
        },
    )


def _post(request, session, seated, moved) -> None:
    tariff_id = int_or_none(request.POST.get("tarif", ""))
    wanted = [pk for pk in (int_or_none(p) for p in request.POST.get("places", "").split(",")) if pk]
    wanted += [pk for pk in (int_or_none(p) for p in request.POST.getlist("place")) if pk is not None]
    wanted = sorted(set(wanted))[:MAX_SEATS]
    try:
        if moved is not None:
            if len(wanted) != 1:
                raise SaleError("unknown_seat")
            seat_change(actor=request.user, ticket=moved, seat_id=wanted[0], request=request)
            messages.success(
                request,
                _("Billet n° %(n)s : nouvelle place enregistrée, billet renvoyé.") % {"n": moved.number},
            )
            return
        if (
            tariff_id is None
            or not CategoryTariff.objects.filter(seated=seated, tariff_id=tariff_id).exists()
        ):
            raise SaleError("unknown_tariff")
        if request.POST.get("best"):
            quantity = int_or_none(request.POST.get("quantity", ""))
            if quantity is None or not 1 <= quantity <= MAX_SEATS:
                raise SaleError("invalid_quantity")
            services.basket_add(session=session, tariff_id=tariff_id, quantity=quantity)
            return
        if not wanted:
            raise SaleError("unknown_seat")
        with transaction.atomic():  # kept seats chosen by the seller are released and sold together
            seats_release(
                actor=request.user, performance=seated.performance, seat_ids=wanted, request=request
            )
            services.basket_add(session=session, tariff_id=tariff_id, seat_ids=wanted)
    except SaleError as exc:
        messages.error(request, exc.message)
