"""Stripe: one hosted Checkout Session per cart (its Payment Intent carries our payment ids), confirmed by
the signed webhook or by the buyer's return, whichever comes first; both go through `payment_confirm`, which
confirms once. No Stripe script is loaded on our pages (the buyer is redirected to Stripe's page)."""

import datetime

import stripe
from django.conf import settings
from django.utils import timezone

from parvis.core.audit import audit_record
from parvis.core.params import is_digits

from . import services
from .models import Order, Payment, PaymentState
from .stripe_client import cents, client


def checkout_session_create(*, orders: list[Order], success_url: str, cancel_url: str) -> str:
    """Create the hosted payment page for these orders; returns its URL.

    The payments are claimed before Stripe is asked, so that two requests at once (a double click) open one
    page, not two a buyer could both pay: the second gets "" and nothing is sent. If Stripe cannot be
    reached, they are given back, to be paid later."""
    candidates = Payment.objects.filter(order__in=orders, provider="stripe", state=PaymentState.CREATED)
    payments = [
        p
        for p in candidates
        if Payment.objects.filter(pk=p.pk, state=PaymentState.CREATED).update(state=PaymentState.PENDING)
    ]
    if not payments:
        return ""
    orders = [o for o in orders if any(p.order_id == o.pk for p in payments)]
    ids = ",".join(str(p.pk) for p in payments)
    expires = min(min(o.expires_at for o in orders), timezone.now() + datetime.timedelta(minutes=30))
    expires = max(expires, timezone.now() + datetime.timedelta(minutes=30, seconds=5))  # Stripe's minimum
    try:
        session = client().v1.checkout.sessions.create(
            {
                "mode": "payment",
                "customer_email": orders[0].email,
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": o.currency.lower(),
                            # what the card pays: the order less any gift voucher part
                            "unit_amount": cents(sum(p.amount for p in payments if p.order_id == o.pk)),
                            "product_data": {"name": f"{o.organizer.name} — {o.code}"},
                        },
                    }
                    for o in orders
                ],
                "success_url": success_url + "?session_id={CHECKOUT_SESSION_ID}",
                "cancel_url": cancel_url,
                "expires_at": int(expires.timestamp()),
                "metadata": {"parvis_payments": ids, "parvis_checkout": str(orders[0].checkout)},
                "payment_intent_data": {"metadata": {"parvis_payments": ids}},
            }
        )
    except stripe.StripeError:
        Payment.objects.filter(pk__in=[p.pk for p in payments], reference="").update(
            state=PaymentState.CREATED
        )
        raise
    for payment in payments:  # the session is kept, so that the buyer can come back to it (`payment_resume`)
        Payment.objects.filter(pk=payment.pk).update(reference=f"{session.id}:{payment.pk}")
    return session.url


def payment_resume(order: Order, *, success_url: str, cancel_url: str) -> str:
    """Where the buyer of an order still to be paid pays it: Stripe's page for its checkout while that page is
    open, or a new one once it has expired (never two open at once: a buyer pays once). Returns "" if Stripe
    says it is paid meanwhile (then confirmed here), if a delayed payment is under way, or if nothing is left
    to pay."""
    orders = [o for o in Order.objects.filter(checkout=order.checkout).order_by("pk") if o.is_payable]
    stripe_payments = Payment.objects.filter(order__in=orders, provider="stripe")
    sessions = {
        p.reference.split(":")[0]
        for p in stripe_payments.filter(state=PaymentState.PENDING)
        if p.reference.startswith("cs_")
    }
    for session_id in sorted(sessions):
        session = client().v1.checkout.sessions.retrieve(session_id)
        if session.payment_status in ("paid", "no_payment_required"):
            _confirm(_payments_of(session), session.payment_intent or session.id)
            return ""
        if session.status == "open":
            return session.url
        if session.status == "expired":  # that page can take no more money: a new payment takes its place
            for payment in stripe_payments.filter(
                state=PaymentState.PENDING, reference__startswith=f"{session_id}:"
            ):
                services.payment_fail(payment_id=payment.pk)
        # "complete" but not paid yet: a delayed method (a debit) is under way, and the webhook will confirm
    due = [o for o in orders if stripe_payments.filter(order=o, state=PaymentState.CREATED).exists()]
    if not due:
        return ""
    return checkout_session_create(orders=due, success_url=success_url, cancel_url=cancel_url)


def _payments_of(obj) -> str:
    metadata = obj.metadata.to_dict() if obj.metadata is not None else {}
    return metadata.get("parvis_payments", "")


def _confirm(ids: str, intent: str) -> list[Order]:
    orders = []
    for raw in ids.split(","):
        if is_digits(raw.strip()):
            payment = Payment.objects.filter(pk=int(raw), provider="stripe").first()
            if payment is not None:
                orders.append(
                    services.payment_confirm(payment_id=payment.pk, reference=f"{intent}:{payment.pk}")
                )
    return orders


def session_return(session_id: str) -> None:
    """The buyer is back from Stripe: confirm at once if Stripe says it is paid (the webhook may be late)."""
    session = client().v1.checkout.sessions.retrieve(session_id)
    if session.payment_status == "paid":
        _confirm(_payments_of(session), session.payment_intent or session.id)


def webhook_handle(payload: bytes, signature: str) -> str:
    """Verify and apply one webhook event. Raises ValueError or stripe.SignatureVerificationError."""
    event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    data = event.data.object
    if event.type == "payment_intent.succeeded":
        _confirm(_payments_of(data), data.id)
    elif event.type == "checkout.session.completed" and data.payment_status == "paid":
        _confirm(_payments_of(data), data.payment_intent or data.id)
    elif event.type == "payment_intent.payment_failed":
        # One refused attempt: Stripe's page stays open and the buyer may try another card on the same
        # intent, whose success then confirms the payment. Only the attempt is logged; an order never paid
        # expires as any other.
        error = data.last_payment_error
        for raw in _payments_of(data).split(","):
            raw = raw.strip()
            payment = (
                Payment.objects.filter(pk=int(raw), provider="stripe").first() if is_digits(raw) else None
            )
            if payment is not None:
                audit_record(
                    actor=None,
                    action="payment.attempt_failed",
                    instance=payment.order,
                    organizer_id=payment.order.organizer_id,
                    after={"payment": payment.pk, "code": (error.code or error.type) if error else ""},
                )
    return event.type
