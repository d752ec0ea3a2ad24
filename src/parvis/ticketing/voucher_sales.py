"""Gift vouchers as a product: an order for a voucher, and its line kind (docs/adr/0005).

This module is the smallest example of a product plugged into the ticketing core: a `LineKind` registered
in `TicketingConfig.ready()` issues the voucher once its order is paid and attaches its PDF to the
confirmation. The voucher as a means of payment (its balance, redeemed and put back) is `vouchers`."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from parvis.core.audit import audit_record

from . import services
from .errors import SaleError
from .extensions import Attachment, LineKind
from .models import Order, OrderExtra, Payment, Voucher
from .pdf import voucher_pdf
from .providers import enabled_providers
from .vouchers import MAX_VALUE, vouchers_of_order_issue


class VoucherLines(LineKind):
    """The gift vouchers an order bought: issued once it is paid, each attached as a PDF."""

    extra_kind = OrderExtra.Kind.VOUCHER

    def order_paid(self, order, *, paid_at) -> None:
        vouchers_of_order_issue(order)

    def attachments(self, order, context: dict) -> list[Attachment]:
        return [
            Attachment(f"bon-cadeau-{voucher.code}.pdf", voucher_pdf(voucher))
            for voucher in Voucher.objects.filter(order=order, source=Voucher.Source.ONLINE)
        ]


def voucher_order_place(*, organizer, value: Decimal, buyer, provider_code: str, recipient: str = ""):
    """An order for one gift voucher (no places): paid like any order; the voucher is issued when it is."""

    provider = enabled_providers().get(provider_code)
    if provider is None or provider_code in ("free", "transfer"):
        raise SaleError("provider_unavailable")
    if not organizer.sells_gift_vouchers:
        raise SaleError("voucher_unknown")
    value = Decimal(value).quantize(Decimal("0.01"))
    if not Decimal("1.00") <= value <= MAX_VALUE:
        raise SaleError("voucher_value")
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.create(
            organizer=organizer,
            **buyer.order_fields(organizer.pk),
            total=value,
            expires_at=now + provider.payment_window,
        )
        label = "Bon cadeau" + (f" — {recipient.strip()[:150]}" if recipient.strip() else "")
        OrderExtra.objects.create(
            order=order, kind=OrderExtra.Kind.VOUCHER, description=label, quantity=1, unit_price=value,
            vat_rate=Decimal("0.00"),
        )  # fmt: skip
        payment = Payment.objects.create(
            order=order, provider=provider_code, amount=value, currency=order.currency
        )
        audit_record(
            actor=None,
            action="order.place",
            instance=order,
            organizer_id=organizer.pk,
            after={"state": order.state, "total": str(value), "provider": provider_code, "voucher": True},
        )
        if provider.confirms_immediately:
            services.order_fulfil(order, now, payment=payment)
    order.refresh_from_db()
    return order
