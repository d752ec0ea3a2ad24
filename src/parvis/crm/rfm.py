"""RFM scores: recency, frequency and monetary value, 1–5 each by quintile within an organizer.

Refreshed nightly (`parvis rfm_refresh`, from cron): one grouped query reads the figures, the scores are
written back in batches. Named groups make them usable by people: champions, loyal, new, at risk, lost.
"""

import datetime
from bisect import bisect_right

from django.db import transaction
from django.db.models import Case, Count, DecimalField, F, Max, Q, Sum, Value, When
from django.utils import timezone

from .models import Contact, Interaction

BATCH = 5000


def _quintile_scores(values: list, *, reverse: bool = False) -> list[int]:
    """1–5 by quintile (5 = best); ties share a score."""
    ordered = sorted(values)
    n = len(ordered)
    cuts = [ordered[min(n - 1, (n * k) // 5)] for k in range(1, 5)]
    scores = [1 + bisect_right(cuts, v) if n > 1 else 3 for v in values]
    scores = [min(5, max(1, s)) for s in scores]
    return [6 - s for s in scores] if reverse else scores


def group_of(r: int, f: int, m: int) -> str:
    if r >= 4 and f >= 4 and m >= 4:
        return "champions"
    if f >= 4 and r >= 3:
        return "loyal"
    if r >= 4 and f <= 2:
        return "new"
    if r <= 2 and f >= 3:
        return "at_risk"
    if r <= 2:
        return "lost"
    return "other"


def rfm_refresh(organizer, *, today: datetime.date | None = None) -> int:
    """Score every contact of the organizer who bought or came; returns how many were scored."""
    now = (
        timezone.now()
        if today is None
        else timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
    )
    signed = Case(
        When(kind="refund", then=-F("amount")),
        When(kind="order", then=F("amount")),
        default=Value(0),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )
    rows = list(
        Interaction.objects.filter(organizer=organizer, kind__in=["order", "refund", "attendance"])
        .values("contact")
        .annotate(
            last=Max("occurred_at", filter=Q(kind__in=["order", "attendance"])),
            frequency=Count("pk", filter=Q(kind__in=["order", "attendance"])),
            monetary=Sum(signed),
        )
        .filter(frequency__gt=0)
        .values_list("contact", "last", "frequency", "monetary")
    )
    if not rows:
        return 0
    days = [(now - last).days for _c, last, _f, _m in rows]
    r_scores = _quintile_scores(days, reverse=True)  # fewer days since the last visit: better
    f_scores = _quintile_scores([f for _c, _l, f, _m in rows])
    m_scores = _quintile_scores([m or 0 for _c, _l, _f, m in rows])
    updates = []
    for (contact_id, *_rest), r, f, m in zip(rows, r_scores, f_scores, m_scores, strict=True):
        updates.append(
            Contact(
                pk=contact_id, rfm_recency=r, rfm_frequency=f, rfm_monetary=m, rfm_group=group_of(r, f, m)
            )
        )
    with transaction.atomic():  # readers never see the scores half cleared
        Contact.objects.filter(organizer=organizer).exclude(rfm_group="").update(
            rfm_recency=None, rfm_frequency=None, rfm_monetary=None, rfm_group=""
        )
        Contact.objects.bulk_update(
            updates, ["rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_group"], batch_size=BATCH
        )
    return len(updates)
