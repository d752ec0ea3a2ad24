"""Selling: carts and holds, checkout, payments, tickets, refunds, the catalogue of tariffs and quotas.

One module per concern; each function owns its transaction, e-mails go out after commit through a task,
capacity is only touched through `inventory`. What other apps and the views call is re-exported here;
the products built on ticketing (passes, member cards, …) plug into the order's life through
`ticketing.extensions`, never by name (docs/adr/0005)."""

from ..errors import SaleError
from .buyer import Buyer, consents_record, sellers_of
from .cart import (
    cart_add,
    cart_apply_membership,
    cart_apply_promo,
    cart_benefits,
    cart_discounts,
    cart_live_holds,
    cart_remove,
    cart_unit_prices,
)
from .catalogue import (
    performance_capacity,
    quota_create,
    quota_set_capacity,
    tariff_create,
    timed_slots_create,
)
from .checkout import checkout_place_orders, order_payment_start, product_stock_left
from .exchange import ticket_exchange
from .fulfilment import (
    order_effective_state,
    order_fulfil,
    payment_confirm,
    payment_fail,
    payment_mark_pending,
    tickets_issue,
)
from .paid import PaidLine, order_place_paid
from .prices import (
    PriceListFollower,
    coming_dates,
    price_create,
    price_update,
    prices_apply,
    tariff_label,
    tariff_realign,
    tariff_update,
)
from .refunds import (
    order_cancel,
    order_self_cancel,
    performance_cancel,
    refund_as_voucher,
    refund_noticed,
    refund_payment,
    self_cancellation_allowed,
    tickets_refund,
)
from .rules import (
    DEFAULT_MAX_PER_ORDER,
    SALE_TARIFF_FIELDS,
    check_on_sale,
    check_slot_on_sale,
    hold_duration,
    max_per_order,
    online_close_at,
    online_close_margin,
    sale_tariffs,
)

__all__ = [
    "SaleError",
    "Buyer",
    "DEFAULT_MAX_PER_ORDER",
    "PaidLine",
    "SALE_TARIFF_FIELDS",
    "cart_add",
    "cart_apply_membership",
    "cart_apply_promo",
    "cart_benefits",
    "cart_discounts",
    "cart_live_holds",
    "cart_remove",
    "cart_unit_prices",
    "check_on_sale",
    "check_slot_on_sale",
    "online_close_at",
    "online_close_margin",
    "checkout_place_orders",
    "consents_record",
    "hold_duration",
    "max_per_order",
    "order_cancel",
    "order_effective_state",
    "order_fulfil",
    "order_payment_start",
    "order_place_paid",
    "order_self_cancel",
    "payment_confirm",
    "payment_fail",
    "payment_mark_pending",
    "performance_cancel",
    "performance_capacity",
    "product_stock_left",
    "quota_create",
    "quota_set_capacity",
    "refund_as_voucher",
    "refund_noticed",
    "refund_payment",
    "sale_tariffs",
    "self_cancellation_allowed",
    "sellers_of",
    "tariff_create",
    "ticket_exchange",
    "tickets_issue",
    "tickets_refund",
    "timed_slots_create",
    "PriceListFollower",
    "coming_dates",
    "price_create",
    "price_update",
    "prices_apply",
    "tariff_label",
    "tariff_realign",
    "tariff_update",
]
