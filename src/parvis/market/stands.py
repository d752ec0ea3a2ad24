"""Stands: an exhibitor books one on the floor plan, with options, paid online or on a purchase order
(a bank transfer after the invoice); never two active bookings of one stand, whoever races (a partial
unique constraint: the second insert fails). A booking whose payment expired frees its stand at the
next booking, with or without a worker. The exhibitor's staff badges come within the stand's quota."""

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit
from parvis.ticketing.models import Order, OrderState
from parvis.ticketing.services.buyer import Buyer

from .accreditation import MarketError, order_place, search_text_of
from .models import Category, Exhibitor, Participant, Stand, StandBooking, StandOption, Zone
from .tasks import send_participant_mail

CENT = Decimal("0.01")
# A purchase order is paid by transfer after the invoice: it stays open this long after the market.
PURCHASE_ORDER_DAYS = 60


STAND_VAT = Decimal("20.00")  # a stand is a rental of space and services: the normal rate


def price_of(stand: Stand, options) -> tuple[Decimal, Decimal]:
    """(excluding VAT, including VAT) of a stand with its options."""
    excl = stand.price + sum((option.price for option in options), Decimal(0))
    return excl, (excl * (1 + STAND_VAT / 100)).quantize(CENT)


def _free_expired(stand: Stand, now) -> None:
    """Bookings whose payment window passed unpaid let their stand go (before the next one is made)."""
    StandBooking.objects.filter(
        stand=stand,
        state=StandBooking.State.ORDERED,
        order__state__in=[OrderState.PENDING, OrderState.EXPIRED],
        order__expires_at__lt=now,
    ).update(state=StandBooking.State.CANCELLED)


def book(
    *, stand: Stand, exhibitor: Exhibitor, options=(), purchase_order: str = "", provider_code: str = ""
) -> StandBooking:
    """Book a stand for an exhibitor: online payment (`provider_code`), or a purchase order (paid by
    transfer on the invoice)."""
    if stand.market_id != exhibitor.market_id or any(o.market_id != stand.market_id for o in options):
        raise MarketError(_("Ce stand n'est pas de ce marché."))
    if not purchase_order and not provider_code:
        raise MarketError(_("Choisissez un moyen de paiement ou indiquez un bon de commande."))
    market = stand.market
    now = timezone.now()
    excl, incl = price_of(stand, options)
    with transaction.atomic():
        _free_expired(stand, now)
        try:
            with transaction.atomic():
                booking = StandBooking.objects.create(
                    stand=stand,
                    exhibitor=exhibitor,
                    price_excl_vat=excl,
                    vat_rate=STAND_VAT,
                    purchase_order=purchase_order.strip()[:60],
                )
        except IntegrityError:
            raise MarketError(_("Ce stand vient d'être réservé par un autre exposant.")) from None
        booking.options.set(options)
        end = datetime.datetime.combine(market.ends_on, datetime.time(23, 59), tzinfo=market.venue.tzinfo)
        order_place(
            market=market,
            buyer=Buyer(
                email=exhibitor.contact_email,
                first_name=exhibitor.name,
                last_name="",
                postal_address=exhibitor.billing_address,
                terms_accepted=True,
            ),
            description=_("Stand %(label)s — %(market)s") % {"label": stand.label, "market": market.name},
            unit_price=incl,
            quantity=1,
            vat_rate=booking.vat_rate,
            provider_code="transfer" if purchase_order else provider_code,
            link=lambda order: StandBooking.objects.filter(pk=booking.pk).update(order=order),
            expires_at=end + datetime.timedelta(days=PURCHASE_ORDER_DAYS) if purchase_order else None,
        )
        audit_record(
            actor=None,
            action="market.stand_book",
            instance=booking,
            organizer_id=market.organizer_id,
            after={
                "stand": stand.label,
                "exhibitor": exhibitor.name,
                "excl_vat": str(excl),
                "purchase_order": booking.purchase_order,
            },
        )
    booking.refresh_from_db()
    return booking


def paid(order: Order, *, paid_at) -> None:
    StandBooking.objects.filter(order=order, state=StandBooking.State.ORDERED).update(
        state=StandBooking.State.PAID, paid_at=paid_at
    )


def cancel_of_order(order: Order, *, actor=None) -> None:
    for booking in StandBooking.objects.filter(order=order).exclude(state=StandBooking.State.CANCELLED):
        cancel(actor=actor, booking=booking)


def cancel(*, actor, booking: StandBooking, request=None) -> None:
    with transaction.atomic():
        if (
            StandBooking.objects.filter(pk=booking.pk)
            .exclude(state=StandBooking.State.CANCELLED)
            .update(state=StandBooking.State.CANCELLED)
        ):
            audit_record(
                actor=actor,
                action="market.stand_cancel",
                instance=booking,
                organizer_id=booking.stand.market.organizer_id,
                request=request,
            )


def badge_quota(exhibitor: Exhibitor) -> int:
    """Staff badges the exhibitor's active stands give: those included, and those bought as options."""
    active = exhibitor.stand_bookings.filter(state__in=StandBooking.ACTIVE)
    included = active.aggregate(n=Sum("stand__badges_included"))["n"] or 0
    bought = StandBooking.options.through.objects.filter(
        standbooking__in=active, standoption__kind=StandOption.Kind.BADGE
    ).count()
    return included + bought


def staff_badge_add(*, exhibitor: Exhibitor, data: dict) -> Participant:
    """One of the exhibitor's staff, accredited at once within the quota (counted under the exhibitor's
    row lock: two additions at once cannot both take the last badge)."""
    with transaction.atomic():
        exhibitor = Exhibitor.objects.select_for_update().select_related("market").get(pk=exhibitor.pk)
        category = exhibitor.market.categories.filter(kind=Category.Kind.EXHIBITOR).first()
        if category is None:
            raise MarketError(_("Ce marché n'a pas de catégorie « équipe d'exposant »."))
        named = exhibitor.staff.exclude(state=Participant.State.CANCELLED).count()
        if named >= badge_quota(exhibitor):
            raise MarketError(_("Tous les badges de vos stands sont attribués."))
        participant = Participant(
            market=exhibitor.market,
            category=category,
            exhibitor=exhibitor,
            state=Participant.State.ACCREDITED,
            first_name=data["first_name"].strip(),
            last_name=data["last_name"].strip(),
            email=data["email"].strip().lower(),
            role=data.get("role", "").strip(),
            organisation_name=exhibitor.name,
            organisation=exhibitor.organisation,
        )
        participant.search_text = search_text_of(participant)
        participant.save()
        audit_record(
            actor=None,
            action="market.staff_badge",
            instance=participant,
            organizer_id=exhibitor.market.organizer_id,
            after={"exhibitor": exhibitor.name},
        )
        enqueue_on_commit(send_participant_mail, participant_id=participant.pk, what="accredited")
    return participant


def row_create(
    *,
    market,
    zone: str,
    pavilion: bool,
    prefix: str,
    count: int,
    width: int,
    depth: int,
    price,
    badges_included: int,
) -> int:
    """A row of stands below those already on the plan, numbered on from the prefix's last one."""
    kind = Zone.Kind.PAVILION if pavilion else Zone.Kind.AREA
    zone_row, _created = Zone.objects.get_or_create(market=market, name=zone.strip(), defaults={"kind": kind})
    top = max((s.y + s.depth for s in market.stands.all()), default=0) + (1 if market.stands.exists() else 0)
    taken = set(market.stands.values_list("label", flat=True))
    rows, n = [], 0
    while len(rows) < count:
        n += 1
        label = f"{prefix.strip()}{n}"
        if label in taken:
            continue
        i = len(rows)
        rows.append(
            Stand(
                market=market,
                zone=zone_row,
                label=label,
                x=(i % 12) * (width + 1),
                y=top + (i // 12) * (depth + 2),
                width=width,
                depth=depth,
                price=price,
                badges_included=badges_included,
            )
        )
    Stand.objects.bulk_create(rows)
    return len(rows)
