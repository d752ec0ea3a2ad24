"""Retention: people the organizer no longer needs to know are anonymised, with a dry run first.

Defaults follow the CNIL's guidance for cultural audiences: a prospect (never bought) is kept three years
after their last active contact, a customer three years after their last purchase. Each organizer can
change both durations. The dry run lists who would be anonymised; nothing happens until it is applied.
"""

import datetime

from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone

from . import privacy
from .models import Contact, Interaction

# Touchpoints that show the person is still in touch (a message sent to them does not).
ACTIVE_KINDS = (
    "order",
    "payment",
    "attendance",
    "signup",
    "consent",
    "email_opened",
    "email_clicked",
    "donation",
    "membership",
    "import",
)


def _years_ago(now: datetime.datetime, years: int) -> datetime.datetime:
    return now - datetime.timedelta(days=365 * years + years // 4)


def candidates(organizer, *, now: datetime.datetime | None = None):
    """Contacts past retention, in one query: customers by their last purchase, prospects by last contact."""
    now = now or timezone.now()
    mine = Interaction.objects.filter(contact=OuterRef("pk"))
    last_purchase = Subquery(
        mine.filter(kind="order").values("contact").annotate(m=Max("occurred_at")).values("m")
    )
    last_active = Subquery(
        mine.filter(kind__in=ACTIVE_KINDS).values("contact").annotate(m=Max("occurred_at")).values("m")
    )
    customer_limit = _years_ago(now, organizer.retention_customer_years)
    prospect_limit = _years_ago(now, organizer.retention_prospect_years)
    has_order = Exists(Interaction.objects.filter(contact=OuterRef("pk"), kind="order"))
    return (
        Contact.objects.filter(organizer=organizer, merged_into__isnull=True, anonymised_at__isnull=True)
        .annotate(is_customer=has_order, last_purchase=last_purchase, last_active=last_active)
        .filter(
            Q(is_customer=True, last_purchase__lt=customer_limit)
            | (
                Q(is_customer=False, created_at__lt=prospect_limit)
                & (Q(last_active__isnull=True) | Q(last_active__lt=prospect_limit))
            )
        )
    )


def report(organizer, *, now=None, sample: int = 50) -> dict:
    found = candidates(organizer, now=now)
    return {
        "customers": found.filter(is_customer=True).count(),
        "prospects": found.filter(is_customer=False).count(),
        "sample": list(found.order_by("last_name", "first_name")[:sample]),
    }


def apply(organizer, *, now=None, actor=None) -> int:
    """Anonymise every contact past retention; returns how many."""
    count = 0
    for contact in candidates(organizer, now=now).only("pk").iterator(chunk_size=500):
        privacy.contact_erase(contact=contact, actor=actor, register=False)
        count += 1
    return count
