"""The ticketing's models, one module per concern; every model is importable from here."""

from .catalogue import VAT_RATES, Channel, Product, PromoCode, Quota, SalesConfig, Tariff, TariffKind
from .documents import DonationReceipt, Invoice, InvoiceSeries
from .keys import ApiToken, IdempotencyRecord, SigningKey
from .orders import (
    Cart,
    Hold,
    HoldState,
    Order,
    OrderExtra,
    OrderItem,
    OrderState,
    Payment,
    PaymentState,
    Ticket,
    TicketSeries,
    TicketState,
    _order_code,
    _token,
    live_orders_q,
)
from .vouchers import Voucher, VoucherMovement, _voucher_code
from .waitlist import WaitingEntry, _waiting_token

__all__ = [
    "ApiToken",
    "Cart",
    "Channel",
    "DonationReceipt",
    "Hold",
    "HoldState",
    "IdempotencyRecord",
    "Invoice",
    "InvoiceSeries",
    "Order",
    "OrderExtra",
    "OrderItem",
    "OrderState",
    "Payment",
    "PaymentState",
    "Product",
    "PromoCode",
    "Quota",
    "SalesConfig",
    "SigningKey",
    "Tariff",
    "TariffKind",
    "Ticket",
    "TicketSeries",
    "TicketState",
    "VAT_RATES",
    "Voucher",
    "VoucherMovement",
    "WaitingEntry",
    "_order_code",
    "_token",
    "_voucher_code",
    "_waiting_token",
    "live_orders_q",
]
