"""What the marketers and the recipients do to campaigns: write, schedule, cancel, test; unsubscribe."""

import datetime
import ipaddress

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.core import keyvault
from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit
from parvis.core.params import is_digits
from parvis.crm import services as crm_services
from parvis.crm.models import Consent, Contact, Interaction, Purpose
from parvis.crm.selectors import consent_state
from parvis.network.models import NetworkMembership, NetworkStaff, OrganizerStaff
from parvis.programming.models import Event
from parvis.recommendations import tracking as reco_tracking

from . import blocks, dkim, links, tasks
from .models import Campaign, Click, Open, Recipient, SendingDomain, SendingPolicy, Suppression


def _owner(campaign: Campaign) -> dict:
    if campaign.network_id:
        return {"network": campaign.network}
    return {"organizer_id": campaign.organizer_id}


def campaign_save(*, campaign: Campaign, actor, segments: tuple | None = None) -> Campaign:
    """Keep a draft (or a scheduled campaign not yet started): checked by the form, recorded."""
    if not campaign.is_editable:
        raise ValidationError(_("Une campagne partie ne se modifie plus."), code="not_editable")
    creating = campaign.pk is None
    with transaction.atomic():
        campaign.save()
        if segments is not None:
            include, exclude = segments
            campaign.include_segments.set(include)
            campaign.exclude_segments.set(exclude)
        audit_record(
            actor=actor,
            action="campaign.create" if creating else "campaign.change",
            instance=campaign,
            after={"name": campaign.name, "state": campaign.state},
            **_owner(campaign),
        )
    return campaign


COPIED = (
    "purpose", "subject_fr", "subject_en", "preheader_fr", "preheader_en", "from_name", "from_email",
    "reply_to", "blocks", "one_per_household", "priority", "holdout_percent", "attribution_days",
    "ab_percent", "ab_subject_fr", "ab_subject_en", "ab_hours", "ab_metric",
)  # fmt: skip


def campaign_duplicate(*, campaign: Campaign, actor) -> Campaign:
    """A new draft with the campaign's content, envelope and audience: a campaign serves as the template
    of the next one."""
    copy = Campaign(
        organizer_id=campaign.organizer_id,
        network_id=campaign.network_id,
        name=_("%(name)s (copie)") % {"name": campaign.name[:140]},
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **{name: getattr(campaign, name) for name in COPIED},
    )
    segments = None
    if campaign.organizer_id:
        segments = (list(campaign.include_segments.all()), list(campaign.exclude_segments.all()))
    return campaign_save(campaign=copy, actor=actor, segments=segments)


def campaign_schedule(*, campaign: Campaign, actor, when: datetime.datetime | None = None) -> Campaign:
    """Send now (`when` None) or at a time: the audience is frozen when the sending starts."""
    when = when or timezone.now()
    if campaign.state not in (Campaign.State.DRAFT, Campaign.State.SCHEDULED):
        raise ValidationError(_("Cette campagne est déjà partie."), code="not_editable")
    if when < timezone.now() - datetime.timedelta(minutes=5):
        raise ValidationError(_("La date d'envoi est passée."), code="past")
    with transaction.atomic():
        changed = Campaign.objects.filter(
            pk=campaign.pk, state__in=[Campaign.State.DRAFT, Campaign.State.SCHEDULED]
        ).update(state=Campaign.State.SCHEDULED, send_at=when, parts=tasks.parts())
        if not changed:
            raise ValidationError(_("Cette campagne est déjà partie."), code="not_editable")
        campaign.refresh_from_db()
        audit_record(
            actor=actor,
            action="campaign.schedule",
            instance=campaign,
            after={"send_at": when.isoformat()},
            **_owner(campaign),
        )
        if when > timezone.now():
            tasks.later(tasks.campaign_start, when, campaign_id=campaign.pk)
        else:
            enqueue_on_commit(tasks.campaign_start, campaign_id=campaign.pk)
    return campaign


def campaign_cancel(*, campaign: Campaign, actor) -> Campaign:
    """Stop a campaign programmed or being sent: what has left has left, the rest is not sent."""
    with transaction.atomic():
        changed = Campaign.objects.filter(
            pk=campaign.pk, state__in=[Campaign.State.SCHEDULED, Campaign.State.SENDING]
        ).update(state=Campaign.State.CANCELLED, finished_at=timezone.now())
        if not changed:
            raise ValidationError(_("Cette campagne n'est ni programmée ni en cours d'envoi."), code="state")
        Recipient.objects.filter(campaign=campaign, state=Recipient.State.QUEUED).update(
            state=Recipient.State.SKIPPED, error="campaign cancelled"
        )
        audit_record(actor=actor, action="campaign.cancel", instance=campaign, **_owner(campaign))
    campaign.refresh_from_db()
    return campaign


def staff_addresses(campaign: Campaign) -> set[str]:
    """Where a test may be sent: the addresses of the owner's staff, nobody else (a test is not a way to
    write to people without their consent)."""
    if campaign.network_id:
        users = NetworkStaff.objects.filter(network_id=campaign.network_id).values_list(
            "user__email", flat=True
        )
    else:
        users = OrganizerStaff.objects.filter(organizer_id=campaign.organizer_id).values_list(
            "user__email", flat=True
        )
    return {address.lower() for address in users if address}


def campaign_test(*, campaign: Campaign, actor, addresses: list[str], contact: Contact | None, language: str):
    wrong = sorted({a.lower() for a in addresses} - staff_addresses(campaign))
    if not addresses:
        raise ValidationError(_("Indiquez au moins une adresse."), code="no_address")
    if wrong:
        raise PermissionDenied(
            _("Un test ne part qu'aux adresses de l'équipe : %(addresses)s n'en est pas.")
            % {"addresses": ", ".join(wrong)}
        )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="campaign.test",
            instance=campaign,
            after={"email": ", ".join(sorted(addresses))},
            **_owner(campaign),
        )
        enqueue_on_commit(
            tasks.campaign_test_send,
            campaign_id=campaign.pk,
            addresses=sorted({a.lower() for a in addresses}),
            contact_id=contact.pk if contact else None,
            language=language,
        )


def domain_add(*, campaign_owner: dict, domain: str, actor) -> SendingDomain:
    """A sending domain with a new DKIM key; its public half is shown to publish in DNS."""
    domain = domain.strip().lower().rstrip(".")
    private, public = dkim.key_new()
    selector = f"parvis{timezone.now():%Y%m}"
    with transaction.atomic():
        sending = SendingDomain.objects.create(
            domain=domain,
            selector=selector,
            private_key=keyvault.seal(private),
            public_key=public,
            **campaign_owner,
        )
        audit_record(
            actor=actor,
            action="campaign.domain",
            instance=sending,
            after={"domain": domain},
            **campaign_owner,
        )
    return sending


def policy_save(*, policy: SendingPolicy, actor) -> SendingPolicy:
    with transaction.atomic():
        policy.save()
        audit_record(
            actor=actor,
            action="campaign.policy",
            instance=policy,
            after={
                "pressure_cap": policy.pressure_cap,
                "capped": policy.capped,
                "quiet_from": policy.quiet_from,
                "quiet_until": policy.quiet_until,
            },
            **({"network": policy.network} if policy.network_id else {"organizer_id": policy.organizer_id}),
        )
    return policy


def suppressions_add(*, campaign_owner: dict, addresses: list[str], note: str, actor) -> int:
    """The staff exclude these addresses from their campaigns (the owner's: `{"organizer": …}` or
    `{"network": …}`); how many were not excluded already."""
    now = timezone.now()
    added = []
    with transaction.atomic():
        for address in addresses:
            row, created = Suppression.objects.get_or_create(
                address=address.lower(),
                **campaign_owner,
                defaults={"reason": Suppression.Reason.MANUAL, "detail": note[:300], "at": now},
            )
            if created:
                added.append(row)
        if added:
            audit_record(
                actor=actor,
                action="campaign.exclude",
                instance=added[0],
                after={"count": len(added), "note": note[:300]},
                **campaign_owner,
            )
    return len(added)


def suppression_remove(*, suppression: Suppression, actor) -> None:
    """The staff take back an exclusion of theirs (only a `MANUAL` one: a mailbox's answer stays)."""
    if suppression.reason != Suppression.Reason.MANUAL:
        raise PermissionDenied
    owner = (
        {"network": suppression.network} if suppression.network_id else {"organizer": suppression.organizer}
    )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="campaign.unexclude",
            instance=suppression,
            before={"reason": suppression.reason, "note": suppression.detail},
            **owner,
        )
        suppression.delete()


# What the recipients do.


def recipient_for_token(token: str) -> Recipient | None:
    recipient_id = links.recipient_id_of(token)
    if recipient_id is None:
        return None
    return Recipient.objects.select_related("campaign", "contact__organizer").filter(pk=recipient_id).first()


def _same_person(recipient: Recipient) -> list[Contact]:
    """The profiles the withdrawal applies to: the contact written to, and for a network's campaign every
    contact of that address at the network's organizers (the audience picked one of them; the next
    campaign must not pick another)."""
    contact = recipient.contact
    if not recipient.campaign.network_id:
        return [contact] if contact.is_active else []
    organizers = NetworkMembership.objects.filter(network_id=recipient.campaign.network_id).values(
        "organizer_id"
    )
    return list(
        Contact.objects.filter(
            organizer_id__in=organizers,
            email__iexact=recipient.address,
            merged_into__isnull=True,
            anonymised_at__isnull=True,
        ).order_by("pk")
    )


def unsubscribe(*, recipient: Recipient, proof: dict, one_click: bool) -> bool:
    """Withdraw, at once, the consent the campaign was sent under; False if it was withdrawn already. The
    ledger keeps how (the link or the one-click header), from which campaign, and the request's proof."""
    purpose = recipient.campaign.purpose
    withdrawn = False
    with transaction.atomic():
        for contact in _same_person(recipient):
            state = consent_state(contact, purpose)
            if state is None or not state.given:
                continue
            crm_services.consent_record(
                contact=contact,
                purpose=purpose,
                given=False,
                source=Consent.Source.UNSUBSCRIBE,
                wording=str(Purpose(purpose).label),
                proof={**proof, "campaign": recipient.campaign_id, "one_click": one_click},
            )
            withdrawn = True
    return withdrawn


def click_target(campaign: Campaign, kind: str, n: int) -> str | None:
    """Where the campaign's link leads: its n-th web link, or the page of one of its owner's events."""
    if kind == "l":
        targets = blocks.tracked_links(campaign.blocks)
        return targets[n] if n < len(targets) else None
    events = Event.objects.filter(pk=n).select_related("organizer")
    if campaign.network_id:
        members = NetworkMembership.objects.filter(network_id=campaign.network_id).values("organizer_id")
        events = events.filter(organizer_id__in=members)
    else:
        events = events.filter(organizer_id=campaign.organizer_id)
    event = events.first()
    return settings.PARVIS_BASE_URL + event.get_absolute_url() if event else None


# Apple's Mail Privacy Protection loads every image from Apple's network (17.0.0.0/8); scanners and
# prefetchers announce themselves, or load the images within seconds of the delivery.
_APPLE = ipaddress.ip_network("17.0.0.0/8")
_MACHINES = (
    "bot",
    "crawler",
    "spider",
    "scanner",
    "preview",
    "googleimageproxy",
    "yahoomailproxy",
    "outlook",
)


def is_machine(ip: str, user_agent: str, sent_at) -> bool:
    try:
        if ipaddress.ip_address(ip) in _APPLE:
            return True
    except ValueError:
        pass
    agent = user_agent.lower()
    if any(word in agent for word in _MACHINES):
        return True
    return sent_at is not None and timezone.now() - sent_at < datetime.timedelta(seconds=10)


def _named(recipient: Recipient) -> bool:
    """Whether the person consented to the measure of their opens and clicks, under their name."""
    contact = recipient.contact
    return contact.is_active and bool(
        (state := consent_state(contact, Purpose.EMAIL_TRACKING)) and state.given
    )


def open_record(*, recipient: Recipient, ip: str, user_agent: str) -> Open:
    return Open.objects.create(
        campaign_id=recipient.campaign_id,
        recipient=recipient if _named(recipient) else None,
        variant=recipient.variant,
        machine=is_machine(ip, user_agent, recipient.sent_at),
        at=timezone.now(),
    )


def click_record(*, recipient: Recipient, link: str) -> Click:
    """Counted for the campaign; the person kept, and the click on their timeline, only with their consent
    to the measure of their clicks."""
    contact = recipient.contact
    named = _named(recipient)
    now = timezone.now()
    with transaction.atomic():
        click = Click.objects.create(
            campaign_id=recipient.campaign_id,
            recipient=recipient if named else None,
            link=link,
            at=now,
            variant=recipient.variant,
        )
        if named and link.startswith("e") and is_digits(link[1:]):  # a suggestion it held, perhaps
            reco_tracking.clicked_in_message(f"recipient:{recipient.pk}", int(link[1:]), now=now)
        if named:
            crm_services.interaction_record(
                contact=contact,
                organizer_id=contact.organizer_id,
                kind=Interaction.Kind.EMAIL_CLICKED,
                at=now,
                summary=recipient.campaign.subject_fr,
                ref=f"campaign:{recipient.campaign_id}",
            )
    return click
