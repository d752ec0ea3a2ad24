"""Background work of the audience relations: the e-mails that prove a person holds an address."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from parvis.core import jobs
from parvis.core.mail import deliver
from parvis.network.models import Organizer

from . import importer, privacy
from .dedupe import duplicates_refresh
from .models import Contact, Identifier, ImportJob
from .retention import apply


@task()
def send_privacy_links(*, identifier_ids: list[int], language: str = "fr") -> None:
    """One link per organizer that knows the address, sent to it. The task names the address by its
    identifiers' ids: a stored task keeps no address (an erasure need not find it there)."""
    identifiers = list(
        Identifier.objects.filter(
            pk__in=identifier_ids, contact__merged_into__isnull=True, contact__anonymised_at__isnull=True
        ).select_related("contact__organizer")
    )
    if not identifiers:  # erased or merged meanwhile
        return
    with translation.override(language or settings.LANGUAGE_CODE):
        links = [
            (
                i.contact.organizer.name,
                settings.PARVIS_BASE_URL
                + reverse("crm:privacy", kwargs={"token": privacy.self_service_token(i.contact)}),
            )
            for i in identifiers
        ]
        contacts = [i.contact for i in identifiers]
        everything = (
            settings.PARVIS_BASE_URL
            + reverse("crm:privacy_all", kwargs={"token": privacy.all_organizers_token(contacts)})
            if len(contacts) > 1
            else None
        )
        deliver(
            EmailMessage(
                _("Vos données personnelles"),
                render_to_string("crm/email/privacy_links.txt", {"links": links, "everything": everything}),
                None,
                [identifiers[0].value],
            )
        )


@task()
def send_signup_confirmation(*, contact_id: int, purpose: str, version: str, language: str = "fr") -> None:
    contact = Contact.objects.select_related("organizer").get(pk=contact_id)
    if not contact.email:
        return
    with translation.override(language or settings.LANGUAGE_CODE):
        url = settings.PARVIS_BASE_URL + reverse(
            "crm:signup_confirm", kwargs={"token": privacy.signup_token(contact, purpose, version)}
        )
        deliver(
            EmailMessage(
                _("Confirmez votre inscription — %(organizer)s") % {"organizer": contact.organizer.name},
                render_to_string("crm/email/signup_confirm.txt", {"contact": contact, "url": url}),
                None,
                [contact.email],
            )
        )


@task()
def find_duplicates(*, organizer_id: int) -> int:
    return duplicates_refresh(Organizer.objects.get(pk=organizer_id))


@task()
def run_import(*, job_id: int) -> None:
    job = ImportJob.objects.select_related("organizer", "created_by").get(pk=job_id)
    try:
        importer.run(job)
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(state=ImportJob.State.FAILED, failure=str(exc)[:2000])
        raise


@task()
def apply_retention(*, organizer_id: int, actor_id: int | None = None) -> int:
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return apply(Organizer.objects.get(pk=organizer_id), actor=actor)


def _privacy_about(kwargs: dict) -> tuple[int | None, str]:
    ids = kwargs.get("identifier_ids") or []
    organizers = set(Identifier.objects.filter(pk__in=ids).values_list("organizer_id", flat=True))
    return (organizers.pop() if len(organizers) == 1 else None), ""  # several: the platform's


def _contact_about(kwargs: dict) -> tuple[int | None, str]:
    contact = Contact.objects.filter(pk=kwargs.get("contact_id")).values("organizer_id", "pk").first()
    return (contact["organizer_id"], _("contact n° %(pk)s") % contact) if contact else (None, "")


def _organizer_about(kwargs: dict) -> tuple[int | None, str]:
    return kwargs.get("organizer_id"), ""


def _import_about(kwargs: dict) -> tuple[int | None, str]:
    job = ImportJob.objects.filter(pk=kwargs.get("job_id")).values("organizer_id", "pk").first()
    return (job["organizer_id"], _("import n° %(pk)s") % job) if job else (None, "")


jobs.policy(
    send_privacy_links, label=gettext_lazy("Liens d'accès aux données personnelles"), about=_privacy_about
)
jobs.policy(send_signup_confirmation, label=gettext_lazy("Confirmation d'inscription"), about=_contact_about)
jobs.policy(find_duplicates, tries=3, label=gettext_lazy("Recherche de doublons"), about=_organizer_about)
jobs.policy(run_import, tries=1, label=gettext_lazy("Import de contacts"), about=_import_about)
jobs.policy(apply_retention, tries=3, label=gettext_lazy("Durées de conservation"), about=_organizer_about)
