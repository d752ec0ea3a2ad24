"""Staff pages of the door: gates, devices (pairing, revocation), check-in lists, attendance, conflicts."""

import datetime

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Min
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.network.permissions import Perm, has_organizer_perm, require_organizer_perm

from . import defaults, selectors, services
from .forms import CheckinListForm, DeviceForm, GateForm
from .models import CheckinList, Device, Gate, Scan


@login_required
def door_home(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CHECKIN)
    can_manage = has_organizer_perm(request.user, organizer, Perm.CHECKIN_MANAGE)
    gate_form = GateForm(prefix="gate")
    device_form = DeviceForm(prefix="device", organizer=organizer)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if request.POST.get("form") == "gate":
            gate_form = GateForm(request.POST, prefix="gate")
            if gate_form.is_valid():
                if Gate.objects.filter(organizer=organizer, name=gate_form.cleaned_data["name"]).exists():
                    gate_form.add_error("name", _("Cette porte existe déjà."))
                else:
                    services.gate_create(
                        actor=request.user, organizer=organizer, request=request, **gate_form.cleaned_data
                    )
                    messages.success(request, _("Porte ajoutée."))
                    return redirect(request.path)
        elif request.POST.get("form") == "device":
            device_form = DeviceForm(request.POST, prefix="device", organizer=organizer)
            if device_form.is_valid():
                device, token = services.device_register(
                    actor=request.user, organizer=organizer, request=request, **device_form.cleaned_data
                )
                return _paired(request, organizer, device, token)
    defaults.default_lists_ensure(defaults.upcoming_of(organizer.pk))
    past = request.GET.get("passees") == "1"
    since = timezone.now() - datetime.timedelta(days=1)
    lists = (
        CheckinList.objects.filter(organizer=organizer)
        .annotate(first=Min("performances__starts_at"), last=Max("performances__starts_at"))
        .filter(**({"last__lt": since} if past else {"last__gte": since}))
        .prefetch_related("performances__event")
    )
    return render(
        request,
        "checkin/staff/home.html",
        {
            "organizer": organizer,
            "can_manage": can_manage,
            "lists": lists.order_by("-first", "name") if past else lists.order_by("first", "name"),
            "past": past,
            "gates": Gate.objects.filter(organizer=organizer).order_by("name"),
            "devices": Device.objects.filter(organizer=organizer).select_related("gate").order_by("-pk"),
            "gate_form": gate_form,
            "device_form": device_form,
            "scanner_url": reverse("checkin:scanner"),
        },
    )


def _paired(request, organizer, device, token):
    """The device's token, once: as a link to open on the phone and as its QR code. It is not kept."""
    link = f"{settings.PARVIS_BASE_URL}{reverse('checkin:scanner')}#appareil={token}"
    response = render(
        request,
        "checkin/staff/device_paired.html",
        {
            "organizer": organizer,
            "device": device,
            "token": token,
            "link": link,
            "qr_svg": segno.make(link, error="m").svg_data_uri(scale=5),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def device_revoke(request, organizer_slug: str, device_pk: int):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CHECKIN_MANAGE)
    device = get_object_or_404(Device, pk=device_pk, organizer=organizer)
    services.device_revoke(actor=request.user, device=device, request=request)
    messages.success(request, _("Accès de l'appareil « %(name)s » retiré.") % {"name": device.name})
    return redirect("staff:door_home", organizer.slug)


@login_required
def list_edit(request, organizer_slug: str, list_pk: int | None = None):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CHECKIN_MANAGE)
    checkin_list = (
        get_object_or_404(CheckinList, pk=list_pk, organizer=organizer)
        if list_pk
        else CheckinList(organizer=organizer)
    )
    form = CheckinListForm(request.POST or None, instance=checkin_list, organizer=organizer)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        services.list_save(
            actor=request.user,
            checkin_list=checkin_list,
            data=data,
            performances=form.cleaned_data["performances"],
            tariffs=form.cleaned_data["tariffs"],
            request=request,
        )
        messages.success(request, _("Liste de contrôle enregistrée."))
        return redirect("staff:door_home", organizer.slug)
    return render(
        request,
        "checkin/staff/list_form.html",
        {"organizer": organizer, "form": form, "checkin_list": checkin_list},
    )


@login_required
def attendance(request, organizer_slug: str, list_pk: int):
    """Live attendance for the door manager: refreshed every 10 seconds (htmx) while the page is open."""
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CHECKIN)
    checkin_list = get_object_or_404(CheckinList, pk=list_pk, organizer=organizer)
    context = {
        "organizer": organizer,
        "checkin_list": checkin_list,
        "data": selectors.attendance(checkin_list),
        "conflicts": Scan.objects.filter(checkin_list=checkin_list, conflict=True)
        .select_related("ticket__order", "gate", "device", "reviewed_by")
        .order_by("reviewed_at", "-scanned_at")[:50],
        "refusals": Scan.objects.filter(checkin_list=checkin_list, accepted=False, conflict=False)
        .select_related("ticket", "gate")
        .order_by("-scanned_at")[:20],
        "can_manage": has_organizer_perm(request.user, organizer, Perm.CHECKIN_MANAGE),
    }
    template = (
        "checkin/staff/_attendance.html"
        if request.headers.get("HX-Request")
        else "checkin/staff/attendance.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def conflict_review(request, organizer_slug: str, list_pk: int, scan_pk: int):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.CHECKIN_MANAGE)
    scan = get_object_or_404(Scan, pk=scan_pk, checkin_list__pk=list_pk, checkin_list__organizer=organizer)
    services.conflict_review(actor=request.user, scan=scan, request=request)
    return redirect("staff:door_attendance", organizer.slug, list_pk)
