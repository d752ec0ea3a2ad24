"""Who a campaign goes to: its segments (include, exclude), intersected with a consent given for its
purpose, minus the addresses no campaign may write to, one message per address (and per household if
asked). The audience is computed for the count and the sample the marketer sees, and frozen at send: one
`Recipient` row per person, which the senders work through.

A network's campaign reaches the people who consented to the network's newsletter (or partner offers) at
one of its organizers; a person known to several organizers under one address gets one message.
"""

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone

from parvis.core.models import MailBounce
from parvis.crm.models import Consent, Contact
from parvis.crm.segments import members
from parvis.network.models import NetworkMembership

from .models import Campaign, Recipient, Suppression

SAMPLE = 10
FREEZE_BATCH = 5000


@dataclass(frozen=True)
class Person:
    contact_id: int
    address: str
    language: str


def _consented(purpose: str):
    """Consent rows that give the purpose and that no later row of the same person and purpose undoes."""
    later = Consent.objects.filter(
        contact_id=OuterRef("contact_id"), purpose=purpose, channel="email"
    ).filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk")))
    return Consent.objects.filter(purpose=purpose, channel="email", given=True).filter(~Exists(later))


def contacts(campaign: Campaign):
    """The contacts the campaign may write to, before de-duplication by address (a queryset)."""
    if campaign.network_id:
        organizers = NetworkMembership.objects.filter(network_id=campaign.network_id).values("organizer_id")
    else:
        organizers = [campaign.organizer_id]
    consented = _consented(campaign.purpose).filter(organizer_id__in=organizers)
    queryset = Contact.objects.filter(
        pk__in=consented.values("contact_id"),
        organizer_id__in=organizers,
        merged_into__isnull=True,
        anonymised_at__isnull=True,
    ).exclude(email="")
    if campaign.organizer_id:
        include = list(campaign.include_segments.all())
        if include:
            wanted = Q()
            for segment in include:
                wanted |= Q(pk__in=members(segment).values("pk"))
            queryset = queryset.filter(wanted)
        for segment in campaign.exclude_segments.all():
            queryset = queryset.exclude(pk__in=members(segment).values("pk"))
    # Addresses compared in lower case: an import may have kept "Ana@…" where a sale wrote "ana@…".
    return (
        queryset.annotate(email_key=Lower("email"))
        .exclude(
            email_key__in=Suppression.objects.filter(_suppressed_for(campaign, organizers)).values("address")
        )
        .exclude(email_key__in=MailBounce.objects.values("address"))
    )


def _suppressed_for(campaign: Campaign, organizers) -> Q:
    """The exclusions a campaign obeys: every sender's (a bounce, a complaint), its owner's, and for a
    network's campaign those of each member too (a person a club's staff removed is not written to by
    the network either)."""
    rule = Q(organizer__isnull=True, network__isnull=True)
    if campaign.network_id:
        return rule | Q(network_id=campaign.network_id) | Q(organizer_id__in=organizers)
    return rule | Q(organizer_id=campaign.organizer_id)


def people(campaign: Campaign):
    """The audience, one per address (and per household when asked): the contact seen most recently wins."""
    rows = (
        contacts(campaign)
        .order_by("email_key", F("last_seen_at").desc(nulls_last=True), "pk")
        .values_list("pk", "email_key", "language", "household_id")
    )
    last_address, households = None, set()
    for contact_id, address, language, household_id in rows.iterator(chunk_size=5000):
        if address == last_address:
            continue
        last_address = address
        if campaign.one_per_household and household_id is not None:
            if household_id in households:
                continue
            households.add(household_id)
        yield Person(contact_id, address, language or "fr")


def preview(campaign: Campaign) -> tuple[int, list[Contact]]:
    """The count the marketer sees before sending, and a few of the people."""
    count, sample_ids = 0, []
    for person in people(campaign):
        count += 1
        if len(sample_ids) < SAMPLE:
            sample_ids.append(person.contact_id)
    sample = list(Contact.objects.filter(pk__in=sample_ids).order_by("last_name", "first_name"))
    return count, sample


def _draw(campaign: Campaign, contact_id: int, salt: str) -> int:
    """0–99, drawn by a hash of the campaign and the person: a run again draws the same people, and two
    campaigns (or the holdout and the A/B test of one) draw different ones."""
    digest = hashlib.blake2b(f"{salt}:{campaign.pk}:{contact_id}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 100


def held_out(campaign: Campaign, contact_id: int) -> bool:
    """Whether the person is in the campaign's holdout group (receives nothing; compared with)."""
    return (
        bool(campaign.holdout_percent) and _draw(campaign, contact_id, "holdout") < campaign.holdout_percent
    )


def _group_of(campaign: Campaign, contact_id: int) -> dict:
    """The person's state and variant: held out, in the A/B test's sample (A or B), waiting for its
    result, or simply queued."""
    if held_out(campaign, contact_id):
        return {"state": Recipient.State.HOLDOUT}
    if not campaign.ab_percent:
        return {"state": Recipient.State.QUEUED}
    draw = _draw(campaign, contact_id, "ab")
    if draw < campaign.ab_percent:
        return {"state": Recipient.State.QUEUED, "variant": "a" if draw % 2 == 0 else "b"}
    return {"state": Recipient.State.WAITING}


def freeze(campaign: Campaign) -> int:
    """Write the audience as it is now, one row per person, spread over the campaign's senders, in one
    transaction: cut short, it leaves nothing, and the task that runs it again writes everyone."""
    with transaction.atomic():
        return _freeze(campaign)


def _freeze(campaign: Campaign) -> int:
    if Recipient.objects.filter(campaign=campaign).exists():
        return Recipient.objects.filter(campaign=campaign).count()
    count, batch = 0, []
    for person in people(campaign):
        batch.append(
            Recipient(
                campaign=campaign,
                contact_id=person.contact_id,
                address=person.address,
                language=person.language,
                part=count % campaign.parts,
                **_group_of(campaign, person.contact_id),
            )
        )
        count += 1
        if len(batch) >= FREEZE_BATCH:
            Recipient.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        Recipient.objects.bulk_create(batch, ignore_conflicts=True)
    Campaign.objects.filter(pk=campaign.pk).update(frozen_at=timezone.now())
    return count
