import segno
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from parvis.core.params import next_url

from . import services
from .forms import LoginForm, TOTPForm
from .middleware import SESSION_2FA_KEY
from .models import TOTPDevice

PENDING_USER_KEY = "parvis_pending_user"


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _next_url(request, default: str = "/staff/") -> str:
    return next_url(request, default)


def _throttled_message(exc: services.LoginThrottled) -> str:
    minutes = max(1, round(exc.retry_after / 60))
    return _("Trop de tentatives échouées. Réessayez dans %(minutes)d minute(s).") % {"minutes": minutes}


@sensitive_post_parameters("password")
def login_view(request):
    form = LoginForm(request.POST or None)
    error = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_authenticate(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                ip=_client_ip(request),
            )
        except services.LoginThrottled as exc:
            user, error, status = None, _throttled_message(exc), 429
        else:
            if user is None:
                error, status = _("E-mail ou mot de passe incorrect."), 401
        if user is not None:
            if TOTPDevice.objects.filter(user=user).exists():
                request.session[PENDING_USER_KEY] = user.pk
                return redirect(f"/staff/login/totp/?next={_next_url(request)}")
            login(request, user)
            return redirect(_next_url(request))
    return render(
        request,
        "accounts/login.html",
        {"form": form, "error": error, "next": _next_url(request)},
        status=status,
    )


def login_totp_view(request):
    user_id = request.session.get(PENDING_USER_KEY)
    if not user_id:
        return redirect("accounts:login")
    user = get_user_model().objects.get(pk=user_id)
    form = TOTPForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST" and form.is_valid():
        try:
            ok = services.totp_verify(user=user, code=form.cleaned_data["code"], ip=_client_ip(request))
        except services.LoginThrottled as exc:
            ok, error, status = False, _throttled_message(exc), 429
        if ok:
            del request.session[PENDING_USER_KEY]
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_2FA_KEY] = True
            return redirect(_next_url(request))
        error = error or _("Code incorrect ou déjà utilisé.")
        status = status if status != 200 else 401
    return render(
        request,
        "accounts/login_totp.html",
        {"form": form, "error": error, "next": _next_url(request)},
        status=status,
    )


@login_required
def totp_setup_view(request):
    secret = request.session.get("parvis_totp_secret")
    if not secret:
        secret = services.totp_new_secret()
        request.session["parvis_totp_secret"] = secret
    form = TOTPForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        if services.totp_enrol(user=request.user, secret=secret, code=form.cleaned_data["code"]):
            del request.session["parvis_totp_secret"]
            request.session[SESSION_2FA_KEY] = True
            messages.success(request, _("La double authentification est activée."))
            return redirect(_next_url(request))
        error = _("Code incorrect. Vérifiez l'heure de votre téléphone et réessayez.")
    uri = services.totp_provisioning_uri(secret=secret, username=request.user.get_username())
    qr_svg = segno.make(uri, error="m").svg_data_uri(scale=5)
    return render(
        request,
        "accounts/totp_setup.html",
        {
            "form": form,
            "error": error,
            "secret": secret,
            "qr_svg": qr_svg,
            "next": _next_url(request),
        },
    )


@require_POST
def logout_view(request):
    logout(request)
    return redirect("accounts:login")
