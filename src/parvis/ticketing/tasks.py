"""Background work of the ticketing. Tasks take ids and are safe to run twice."""

from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from parvis.core import jobs
from parvis.core.compiled import CompiledQuery
from parvis.core.mail import deliver
from parvis.programming.models import Performance

from . import extensions, stripe_client
from .models import Order, OrderItem, OrderState, Payment, PaymentState, Voucher, WaitingEntry
from .pdf import order_tickets_pdf, printable, voucher_pdf


@task()
def send_order_confirmation(*, order_id: int, resend: bool = False) -> None:
    """E-mail the tickets. Claimed with a conditional update so that another task for the same order sends
    nothing; this task run again (its worker killed mid-send) goes on, and `deliver` skips what the relay
    had accepted."""
    if not resend:
        claimed = Order.objects.filter(
            Q(confirmation_sent_at__isnull=True), pk=order_id, state=OrderState.PAID
        ).update(confirmation_sent_at=timezone.now())
        if not claimed and not jobs.run_again():
            return
    found = _order(order_id)
    if not found:  # deleted since (a test order, an erasure): nothing to send
        return
    order = found[0]
    try:
        _send(order)
    except Exception:
        if not resend:
            Order.objects.filter(pk=order_id).update(confirmation_sent_at=None)
        raise


def _confirmation_subject(order: Order, items) -> str:
    """Names what the buyer will see, not who sold it: the show, its date and its venue (a network may sell
    a club's concert); several dates at one venue, the venue; otherwise the seller."""
    performances = {item.performance_id: item.performance for item in items if item.performance_id}
    venues = {p.venue.name for p in performances.values()}
    if len(performances) == 1:
        (performance,) = performances.values()
        local = timezone.localtime(performance.starts_at, performance.venue.tzinfo)
        return _("Vos billets : %(event)s, %(date)s — %(venue)s (commande %(code)s)") % {
            "event": performance.event.localized_title,
            "date": formats.date_format(local, "DATE_FORMAT"),
            "venue": performance.venue.name,
            "code": order.code,
        }
    return _("Vos billets — %(organizer)s — commande %(code)s") % {
        "organizer": venues.pop() if len(venues) == 1 else order.organizer.name,
        "code": order.code,
    }


# The reads of each confirmation, written as SQL once per process (core.compiled): after an on-sale rush
# the worker sends thousands, and the ORM took longer to write these joins than the database to run them.
_order = CompiledQuery(
    Order, lambda pk: Order.objects.filter(pk=pk).select_related("organizer").prefetch_related("extras")
)
_items = CompiledQuery(
    OrderItem,
    lambda order_id: (
        OrderItem.objects.filter(order_id=order_id)
        .select_related("performance__event", "performance__venue", "tariff")
        .order_by("pk")
    ),
)


def _with_mentions(items, tickets):
    """Each item with what its tickets mention (« Place : rang B, place 4 »), for the e-mail's lines."""
    for item in items:
        item.mentions = [
            f"{label} : {text}"
            for t in tickets
            if t.item_id == item.pk
            for label, text in extensions.mentions_of(t)
        ]
    return items


def _send(order: Order) -> None:
    kinds = extensions.kinds_of(order, {extra.kind for extra in order.extras.all()})
    with translation.override(order.language or settings.LANGUAGE_CODE):
        made = {kind: kind.confirmation(order, base_url=settings.PARVIS_BASE_URL) for kind in kinds}
        tickets = printable(order)
        context = {
            "order": order,
            "items": _with_mentions(_items(order.pk), tickets),
            "order_url": settings.PARVIS_BASE_URL + order.get_absolute_url(),
            "base_url": settings.PARVIS_BASE_URL,
            "tickets": tickets,
            "links": extensions.links_of(order, settings.PARVIS_BASE_URL),
        }
        for part in made.values():  # what each product bought shows (its passes, its cards, …)
            context.update(part)
        subject = _confirmation_subject(order, list(context["items"]))
        message = EmailMultiAlternatives(
            subject,
            render_to_string("ticketing/email/confirmation.txt", context),
            None,
            [order.email],
            reply_to=[order.organizer.email] if order.organizer.email else None,
        )
        message.attach_alternative(
            render_to_string("ticketing/email/confirmation.html", context), "text/html"
        )
        if tickets:
            message.attach(
                f"billets-{order.code}.pdf",
                order_tickets_pdf(order, layout=order.organizer.ticket_layout, tickets=tickets),
                "application/pdf",
            )
        for kind, part in made.items():  # and the files it gives (a voucher, a card, a tax receipt…)
            for attachment in kind.attachments(order, part):
                message.attach(attachment.filename, attachment.content, attachment.mimetype)
        deliver(message)


def _notify_buyer(order: Order, subject, template: str, context_of, attachments=()) -> None:
    """E-mail the buyer of an order, in their language, a text drawn from `template`; replies go to the
    organizer. `subject` is a lazy text with %(organizer)s and %(code)s; `context_of()` gives the rest of
    the template's context (in the buyer's language); `attachments`: (name, bytes) PDFs."""
    with translation.override(order.language or settings.LANGUAGE_CODE):
        context = {
            "order": order,
            "order_url": settings.PARVIS_BASE_URL + order.get_absolute_url(),
            "base_url": settings.PARVIS_BASE_URL,
            **context_of(),
        }
        message = EmailMultiAlternatives(
            str(subject) % {"organizer": order.organizer.name, "code": order.code, **context},
            render_to_string(template, context),
            None,
            [order.email],
            reply_to=[order.organizer.email] if order.organizer.email else None,
        )
        for name, content in attachments:
            message.attach(name, content, "application/pdf")
        deliver(message)


@task()
def send_cancellation_notice(*, order_id: int, performance_id: int) -> None:
    """Tell a buyer that a date is cancelled and refunded. A second run sends the notice again (harmless)."""
    order = Order.objects.select_related("organizer").get(pk=order_id)
    performance = Performance.objects.select_related("event", "venue").get(pk=performance_id)
    _notify_buyer(
        order,
        gettext_lazy("Annulation : %(event)s — commande %(code)s"),
        "ticketing/email/cancellation.txt",
        lambda: {
            "performance": performance,
            "event": performance.event.title,
            "due": -sum(
                order.payments.filter(state=PaymentState.REFUND_DUE).values_list("amount", flat=True),
                Decimal(0),
            ),
        },
    )


@task()
def send_auto_refund_notice(*, order_id: int, voucher: bool = False) -> None:
    """Tell a buyer whose payment came too late that it is refunded and no ticket was issued. A second run
    sends the notice again (harmless)."""
    order = Order.objects.select_related("organizer").get(pk=order_id)
    refunded = sum(p.amount for p in order.payments.filter(state="refunded", amount__gt=0))
    _notify_buyer(
        order,
        gettext_lazy("Paiement remboursé — %(organizer)s — commande %(code)s"),
        "ticketing/email/auto_refund.txt",
        lambda: {"voucher": voucher, "refunded": refunded},
    )


@task()
def send_refund_notice(*, order_id: int, payment_ids: list[int]) -> None:
    """Tell a buyer what a refund of their order gives back, and by which means. A second run sends the
    notice again (harmless)."""
    order = Order.objects.select_related("organizer").get(pk=order_id)
    refunds = list(Payment.objects.filter(order=order, pk__in=payment_ids).order_by("pk"))
    _notify_buyer(
        order,
        gettext_lazy("Remboursement — %(organizer)s — commande %(code)s"),
        "ticketing/email/refund.txt",
        lambda: {
            "refunds": [
                (p.provider if p.state != PaymentState.REFUND_DUE else "due", p.provider_label, -p.amount)
                for p in refunds
            ],  # labels in their language
            "total": -sum((p.amount for p in refunds), 0),
            "cancelled": order.state == OrderState.REFUNDED,
        },
    )


@task()
def send_credit_voucher(*, voucher_id: int) -> None:
    """E-mail a credit voucher (a refund made as a gift voucher) to the buyer of its order, with its PDF.
    A second run sends it again (harmless: the same voucher)."""
    voucher = Voucher.objects.select_related("order__organizer").get(pk=voucher_id)
    _notify_buyer(
        voucher.order,
        gettext_lazy("Votre avoir — %(organizer)s — commande %(code)s"),
        "ticketing/email/credit_voucher.txt",
        lambda: {"voucher": voucher},
        attachments=[(f"bon-cadeau-{voucher.code}.pdf", voucher_pdf(voucher))],
    )


@task()
def refund_to_provider(*, payment_id: int) -> None:
    """Pass a refund recorded in Parvis on to the payment provider that took the money."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is not None and payment.provider == "stripe":
        stripe_client.refund_send(payment_id)


@task()
def send_waitlist_offer(*, entry_id: int) -> None:
    """Tell the next person on a waiting list that places are held for them, with the link and deadline."""
    entry = (
        WaitingEntry.objects.select_related("performance__event", "performance__venue")
        .filter(pk=entry_id, state=WaitingEntry.State.OFFERED)
        .first()
    )
    if entry is None:
        return
    with translation.override(entry.language or settings.LANGUAGE_CODE):
        context = {
            "entry": entry,
            "url": settings.PARVIS_BASE_URL + f"/liste-attente/{entry.token}/",
            "leave_url": settings.PARVIS_BASE_URL + f"/liste-attente/{entry.token}/quitter/",
        }
        deliver(
            EmailMessage(
                _("Des places se sont libérées — %(title)s") % {"title": entry.performance.event.title},
                render_to_string("ticketing/email/waitlist_offer.txt", context),
                None,
                [entry.email],
            )
        )


# How each kind is tried again, and what the staff read when it fails for good (core.jobs).


def _order_about(kwargs: dict) -> tuple[int | None, str]:
    order = Order.objects.filter(pk=kwargs.get("order_id")).values("organizer_id", "code").first()
    return (order["organizer_id"], _("commande %(code)s") % order) if order else (None, "")


def _voucher_about(kwargs: dict) -> tuple[int | None, str]:
    voucher = Voucher.objects.filter(pk=kwargs.get("voucher_id")).select_related("order").first()
    if voucher is None:
        return None, ""
    code = voucher.order.code if voucher.order else "—"
    return voucher.organizer_id, _("commande %(code)s") % {"code": code}


def _payment_about(kwargs: dict) -> tuple[int | None, str]:
    payment = Payment.objects.filter(pk=kwargs.get("payment_id")).select_related("order").first()
    if payment is None:
        return None, ""
    return payment.order.organizer_id, _("commande %(code)s") % {"code": payment.order.code}


def _waitlist_about(kwargs: dict) -> tuple[int | None, str]:
    entry = (
        WaitingEntry.objects.filter(pk=kwargs.get("entry_id")).select_related("performance__event").first()
    )
    if entry is None:
        return None, ""
    return entry.performance.organizer_id, str(entry.performance.event.title)


jobs.policy(send_order_confirmation, label=gettext_lazy("Envoi des billets"), about=_order_about, batch=25)
jobs.policy(send_cancellation_notice, label=gettext_lazy("Avis d'annulation"), about=_order_about)
jobs.policy(
    send_auto_refund_notice, label=gettext_lazy("Avis de remboursement automatique"), about=_order_about
)
jobs.policy(send_refund_notice, label=gettext_lazy("Avis de remboursement"), about=_order_about)
jobs.policy(send_credit_voucher, label=gettext_lazy("Envoi d'un avoir"), about=_voucher_about)
jobs.policy(
    refund_to_provider,
    tries=12,  # money owed: tried for about a day before a person is asked to look
    first_delay_s=60,
    max_delay_s=4 * 3600,
    label=gettext_lazy("Remboursement chez le prestataire de paiement"),
    about=_payment_about,
)
jobs.policy(send_waitlist_offer, label=gettext_lazy("Offre de la liste d'attente"), about=_waitlist_about)
