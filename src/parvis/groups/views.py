"""The public pages of groups: an organizer's offers, the request form (a school found by its UAI or its
name), and the group leader's page (the answer, accepting another date, the quote and the invoice, the
teaching pack, the code the door reads)."""

import io

import segno
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from parvis.network.models import Organizer
from parvis.online.access import link_of

from . import door, establishments, services
from .documents import booking_pdf
from .forms import RequestForm
from .models import HOLDING, BookingState, Establishment, GroupBooking, GroupOffer


def offers(request, organizer_slug: str):
    organizer = get_object_or_404(Organizer, slug=organizer_slug)
    found = GroupOffer.objects.filter(organizer=organizer, is_active=True).select_related("event")
    return render(request, "groups/offers.html", {"organizer": organizer, "offers": found})


def request_view(request, offer_pk: int):
    offer = get_object_or_404(
        GroupOffer.objects.select_related("event", "organizer"), pk=offer_pk, is_active=True
    )
    dates = list(services.offer_dates(offer)[:60])
    form = RequestForm(request.POST or None, offer=offer, dates=dates)
    problem = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = [p for p in dates if str(p.pk) in data["dates"]]
        school = Establishment.objects.filter(uai=data["uai"]).first() if data["uai"] else None
        try:
            booking = services.request_booking(
                offer=offer,
                preferred=chosen,
                data={
                    "audience": data["audience"],
                    "establishment": school,
                    "establishment_name": school.name if school else data["establishment_name"],
                    "siret": data["siret"],
                    "public_body": data["public_body"] or bool(school and school.public),
                    "level": data["level"],
                    "pupils": data["pupils"],
                    "adults": data["adults"],
                    "accessibility": data["accessibility"],
                    "wished": data.get("wished", ""),
                    "leader_name": data["leader_name"],
                    "leader_email": data["leader_email"],
                    "leader_phone": data["leader_phone"],
                    "newsletter": data["newsletter"],
                },
            )
        except services.GroupError as exc:
            problem = exc.message
        else:
            messages.success(
                request, _("Demande envoyée : l'équipe vous répond par e-mail. Gardez cette page.")
            )
            return redirect(booking.get_absolute_url())
    return render(
        request,
        "groups/request.html",
        {"offer": offer, "event": offer.event, "form": form, "problem": problem, "dates": dates},
        status=400 if request.method == "POST" else 200,
    )


def schools(request):
    """What the leader types in the establishment's name: the schools of the directory that match (htmx,
    the list under the field); one of them chosen (`?uai=`): the establishment's fields filled with it."""
    uai = request.GET.get("uai", "").strip().upper()[:8]
    if uai:
        school = get_object_or_404(Establishment, uai=uai)
        return render(
            request,
            "groups/_establishment.html",
            {"name": school.name, "uai": school.uai, "public": school.public, "errors": {}},
        )
    query = request.GET.get("establishment_name", request.GET.get("q", ""))
    return render(
        request, "groups/_schools.html", {"schools": establishments.find(query), "query": query.strip()}
    )


def _booking(code: str, secret: str) -> GroupBooking:
    booking = (
        GroupBooking.objects.select_related(
            "offer__event", "organizer", "performance__venue", "establishment"
        )
        .filter(code=code)
        .first()
    )
    if booking is None or not constant_time_compare(booking.secret, secret):
        raise Http404
    return booking


def booking_view(request, code: str, secret: str):
    booking = _booking(code, secret)
    if request.method == "POST" and request.POST.get("action") == "accept":
        if booking.state != BookingState.PROPOSED:
            raise Http404
        try:
            services.confirm(actor=None, booking=booking, performance=booking.performance)
        except services.GroupError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Date acceptée : votre réservation est confirmée."))
        return redirect(booking.get_absolute_url())
    holding = booking.state in HOLDING and booking.performance_id is not None
    svg = io.BytesIO()
    if holding:  # the door's scanner reads it and asks how many came (`door.GroupCodes`)
        segno.make(door.group_secret(booking), error="m").save(
            svg, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title=booking.code
        )
    return render(
        request,
        "groups/booking.html",
        {
            "booking": booking,
            "offer": booking.offer,
            "holding": holding,
            "preferred": booking.preferred.order_by("starts_at"),
            "qr": svg.getvalue().decode(),
            "due": services.amount(booking.offer, booking.pupils, booking.adults),
            "online_link": link_of(booking.online_access)
            if booking.online_access_id and booking.state in HOLDING
            else "",
        },
    )


def booking_document(request, code: str, secret: str, kind: str):
    booking = _booking(code, secret)
    if kind == "devis" and booking.quote_number:
        content, name = booking_pdf(booking, "quote"), f"devis-{booking.quote_code}.pdf"
    elif kind == "facture" and booking.invoice_number:
        content, name = booking_pdf(booking, "invoice"), f"facture-{booking.invoice_code}.pdf"
    else:
        raise Http404
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def teaching_pack(request, code: str, secret: str):
    """The teaching pack, for a group whose visit is confirmed."""
    booking = _booking(code, secret)
    pack = booking.offer.teaching_pack
    if booking.state not in HOLDING or not pack:
        raise Http404
    return FileResponse(pack.open("rb"), as_attachment=True, filename=pack.name.rsplit("/", 1)[-1])
