"""Standing places inside a seated plan (a pit, a promenade): a category of the plan with standing areas
and no seats is sold by its tariffs as places without seats, counted by a quota of the areas' capacity
(one per date and category). Its tariffs stay unseated: the buyer picks a number, not a seat."""

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Quota

from .models import SeatCategory, StandingArea, StandingSale


def standing_categories(plan) -> dict[int, int]:
    """The plan's standing-only categories (areas, no seat) and their capacity."""
    seatless = SeatCategory.objects.filter(plan=plan).annotate(n=Count("seats")).filter(n=0)
    return dict(
        StandingArea.objects.filter(plan=plan, category__in=seatless)
        .values("category_id")
        .annotate(capacity=Sum("capacity"))
        .values_list("category_id", "capacity")
    )


def standing_sales_set(seated, plan, tariffs_by_category: dict[int, list[int]]) -> set[int]:
    """Each standing category with tariffs gets its quota (made, or its capacity and tariffs updated); the
    ones left without tariffs lose theirs, unless places were taken there. Returns the standing tariffs."""
    capacities = standing_categories(plan)
    standing_tariffs: set[int] = set()
    kept: set[int] = set()
    for category_id, capacity in capacities.items():
        tariff_ids = tariffs_by_category.get(category_id) or []
        if not tariff_ids:
            continue
        category = SeatCategory.objects.get(pk=category_id)
        sale = (
            StandingSale.objects.filter(seated=seated, category_id=category_id)
            .select_related("quota")
            .first()
        )
        if sale is None:
            quota = Quota.objects.create(
                performance_id=seated.performance_id,
                name=(_("Debout : %(name)s") % {"name": category.name})[:100],
                capacity=capacity,
            )
            sale = StandingSale.objects.create(seated=seated, category_id=category_id, quota=quota)
        elif sale.quota.used > capacity:
            raise SaleError("seating_plan_in_use")
        else:
            Quota.objects.filter(pk=sale.quota_id).update(capacity=capacity)
        sale.quota.tariffs.set(tariff_ids)
        standing_tariffs |= set(tariff_ids)
        kept.add(sale.pk)
    for sale in StandingSale.objects.filter(seated=seated).exclude(pk__in=kept).select_related("quota"):
        if sale.quota.used:
            raise SaleError("seating_plan_in_use")  # places sold there: the area stays on sale
        sale.quota.delete()
    return standing_tariffs
