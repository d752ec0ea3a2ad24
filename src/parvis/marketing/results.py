"""What a campaign brought: clicks, and sales compared with its holdout group.

- **Clicks**: every click counts in the total; the people who clicked are known only among those who
  consented to the measure of their clicks.
- **Sales after a click**: the paid orders, at the campaign's organizer (or the network's members), of
  those known clickers within `attribution_days` after their first click: orders, revenue, tickets.
- **Against the holdout**: the share of people who bought within `attribution_days` after the sending,
  among those who received the campaign and among the holdout group that did not; the difference is what
  the campaign itself brought. No click needed: the organizer knows its own buyers.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Min, Sum

from parvis.network.models import NetworkMembership
from parvis.ticketing.models import Order, OrderState, Ticket

from .models import Campaign, Click, Open, Recipient

PAID = [OrderState.PAID, OrderState.PARTIALLY_REFUNDED]


@dataclass
class Group:
    people: int
    buyers: int
    revenue: Decimal

    @property
    def rate(self) -> float | None:
        return round(100 * self.buyers / self.people, 1) if self.people else None


def _orders(campaign: Campaign):
    if campaign.network_id:
        members = NetworkMembership.objects.filter(network_id=campaign.network_id).values("organizer_id")
        return Order.objects.filter(organizer_id__in=members, state__in=PAID)
    return Order.objects.filter(organizer_id=campaign.organizer_id, state__in=PAID)


def _group(campaign: Campaign, state: str, start: datetime.datetime) -> Group:
    window = datetime.timedelta(days=campaign.attribution_days)
    contacts = Recipient.objects.filter(campaign=campaign, state=state).values("contact_id")
    orders = _orders(campaign).filter(contact_id__in=contacts, paid_at__gte=start, paid_at__lt=start + window)
    totals = orders.aggregate(buyers=Count("contact_id", distinct=True), revenue=Sum("total"))
    return Group(
        people=Recipient.objects.filter(campaign=campaign, state=state).count(),
        buyers=totals["buyers"] or 0,
        revenue=totals["revenue"] or Decimal("0"),
    )


def _after_clicks(campaign: Campaign) -> dict:
    """The orders of the known clickers within the window after their first click (one query each for
    the clicks and the orders, whatever the number of clickers)."""
    window = datetime.timedelta(days=campaign.attribution_days)
    first = dict(
        Click.objects.filter(campaign=campaign, recipient__isnull=False)
        .values_list("recipient__contact_id")
        .annotate(first=Min("at"))
        .order_by()
    )
    candidates = (
        _orders(campaign)
        .filter(contact_id__in=list(first), paid_at__gte=min(first.values()))
        .only("pk", "contact_id", "paid_at", "total")
        if first
        else []
    )
    orders = [o for o in candidates if first[o.contact_id] <= o.paid_at < first[o.contact_id] + window]
    return {
        "orders": len(orders),
        "revenue": sum((o.total for o in orders), Decimal("0")),
        "tickets": Ticket.objects.filter(order_id__in=[o.pk for o in orders]).count(),
    }


def results(campaign: Campaign) -> dict:
    clicks = Click.objects.filter(campaign=campaign)
    opens = Open.objects.filter(campaign=campaign)
    start = campaign.send_at or campaign.frozen_at
    return {
        "opens": opens.filter(machine=False).count(),
        "machine_opens": opens.filter(machine=True).count(),
        "clicks": clicks.count(),
        "clickers": clicks.exclude(recipient=None).values("recipient").distinct().count(),
        "after_clicks": _after_clicks(campaign),
        "received": _group(campaign, Recipient.State.SENT, start) if start else None,
        "holdout": _group(campaign, Recipient.State.HOLDOUT, start)
        if start and campaign.holdout_percent
        else None,
        "days": campaign.attribution_days,
    }
