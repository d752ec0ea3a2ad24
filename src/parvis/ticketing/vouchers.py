"""Gift vouchers and refund credits: issue, redeem (never below zero, even under concurrency), restore.

A redemption is one conditional UPDATE (`balance >= amount`, not expired, not cancelled): two counters
spending the same voucher at once can never spend more than its balance.
"""

import datetime
import re
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from parvis.core.audit import audit_record

from .errors import SaleError
from .models import Channel, OrderExtra, Voucher, VoucherMovement

VALIDITY = datetime.timedelta(days=365)
MAX_VALUE = Decimal("2000.00")


def normalise_code(code: str) -> str:
    raw = re.sub(r"[^A-Z0-9]", "", (code or "").upper())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}" if len(raw) == 12 else raw


def voucher_find(*, organizer_id: int, code: str) -> Voucher:
    voucher = Voucher.objects.filter(organizer_id=organizer_id, code=normalise_code(code)).first()
    if voucher is None:
        raise SaleError("voucher_unknown")
    return voucher


def voucher_issue(
    *,
    organizer,
    value: Decimal,
    source: str,
    actor=None,
    order=None,
    recipient: str = "",
    validity: datetime.timedelta = VALIDITY,
) -> Voucher:
    value = Decimal(value).quantize(Decimal("0.01"))
    if not Decimal("1.00") <= value <= MAX_VALUE:
        raise SaleError("voucher_value")
    with transaction.atomic():
        voucher = Voucher.objects.create(
            organizer=organizer,
            initial_value=value,
            balance=value,
            source=source,
            expires_at=timezone.now() + validity,
            order=order,
            recipient=recipient.strip()[:200],
        )
        VoucherMovement.objects.create(
            voucher=voucher, kind=VoucherMovement.Kind.ISSUE, amount=value, order=order, actor=actor
        )
        audit_record(
            actor=actor,
            action="voucher.issue",
            instance=voucher,
            organizer_id=organizer.pk,
            after={"value": str(value), "source": source, "order": getattr(order, "code", "")},
        )
    return voucher


def voucher_redeem(*, organizer_id: int, code: str, amount: Decimal, order=None, actor=None) -> Voucher:
    """Spend `amount` of a voucher (in the caller's transaction), or raise and spend nothing."""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    if amount <= 0:
        raise SaleError("voucher_value")
    voucher = voucher_find(organizer_id=organizer_id, code=code)
    now = timezone.now()
    if voucher.cancelled_at is not None:
        raise SaleError("voucher_unknown")
    if voucher.expires_at <= now:
        raise SaleError("voucher_expired")
    with transaction.atomic():
        taken = Voucher.objects.filter(
            pk=voucher.pk, balance__gte=amount, expires_at__gt=now, cancelled_at__isnull=True
        ).update(balance=F("balance") - amount)
        if not taken:
            voucher.refresh_from_db()
            raise SaleError("voucher_insufficient", balance=str(voucher.balance))
        VoucherMovement.objects.create(
            voucher=voucher, kind=VoucherMovement.Kind.REDEEM, amount=-amount, order=order, actor=actor
        )
    voucher.refresh_from_db()
    return voucher


MAX_EXTENSION = datetime.timedelta(days=3 * 365)


def voucher_extend(*, voucher: Voucher, until: datetime.date, actor) -> Voucher:
    """Keep a voucher valid to the end of `until` (a credit put back after its date, a gesture): later than
    today and than its date now, at most three years ahead. A cancelled voucher stays cancelled."""
    expires_at = timezone.make_aware(datetime.datetime.combine(until, datetime.time.max))  # Paris time
    now = timezone.now()
    if voucher.cancelled_at is not None:
        raise SaleError("voucher_unknown")
    if expires_at <= max(now, voucher.expires_at) or expires_at > now + MAX_EXTENSION:
        raise SaleError("voucher_extension")
    before = voucher.expires_at
    with transaction.atomic():
        Voucher.objects.filter(pk=voucher.pk).update(expires_at=expires_at)
        audit_record(
            actor=actor,
            action="voucher.extend",
            instance=voucher,
            organizer_id=voucher.organizer_id,
            before={"expires_at": before.isoformat()},
            after={"expires_at": expires_at.isoformat()},
        )
    voucher.refresh_from_db()
    return voucher


def vouchers_of_order_restore(order, amount: Decimal) -> None:
    """Put a refund of an order back on the gift vouchers that paid part of it, each up to what it paid for
    the order and has not had back yet (in the caller's transaction). An expired or cancelled voucher is put
    back too, and stays so."""
    owed = (  # per voucher: what it paid for the order, less what it has had back
        VoucherMovement.objects.filter(
            order=order, kind__in=[VoucherMovement.Kind.REDEEM, VoucherMovement.Kind.RESTORE]
        )
        .values("voucher_id")
        .annotate(net=Sum("amount"))
        .order_by("voucher_id")
    )
    for row in owed:
        part = min(amount, -row["net"])
        if part <= 0:
            continue
        if Voucher.objects.filter(pk=row["voucher_id"], balance__lte=F("initial_value") - part).update(
            balance=F("balance") + part
        ):
            VoucherMovement.objects.create(
                voucher_id=row["voucher_id"], kind=VoucherMovement.Kind.RESTORE, amount=part, order=order
            )
            amount -= part


def vouchers_of_order_issue(order) -> list[Voucher]:
    """Issue the vouchers an order bought (its VOUCHER lines), once: called when the order is paid."""
    source = Voucher.Source.BOX_OFFICE if order.channel == Channel.BOX_OFFICE else Voucher.Source.ONLINE
    if Voucher.objects.filter(order=order, source=source).exists():
        return []
    issued = []
    for line in order.extras.filter(kind=OrderExtra.Kind.VOUCHER).order_by("pk"):
        for _ in range(line.quantity):
            issued.append(
                voucher_issue(
                    organizer=order.organizer,
                    value=line.unit_price,
                    source=source,
                    order=order,
                    recipient=line.description.partition(" — ")[2],
                )
            )
    return issued
