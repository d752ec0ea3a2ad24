"""The market's public pages: its home (categories, sessions), the application form, the directory, the
exhibitors and their floor plan (with a stand's booking), a session; and each participant's own page,
opened by the signed link of their e-mails: their badge, fee, profile, sessions, meetings and agenda
(PDF, iCal), and for exhibitors their leads."""

import datetime
import json

from django.contrib import messages
from django.core.signing import Signer
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from icalendar import Calendar
from icalendar import Event as IcsEvent

from parvis.core.params import int_or_none
from parvis.ticketing.public import payment_target
from parvis.web import offline

from . import accreditation, leads, meetings, selectors, sessions, stands
from .accreditation import MarketError
from .documents import agenda_pdf, badge_pdf
from .forms import (
    ApplyForm,
    CompleteForm,
    ExhibitorForm,
    ExhibitorProfileForm,
    MeetingRequestForm,
    NameForm,
    PackForm,
    PayForm,
    ProfileForm,
)
from .models import BadgePack, Exhibitor, Market, Meeting, Participant, Registration, Session, Stand

State = Participant.State


def _market(organizer_slug: str, market_slug: str) -> Market:
    return get_object_or_404(
        Market.objects.select_related("organizer", "venue"), organizer__slug=organizer_slug, slug=market_slug
    )


def market_home(request, organizer_slug: str, market_slug: str):
    market = _market(organizer_slug, market_slug)
    pack = PackForm(request.POST or None, market=market)
    if request.method == "POST" and pack.is_valid():
        data = pack.cleaned_data
        try:
            made = accreditation.pack_order_place(
                category=data["category"],
                data=data,
                quantity=data["quantity"],
                provider_code=data["provider"],
            )
        except MarketError as exc:
            pack.add_error(None, exc.message)
        else:
            return redirect(payment_target(request, made.order, data["provider"]))
    return render(
        request,
        "market/home.html",
        {
            "market": market,
            "categories": market.categories.filter(open_to_applications=True),
            "sessions": market.sessions.select_related("performance__event", "performance__space").order_by(
                "performance__starts_at"
            ),
            "you": selectors.participant_of_user(market, request.user),
            "pack": pack if pack.fields["category"].queryset.exists() else None,
        },
        status=400 if request.method == "POST" else 200,
    )


def pack_view(request, code: str, secret: str):
    """A company's pack of badges: the people named so far, and a form to name one more."""
    pack = get_object_or_404(BadgePack.objects.select_related("market__organizer", "category"), code=code)
    if not constant_time_compare(secret, pack.secret):
        raise Http404
    form = NameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            named = accreditation.pack_name(pack=pack, data=form.cleaned_data)
        except MarketError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("%(name)s est accrédité : son badge part par e-mail.") % {"name": named.name}
            )
            return redirect(request.path)
    badges = pack.badges.exclude(state=State.CANCELLED).order_by("pk")
    return render(
        request,
        "market/pack.html",
        {
            "pack": pack,
            "market": pack.market,
            "badges": badges,
            "form": form,
            "left": pack.quantity - len(badges),
        },
        status=400 if request.method == "POST" else 200,
    )


def apply_view(request, organizer_slug: str, market_slug: str, category_pk: int):
    market = _market(organizer_slug, market_slug)
    category = get_object_or_404(market.categories, pk=category_pk, open_to_applications=True)
    initial = {}
    if request.user.is_authenticated:
        initial = {
            "email": request.user.email,
            "first_name": request.user.first_name,
            "last_name": request.user.last_name,
        }
    form = ApplyForm(request.POST or None, request.FILES or None, category=category, initial=initial)
    problem = ""
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("photo", "proof_file")}
        try:
            participant = accreditation.apply(
                market=market,
                category=category,
                data=data,
                photo=form.cleaned_data.get("photo"),
                proof_file=form.cleaned_data.get("proof_file"),
                user=request.user if request.user.is_authenticated else None,
            )
        except MarketError as exc:
            problem = exc.message
        else:
            messages.success(
                request, _("Demande envoyée. Vous recevez un e-mail avec le lien de votre page.")
            )
            return redirect(participant.get_absolute_url())
    return render(
        request,
        "market/apply.html",
        {"market": market, "category": category, "form": form, "problem": problem},
        status=400 if request.method == "POST" else 200,
    )


def directory_view(request, organizer_slug: str, market_slug: str):
    market = _market(organizer_slug, market_slug)
    query = request.GET.get("q", "")[:100]
    category_id = int_or_none(request.GET.get("categorie"))
    rows = selectors.directory(market, query=query, category_id=category_id)
    template = "market/_directory_rows.html" if request.headers.get("HX-Request") else "market/directory.html"
    return render(
        request,
        template,
        {
            "market": market,
            "rows": rows,
            "query": query,
            "category_id": category_id,
            "categories": market.categories.all(),
        },
    )


def exhibitors_view(request, organizer_slug: str, market_slug: str):
    market = _market(organizer_slug, market_slug)
    stand = None
    stand_pk = int_or_none(request.GET.get("stand") or request.POST.get("stand"))
    if stand_pk:
        stand = get_object_or_404(Stand.objects.select_related("zone"), pk=stand_pk, market=market)
    form = ExhibitorForm(request.POST or None, market=market) if stand else None
    problem = ""
    if stand and request.method == "POST" and form.is_valid():
        try:
            booking = _book(market, stand, form)
        except MarketError as exc:
            problem = exc.message
        else:
            lead = booking.exhibitor.lead
            if booking.order and booking.order.state != "paid" and not booking.purchase_order:
                return redirect(payment_target(request, booking.order, form.cleaned_data["provider"]))
            messages.success(request, _("Stand %(label)s réservé.") % {"label": stand.label})
            return redirect(lead.get_absolute_url() if lead else request.path)
    return render(
        request,
        "market/exhibitors.html",
        {
            "market": market,
            "plan": selectors.floor_plan(market),
            "stand": stand,
            "form": form,
            "problem": problem,
            "exhibitors": selectors.exhibitors_of(market, query=request.GET.get("q", "")[:100]),
        },
        status=400 if request.method == "POST" else 200,
    )


def _book(market: Market, stand: Stand, form: ExhibitorForm):
    data = form.cleaned_data
    base = "".join(c for c in data["name"].lower() if c.isalnum())[:50] or "exposant"
    slug, n = base, 1
    while market.exhibitors.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    exhibitor = form.save(commit=False)
    exhibitor.market, exhibitor.slug = market, slug
    exhibitor.pavilion = stand.zone if stand.zone.kind == stand.zone.Kind.PAVILION else None
    exhibitor.save()
    booking = stands.book(
        stand=stand,
        exhibitor=exhibitor,
        options=list(data["options"]),
        purchase_order=data["purchase_order"],
        provider_code=data.get("provider") or "",
    )
    try:
        lead = stands.staff_badge_add(
            exhibitor=exhibitor,
            data={
                "first_name": data["contact_first_name"],
                "last_name": data["contact_last_name"],
                "email": data["contact_email"],
                "role": _("Responsable du stand"),
            },
        )
        Exhibitor.objects.filter(pk=exhibitor.pk).update(lead=lead)
        exhibitor.lead = lead
    except MarketError:  # no exhibitor category yet: the team names the lead later
        pass
    return booking


def session_view(request, organizer_slug: str, market_slug: str, session_pk: int):
    market = _market(organizer_slug, market_slug)
    session = get_object_or_404(
        Session.objects.select_related("performance__event", "performance__space"),
        pk=session_pk,
        market=market,
    )
    return render(
        request,
        "market/session.html",
        {
            "market": market,
            "session": session,
            "left": max(0, session.capacity - session.taken),
            "speakers": session.speakers.all(),
            "you": selectors.participant_of_user(market, request.user),
        },
    )


# The participant's own page, opened by its signed link.


def _participant(code: str, secret: str) -> Participant:
    participant = (
        Participant.objects.select_related("market__organizer", "market__venue", "category", "order")
        .filter(code=code)
        .first()
    )
    expected = Signer(salt="parvis.market.participant").sign(code).rpartition(":")[2]
    if participant is None or not constant_time_compare(secret, expected):
        raise Http404
    return participant


def participant_view(request, code: str, secret: str):
    participant = _participant(code, secret)
    market = participant.market
    meetings.expire_due(market.pk)
    profile = ProfileForm(request.POST or None, instance=participant, prefix="profile")
    complete = CompleteForm(
        request.POST or None, request.FILES or None, instance=participant, prefix="complete"
    )
    if request.method == "POST":
        return _participant_post(request, participant, profile, complete)
    query = request.GET.get("q", "")[:100]
    context = {
        "participant": participant,
        "market": market,
        "profile": profile,
        "complete": complete,
        "pay": PayForm(price=participant.category.fee) if participant.state == State.APPROVED else None,
        "agenda": selectors.agenda_of(participant) if participant.accredited else [],
        "pending": selectors.pending_for(participant),
        "asked": participant.meetings_asked.exclude(state=Meeting.State.CANCELLED).select_related(
            "recipient", "slot"
        ),
        "received": participant.meetings_received.exclude(
            state__in=[Meeting.State.CANCELLED, Meeting.State.PENDING]
        ).select_related("requester", "slot"),
        "sessions": _sessions_for(participant),
        "query": query,
        "found": selectors.directory(market, query=query, limit=20) if query else [],
        "found_exhibitors": selectors.exhibitors_of(market, query=query).filter(lead__isnull=False)[:10]
        if query
        else [],
        "request_form": MeetingRequestForm(),
        "exhibitor": selectors.exhibitor_of(participant),
        "now": timezone.now(),
    }
    return render(request, "market/participant.html", context)


def _participant_post(request, participant, profile, complete):
    if "profile-interests" in request.POST and profile.is_valid():
        accreditation.profile_save(participant=participant, data=profile.cleaned_data)
        messages.success(request, _("Profil enregistré."))
    elif "complete-proof_url" in request.POST and complete.is_valid():
        try:
            accreditation.complete(participant=participant, data=complete.cleaned_data)
            messages.success(request, _("Complément envoyé : votre demande revient à l'équipe."))
        except MarketError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Vérifiez le formulaire."))
    return redirect(participant.get_absolute_url())


def _sessions_for(participant: Participant) -> list[tuple]:
    mine = dict(
        Registration.objects.filter(participant=participant)
        .exclude(state=Registration.State.CANCELLED)
        .values_list("session_id", "state")
    )
    rows = []
    for session in participant.market.sessions.select_related("performance__event").order_by(
        "performance__starts_at"
    ):
        rows.append((session, mine.get(session.pk), max(0, session.capacity - session.taken)))
    return rows


@require_POST
def pay_view(request, code: str, secret: str):
    participant = _participant(code, secret)
    form = PayForm(request.POST, price=participant.category.fee)
    if not form.is_valid():
        messages.error(request, _("Choisissez un moyen de paiement."))
        return redirect(participant.get_absolute_url())
    try:
        order = accreditation.fee_order_place(
            participant=participant, provider_code=form.cleaned_data["provider"]
        )
    except MarketError as exc:
        messages.error(request, exc.message)
        return redirect(participant.get_absolute_url())
    return redirect(payment_target(request, order, form.cleaned_data["provider"]))


def badge_view(request, code: str, secret: str):
    participant = _participant(code, secret)
    if not participant.accredited:
        raise Http404
    response = HttpResponse(badge_pdf(participant), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="badge-{participant.code}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def agenda_pdf_view(request, code: str, secret: str):
    participant = _participant(code, secret)
    response = HttpResponse(
        agenda_pdf(participant, selectors.agenda_of(participant)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="agenda-{participant.code}.pdf"'
    return response


def agenda_ics_view(request, code: str, secret: str):
    participant = _participant(code, secret)
    calendar = Calendar()
    calendar.add("prodid", "-//Parvis//market//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{participant.market.name} — {participant.name}")
    for entry in selectors.agenda_of(participant):
        event = IcsEvent()
        event.add("uid", f"{entry['ref']}-{participant.code}@parvis")
        event.add("dtstart", entry["starts_at"])
        event.add("dtend", entry["ends_at"])
        event.add("dtstamp", timezone.now())
        event.add("summary", entry["title"])
        event.add("location", entry["where"])
        calendar.add_component(event)
    return HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")


@require_POST
def meeting_request_view(request, code: str, secret: str):
    participant = _participant(code, secret)
    form = MeetingRequestForm(request.POST)
    recipient_pk = int_or_none(request.POST.get("recipient"))
    exhibitor_pk = int_or_none(request.POST.get("exhibitor"))
    if not form.is_valid() or not (recipient_pk or exhibitor_pk):
        messages.error(request, _("Indiquez l'objet du rendez-vous."))
        return redirect(participant.get_absolute_url())
    market = participant.market
    recipient = (
        market.participants.filter(pk=recipient_pk, in_directory=True).first() if recipient_pk else None
    )
    exhibitor = market.exhibitors.filter(pk=exhibitor_pk).first() if exhibitor_pk else None
    try:
        meetings.request(
            requester=participant,
            recipient=recipient,
            exhibitor=exhibitor,
            topic=form.cleaned_data["topic"],
            message=form.cleaned_data["message"],
        )
        messages.success(request, _("Demande de rendez-vous envoyée."))
    except MarketError as exc:
        messages.error(request, exc.message)
    return redirect(participant.get_absolute_url() + "#rendez-vous")


@require_POST
def meeting_action_view(request, code: str, secret: str, meeting_pk: int):
    participant = _participant(code, secret)
    meeting = get_object_or_404(
        Meeting.objects.select_related("market"), pk=meeting_pk, market=participant.market
    )
    action = request.POST.get("action")
    try:
        if action in ("accept", "decline"):
            meetings.answer(meeting=meeting, participant=participant, accept=action == "accept")
        elif action == "cancel":
            meetings.cancel(meeting=meeting, participant=participant)
        elif action == "no_show":  # the other did not come
            other = meeting.recipient if meeting.requester_id == participant.pk else meeting.requester
            meetings.no_show(actor=None, meeting=meeting, participant=other)
        else:
            raise MarketError(_("Action inconnue."))
        messages.success(request, _("C'est noté."))
    except MarketError as exc:
        messages.error(request, exc.message)
    return redirect(participant.get_absolute_url() + "#rendez-vous")


@require_POST
def registration_view(request, code: str, secret: str, session_pk: int):
    participant = _participant(code, secret)
    session = get_object_or_404(
        Session.objects.select_related("performance"), pk=session_pk, market=participant.market
    )
    try:
        if request.POST.get("action") == "cancel":
            registration = get_object_or_404(Registration, session=session, participant=participant)
            sessions.unregister(registration=registration)
            messages.success(request, _("Inscription annulée."))
        else:
            registration = sessions.register(session=session, participant=participant)
            messages.success(
                request,
                _("Vous êtes inscrit.")
                if registration.state == Registration.State.REGISTERED
                else _("C'est complet : vous êtes sur la liste d'attente, prévenu si une place se libère."),
            )
    except MarketError as exc:
        messages.error(request, exc.message)
    return redirect(participant.get_absolute_url() + "#rencontres")


def _exhibitor_of(participant: Participant) -> Exhibitor:
    exhibitor = selectors.exhibitor_of(participant)
    if exhibitor is None or not participant.accredited:
        raise Http404
    return exhibitor


def leads_view(request, code: str, secret: str):
    participant = _participant(code, secret)
    exhibitor = _exhibitor_of(participant)
    kind = request.GET.get("format")
    if kind == "csv":
        response = HttpResponse(leads.export_csv(exhibitor), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="contacts-{exhibitor.slug}.csv"'
        return response
    if kind == "xlsx":
        response = HttpResponse(
            leads.export_xlsx(exhibitor),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="contacts-{exhibitor.slug}.xlsx"'
        return response
    if request.method == "POST" and request.POST.get("action") == "staff":
        staff_form = NameForm(request.POST, prefix="staff")
        if staff_form.is_valid():
            try:
                named = stands.staff_badge_add(exhibitor=exhibitor, data=staff_form.cleaned_data)
                messages.success(
                    request, _("%(name)s est accrédité : son badge part par e-mail.") % {"name": named.name}
                )
            except MarketError as exc:
                messages.error(request, exc.message)
        else:
            messages.error(request, _("Vérifiez le formulaire."))
        return redirect(request.path)
    profile = ExhibitorProfileForm(request.POST or None, request.FILES or None, instance=exhibitor)
    if request.method == "POST" and profile.is_valid():
        profile.save()
        messages.success(request, _("Fiche de l'exposant enregistrée."))
        return redirect(request.path)
    rows = [
        leads.visible(lead)
        for lead in exhibitor.leads.select_related("participant__category").order_by("-scanned_at")
    ]
    return render(
        request,
        "market/leads.html",
        {
            "participant": participant,
            "exhibitor": exhibitor,
            "rows": rows,
            "market": participant.market,
            "profile": profile,
            "staff_form": NameForm(prefix="staff"),
            "team": exhibitor.staff.exclude(state=State.CANCELLED).order_by("pk"),
            "quota": stands.badge_quota(exhibitor),
        },
        status=400 if request.method == "POST" else 200,
    )


def leads_scanner_view(request, code: str, secret: str):
    participant = _participant(code, secret)
    exhibitor = _exhibitor_of(participant)
    strings = {
        "pending": _("%(n)s contact(s) en attente d'envoi"),
        "all_sent": _("Tous les contacts sont envoyés."),
        "recorded": _("Contact enregistré."),
        "recorded_offline": _("Contact enregistré sur ce téléphone : il part dès que le réseau revient."),
        "not_a_badge": _("Ce code n'est pas un badge du marché."),
        "camera_error": _("La caméra n'est pas disponible : saisissez le code du badge."),
        "badge": _("Badge"),
    }
    return render(
        request,
        "market/leads_scanner.html",
        {
            "participant": participant,
            "exhibitor": exhibitor,
            "market": participant.market,
            "strings": strings,
        },
    )


def leads_worker_view(request, code: str, secret: str):
    """Keeps the lead scanner and its files on the phone, so that it reopens without the network."""
    participant = _participant(code, secret)
    shell = [
        reverse("market:leads_scanner", args=[participant.code, participant.secret]),
        static("parvis/parvis.css"),
        static("parvis/favicon.svg"),
        static("vendor/htmx-2.0.11/htmx.min.js"),
        static("market/leads.js"),
        static("vendor/jsqr-1.4.0/jsQR.js"),
    ]
    return offline.service_worker(request, shell=shell, name=f"leads-{participant.code}")


@require_POST
def leads_sync_view(request, code: str, secret: str):
    """Scans made by the leads scanner (online or queued offline), each idempotent by its nonce."""
    participant = _participant(code, secret)
    exhibitor = _exhibitor_of(participant)
    try:
        scans = json.loads(request.body or b"{}").get("scans", [])[:500]
    except (ValueError, AttributeError):
        return JsonResponse({"error": "invalid_json"}, status=400)
    results = []
    for item in scans if isinstance(scans, list) else []:
        nonce = str(item.get("nonce", ""))[:64]
        try:
            rating = item.get("rating")
            lead = leads.scan(
                exhibitor=exhibitor,
                secret=str(item.get("secret", ""))[:200],
                nonce=nonce,
                scanned_by=participant,
                scanned_at=_when(item.get("scanned_at")),
                rating=int(rating) if rating not in (None, "") else None,
                tags=item.get("tags"),
                note=item.get("note"),
            )
        except (MarketError, TypeError, ValueError) as exc:
            results.append({"nonce": nonce, "ok": False, "error": getattr(exc, "message", str(exc))})
            continue
        row = leads.visible(lead)
        row["scanned_at"] = row["scanned_at"].isoformat()
        results.append({"nonce": nonce, "ok": True, "lead": row})
    return JsonResponse({"results": results})


def _when(value) -> datetime.datetime | None:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return parsed if parsed is not None and parsed.tzinfo is not None else None
