"""Background work of the campaigns: start (freeze the audience), send each part, send a test.

No step depends on a worker being on time: a campaign started late starts when a worker comes; a part
whose rows wait for a retry enqueues itself for that time; a killed sender's part is run again (its task
is not lost, `core.jobs`) and sends what it had not delivered (`delivery`).
"""

import datetime
from email.utils import formataddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_tasks import task

from parvis.core import jobs
from parvis.core.background import enqueue_on_commit
from parvis.core.mail import deliver
from parvis.crm.models import Contact
from parvis.network.permissions import Perm, has_organizer_perm

from . import ab, audience, delivery, holdings, pressure, render
from .models import Campaign, Journey


def parts() -> int:
    return max(1, settings.PARVIS_CAMPAIGN_PARTS)


def later(task, when, **kwargs) -> None:
    """Run `task` at `when`. A backend that cannot wait (the tests' immediate one) is not given it: the
    test runs it itself."""
    if task.get_backend().supports_defer:
        enqueue_on_commit(task.using(run_after=when), **kwargs)


@task()
def campaign_start(*, campaign_id: int) -> None:
    """Freeze the audience and set the senders going, in one transaction (run twice: once)."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.state != Campaign.State.SCHEDULED:
            return  # cancelled, or started by an earlier run
        now = timezone.now()
        when = delivery.quiet_until(now, pressure.owner_policy(campaign))
        if campaign.send_at and campaign.send_at > now + datetime.timedelta(seconds=1):
            when = max(when or now, campaign.send_at)  # run early (a backend that does not wait)
        if when is not None:
            later(campaign_start, when, campaign_id=campaign_id)
            return
        audience.freeze(campaign)
        Campaign.objects.filter(pk=campaign_id).update(state=Campaign.State.SENDING)
        for part in range(campaign.parts):
            enqueue_on_commit(campaign_part_send, campaign_id=campaign_id, part=part)
        if campaign.ab_percent:
            later(campaign_ab_decide, ab.decision_time(campaign), campaign_id=campaign_id)
        if campaign.parts == 0 or not campaign.recipients.exists():
            transaction.on_commit(lambda: delivery.finish_if_done(campaign))


@task()
def campaign_part_send(*, campaign_id: int, part: int) -> None:
    campaign = Campaign.objects.select_related("organizer", "network").filter(pk=campaign_id).first()
    if campaign is None or campaign.state not in delivery.SENDABLE:
        return
    when = delivery.part_send(campaign, part)
    if when is not None:
        later(campaign_part_send, when, campaign_id=campaign_id, part=part)


@task()
def campaign_ab_decide(*, campaign_id: int) -> None:
    """The A/B test's time is up: the better subject goes to the rest of the audience."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.state != Campaign.State.SENDING:
            return
        _winner, released = ab.release(campaign)
        if released:
            for part in range(campaign.parts):
                enqueue_on_commit(campaign_part_send, campaign_id=campaign_id, part=part)


@task()
def campaign_test_send(
    *, campaign_id: int, addresses: list[str], contact_id: int | None, language: str
) -> None:
    """The campaign as `contact` would read it (or with no name), marked as a test, to staff addresses."""
    campaign = Campaign.objects.select_related("organizer", "network").filter(pk=campaign_id).first()
    if campaign is None:
        return
    contact = Contact.objects.filter(pk=contact_id).first() if contact_id else None
    message = render_for(campaign, contact, language)
    for address in addresses:
        test = EmailMultiAlternatives(
            subject=f"[Test] {message.subject}",
            body=message.text,
            from_email=formataddr((campaign.from_name, campaign.from_email)),
            to=[address],
            reply_to=[campaign.reply_to] if campaign.reply_to else None,
        )
        test.attach_alternative(message.html, "text/html")
        deliver(test)


NOTIFY_NAMES = 50


@task()
def journey_notify(*, journey_id: int, step: int, user_id: int, contact_ids: list[int]) -> None:
    """Tell a staff member who reached a journey's step (one e-mail per step and run; sent once)."""
    journey = Journey.objects.select_related("organizer").filter(pk=journey_id).first()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if journey is None or user is None or not has_organizer_perm(user, journey.organizer, Perm.CRM_VIEW):
        return  # gone, or no longer allowed to read the organizer's contacts
    people = list(
        Contact.objects.filter(pk__in=contact_ids).order_by("last_name", "first_name")[:NOTIFY_NAMES]
    )
    base = settings.PARVIS_BASE_URL
    lines = [
        f"- {contact.display_name} : "
        f"{base}{reverse('staff:crm_contact', args=[journey.organizer.slug, contact.pk])}"
        for contact in people
    ]
    with translation.override(settings.LANGUAGE_CODE):
        subject = ngettext(
            "Parcours « %(name)s » : %(count)d personne à l'étape %(step)d",
            "Parcours « %(name)s » : %(count)d personnes à l'étape %(step)d",
            len(contact_ids),
        ) % {"name": journey.name, "count": len(contact_ids), "step": step + 1}
        intro = _("Ces personnes viennent d'atteindre cette étape du parcours :")
        more = len(contact_ids) - len(people)
        tail = [_("… et %(count)d autres.") % {"count": more}] if more > 0 else []
        deliver(EmailMessage(subject, "\n".join([intro, "", *lines, *tail]), None, [user.email]))


BLANK_IMAGE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


def render_for(campaign: Campaign, contact: Contact | None, language: str) -> render.Message:
    """What `contact` would receive (their name, their picks), the links pointing nowhere."""
    sender = delivery.Sender(campaign, run="preview")
    compiled = sender.compiled_for(language)
    person = render.Person(urls={"unsubscribe": "#", "preferences": "#", "opened": BLANK_IMAGE})
    if contact is not None:
        person.first_name, person.last_name = contact.first_name, contact.last_name
        if compiled.picks_count and sender.picker is not None:
            sender.picker.prepare([contact.pk])
            delivery.choose_for(person, sender.picker, contact.pk, compiled)
    elif compiled.picks_count and sender.picker is not None:
        delivery.choose_for(person, sender.picker, 0, compiled)  # nobody: the common list
    if contact is not None and contact.email and sender.personal:
        address = contact.email.lower()
        for kind, item in holdings.held(campaign, [address]).get(address, {}).items():
            person.held[kind] = holdings.fragments(kind, item, compiled.language)
    return render.personalise(compiled, person)


def _about(kwargs: dict):
    campaign = Campaign.objects.filter(pk=kwargs.get("campaign_id")).first()
    if campaign is None:
        return None, ""
    return campaign.organizer_id, gettext_lazy("Campagne « %(name)s »") % {"name": campaign.name}


jobs.policy(campaign_start, label=gettext_lazy("Départ d'une campagne"), about=_about)
jobs.policy(campaign_part_send, label=gettext_lazy("Envoi d'une campagne"), about=_about, tries=20)
jobs.policy(campaign_ab_decide, label=gettext_lazy("Résultat d'un test A/B"), about=_about)
jobs.policy(campaign_test_send, label=gettext_lazy("Envoi de test d'une campagne"), about=_about)


def _journey_about(kwargs: dict):
    journey = Journey.objects.filter(pk=kwargs.get("journey_id")).first()
    if journey is None:
        return None, ""
    return journey.organizer_id, gettext_lazy("Parcours « %(name)s »") % {"name": journey.name}


jobs.policy(journey_notify, label=gettext_lazy("Message à l'équipe d'un parcours"), about=_journey_about)
