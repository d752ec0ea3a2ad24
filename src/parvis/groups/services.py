"""A group booking's life: requested, confirmed on a date (its places taken from that date's quotas in the
same statement as a sale takes them: never oversold), or another date proposed, or refused; the quote; the
arrival, which fixes how many came and adjusts the places; the invoice from that count; the payment.

Every change is audited; the CRM records the establishment, the group leader and each visit."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit
from parvis.crm import services as crm
from parvis.crm.models import Affiliation, Consent, Organisation, Purpose
from parvis.online import services as online
from parvis.programming.models import Performance, PerformanceStatus
from parvis.ticketing import inventory
from parvis.ticketing.models import Channel, Quota, Tariff

from .models import HOLDING, Audience, BookingState, GroupBooking, GroupNumbers, GroupOffer
from .pricing import amount
from .tasks import send_booking_mail

ORGANISATION_KIND = {
    Audience.SCHOOL: Organisation.Kind.SCHOOL,
    Audience.ASSOCIATION: Organisation.Kind.ASSOCIATION,
    Audience.COMPANY: Organisation.Kind.COMPANY,
    Audience.SOCIAL: Organisation.Kind.OTHER,
}


class GroupError(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _check_size(offer: GroupOffer, pupils: int, adults: int) -> None:
    if pupils < offer.min_size or pupils > offer.max_size:
        raise GroupError(
            _("Cette offre accueille de %(min)s à %(max)s élèves ou participants.")
            % {"min": offer.min_size, "max": offer.max_size}
        )
    if adults < 1:
        raise GroupError(_("Un accompagnateur au moins est nécessaire."))


def offer_dates(offer: GroupOffer, now=None):
    """The coming dates of the offer's event a group may ask for."""
    return (
        Performance.objects.filter(event=offer.event, starts_at__gt=now or timezone.now())
        .exclude(status=PerformanceStatus.CANCELLED)
        .select_related("venue")
        .order_by("starts_at")
    )


def request_booking(*, offer: GroupOffer, data: dict, preferred: list[Performance]) -> GroupBooking:
    """A group leader's request; the leader and the establishment reach the CRM, the leader's e-mail says
    what comes next."""
    if not offer.is_active:
        raise GroupError(_("Cette offre n'est plus proposée."))
    if data["audience"] not in offer.audiences:
        raise GroupError(_("Cette offre n'est pas ouverte à ce type de groupe."))
    _check_size(offer, data["pupils"], data["adults"])
    allowed = set(offer_dates(offer).values_list("pk", flat=True))
    if any(p.pk not in allowed for p in preferred):
        raise GroupError(_("Choisissez des dates parmi celles proposées."))
    if not preferred and not (offer.on_request and data.get("wished")):
        raise GroupError(
            _("Indiquez vos disponibilités.") if offer.on_request else _("Choisissez au moins une date.")
        )
    with transaction.atomic():
        booking = GroupBooking.objects.create(organizer_id=offer.organizer_id, offer=offer, **data)
        booking.preferred.set(preferred)
        _crm(booking)
        audit_record(
            actor=None, action="group.request", instance=booking, organizer_id=offer.organizer_id,
            after={"pupils": booking.pupils, "adults": booking.adults, "dates": [p.pk for p in preferred]},
        )  # fmt: skip
        enqueue_on_commit(send_booking_mail, booking_id=booking.pk, what="received")
    return booking


def _crm(booking: GroupBooking) -> None:
    first, _sep, last = booking.leader_name.partition(" ")
    contact = crm.contact_resolve(
        organizer_id=booking.organizer_id,
        email=booking.leader_email,
        phone=booking.leader_phone,
        first_name=first,
        last_name=last,
        source="group",
    )
    if contact is None:
        return
    GroupBooking.objects.filter(pk=booking.pk).update(contact=contact)
    booking.contact = contact
    organisation = Organisation.objects.filter(
        organizer_id=booking.organizer_id, name=booking.establishment_name
    ).first() or Organisation.objects.create(
        organizer_id=booking.organizer_id,
        name=booking.establishment_name,
        kind=ORGANISATION_KIND.get(booking.audience, Organisation.Kind.OTHER),
    )
    try:
        with transaction.atomic():
            Affiliation.objects.get_or_create(
                contact=contact, organisation=organisation, defaults={"role": _("Responsable de groupe")}
            )
    except IntegrityError:
        pass
    if booking.newsletter:
        crm.consent_record(
            contact=contact,
            purpose=Purpose.ORGANIZER_NEWSLETTER,
            given=True,
            source=Consent.Source.SIGNUP,
            wording=_("Recevoir la programmation pour les groupes"),
        )


def _numbers(organizer_id: int) -> GroupNumbers:
    GroupNumbers.objects.get_or_create(organizer_id=organizer_id)
    return GroupNumbers.objects.select_for_update().get(organizer_id=organizer_id)


def _places_take(
    booking: GroupBooking, performance: Performance, slot: Quota | None, quantity: int
) -> list[int]:
    """Take places for the group from the date's quotas, as a sale at the counter does: the jauge (and the
    slot), never a tariff's own contingent. Raises GroupError when the date has too few."""
    # A group buys no tariff: an unsaved one of the date stands for it in the quota rules.
    stand_in = Tariff(performance_id=performance.pk, online=False)
    try:
        return inventory.take_places(
            tariff=stand_in,
            quantity=quantity,
            channel=Channel.BOX_OFFICE,
            quotas=inventory.performance_quotas(performance.pk),
            slot_id=slot.pk if slot else None,
        )
    except inventory.SoldOut as exc:  # the quota that fell short says how many it has left
        short = Quota.objects.filter(pk=getattr(exc.quota, "pk", None)).first()
        left = max(0, short.capacity - short.used) if short else 0
        raise GroupError(
            _("Plus assez de places à cette date : le groupe en demande %(n)s, il en reste %(left)s.")
            % {"n": quantity, "left": left}
        ) from None


def _end(performance) -> datetime.datetime:
    return performance.ends_at or performance.starts_at + datetime.timedelta(hours=2)


def _free(booking: GroupBooking, performance: Performance, *, guide=None, room=None) -> None:
    """A guide is with one group at a time, and a room holds one group at a time."""
    for field, value in (("guide", guide), ("room", room)):
        if value is None:
            continue
        taken = (
            GroupBooking.objects.filter(
                **{field: value}, state__in=HOLDING, performance__starts_at__lt=_end(performance)
            )
            .exclude(pk=booking.pk)
            .select_related("performance")
        )
        for other in taken:
            if _end(other.performance) > performance.starts_at:
                text = (
                    _("%(guide)s accompagne déjà le groupe %(code)s à cette heure.")
                    if field == "guide"
                    else _("La salle %(guide)s accueille déjà le groupe %(code)s à cette heure.")
                )
                raise GroupError(text % {"guide": value.name, "code": other.code})


def confirm(
    *, actor, booking: GroupBooking, performance: Performance, slot=None, guide=None, room=None, request=None
):
    """Confirm on this date: the places are taken now, the quote is numbered, the leader is told."""
    if booking.state not in (BookingState.REQUESTED, BookingState.PROPOSED):
        raise GroupError(_("Cette demande a déjà reçu une réponse."))
    if performance.event_id != booking.offer.event_id:
        raise GroupError(_("Cette date n'est pas celle de l'offre."))
    places = booking.pupils + booking.adults
    with transaction.atomic():
        locked = GroupBooking.objects.select_for_update().get(pk=booking.pk)
        if locked.state not in (BookingState.REQUESTED, BookingState.PROPOSED):
            raise GroupError(_("Cette demande a déjà reçu une réponse."))
        if booking.offer.needs_room and room is None:
            raise GroupError(_("Cette offre a besoin d'une salle : choisissez-la."))
        if room is not None and room.venue_id != performance.venue_id:
            raise GroupError(_("Cette salle n'est pas dans le lieu de la date."))
        _free(booking, performance, guide=guide, room=room)
        quota_ids = _places_take(booking, performance, slot, places)
        numbers = _numbers(booking.organizer_id)
        numbers.last_quote += 1
        numbers.save(update_fields=["last_quote"])
        booking.state, booking.performance, booking.slot, booking.guide, booking.room = (
            BookingState.CONFIRMED, performance, slot, guide, room,
        )  # fmt: skip
        booking.places, booking.quota_ids = places, quota_ids
        booking.quote_number, booking.quoted_at = numbers.last_quote, timezone.now()
        booking.quote_total = amount(booking.offer, booking.pupils, booking.adults).total
        if booking.offer.online_visit_id and booking.online_access_id is None:  # the preparatory visit
            booking.online_access = online.grant_guest(
                online.content_of(booking.offer.online_visit),
                name=booking.establishment_name,
                email=booking.leader_email,
                contact_id=booking.contact_id,
            )
        booking.save()
        audit_record(
            actor=actor, action="group.confirm", instance=booking, organizer_id=booking.organizer_id,
            after={"performance": performance.pk, "places": places, "guide": guide.pk if guide else None,
                   "room": room.pk if room else None,
                   "quote": booking.quote_code},
            request=request,
        )  # fmt: skip
        enqueue_on_commit(send_booking_mail, booking_id=booking.pk, what="confirmed")
    return booking


def propose(*, actor, booking: GroupBooking, performance: Performance, message: str, request=None):
    """Another date than those asked for: the leader accepts it on their page (then it is confirmed)."""
    if booking.state not in (BookingState.REQUESTED, BookingState.PROPOSED):
        raise GroupError(_("Cette demande a déjà reçu une réponse."))
    booking.state, booking.performance, booking.message = BookingState.PROPOSED, performance, message[:1000]
    booking.save(update_fields=["state", "performance", "message"])
    audit_record(
        actor=actor, action="group.propose", instance=booking, organizer_id=booking.organizer_id,
        after={"performance": performance.pk, "message": message[:200]}, request=request,
    )  # fmt: skip
    enqueue_on_commit(send_booking_mail, booking_id=booking.pk, what="proposed")


def refuse(*, actor, booking: GroupBooking, reason: str, request=None) -> None:
    if booking.state not in (BookingState.REQUESTED, BookingState.PROPOSED):
        raise GroupError(_("Cette demande a déjà reçu une réponse."))
    booking.state, booking.message = BookingState.REFUSED, reason[:1000]
    booking.save(update_fields=["state", "message"])
    audit_record(
        actor=actor, action="group.refuse", instance=booking, organizer_id=booking.organizer_id,
        after={"reason": reason[:200]}, request=request,
    )  # fmt: skip
    enqueue_on_commit(send_booking_mail, booking_id=booking.pk, what="refused")


def cancel(*, actor, booking: GroupBooking, reason: str, request=None) -> None:
    """Cancelled before the visit: its places come back to the sale."""
    if booking.state not in (BookingState.REQUESTED, BookingState.PROPOSED, BookingState.CONFIRMED):
        raise GroupError(_("Une réservation venue ou facturée ne s'annule plus."))
    with transaction.atomic():
        if booking.state == BookingState.CONFIRMED:
            inventory.give_back(
                performance_id=booking.performance_id, quota_ids=booking.quota_ids, quantity=booking.places
            )
        if booking.online_access_id:
            online.access_revoke(actor=actor, access=booking.online_access, reason=_("Réservation annulée"))
        booking.state, booking.message, booking.places = BookingState.CANCELLED, reason[:1000], 0
        booking.save(update_fields=["state", "message", "places"])
        audit_record(
            actor=actor, action="group.cancel", instance=booking, organizer_id=booking.organizer_id,
            after={"reason": reason[:200]}, request=request,
        )  # fmt: skip


def no_show(*, actor, booking: GroupBooking, reason: str = "", request=None) -> None:
    """The group never came: from its date's start on, staff (or the nightly `groups_no_shows`) close the
    booking. Its places are given back, nothing is invoiced, the leader is told (and may answer that they did
    come: staff then record the arrival, which takes the places again), the CRM keeps the absence."""
    if booking.state != BookingState.CONFIRMED:
        raise GroupError(_("Seule une réservation confirmée, pas encore venue, peut être notée absente."))
    if booking.performance.starts_at > timezone.now():
        raise GroupError(
            _("La visite n'a pas encore commencé : annulez la réservation si le groupe ne vient pas.")
        )
    with transaction.atomic():
        inventory.give_back(
            performance_id=booking.performance_id, quota_ids=booking.quota_ids, quantity=booking.places
        )
        booking.state, booking.places, booking.message = BookingState.NO_SHOW, 0, reason[:1000]
        booking.save(update_fields=["state", "places", "message"])
        crm.interaction_record(
            contact_id=booking.contact_id,
            organizer_id=booking.organizer_id,
            kind=crm.Interaction.Kind.GROUP,
            summary=_("%(establishment)s : groupe attendu, pas venu — %(offer)s")
            % {"establishment": booking.establishment_name, "offer": booking.offer.name},
            ref=f"group:{booking.code}",
            venue_id=booking.performance.venue_id,
            performance_id=booking.performance_id,
        )  # fmt: skip
        audit_record(
            actor=actor, action="group.no_show", instance=booking, organizer_id=booking.organizer_id,
            after={"reason": reason[:200]}, request=request,
        )  # fmt: skip
        enqueue_on_commit(send_booking_mail, booking_id=booking.pk, what="no_show")


def no_shows_close(*, now=None, after=datetime.timedelta(days=2)) -> int:
    """Confirmed bookings whose date started more than `after` ago and that nobody counted: absent."""
    closed = 0
    due = GroupBooking.objects.filter(
        state=BookingState.CONFIRMED, performance__starts_at__lt=(now or timezone.now()) - after
    ).select_related("offer", "performance")
    for booking in due:
        try:
            no_show(actor=None, booking=booking, reason=_("Aucune arrivée enregistrée."))
        except GroupError:
            continue
        closed += 1
    return closed


def arrival(*, actor, booking: GroupBooking, pupils: int, adults: int, request=None) -> None:
    """How many came, counted at the door: the places follow (fewer come back to the sale; more are taken
    if the date has them), the invoice will be made from this count, the visit reaches the CRM. A group
    noted absent by mistake can still be counted: its places are taken again. A count typed wrong (at the
    door's phone) is corrected the same way until the invoice is made."""
    if booking.state not in (BookingState.CONFIRMED, BookingState.NO_SHOW, BookingState.VISITED):
        raise GroupError(
            _("Seule une réservation confirmée reçoit son groupe ; une facture faite fixe l'effectif.")
        )
    correcting = booking.state == BookingState.VISITED
    if pupils < 0 or adults < 0 or pupils + adults == 0:
        raise GroupError(_("Indiquez combien d'élèves et d'accompagnateurs sont venus."))
    came = pupils + adults
    with transaction.atomic():
        if came < booking.places:
            inventory.give_back(
                performance_id=booking.performance_id,
                quota_ids=booking.quota_ids,
                quantity=booking.places - came,
            )
        elif came > booking.places:
            _places_take(booking, booking.performance, booking.slot, came - booking.places)
        before = (
            {"pupils": booking.final_pupils, "adults": booking.final_adults}
            if correcting
            else {"pupils": booking.pupils, "adults": booking.adults}
        )
        booking.final_pupils, booking.final_adults, booking.places = pupils, adults, came
        booking.state, booking.arrived_at = BookingState.VISITED, booking.arrived_at or timezone.now()
        booking.save(update_fields=["final_pupils", "final_adults", "places", "state", "arrived_at"])
        audit_record(
            actor=actor, action="group.arrival", instance=booking, organizer_id=booking.organizer_id,
            before=before, after={"pupils": pupils, "adults": adults}, request=request,
        )  # fmt: skip
        if correcting:  # the visit is in the CRM already
            return
        crm.interaction_record(
            contact_id=booking.contact_id,
            organizer_id=booking.organizer_id,
            kind=crm.Interaction.Kind.GROUP,
            summary=_("%(establishment)s : %(n)s élèves, %(adults)s accompagnateurs — %(offer)s")
            % {"establishment": booking.establishment_name, "n": pupils, "adults": adults,
               "offer": booking.offer.name},
            ref=f"group:{booking.code}",
            venue_id=booking.performance.venue_id,
            performance_id=booking.performance_id,
        )  # fmt: skip


def invoice(*, actor, booking: GroupBooking, request=None) -> GroupBooking:
    """The invoice, from the count at the door; paid by bank transfer after the visit."""
    if booking.state != BookingState.VISITED:
        raise GroupError(_("La facture se fait après la venue du groupe (effectif constaté)."))
    with transaction.atomic():
        numbers = _numbers(booking.organizer_id)
        numbers.last_invoice += 1
        numbers.save(update_fields=["last_invoice"])
        booking.invoice_number, booking.invoiced_at = numbers.last_invoice, timezone.now()
        booking.invoice_total = amount(booking.offer, booking.final_pupils, booking.final_adults).total
        booking.state = BookingState.INVOICED
        booking.save(update_fields=["invoice_number", "invoiced_at", "invoice_total", "state"])
        audit_record(
            actor=actor, action="group.invoice", instance=booking, organizer_id=booking.organizer_id,
            after={"invoice": booking.invoice_code, "total": str(booking.invoice_total)}, request=request,
        )  # fmt: skip
        enqueue_on_commit(send_booking_mail, booking_id=booking.pk, what="invoiced")
    return booking


def mark_paid(*, actor, booking: GroupBooking, request=None) -> None:
    if booking.state != BookingState.INVOICED:
        raise GroupError(_("Seule une facture émise se règle."))
    booking.state, booking.paid_at = BookingState.PAID, timezone.now()
    booking.save(update_fields=["state", "paid_at"])
    audit_record(
        actor=actor, action="group.paid", instance=booking, organizer_id=booking.organizer_id,
        after={"total": str(booking.invoice_total)}, request=request,
    )  # fmt: skip


REFERENCE_FIELDS = ("purchase_order", "chorus_service", "chorus_commitment", "pass_culture", "siret")


def references_save(*, actor, booking: GroupBooking, values: dict, deposit=None, request=None) -> None:
    """The public buyer's references (order number, Chorus Pro, Pass Culture) and the deposit received."""
    if booking.invoice_number:
        raise GroupError(_("La facture est émise : ses références ne changent plus."))
    before = {name: getattr(booking, name) for name in REFERENCE_FIELDS}
    for name in REFERENCE_FIELDS:
        if name in values:
            setattr(booking, name, values[name].strip()[:100])
    if deposit is not None:
        booking.deposit_received = deposit
    booking.save(update_fields=[*REFERENCE_FIELDS, "deposit_received"])
    audit_record(
        actor=actor, action="group.references", instance=booking, organizer_id=booking.organizer_id,
        before=before, after={**{n: getattr(booking, n) for n in REFERENCE_FIELDS},
                              "deposit": str(booking.deposit_received)},
        request=request,
    )  # fmt: skip
