"""The demo's numbered seats: the theatre's Grande salle as a plan (two categories, wheelchair spaces with
their companion seats in row A, two seats behind a pillar), then a standing promenade added in the editor
(version 2); one evening sold on it, a few seats already sold and the sound desk kept."""

import random
from decimal import Decimal

from parvis.network.models import Space
from parvis.programming.models import Performance
from parvis.seating import editor, plans
from parvis.seating.models import ClaimState, Seat, SeatCategory, SeatPlan
from parvis.seating.services import seating_put_on_sale, seats_choose, seats_hold
from parvis.ticketing import services as sales
from parvis.ticketing.models import Cart, Quota, Tariff

SEED = 26


def demo_seating(*, theatre) -> Performance | None:
    hall = Space.objects.filter(venue__organizer=theatre, name="Grande salle").first()
    if hall is None or SeatPlan.objects.filter(space=hall).exists():
        return None
    draft = plans.generate(
        name="Grande salle",
        rows=14,
        seats_per_row=26,
        aisles_after=[7, 19],
        curve=0.35,
        category="Catégorie 1",
    )
    plan = plans.plan_save(hall, draft, source="generator")
    second = SeatCategory.objects.create(plan=plan, name="Catégorie 2", colour="#ff7f0e", position=1)
    Seat.objects.filter(plan=plan, row_index__gte=7).update(category=second)
    row_a = list(Seat.objects.filter(plan=plan, row="A").order_by("x"))
    for wheelchair, companion in ((row_a[0], row_a[1]), (row_a[-1], row_a[-2])):
        Seat.objects.filter(pk=wheelchair.pk).update(wheelchair=True)
        Seat.objects.filter(pk=companion.pk).update(companion=True)
    Seat.objects.filter(plan=plan, row="K", block=0, position__in=[5, 6]).update(
        restricted=True, note="Un poteau cache le côté jardin de la scène."
    )
    # A standing promenade at the back, added in the editor: the hall's plan, version 2.
    plan = editor.plan_edit(
        plan, editor.Edit("standing_add", [], area="Promenoir", category="Promenoir", capacity=30)
    )
    second = plan.categories.get(name="Catégorie 2")
    evening = (
        Performance.objects.filter(
            organizer=theatre, space=hall, event__status="published", status="published"
        )
        .exclude(tickets__isnull=False)  # the first evening in the hall with no ticket sold yet
        .order_by("starts_at")
        .first()
    )
    if evening is None:
        return None
    tariffs = list(Tariff.objects.filter(performance=evening, sold_online=True, is_active=True))
    back = [  # the back rows cost less: tariffs of their own, for this date
        sales.tariff_create(
            actor=None, performance=evening, name=name, name_en=name_en, price=price, kind=kind
        )
        for name, name_en, price, kind in (
            ("Catégorie 2 — plein tarif", "Category 2 — full price", Decimal("20"), "full"),
            ("Catégorie 2 — tarif réduit", "Category 2 — reduced", Decimal("14"), "reduced"),
            ("Promenoir (debout)", "Promenade (standing)", Decimal("10"), "full"),
        )
    ]
    first = plan.categories.get(name="Catégorie 1")
    promenade = plan.categories.get(name="Promenoir")
    seating_put_on_sale(
        actor=None,
        performance=evening,
        plan=plan,
        tariffs_by_category={
            first.pk: [t.pk for t in tariffs],
            second.pk: [t.pk for t in back[:2]],
            promenade.pk: [back[2].pk],
        },
    )
    seats = plan.seats.count()
    Quota.objects.filter(performance=evening, name="Vente en ligne").update(capacity=seats - 20)
    desk = list(
        Seat.objects.filter(plan=plan, row="N", block=1, position__in=[8, 9, 10, 11]).values_list(
            "pk", flat=True
        )
    )
    seats_choose(performance_id=evening.pk, seat_ids=desk, state=ClaimState.KEPT, kept="technical")
    full = next((t for t in tariffs if t.kind == "full"), tariffs[0])
    rng = random.Random(SEED)
    for n, quantity in enumerate((2, 4, 2, 3, 2, 2)):
        cart = Cart.objects.create()
        seats_hold(cart=cart, tariff_id=full.pk, quantity=quantity, rng=rng)
        buyer = sales.Buyer(
            email=f"place{n}@public.example", first_name="Public", last_name=f"Placé {n}", postal_code="75020"
        )
        for order in sales.checkout_place_orders(cart=cart, buyer=buyer, provider_code="demo"):
            sales.payment_confirm(payment_id=order.payments.get().pk, reference=f"demo-seat-{order.pk}")
    return evening
