"""Content-Security-Policy on every response: a venue's pages load nothing from third parties."""

from django.conf import settings

DEFAULT_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'self'",
}


def build_policy(overrides: dict[str, str] | None = None) -> str:
    policy = {**DEFAULT_POLICY, **getattr(settings, "PARVIS_CSP_OVERRIDES", {}), **(overrides or {})}
    return "; ".join(f"{key} {value}" for key, value in policy.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = build_policy(getattr(response, "csp_overrides", None))
        return response
