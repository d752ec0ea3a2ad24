"""The team's pages for a market: its markets, one market's board (applications to review, categories,
sessions, meeting slots and tables, the batch placement of meetings, stands), and one application."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parvis.core import files
from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit
from parvis.core.models import AuditLogEntry
from parvis.network.permissions import Perm, has_organizer_perm, require_organizer_perm

from . import accreditation, meetings, selectors, sessions, stands
from .accreditation import MarketError
from .forms import CategoryForm, ReviewForm, SessionForm
from .jobs import schedule_market_task
from .models import Market, Meeting, Participant, Registration, StandBooking, StandOption

State = Participant.State


class MarketForm(forms.ModelForm):
    class Meta:
        model = Market
        fields = [
            "name",
            "slug",
            "venue",
            "starts_on",
            "ends_on",
            "description",
            "applications_open",
            "meeting_minutes",
            "request_hours",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = organizer.venues.all()

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", gettext_lazy("Le marché finit après avoir commencé."))
        return data


class SlotsForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Jour"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=gettext_lazy("De"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=gettext_lazy("À"), widget=forms.TimeInput(attrs={"type": "time"}))


class TablesForm(forms.Form):
    area = forms.CharField(label=gettext_lazy("Espace"), max_length=100)
    count = forms.IntegerField(label=gettext_lazy("Nombre de tables"), min_value=1, max_value=500)


class StandsForm(forms.Form):
    """A row of stands on the plan: same zone, size and price, numbered from a prefix."""

    zone = forms.CharField(label=gettext_lazy("Zone ou pavillon"), max_length=100)
    pavilion = forms.BooleanField(label=gettext_lazy("C'est un pavillon"), required=False)
    prefix = forms.CharField(label=gettext_lazy("Préfixe des numéros"), max_length=10, initial="A")
    count = forms.IntegerField(label=gettext_lazy("Nombre de stands"), min_value=1, max_value=100)
    width = forms.IntegerField(label=gettext_lazy("Largeur (m)"), min_value=1, max_value=50, initial=3)
    depth = forms.IntegerField(label=gettext_lazy("Profondeur (m)"), min_value=1, max_value=50, initial=3)
    price = forms.DecimalField(label=gettext_lazy("Prix HT"), min_value=0, max_digits=9, decimal_places=2)
    badges_included = forms.IntegerField(
        label=gettext_lazy("Badges inclus"), min_value=0, max_value=50, initial=2
    )


class OptionForm(forms.ModelForm):
    class Meta:
        model = StandOption
        fields = ["name", "kind", "price"]


@login_required
def market_list(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.PROGRAMMING_VIEW)
    can_change = has_organizer_perm(request.user, organizer, Perm.MARKET_MANAGE)
    form = MarketForm(request.POST or None, organizer=organizer)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        if form.is_valid():
            market = form.save(commit=False)
            market.organizer = organizer
            market.save()
            audit_record(
                actor=request.user,
                action="market.create",
                instance=market,
                organizer=organizer,
                request=request,
                after={"name": market.name},
            )
            return redirect("staff:market_detail", organizer.slug, market.slug)
    markets = organizer.markets.annotate(
        waiting=Count("participants", filter=Q(participants__state__in=[State.APPLIED, State.MORE_INFO]))
    ).order_by("-starts_on")
    return render(
        request,
        "market/staff/list.html",
        {"organizer": organizer, "markets": markets, "form": form, "can_change": can_change},
        status=400 if request.method == "POST" else 200,
    )


def _market(request, organizer_slug: str, market_slug: str, perm=Perm.PROGRAMMING_VIEW):
    organizer = require_organizer_perm(request.user, organizer_slug, perm)
    return organizer, get_object_or_404(
        Market.objects.select_related("venue"), organizer=organizer, slug=market_slug
    )


@login_required
def application_proof(request, organizer_slug: str, market_slug: str, code: str):
    """The document an applicant sent as proof: only for those who review applications, as a download."""
    _organizer, market = _market(request, organizer_slug, market_slug, perm=Perm.MARKET_MANAGE)
    participant = get_object_or_404(market.participants, code=code)
    if not participant.proof_file:
        raise Http404
    return files.download(participant.proof_file)


@login_required
def application_photo(request, organizer_slug: str, market_slug: str, code: str):
    """The applicant's photo, for the team that reads the application and prints the badge."""
    _organizer, market = _market(request, organizer_slug, market_slug)
    participant = get_object_or_404(market.participants, code=code)
    if not participant.photo:
        raise Http404
    return files.image(participant.photo)


@login_required
def market_detail(request, organizer_slug: str, market_slug: str):
    organizer, market = _market(request, organizer_slug, market_slug)
    can_change = has_organizer_perm(request.user, organizer, Perm.MARKET_MANAGE)
    forms_ = {
        "category": CategoryForm(prefix="category"),
        "session": SessionForm(market=market, prefix="session"),
        "slots_form": SlotsForm(prefix="slots"),
        "tables_form": TablesForm(prefix="tables"),
        "stands_form": StandsForm(prefix="stands"),
        "option_form": OptionForm(prefix="option"),
    }
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        done = _act(request, market, forms_)
        if done:
            return redirect(request.path)
    participants = market.participants.select_related("category")
    meetings.expire_due(market.pk)
    context = {
        "organizer": organizer,
        "market": market,
        "can_change": can_change,
        "queue": participants.filter(state__in=[State.APPLIED, State.MORE_INFO]).order_by("created_at"),
        "by_category": market.categories.annotate(
            accredited=Count("participants", filter=Q(participants__state=State.ACCREDITED)),
            to_pay=Count("participants", filter=Q(participants__state=State.APPROVED)),
        ),
        "sessions": market.sessions.select_related("performance__event")
        .prefetch_related(
            Prefetch(
                "registrations",
                queryset=Registration.objects.exclude(state=Registration.State.CANCELLED)
                .select_related("participant")
                .order_by("state", "created_at", "pk"),
            )
        )
        .order_by("performance__starts_at"),
        "meeting_counts": dict(
            market.meetings.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
        ),
        "placed": market.meetings.filter(slot__isnull=False).count(),
        "slots": market.meeting_slots.count(),
        "tables": market.meeting_tables.count(),
        "last_schedule": AuditLogEntry.objects.filter(
            action="market.schedule", object_type=Market._meta.label_lower, object_id=str(market.pk)
        )
        .order_by("-pk")
        .first(),
        "plan": selectors.floor_plan(market),
        "bookings": StandBooking.objects.filter(stand__market=market)
        .exclude(state=StandBooking.State.CANCELLED)
        .select_related("stand", "exhibitor", "order"),
        **forms_,
    }
    return render(request, "market/staff/detail.html", context)


def _act(request, market: Market, forms_: dict) -> bool:
    """One of the board's forms, posted; True when done (the page redirects)."""
    action = request.POST.get("action", "")
    if action == "category":
        form = forms_["category"] = CategoryForm(request.POST, prefix="category")
        if form.is_valid():
            category = form.save(commit=False)
            category.market = market
            category.save()
            messages.success(request, _("Catégorie ajoutée."))
            return True
    elif action == "session":
        form = forms_["session"] = SessionForm(request.POST, market=market, prefix="session")
        if form.is_valid():
            data = form.cleaned_data
            try:
                sessions.session_create(
                    actor=request.user,
                    market=market,
                    title=data["title"],
                    kind=data["kind"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    capacity=data["capacity"],
                    description=data["description"],
                    categories=data["categories"],
                    request=request,
                )
            except MarketError as exc:
                form.add_error(None, exc.message)
                return False
            messages.success(request, _("Rencontre ajoutée au programme."))
            return True
    elif action == "slots":
        form = forms_["slots_form"] = SlotsForm(request.POST, prefix="slots")
        if form.is_valid():
            made = meetings.slots_create(market=market, **form.cleaned_data)
            messages.success(request, _("%(n)s créneaux de rendez-vous créés.") % {"n": made})
            return True
    elif action == "tables":
        form = forms_["tables_form"] = TablesForm(request.POST, prefix="tables")
        if form.is_valid():
            meetings.tables_create(market=market, **form.cleaned_data)
            messages.success(request, _("Tables ajoutées."))
            return True
    elif action == "stands":
        form = forms_["stands_form"] = StandsForm(request.POST, prefix="stands")
        if form.is_valid():
            made = stands.row_create(market=market, **form.cleaned_data)
            messages.success(request, _("%(n)s stands ajoutés au plan.") % {"n": made})
            return True
    elif action == "option":
        form = forms_["option_form"] = OptionForm(request.POST, prefix="option")
        if form.is_valid():
            option = form.save(commit=False)
            option.market = market
            option.save()
            messages.success(request, _("Option ajoutée."))
            return True
    elif action == "schedule":
        if not market.meeting_slots.exists() or not market.meeting_tables.exists():
            messages.error(request, _("Créez d'abord les créneaux et les tables des rendez-vous."))
            return True
        now = timezone.now()
        # Asked once at a time: a second click while the worker places them changes nothing (a placement
        # asked more than ten minutes ago and never finished may be asked again).
        asked = Market.objects.filter(
            Q(schedule_asked_at__isnull=True) | Q(schedule_asked_at__lt=now - datetime.timedelta(minutes=10)),
            pk=market.pk,
        ).update(schedule_asked_at=now)
        if not asked:
            messages.info(request, _("Le placement des rendez-vous est déjà en cours."))
            return True
        enqueue_on_commit(schedule_market_task, market_id=market.pk, actor_id=request.user.pk)
        messages.success(
            request, _("Placement des rendez-vous lancé : le résultat s'affiche ici dans une minute au plus.")
        )
        return True
    return False


@login_required
def application(request, organizer_slug: str, market_slug: str, code: str):
    organizer, market = _market(request, organizer_slug, market_slug)
    participant = get_object_or_404(
        market.participants.select_related("category", "order", "contact"), code=code
    )
    can_change = has_organizer_perm(request.user, organizer, Perm.MARKET_MANAGE)
    form = ReviewForm(request.POST or None)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        if request.POST.get("action") == "cancel":
            accreditation.cancel(actor=request.user, participant=participant, request=request)
            messages.success(request, _("Accréditation annulée : son badge n'ouvre plus les portes."))
            return redirect(request.path)
        if form.is_valid():
            try:
                accreditation.review(
                    actor=request.user,
                    participant=participant,
                    decision=form.cleaned_data["decision"],
                    message=form.cleaned_data["message"],
                    request=request,
                )
            except MarketError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Réponse envoyée au candidat."))
                return redirect("staff:market_detail", organizer.slug, market.slug)
    return render(
        request,
        "market/staff/application.html",
        {
            "organizer": organizer,
            "market": market,
            "participant": participant,
            "form": form,
            "can_change": can_change,
            "meetings": Meeting.objects.filter(Q(requester=participant) | Q(recipient=participant)).count(),
        },
        status=400 if form.errors else 200,
    )
