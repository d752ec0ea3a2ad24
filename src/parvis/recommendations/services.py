"""What a person changes of their recommendations: forget one show of their history, or all of it. Their
purchases and visits themselves stay as they are; only this purpose stops reading them."""

from django.utils import timezone

from parvis.crm.models import Contact

from .models import Forgotten


def history_forget(*, contact: Contact, event_id: int | None) -> Forgotten:
    """`event_id` None: everything up to now ("start again")."""
    return Forgotten.objects.create(contact=contact, event_id=event_id, at=timezone.now())
