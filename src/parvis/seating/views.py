"""The public seat map of a date: the seats drawn (SVG, server-rendered, chosen by tapping; htmx redraws
the map without reloading the page), the same seats as a list by zone and row for keyboards and screen
readers, and "the N best seats" of a category. The selection lives in the address (`?places=12,13`): a seat
tapped is a link, so the map works without JavaScript too."""

import random

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from parvis.core.params import int_or_none
from parvis.ticketing.errors import SaleError
from parvis.ticketing.inventory import availability
from parvis.ticketing.models import Channel
from parvis.ticketing.public import buyer_cart
from parvis.ticketing.services import cart_add

from . import drawing
from .models import CategoryTariff, Seat, SeatedPerformance, StandingArea, StandingSale
from .selectors import free_seats, layout_of
from .services import seats_hold

MAX_SEATS = 10  # seats one buyer takes at once


def _seated(performance_id: int) -> SeatedPerformance:
    seated = (
        SeatedPerformance.objects.select_related("plan", "performance__event", "performance__venue")
        .filter(performance_id=performance_id, performance__event__status="published")
        .first()
    )
    if seated is None:
        raise Http404
    return seated


def seat_map(request, performance_id: int):
    seated = _seated(performance_id)
    layout = layout_of(seated.plan, performance_id)
    free = free_seats(layout, performance_id)
    prices = _prices(seated)
    errors = []
    if request.method == "POST":
        done = _take(request, seated, free, prices, errors)
        if done is not None:
            return done
        free = free_seats(layout, performance_id)
    chosen = drawing.selection(
        request.POST.get("places", "") or request.GET.get("places", ""), free, MAX_SEATS
    )
    seats = list(
        Seat.objects.filter(plan=seated.plan).select_related("category").order_by("zone", "row_index", "x")
    )
    standing = _standing(seated, prices)
    rows = drawing.rows_for_list(seats, free, set(chosen))
    drawing.seat_checks(rows)
    context = {
        "standing": standing,
        "seated": seated,
        "performance": seated.performance,
        "event": seated.performance.event,
        "svg": drawing.seat_map_svg(
            seated.plan,
            seats,
            free,
            set(chosen),
            request.path,
            standing=drawing.standing_for_map(
                StandingArea.objects.filter(plan_id=seated.plan_id).select_related("category").order_by("pk"),
                {row["category"].pk: row["left"] for row in standing},
            ),
        ),  # fmt: skip
        "rows": rows,
        "chosen": [s for s in seats if s.pk in set(chosen)],
        "chosen_ids": ",".join(str(pk) for pk in chosen),
        "categories": [
            row
            for row in drawing.categories_with_prices(seated.plan, prices, layout, free)
            if row["category"].pk not in {area["category"].pk for area in standing}
        ],
        "errors": errors,
        "max_seats": MAX_SEATS,
    }
    # htmx asks for the same page and keeps the map's region (`hx-select`): one template, one truth.
    return render(request, "seating/seat_map.html", context, status=409 if errors else 200)


def _standing(seated: SeatedPerformance, prices: dict[int, list]) -> list[dict]:
    """The date's standing places on sale: per category, its areas, its tariffs and the places left."""
    sales = list(StandingSale.objects.filter(seated=seated).select_related("category"))
    if not sales:
        return []
    left = availability(performance_ids=[seated.performance_id], channel=Channel.ONLINE)
    areas: dict[int, list] = {}
    for area in StandingArea.objects.filter(plan_id=seated.plan_id):
        areas.setdefault(area.category_id, []).append(area)
    return [
        {
            "category": sale.category,
            "areas": areas.get(sale.category_id, []),
            "tariffs": prices.get(sale.category_id, []),
            "left": max((left.get(t.pk, 0) for t in prices.get(sale.category_id, [])), default=0),
        }
        for sale in sales
        if prices.get(sale.category_id)
    ]


def _prices(seated: SeatedPerformance) -> dict[int, list]:
    """Per category, its tariffs sold online (the cheapest first)."""
    found: dict[int, list] = {}
    for link in CategoryTariff.objects.filter(
        seated=seated, tariff__is_active=True, tariff__sold_online=True
    ).select_related("tariff"):
        found.setdefault(link.category_id, []).append(link.tariff)
    for tariffs in found.values():
        tariffs.sort(key=lambda t: (t.price, t.pk))
    return found


def _take(request, seated, free: set[int], prices: dict, errors: list):
    """Seats chosen on the map or the list, or the best N of a category: held in the cart, then to the
    cart (None, with `errors`, when refused)."""
    tariff_ids = {t.pk for tariffs in prices.values() for t in tariffs}
    tariff_id = int_or_none(request.POST.get("tarif", ""))
    if tariff_id not in tariff_ids:
        errors.append(SaleError("unknown_tariff").message)
        return None
    cart = buyer_cart(request, create=True)
    try:
        if request.POST.get("standing"):  # places without seats, in a standing area
            quantity = int_or_none(request.POST.get("quantity", ""))
            if quantity is None or not 1 <= quantity <= MAX_SEATS:
                raise SaleError("invalid_quantity")
            cart_add(cart=cart, tariff_id=tariff_id, quantity=quantity, channel=Channel.ONLINE)
        elif request.POST.get("best"):
            quantity = int_or_none(request.POST.get("quantity", ""))
            if quantity is None or not 1 <= quantity <= MAX_SEATS:
                raise SaleError("invalid_quantity")
            seats_hold(cart=cart, tariff_id=tariff_id, quantity=quantity, rng=random.Random())  # noqa: S311
        else:
            wanted = [pk for pk in (int_or_none(p) for p in request.POST.getlist("place")) if pk is not None]
            wanted += [pk for pk in (int_or_none(p) for p in request.POST.get("places", "").split(",")) if pk]
            if not wanted:
                errors.append(_("Choisissez au moins une place."))
                return None
            seats_hold(cart=cart, tariff_id=tariff_id, seat_ids=sorted(set(wanted))[:MAX_SEATS])
    except SaleError as exc:
        errors.append(exc.message)
        return None
    return redirect("ticketing:cart")
