"""Stripe's client, and refunds sent to Stripe (a task, after commit): what talks to Stripe without taking
part in a sale (the sale's side is `stripe_provider`)."""

import stripe
from django.conf import settings

from parvis.core import jobs

from .models import Payment, PaymentState

# Tests replace this with a client that answers from recorded fixtures.
HTTP_CLIENT: stripe.HTTPClient | None = None


def client() -> stripe.StripeClient:
    # STRIPE_API_BASE: another address for Stripe's API (a stand-in in tests and benchmarks)
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, http_client=HTTP_CLIENT, max_network_retries=2, base_addresses=base
    )


@jobs.classifier
def stripe_failure(exc: BaseException) -> str | None:
    """What Stripe's errors mean for a task: out of reach, try again later, or refused for good."""
    if isinstance(exc, stripe.APIConnectionError):
        return jobs.OUTAGE
    if isinstance(exc, stripe.RateLimitError | stripe.IdempotencyError):
        return jobs.TRANSIENT
    if isinstance(exc, stripe.StripeError):
        status = exc.http_status or 0
        return jobs.TRANSIENT if status >= 500 or status in (0, 409) else jobs.PERMANENT
    return None


def cents(amount) -> int:
    return int((amount * 100).to_integral_value())


def refund_send(payment_id: int) -> None:
    """Send a recorded refund (a negative stripe payment) to Stripe. Stripe's idempotency key makes a second
    run harmless; the refund id is kept as the payment's reference."""
    refund = Payment.objects.select_related("order").get(pk=payment_id, provider="stripe", amount__lt=0)
    if refund.reference:
        return
    original = refund.order.payments.filter(  # refunded in full when it came too late (`_auto_refund`)
        provider="stripe", state__in=[PaymentState.CONFIRMED, PaymentState.REFUNDED], amount__gt=0
    ).first()
    if original is None or not original.reference.startswith("pi_"):
        return
    intent = original.reference.split(":")[0]
    result = client().v1.refunds.create(
        {
            "payment_intent": intent,
            "amount": cents(-refund.amount),
            "metadata": {"parvis_payment": str(refund.pk)},
        },
        {"idempotency_key": f"parvis-refund-{refund.pk}"},
    )
    Payment.objects.filter(pk=refund.pk, reference="").update(reference=result.id)
