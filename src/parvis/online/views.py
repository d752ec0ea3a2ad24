"""The public pages of online access: the access page a personal link opens, its heartbeat, the resources it
gives, and members' access with their card.

The access page carries its token in its address: it is sent with `Referrer-Policy: same-origin` (the
embedded player and the links never learn it; `no-referrer` would make the page's own forms send
`Origin: null`, which the CSRF check refuses), is never cached and never indexed."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from parvis.memberships.services import benefits_for, membership_find
from parvis.programming.models import Performance
from parvis.ticketing.errors import SaleError

from . import access as checks
from . import services
from .models import OnlineContent

STATUS = {
    checks.State.OPEN: 200,
    checks.State.NOT_YET: 200,
    checks.State.FULL: 409,
    checks.State.ENDED: 410,
    checks.State.REVOKED: 403,
    checks.State.CANCELLED: 403,
}


def _private(request, response, access=None, device: str = ""):
    response["Referrer-Policy"] = "same-origin"  # never to the player or a link (nor Origin: null)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    if access is not None and device:
        response.set_cookie(
            checks.DEVICE_COOKIE.format(pk=access.pk),
            device,
            max_age=60 * 60 * 24 * 60,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
            path="/en-ligne/",
        )
    return response


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _found(token: str):
    access = checks.access_of_token(token)
    if access is None:
        raise Http404
    return access


def _device(request, access) -> str:
    key = request.COOKIES.get(checks.DEVICE_COOKIE.format(pk=access.pk))
    return key if checks.device_valid(key) else checks.new_device()


def access_page(request, token: str):
    access = _found(token)
    device = _device(request, access)
    now = timezone.now()
    opened = checks.open_link(access, device, now, user_agent=request.headers.get("User-Agent", ""))
    content = access.content
    response = render(
        request,
        "online/access.html",
        {
            "access": access,
            "content": content,
            "performance": content.performance,
            "event": content.performance.event,
            "opened": opened,
            "state": opened.state,
            "reason": checks.REASONS[opened.state](access) if opened.state in checks.REASONS else "",
            "window": checks.window_text(access),
            "resources": list(content.resources.all()) if opened.state == checks.State.OPEN else [],
            "token": token,
            "poll_seconds": checks.POLL_SECONDS,
        },
        status=STATUS[opened.state],
    )
    if opened.state == checks.State.OPEN and content.embed_url:  # the one origin this page may frame
        response.csp_overrides = {"frame-src": origin_of(content.embed_url)}
    return _private(request, response, access, device)


@csrf_exempt  # the signed link in the address is the credential: a forged request cannot name it
@require_POST
def heartbeat(request, token: str):
    """The access page's poll: keeps this device counted as watching, and tells the page to reload when
    the state it shows is no longer the one the link is in (opened, ended, revoked, refunded)."""
    access = _found(token)
    device = _device(request, access)
    opened = checks.open_link(access, device, timezone.now())
    response = HttpResponse(status=204)
    if opened.state != request.POST.get("seen", ""):
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
    return _private(request, response, access, device)


@require_POST
def stop(request, token: str):
    access = _found(token)
    key = request.COOKIES.get(checks.DEVICE_COOKIE.format(pk=access.pk))
    if checks.device_valid(key):
        checks.stop(access, key, timezone.now())
    messages.success(request, _("Lecture arrêtée sur cet appareil : le lien peut s'ouvrir sur un autre."))
    return _private(request, redirect("online:stopped"))


def stopped(request):
    return _private(request, render(request, "online/stopped.html"))


def resource(request, token: str, pk: int):
    """A resource of the content, while the access is open (it counts no device: a file is not a
    viewing)."""
    access = _found(token)
    if checks.state_of(access, timezone.now()) != checks.State.OPEN:
        raise Http404
    item = get_object_or_404(access.content.resources, pk=pk)
    name = item.file.name.rsplit("/", 1)[-1]
    return _private(request, FileResponse(item.file.open("rb"), as_attachment=True, filename=name))


def members(request, performance_pk: int):
    """A member asks for the access their card gives: the link goes to the card's e-mail address (the page
    shows no link: the number and the address alone prove nothing)."""
    performance = get_object_or_404(
        Performance.objects.select_related("event", "organizer"), pk=performance_pk
    )
    content = OnlineContent.objects.filter(performance=performance, members=True).first()
    if content is None:
        raise Http404
    error, status = "", 200
    if request.method == "POST":
        code, email = request.POST.get("code", "")[:20], request.POST.get("email", "")[:254]
        try:
            card = membership_find(code=code, email=email)
        except SaleError:
            card = None
        if card is None or benefits_for(card, performance.organizer_id) is None:
            error, status = (
                _("Aucune carte valable chez %(organizer)s ne correspond à ce numéro et cette adresse.")
                % {"organizer": performance.organizer.name},
                400,
            )
        else:
            access = services.grant_member(content, card)
            if access.revoked_at is not None:
                error, status = _("L'accès de cette carte a été révoqué par l'organisateur."), 403
            else:
                messages.success(request, _("Votre lien personnel a été envoyé à l'adresse de votre carte."))
                return redirect("online:members", performance.pk)
    return render(
        request,
        "online/members.html",
        {"performance": performance, "event": performance.event, "content": content, "error": error},
        status=status,
    )
