"""Background work of the network app. Tasks take ids and are safe to run twice."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_tasks import task

from .models import Organizer


@task()
def send_staff_invitation(*, user_id: int, organizer_id: int) -> None:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    organizer = Organizer.objects.filter(pk=organizer_id).first()
    if user is None or organizer is None or user.has_usable_password():
        return  # gone, or already set up: nothing to send (a second run sends nothing either)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    url = f"{settings.PARVIS_BASE_URL}/staff/password/{uid}/{token}/"
    with translation.override(settings.LANGUAGE_CODE):
        send_mail(
            _("Votre accès à Parvis — %(organizer)s") % {"organizer": organizer.name},
            _(
                "Bonjour,\n\nUn accès à l'espace équipe de %(organizer)s vous a été ouvert.\n"
                "Choisissez votre mot de passe : %(url)s\n"
            )
            % {"organizer": organizer.name, "url": url},
            None,
            [user.email],
        )
