"""Background work of online access. Tasks take ids and are safe to run twice (the same link is sent)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from parvis.core.mail import deliver

from . import access as checks
from .models import OnlineAccess


@task()
def send_access_link(*, access_id: int) -> None:
    """E-mail an access's current link to its holder (a member's access, a new link after a revocation)."""
    access = (
        OnlineAccess.objects.select_related("content__performance__event", "content__performance__organizer")
        .filter(pk=access_id, revoked_at__isnull=True)
        .first()
    )
    if access is None or not access.email:
        return
    performance = access.content.performance
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "access": access,
            "performance": performance,
            "link": checks.link_of(access, settings.PARVIS_BASE_URL),
            "window": checks.window_text(access),
        }
        deliver(
            EmailMessage(
                _("Votre accès en ligne : %(title)s") % {"title": performance.event.title},
                render_to_string("online/email/access_link.txt", context),
                None,
                [access.email],
                reply_to=[performance.organizer.email] if performance.organizer.email else None,
            )
        )
