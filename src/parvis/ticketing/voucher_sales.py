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
from .models import Channel, Order, OrderExtra, Payment, Voucher
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
            for voucher in Voucher.objects.filter(
                order=order, source__in=[Voucher.Source.ONLINE, Voucher.Source.BOX_OFFICE]
            )
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
        order = _voucher_order(organizer, value, buyer, recipient, expires_at=now + provider.payment_window)
        payment = Payment.objects.create(
            order=order, provider=provider_code, amount=value, currency=order.currency
        )
        _placed(order, provider_code)
        if provider.confirms_immediately:
            services.order_fulfil(order, now, payment=payment)
    order.refresh_from_db()
    return order


def voucher_counter_order(
    *, organizer, value: Decimal, buyer, counter_payments: list, contact=None, recipient: str = ""
) -> Order:
    """A gift voucher sold at the counter: its order (box office), its line and the money taken, paid at
    once; the voucher is issued with it (so every euro of the counter has an order, a payment and a journal
    entry). `counter_payments`: (method, amount, reference) as the till settled them."""
    value = Decimal(value).quantize(Decimal("0.01"))
    if not Decimal("1.00") <= value <= MAX_VALUE:
        raise SaleError("voucher_value")
    now = timezone.now()
    with transaction.atomic():
        order = _voucher_order(
            organizer, value, buyer, recipient, expires_at=now, channel=Channel.BOX_OFFICE, contact=contact
        )
        _placed(order, "box_office")
        services.order_payment_start(
            order=order, provider_code="box_office", counter_payments=counter_payments, notify=False
        )
    order.refresh_from_db()
    return order


def _voucher_order(
    organizer, value, buyer, recipient: str, *, expires_at, channel=Channel.ONLINE, contact=None
):
    order = Order.objects.create(
        organizer=organizer,
        contact=contact,
        **buyer.order_fields(organizer.pk),
        total=value,
        channel=channel,
        expires_at=expires_at,
    )
    label = "Bon cadeau" + (f" — {recipient.strip()[:150]}" if recipient.strip() else "")
    OrderExtra.objects.create(
        order=order, kind=OrderExtra.Kind.VOUCHER, description=label, quantity=1, unit_price=value,
        vat_rate=Decimal("0.00"),
    )  # fmt: skip
    return order


def _placed(order: Order, provider_code: str) -> None:
    audit_record(
        actor=None,
        action="order.place",
        instance=order,
        organizer_id=order.organizer_id,
        after={"state": order.state, "total": str(order.total), "provider": provider_code, "voucher": True},
    )
