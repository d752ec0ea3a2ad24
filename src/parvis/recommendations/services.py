"""What a person changes of their recommendations: forget one show of their history, or all of it. Their
purchases and visits themselves stay as they are; only this purpose stops reading them."""

from django.db import transaction
from django.utils import timezone

from parvis.core.audit import audit_record
from parvis.crm.models import Contact

from .models import Forgotten, Policy


def history_forget(*, contact: Contact, event_id: int | None) -> Forgotten:
    """`event_id` None: everything up to now ("start again")."""
    return Forgotten.objects.create(contact=contact, event_id=event_id, at=timezone.now())


def policy_save(*, policy: Policy, actor) -> Policy:
    """An organizer's balance between familiar and discovery, and how far a suggestion may be: read by the
    next page or campaign batch (no training needed)."""
    with transaction.atomic():
        policy.save()
        audit_record(
            actor=actor,
            action="reco.policy",
            instance=policy,
            organizer_id=policy.organizer_id,
            network=policy.network,
            after={
                "curiosity": str(policy.curiosity),
                "reach_km": policy.reach_km,
                "holdout_percent": policy.holdout_percent,
            },
        )
    return policy
