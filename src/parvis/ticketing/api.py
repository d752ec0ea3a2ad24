"""Ticketing API: availability (public); orders for sales channels with a token (create, read, cancel,
refund tickets)."""

import hashlib
import json
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from parvis.core.api_errors import ApiError, errors
from parvis.programming.models import Performance

from . import inventory, services
from .auth import SalesChannelAuth
from .errors import MESSAGES, SaleError
from .models import Cart, Channel, IdempotencyRecord, Order, Tariff, TicketState

router = Router(tags=["ticketing"])
SALE_ERROR_STATUS = {
    "sold_out": 409,
    "hold_expired": 409,
    "price_mismatch": 409,
    "not_cancellable": 409,
    "nothing_to_refund": 409,
}
# What a sale can be refused for: the conflicts (409: try again with other places or prices) and the
# refusals (422: the request itself cannot be served), every code of `errors.MESSAGES`.
CONFLICTS = sorted(SALE_ERROR_STATUS)
REFUSALS = sorted(set(MESSAGES) - set(SALE_ERROR_STATUS))


class TariffAvailability(Schema):
    id: int
    name: str
    price: Decimal
    currency: str
    vat_rate: Decimal
    eligibility: str
    available: int
    on_sale: bool
    reason: str | None = Field(
        None, description="Stable code when not on sale: sales_not_open, sales_closed…"
    )


class AvailabilityOut(Schema):
    performance_id: int
    tariffs: list[TariffAvailability]


@router.get(
    "/performances/{performance_id}/availability",
    response={200: AvailabilityOut, **errors("PerformanceAvailability", lookup=True)},
)
def performance_availability(request, performance_id: int):
    performance = get_object_or_404(Performance, pk=performance_id, event__status="published")
    left = inventory.availability(performance_ids=[performance.pk], channel=Channel.ONLINE)
    rows = []
    for tariff in Tariff.objects.filter(
        performance=performance, is_active=True, sold_online=True
    ).select_related("performance__event", "performance__sales", "performance__venue"):
        try:
            services.check_on_sale(tariff, channel=Channel.ONLINE)
            on_sale, reason = True, None
        except SaleError as exc:
            on_sale, reason = False, exc.code
        rows.append(
            TariffAvailability(
                id=tariff.pk,
                name=tariff.localized_name,
                price=tariff.price,
                currency=tariff.currency,
                vat_rate=tariff.vat_rate,
                eligibility=tariff.localized_eligibility,
                available=left.get(tariff.pk, 0),
                on_sale=on_sale and left.get(tariff.pk, 0) > 0,
                reason=reason or (None if left.get(tariff.pk) else "sold_out"),
            )
        )
    return AvailabilityOut(performance_id=performance.pk, tariffs=rows)


class ItemIn(Schema):
    tariff: int = Field(..., ge=1)
    quantity: int = Field(..., ge=1, le=100)
    attendee_names: list[str] = Field(default_factory=list, max_length=100)
    seats: list[int] | None = Field(
        None,
        max_length=100,
        description="A date with numbered seats: the seats' ids (as many as the quantity); "
        "without them, the best available seats of the tariff's category are given.",
    )


class BuyerIn(Schema):
    email: str = Field(..., max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    first_name: str = Field(..., min_length=1, max_length=100)
    last_name: str = Field(..., min_length=1, max_length=100)
    postal_code: str = Field("", max_length=10)
    language: str = Field("fr", pattern="^(fr|en)$")


class ExtraIn(Schema):
    product: int = Field(..., ge=1)
    quantity: int = Field(..., ge=1, le=100)


class OrderIn(Schema):
    items: list[ItemIn] = Field(..., min_length=1, max_length=50)
    extras: list[ExtraIn] = Field(
        default_factory=list, max_length=20, description="Add-ons (programme, drink…)"
    )
    donation: Decimal | None = Field(
        None, description="A donation to the organizer, outside the scope of VAT"
    )
    buyer: BuyerIn
    provider: str = Field(
        "channel",
        description="channel: the sales channel has taken the money and settles with the organizer; "
        "free: nothing to pay; demo: demonstration payment (not in production). All confirmed at once.",
    )
    expected_total: Decimal | None = Field(
        None, description="Refused with price_mismatch if the server's total differs"
    )


class TicketOut(Schema):
    id: int
    number: int
    performance_id: int
    tariff: str
    price: Decimal
    attendee_name: str
    state: str
    secret: str


class OrderOut(Schema):
    code: str
    state: str
    total: Decimal
    refunded: Decimal = Field(Decimal(0), description="Given back so far (tickets, add-ons, donation)")
    currency: str
    email: str
    url: str
    tickets: list[TicketOut]


def _order_out(order: Order, tickets: list | None = None) -> dict:
    """The order as the API shows it (JSON-ready); `tickets`: those just issued, if the caller has them."""

    refunded = Decimal(0)  # a sale just made has given nothing back
    if tickets is None:
        tickets = order.tickets.select_related("tariff").order_by("performance_id", "number")
        refunded = -sum(
            order.payments.filter(state="refunded", amount__lt=0).values_list("amount", flat=True), Decimal(0)
        )
    else:
        tickets = sorted(tickets, key=lambda t: (t.performance_id, t.number))
    return {
        "code": order.code,
        "state": services.order_effective_state(order),
        "total": order.total,
        "refunded": refunded,
        "currency": order.currency,
        "email": order.email,
        "url": settings.PARVIS_BASE_URL + order.get_absolute_url(),
        "tickets": [
            {
                "id": t.pk,
                "number": t.number,
                "performance_id": t.performance_id,
                "tariff": t.tariff.name,
                "price": t.price,
                "attendee_name": t.attendee_name,
                "state": t.state,
                "secret": t.secret,
            }
            for t in tickets
        ],
    }


def _sale_error(exc: SaleError) -> ApiError:
    return ApiError(exc.code, exc.message, status=SALE_ERROR_STATUS.get(exc.code, 422), **exc.params)


@router.post(
    "/orders",
    response={
        201: OrderOut,
        **errors(
            "CreateOrder",
            auth=True,
            e409=[*CONFLICTS, "request_in_progress"],
            e422=[*REFUSALS, "idempotency_key_reused"],
        ),
    },
    auth=SalesChannelAuth(),
)
def create_order(request, payload: OrderIn):
    """The sale and its Idempotency-Key are written in one transaction, the key last with the answer: a failed
    sale leaves no key behind (it may be retried), and a repeat replays the first answer.

    A repeat arriving while the first request runs takes the same places after it. Its key waits for the
    first one's transaction, then finds the key taken: its own sale rolls back and the first answer is
    replayed. Near sold out, its places wait for the first request's, which leave none: it checks the key
    before saying sold out.

    The answer is encoded once, for the key and for the response, as ninja would write it from `OrderOut`
    (the replay goes through ninja: the test compares both byte for byte).
    """
    token = request.api_token
    key = request.headers.get("Idempotency-Key", "")[:200]
    body_hash = hashlib.sha256(json.dumps(payload.dict(), sort_keys=True, default=str).encode()).hexdigest()
    scope = f"api:{token.pk}"
    try:
        with transaction.atomic():
            response = json.dumps(_order_out(*_place(token, payload)), default=str)
            if key and not _idempotency_keep(scope, key, body_hash, 201, response):
                raise _Repeat
    except _Repeat:
        return _idempotency_replay(scope, key, body_hash)
    except SaleError as exc:
        if key and _idempotency_key_taken(scope, key, body_hash):
            return _idempotency_replay(scope, key, body_hash)
        raise _sale_error(exc) from None
    return HttpResponse(response, status=201, content_type="application/json; charset=utf-8")


class _Repeat(Exception):  # noqa: N818
    """Another request with this key has committed its sale: this one rolls back and replays it."""


def _idempotency_keep(scope: str, key: str, body_hash: str, status_code: int, response: str | None) -> bool:
    """Insert the key with its answer (JSON text), or wait for the transaction that inserted it to end:
    False if that transaction committed (the key is taken). One statement written once (every API order
    runs it)."""
    table, scope_column, key_column = map(
        connection.ops.quote_name, (IdempotencyRecord._meta.db_table, "scope", "key")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({scope_column}, {key_column}, request_hash, status_code, response, "  # noqa: S608
            f"created_at) VALUES (%s, %s, %s, %s, %s, %s) "
            f"ON CONFLICT ({scope_column}, {key_column}) DO NOTHING RETURNING id",
            [
                scope,
                key,
                body_hash,
                status_code,
                response,
                timezone.now(),
            ],
        )
        return cursor.fetchone() is not None


def _idempotency_key_taken(scope: str, key: str, body_hash: str) -> bool:
    """After a failed sale: whether a request with this key has committed one (waiting for one still
    running). The key is inserted and rolled back, so a failed sale leaves it free."""
    with transaction.atomic():
        taken = not _idempotency_keep(scope, key, body_hash, None, None)
        transaction.set_rollback(True)
    return taken


def _idempotency_replay(scope: str, key: str, body_hash: str):
    record = IdempotencyRecord.objects.get(scope=scope, key=key)
    if record.request_hash != body_hash:
        raise ApiError(
            "idempotency_key_reused", "This Idempotency-Key was used with another request.", status=422
        )
    if record.response is None:  # a record left by a version that answered in two transactions
        raise ApiError("request_in_progress", "The first request with this key is still running.", status=409)
    return Status(record.status_code, record.response)


def _place(token, payload: OrderIn) -> tuple[Order, list | None]:
    """Orders of tickets alone are sold and paid in one transaction (`order_place_paid`); with add-ons or
    a donation they go through a cart like a checkout, then the payment is confirmed."""
    buyer = services.Buyer(
        email=payload.buyer.email,
        first_name=payload.buyer.first_name,
        last_name=payload.buyer.last_name,
        postal_code=payload.buyer.postal_code,
        language=payload.buyer.language,
    )
    if not payload.extras and not payload.donation:
        return services.order_place_paid(
            organizer_id=token.organizer_id,
            lines=[services.PaidLine(i.tariff, i.quantity, i.attendee_names, i.seats) for i in payload.items],
            buyer=buyer,
            provider_code=payload.provider,
            reference=f"api-{token.prefix}-{uuid.uuid4().hex[:12]}",
            expected_total=payload.expected_total,
        )
    tariffs = set(
        Tariff.objects.filter(
            pk__in=[i.tariff for i in payload.items], performance__organizer_id=token.organizer_id
        ).values_list("pk", flat=True)
    )
    if any(item.tariff not in tariffs for item in payload.items):
        raise SaleError("unknown_tariff")
    cart = Cart.objects.create(channel=Channel.API)
    holds = []
    for item in payload.items:  # inside the view's transaction: an error rolls every hold back
        hold = services.cart_add(
            cart=cart, tariff_id=item.tariff, quantity=item.quantity, channel=Channel.API, new_cart=not holds
        )
        holds.append(hold)
        buyer.attendee_names[hold.pk] = item.attendee_names
    order = services.checkout_place_orders(
        cart=cart,
        buyer=buyer,
        provider_code=payload.provider,
        expected_total=payload.expected_total,
        extras={token.organizer_id: [(e.product, e.quantity) for e in payload.extras]},
        donations={token.organizer_id: payload.donation} if payload.donation else {},
    )[0]
    if order.state == "pending":
        payment = getattr(order, "first_payment", None) or order.payments.filter(state="created").first()
        order = services.payment_confirm(payment_id=payment.pk, reference=f"api-{token.prefix}-{payment.pk}")
    return order, None


@router.get(
    "/orders/{code}",
    response={200: OrderOut, **errors("GetOrder", auth=True, lookup=True)},
    auth=SalesChannelAuth(),
)
def get_order(request, code: str):
    return _order_out(get_object_or_404(Order, code=code, organizer_id=request.api_token.organizer_id))


@router.post(
    "/orders/{code}/cancel",
    response={
        200: OrderOut,
        **errors("CancelOrder", auth=True, lookup=True, e409=["not_cancellable"], e422=REFUSALS),
    },
    auth=SalesChannelAuth(),
)
def cancel_order(request, code: str):
    order = get_object_or_404(Order, code=code, organizer_id=request.api_token.organizer_id)
    try:
        order = services.order_cancel(order=order, reason=f"api {request.api_token.name}")
    except SaleError as exc:
        raise _sale_error(exc) from None
    return _order_out(order)


class RefundIn(Schema):
    tickets: list[int] = Field(..., min_length=1, max_length=200, description="Ids of the tickets to refund")
    reason: str = Field("", max_length=300)


@router.post(
    "/orders/{code}/refund",
    response={
        200: OrderOut,
        **errors(
            "RefundTickets",
            auth=True,
            lookup=True,
            e409=["nothing_to_refund"],
            e422=["unknown_ticket", *REFUSALS],
        ),
    },
    auth=SalesChannelAuth(),
)
def refund_tickets(request, code: str, payload: RefundIn):
    """Refund some tickets of a paid order, to the methods that paid it (the whole order: `cancel`). Their
    places go back on sale. A ticket is refunded once: a repeat of the request (a retry after a lost answer)
    changes nothing and answers the order as it is; a ticket exchanged or cancelled is refused."""
    order = get_object_or_404(Order, code=code, organizer_id=request.api_token.organizer_id)
    tickets = list(order.tickets.filter(pk__in=payload.tickets).prefetch_related("quotas"))
    if len(tickets) != len(set(payload.tickets)):
        raise ApiError("unknown_ticket", "No such ticket in this order.", status=422)
    if any(t.state not in (TicketState.VALID, TicketState.REFUNDED) for t in tickets):
        raise _sale_error(SaleError("nothing_to_refund"))
    reason = f"api {request.api_token.name}" + (f": {payload.reason}" if payload.reason else "")
    services.tickets_refund(tickets=tickets, reason=reason)
    order.refresh_from_db()
    return _order_out(order)
