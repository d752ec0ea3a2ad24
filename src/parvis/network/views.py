"""Staff home, team management and the audit log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import OrganizerSettingsForm, SpaceForm, StaffAddForm, VenueForm
from .models import OrganizerStaff, Venue
from .permissions import (
    Perm,
    networks_with_perm,
    organizer_perms,
    organizers_with_perm,
    require_organizer_perm,
)


@login_required
def staff_home(request):
    organizers = [
        {"organizer": o, "perms": organizer_perms(request.user, o)}
        for o in organizers_with_perm(request.user, Perm.PROGRAMMING_VIEW).order_by("name")
    ]
    networks = networks_with_perm(request.user, Perm.NETWORK_CURATE)
    return render(request, "network/staff_home.html", {"organizers": organizers, "networks": networks})


@login_required
def team(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.STAFF_MANAGE)
    form = StaffAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_role_grant(
                actor=request.user, organizer=organizer, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Accès accordé."))
            return redirect("staff:team", organizer_slug=organizer.slug)
    members = (
        OrganizerStaff.objects.filter(organizer=organizer).select_related("user").order_by("user__username")
    )
    return render(
        request,
        "network/team.html",
        {"organizer": organizer, "members": members, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def team_revoke(request, organizer_slug: str, membership_pk: int):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.STAFF_MANAGE)
    membership = get_object_or_404(OrganizerStaff, pk=membership_pk, organizer=organizer)
    try:
        services.staff_role_revoke(actor=request.user, membership=membership, request=request)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Accès retiré."))
    return redirect("staff:team", organizer_slug=organizer.slug)


class StaffPasswordSetView(PasswordResetConfirmView):
    template_name = "accounts/password_set.html"
    success_url = "/staff/login/"
    post_reset_login = False


@login_required
def organizer_settings(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.ORGANIZER_SETTINGS)
    form = OrganizerSettingsForm(request.POST or None, request.FILES or None, instance=organizer)
    if request.method == "POST" and form.is_valid():
        fields = [name for name in form.changed_data if not name.startswith("terms_of_sale")]
        data = {name: form.cleaned_data[name] for name in fields}
        organizer.refresh_from_db()
        services.organizer_update(
            actor=request.user, organizer=organizer, data=data, terms=form.terms(), request=request
        )
        messages.success(request, _("Modifications enregistrées."))
        return redirect("staff:organizer_settings", organizer_slug=organizer.slug)
    venues = organizer.venues.prefetch_related("spaces")
    return render(
        request,
        "network/organizer_settings.html",
        {"organizer": organizer, "form": form, "venues": venues},
        status=400 if form.errors else 200,
    )


@login_required
def venue_edit(request, organizer_slug: str, venue_pk: int | None = None):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.ORGANIZER_SETTINGS)
    venue = get_object_or_404(Venue, pk=venue_pk, organizer=organizer) if venue_pk else None
    form = VenueForm(request.POST or None, instance=venue, organizer=organizer)
    space_form = SpaceForm(prefix="space")
    if request.method == "POST" and "space-name" in request.POST and venue is not None:
        form = VenueForm(instance=venue, organizer=organizer)
        space_form = SpaceForm(request.POST, prefix="space")
        if space_form.is_valid():
            try:
                services.space_create(
                    actor=request.user, venue=venue, request=request, **space_form.cleaned_data
                )
            except ValidationError as exc:
                space_form.add_error("name", exc)
            else:
                messages.success(request, _("Salle ajoutée."))
                return redirect("staff:venue_edit", organizer_slug=organizer.slug, venue_pk=venue.pk)
    elif request.method == "POST" and form.is_valid():
        try:
            saved = services.venue_save(actor=request.user, venue=form.instance, request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Lieu enregistré."))
            return redirect("staff:venue_edit", organizer_slug=organizer.slug, venue_pk=saved.pk)
    has_errors = bool(form.errors or space_form.errors)
    return render(
        request,
        "network/venue_form.html",
        {
            "organizer": organizer,
            "venue": venue,
            "form": form,
            "space_form": space_form,
        },
        status=400 if has_errors else 200,
    )
