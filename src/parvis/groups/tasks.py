"""Background work of group bookings: the leader's e-mails. Safe to run twice (the same message again)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from parvis.core.mail import deliver

from .documents import booking_pdf
from .models import GroupBooking

SUBJECTS = {
    "received": lambda b: _("Demande de réservation reçue — %(offer)s") % {"offer": b.offer.name},
    "confirmed": lambda b: (
        _("Réservation confirmée — %(offer)s (devis %(quote)s)")
        % {"offer": b.offer.name, "quote": b.quote_code}
    ),
    "proposed": lambda b: _("Une autre date vous est proposée — %(offer)s") % {"offer": b.offer.name},
    "refused": lambda b: _("Votre demande de réservation — %(offer)s") % {"offer": b.offer.name},
    "no_show": lambda b: _("Nous ne vous avons pas vus — %(offer)s") % {"offer": b.offer.name},
    "invoiced": lambda b: (
        _("Facture %(invoice)s — %(offer)s") % {"invoice": b.invoice_code, "offer": b.offer.name}
    ),
}


@task()
def send_booking_mail(*, booking_id: int, what: str) -> None:
    booking = (
        GroupBooking.objects.select_related("offer__event", "organizer", "performance__venue")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None or what not in SUBJECTS:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "booking": booking,
            "what": what,
            "url": settings.PARVIS_BASE_URL + booking.get_absolute_url(),
        }
        message = EmailMessage(
            SUBJECTS[what](booking),
            render_to_string("groups/email/booking.txt", context),
            None,
            [booking.leader_email],
            reply_to=[booking.organizer.email] if booking.organizer.email else None,
        )
        if what == "confirmed":
            message.attach(
                f"devis-{booking.quote_code}.pdf", booking_pdf(booking, "quote"), "application/pdf"
            )
        if what == "invoiced":
            message.attach(
                f"facture-{booking.invoice_code}.pdf", booking_pdf(booking, "invoice"), "application/pdf"
            )
        deliver(message)
