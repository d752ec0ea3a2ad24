"""The education team's pages: the queue of requests and the coming visits, one booking (confirm on a
date, propose another, refuse, cancel; the guide; the public buyer's references and the deposit; the
arrival count; the invoice and its payment), the offers and guides, and the week (per day and slot, the
guides), exported as CSV."""

import csv
import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from parvis.core.params import date_or_none, decimal_or_none, int_or_none
from parvis.network.models import Space
from parvis.network.permissions import Perm, has_organizer_perm, require_organizer_perm
from parvis.ticketing.models import Quota

from . import services
from .forms import OfferForm
from .models import HOLDING, BookingState, GroupBooking, GroupOffer, Guide


@login_required
def queue(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.SALES_VIEW)
    bookings = GroupBooking.objects.filter(organizer=organizer).select_related(
        "offer__event", "performance", "guide"
    )
    return render(
        request,
        "groups/staff/queue.html",
        {
            "organizer": organizer,
            "waiting": bookings.filter(state__in=[BookingState.REQUESTED, BookingState.PROPOSED]).order_by(
                "created_at"
            ),
            "coming": bookings.filter(
                state=BookingState.CONFIRMED, performance__starts_at__gte=timezone.now()
            ).order_by("performance__starts_at")[:100],
            "uncounted": bookings.filter(
                state=BookingState.CONFIRMED, performance__starts_at__lt=timezone.now()
            ).order_by("performance__starts_at")[:100],
            "to_invoice": bookings.filter(state__in=[BookingState.VISITED, BookingState.INVOICED]).order_by(
                "performance__starts_at"
            ),
        },
    )


def _dates_of(booking: GroupBooking):
    return list(services.offer_dates(booking.offer)[:80])


@login_required
def booking_detail(request, organizer_slug: str, code: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.SALES_VIEW)
    booking = get_object_or_404(
        GroupBooking.objects.select_related(
            "offer__event", "performance__venue", "guide", "establishment", "slot"
        ),
        organizer=organizer,
        code=code,
    )
    can_change = has_organizer_perm(request.user, organizer, Perm.SALES_CHANGE)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        try:
            _act(request, booking, request.POST.get("action", ""))
        except services.GroupError as exc:
            messages.error(request, exc.message)
        return redirect(request.path)
    dates = _dates_of(booking)
    return render(
        request,
        "groups/staff/booking.html",
        {
            "organizer": organizer,
            "booking": booking,
            "offer": booking.offer,
            "dates": dates,
            "slots": Quota.objects.filter(performance__in=dates, slot_starts_at__isnull=False).order_by(
                "slot_starts_at"
            ),
            "preferred": set(booking.preferred.values_list("pk", flat=True)),
            "guides": Guide.objects.filter(organizer=organizer),
            "rooms": Space.objects.filter(venue__organizer=organizer).select_related("venue"),
            "due": services.amount(booking.offer, booking.pupils, booking.adults),
            "can_change": can_change,
            "started": booking.performance_id and booking.performance.starts_at <= timezone.now(),
            "fields": services.REFERENCE_FIELDS,
        },
    )


def _act(request, booking: GroupBooking, action: str) -> None:
    post, actor = request.POST, request.user
    performance = next((p for p in _dates_of(booking) if p.pk == int_or_none(post.get("performance"))), None)
    guide = Guide.objects.filter(organizer_id=booking.organizer_id, pk=int_or_none(post.get("guide"))).first()
    if action in ("confirm", "propose") and performance is None:
        raise services.GroupError(_("Choisissez une date de l'offre."))
    if action == "confirm":
        slot = Quota.objects.filter(performance=performance, pk=int_or_none(post.get("slot"))).first()
        room = Space.objects.filter(venue=performance.venue_id, pk=int_or_none(post.get("room"))).first()
        services.confirm(
            actor=actor, booking=booking, performance=performance, slot=slot, guide=guide, room=room,
            request=request,
        )  # fmt: skip
        messages.success(request, _("Réservation confirmée : places prises, devis envoyé."))
    elif action == "propose":
        services.propose(
            actor=actor, booking=booking, performance=performance, message=post.get("message", "")
        )
        messages.success(request, _("Date proposée au groupe."))
    elif action == "refuse":
        services.refuse(actor=actor, booking=booking, reason=post.get("message", ""), request=request)
        messages.success(request, _("Demande refusée ; le groupe est prévenu."))
    elif action == "cancel":
        services.cancel(actor=actor, booking=booking, reason=post.get("message", ""), request=request)
        messages.success(request, _("Réservation annulée ; ses places reviennent à la vente."))
    elif action == "arrival":
        pupils, adults = int_or_none(post.get("pupils")), int_or_none(post.get("adults"))
        if pupils is None or adults is None:
            raise services.GroupError(_("Indiquez combien d'élèves et d'accompagnateurs sont venus."))
        services.arrival(actor=actor, booking=booking, pupils=pupils, adults=adults, request=request)
        messages.success(request, _("Arrivée enregistrée."))
    elif action == "no_show":
        services.no_show(actor=actor, booking=booking, reason=post.get("message", ""), request=request)
        messages.success(
            request, _("Groupe noté absent : ses places sont rendues, le responsable est prévenu.")
        )
    elif action == "invoice":
        services.invoice(actor=actor, booking=booking, request=request)
        messages.success(request, _("Facture émise et envoyée."))
    elif action == "paid":
        services.mark_paid(actor=actor, booking=booking, request=request)
        messages.success(request, _("Paiement enregistré."))
    elif action == "references":
        deposit = decimal_or_none(post.get("deposit_received", ""))
        services.references_save(
            actor=actor, booking=booking, values={n: post.get(n, "") for n in services.REFERENCE_FIELDS},
            deposit=deposit, request=request,
        )  # fmt: skip
        messages.success(request, _("Références enregistrées."))


class GuideForm(forms.ModelForm):
    class Meta:
        model = Guide
        fields = ["name", "email"]


@login_required
def offer_list(request, organizer_slug: str, offer_pk: int | None = None):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.SALES_VIEW)
    can_change = has_organizer_perm(request.user, organizer, Perm.PROGRAMMING_CHANGE)
    offer = get_object_or_404(GroupOffer, pk=offer_pk, organizer=organizer) if offer_pk else None
    form = OfferForm(instance=offer, organizer=organizer)
    guide_form = GuideForm(prefix="guide")
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        if request.POST.get("form") == "guide":
            guide_form = GuideForm(request.POST, prefix="guide")
            if guide_form.is_valid():
                guide_form.instance.organizer = organizer
                guide_form.save()
                return redirect(request.path)
        else:
            form = OfferForm(request.POST, request.FILES, instance=offer, organizer=organizer)
            if form.is_valid():
                form.instance.organizer = organizer
                saved = form.save()
                messages.success(request, _("Offre « %(name)s » enregistrée.") % {"name": saved.name})
                return redirect("staff:group_offers", organizer.slug)
    return render(
        request,
        "groups/staff/offers.html",
        {
            "organizer": organizer,
            "offers": GroupOffer.objects.filter(organizer=organizer).select_related("event"),
            "offer": offer,
            "form": form,
            "guide_form": guide_form,
            "guides": Guide.objects.filter(organizer=organizer),
            "can_change": can_change,
        },
        status=400 if form.errors or guide_form.errors else 200,
    )


@login_required
def week(request, organizer_slug: str):
    """The visits of a week, per day, with their guides; `?format=csv` for the team's spreadsheet."""
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.SALES_VIEW)
    start = date_or_none(request.GET.get("du")) or timezone.localdate()
    start -= datetime.timedelta(days=start.weekday())
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tz)
    bookings = list(
        GroupBooking.objects.filter(
            organizer=organizer,
            state__in=HOLDING,
            performance__starts_at__gte=since,
            performance__starts_at__lt=since + datetime.timedelta(days=7),
        )
        .select_related("offer__event", "performance__venue", "guide", "slot")
        .order_by("performance__starts_at", "slot__slot_starts_at")
    )
    if request.GET.get("format") == "csv":
        return _week_csv(start, bookings)
    days = [(start + datetime.timedelta(days=d), []) for d in range(7)]
    for booking in bookings:
        local = timezone.localtime(
            booking.slot.slot_starts_at if booking.slot else booking.performance.starts_at
        )
        days[(local.date() - start).days][1].append((local, booking))
    return render(
        request,
        "groups/staff/week.html",
        {
            "organizer": organizer,
            "days": days,
            "start": start,
            "previous": start - datetime.timedelta(days=7),
            "next": start + datetime.timedelta(days=7),
            "count": len(bookings),
        },
    )


def _week_csv(start, bookings) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="groupes-{start:%Y-%m-%d}.csv"'
    response.write("\ufeff")
    out = csv.writer(response, delimiter=";")
    out.writerow(
        [_("Date"), _("Heure"), _("Offre"), _("Groupe"), _("Niveau"), _("Élèves"), _("Accompagnateurs"),
         _("Guide"), _("Lieu"), _("Accessibilité"), _("Responsable"), _("Téléphone"), _("Réservation")]
    )  # fmt: skip
    for booking in bookings:
        local = timezone.localtime(
            booking.slot.slot_starts_at if booking.slot else booking.performance.starts_at
        )
        out.writerow(
            [
                local.date().isoformat(), formats.time_format(local, "H:i"), booking.offer.name,
                booking.establishment_name, booking.level, booking.final_pupils or booking.pupils,
                booking.final_adults or booking.adults, booking.guide.name if booking.guide else "",
                booking.performance.venue.name, booking.accessibility, booking.leader_name,
                booking.leader_phone, booking.code,
            ]
        )  # fmt: skip
    return response
