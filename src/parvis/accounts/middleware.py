from django.shortcuts import redirect
from django.urls import reverse

from parvis.network.permissions import requires_two_factor

SESSION_2FA_KEY = "parvis_2fa_verified"


class TwoFactorMiddleware:
    """Staff whose role requires two-factor authentication reach staff pages only once verified."""

    EXEMPT_PREFIXES = ("/staff/login", "/staff/logout", "/staff/2fa", "/static/", "/i18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        # The path first: the public pages and the API never load the session or the user for this.
        user = getattr(request, "user", None) if path.startswith(("/staff/", "/admin/")) else None
        if (
            user is not None
            and not path.startswith(self.EXEMPT_PREFIXES)
            and user.is_authenticated
            and not request.session.get(SESSION_2FA_KEY)
        ):
            if requires_two_factor(user):
                return redirect(reverse("accounts:totp_setup") + "?next=" + path)
        return self.get_response(request)
