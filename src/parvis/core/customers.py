"""Who the signed-in customer account is, as any page that sells reads it (accounts/ signs people in)."""

SESSION_KEY = "parvis_customer"


def signed_in_email(request) -> str:
    """The address of the signed-in customer account ("" for visitors, and for staff)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and request.session.get(SESSION_KEY):
        return user.email
    return ""
