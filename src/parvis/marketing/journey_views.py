"""The journeys in the staff pages (an organizer's marketers): ready-made journeys switched on, journeys
written by hand (trigger, entry rule, steps one at a time), each journey's steps, messages and funnel."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.core.params import is_digits
from parvis.crm.models import Purpose, Segment, Tag
from parvis.network.permissions import Perm, require_organizer_perm

from . import journey_edit as edit
from . import journey_templates, journeys
from .journey_forms import JourneyForm, StepForm
from .models import Campaign, Journey


@login_required
def journey_list(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CAMPAIGNS)
    if request.method == "POST":
        key = request.POST.get("template", "")
        if key not in journey_templates.READY_MADE:
            messages.error(request, _("Parcours inconnu."))
            return redirect("staff:campaign_journeys", organizer.slug)
        journey = journey_templates.journey_create(organizer=organizer, key=key, actor=request.user)
        messages.success(request, _("Parcours créé, à l'arrêt : relisez ses messages, puis démarrez-le."))
        return redirect("staff:campaign_journey", organizer.slug, journey.pk)
    rows = [
        (journey, journeys.funnel(journey))
        for journey in Journey.objects.filter(organizer=organizer).order_by("name")
    ]
    return render(
        request,
        "marketing/staff/journey_list.html",
        {"organizer": organizer, "rows": rows, "ready_made": journey_templates.READY_MADE},
    )


@login_required
def journey_edit(request, organizer_slug: str, pk: int | None = None):
    """A journey's name, trigger and entry rule (trigger and days only while it is stopped)."""
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CAMPAIGNS)
    journey = get_object_or_404(Journey, pk=pk, organizer=organizer) if pk else Journey(organizer=organizer)
    form = JourneyForm(request.POST or None, instance=journey)
    if journey.active:
        for name in ("trigger", "days"):
            form.fields[name].disabled = True
            form.fields[name].help_text = _("Arrêtez le parcours pour changer son déclencheur.")
    if request.method == "POST" and form.is_valid():
        journey = edit.journey_save(journey=form.save(commit=False), actor=request.user)
        messages.success(request, _("Parcours enregistré."))
        return redirect("staff:campaign_journey", organizer.slug, journey.pk)
    return render(
        request,
        "marketing/staff/journey_edit.html",
        {"organizer": organizer, "journey": journey, "form": form},
    )


@login_required
def journey_detail(request, organizer_slug: str, pk: int, step_form=None):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CAMPAIGNS)
    journey = get_object_or_404(Journey, pk=pk, organizer=organizer)
    funnel = journeys.funnel(journey)
    names = _names(journey)
    steps = []
    for n, step in enumerate(journey.steps):
        steps.append(
            {
                "n": n + 1,
                "index": n,
                "step": step,
                "text": step_text(step, names),
                "message": names["messages"].get(step.get("campaign")) if step["kind"] == "send" else None,
                "waiting": funnel["at_step"].get(n, 0),
                "sent": funnel["sent"].get(step.get("campaign"), 0),
            }
        )
    context = {
        "organizer": organizer,
        "journey": journey,
        "steps": steps,
        "funnel": funnel,
        "step_form": step_form or StepForm(organizer=organizer),
        "locked": funnel["active"] > 0,
    }
    return render(request, "marketing/staff/journey_detail.html", context, status=400 if step_form else 200)


@require_POST
@login_required
def journey_steps(request, organizer_slug: str, pk: int):
    """Add a step at the end; remove or move one (only while nobody is in the journey)."""
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CAMPAIGNS)
    journey = get_object_or_404(Journey, pk=pk, organizer=organizer)
    action = request.POST.get("action", "")
    index = request.POST.get("index", "")
    try:
        if action == "add":
            form = StepForm(request.POST, organizer=organizer)
            if not form.is_valid():
                return journey_detail(request, organizer_slug, pk, step_form=form)
            step = edit.step_add(journey=journey, step=form.step(), actor=request.user)
            if step["kind"] == "send":
                messages.success(request, _("Étape ajoutée. Écrivez maintenant son message."))
                return redirect("staff:campaign_edit", organizer.slug, step["campaign"])
            messages.success(request, _("Étape ajoutée."))
        elif action in ("remove", "up", "down") and is_digits(index):
            if action == "remove":
                edit.step_remove(journey=journey, index=int(index), actor=request.user)
            else:
                edit.step_move(journey=journey, index=int(index), up=action == "up", actor=request.user)
            messages.success(request, _("Étapes modifiées."))
    except edit.JourneyLocked as exc:
        messages.error(request, str(exc))
    return redirect("staff:campaign_journey", organizer.slug, journey.pk)


@require_POST
@login_required
def journey_switch(request, organizer_slug: str, pk: int):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CAMPAIGNS)
    journey = get_object_or_404(Journey, pk=pk, organizer=organizer)
    active = request.POST.get("active") == "1"
    if active and not journey.steps:
        messages.error(request, _("Ajoutez au moins une étape avant de démarrer le parcours."))
        return redirect("staff:campaign_journey", organizer.slug, journey.pk)
    journey_templates.journey_switch(journey=journey, actor=request.user, active=active)
    messages.success(request, _("Parcours démarré.") if active else _("Parcours arrêté."))
    return redirect("staff:campaign_journey", organizer.slug, journey.pk)


def _names(journey: Journey) -> dict:
    """What the steps point to, by id: messages, segments, tags, staff members."""
    steps = journey.steps
    ids = {kind: {s.get(key) for s in steps if s["kind"] == kind} for kind, key in
           (("send", "campaign"), ("tag", "tag"), ("notify", "user"))}  # fmt: skip
    checks = [s for s in steps if s["kind"] == "check"]
    return {
        "messages": Campaign.objects.filter(organizer=journey.organizer).in_bulk(ids["send"]),
        "segments": dict(
            Segment.objects.filter(
                organizer=journey.organizer, pk__in=[s["arg"] for s in checks if s["test"] == "segment"]
            ).values_list("pk", "name")
        ),
        "tags": dict(
            Tag.objects.filter(
                organizer=journey.organizer,
                pk__in=ids["tag"] | {s["arg"] for s in checks if s["test"] == "tag"},
            ).values_list("pk", "name")
        ),
        "users": {
            u.pk: u.get_full_name() or u.email for u in get_user_model().objects.filter(pk__in=ids["notify"])
        },
    }


def step_text(step: dict, names: dict) -> str:
    """The step in words, in the reader's language."""
    kind = step["kind"]
    if kind == "wait":
        return _("Attendre %(hours)s h") % {"hours": step["hours"]}
    if kind == "until":
        hours = step["hours"]
        if hours < 0:
            return _("Attendre jusqu'à %(hours)s h avant la représentation") % {"hours": -hours}
        return _("Attendre jusqu'à %(hours)s h après le début de la représentation") % {"hours": hours}
    if kind == "send":
        return _("Envoyer le message")
    if kind == "tag":
        name = names["tags"].get(step["tag"], _("(étiquette supprimée)"))
        return (
            _("Retirer l'étiquette « %(tag)s »")
            if step.get("remove")
            else _("Ajouter l'étiquette « %(tag)s »")
        ) % {"tag": name}
    if kind == "notify":
        return _("Prévenir %(who)s par e-mail") % {"who": names["users"].get(step["user"], "?")}
    if kind == "exit":
        return _("Sortir du parcours")
    return _check_text(step, names)


def _check_text(step: dict, names: dict) -> str:
    test, arg, negate = step["test"], step.get("arg"), bool(step.get("negate"))
    if test == "segment":
        name = names["segments"].get(arg, "?")
        what = (
            _("Si la personne n'est pas dans le segment « %(name)s »")
            if negate
            else _("Si la personne est dans le segment « %(name)s »")
        )
    elif test == "tag":
        name = names["tags"].get(arg, "?")
        what = (
            _("Si la personne n'a pas l'étiquette « %(name)s »")
            if negate
            else _("Si la personne a l'étiquette « %(name)s »")
        )
    elif test == "consent":
        name = Purpose(arg).label if arg in Purpose.values else arg
        what = (
            _("Si la personne n'a pas consenti à : %(name)s")
            if negate
            else _("Si la personne a consenti à : %(name)s")
        )
    else:
        name = ""
        what = (
            _("Si la personne n'a rien acheté depuis son entrée")
            if negate
            else _("Si la personne a acheté depuis son entrée")
        )
    otherwise = (
        _("sinon elle passe l'étape suivante") if step.get("otherwise") == "skip" else _("sinon elle sort")
    )
    return f"{what % {'name': name} if name else what} ; {otherwise}"
