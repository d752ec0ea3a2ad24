"""What a batch of journey steps does besides sending: tags added or removed, staff told. Applied in the
transaction that moves the people on, so a step is done exactly when its people pass it."""

from dataclasses import dataclass, field

from parvis.core.background import enqueue_on_commit
from parvis.crm.models import Contact, Tag

from .models import Journey
from .tasks import journey_notify


@dataclass
class Acts:
    """What a batch of steps asks for, done together: messages, tags, staff notices, checks to make."""

    starts: dict = field(default_factory=dict)  # performance id -> its start
    sends: dict = field(default_factory=dict)  # campaign id -> contact ids
    tags: dict = field(default_factory=dict)  # (tag id, remove) -> contact ids
    notify: dict = field(default_factory=dict)  # step index -> contact ids
    checks: dict = field(default_factory=dict)  # step index -> entries waiting for the verdict
    verdicts: dict = field(default_factory=dict)  # (step index, contact id) -> bool


def apply(journey: Journey, acts: Acts) -> None:
    through = Contact.tags.through
    own_tags = set(Tag.objects.filter(organizer_id=journey.organizer_id).values_list("pk", flat=True))
    for (tag_id, remove), contact_ids in acts.tags.items():
        if tag_id not in own_tags:
            continue  # deleted since the step was written: nothing to add
        if remove:
            through.objects.filter(tag_id=tag_id, contact_id__in=contact_ids).delete()
        else:
            through.objects.bulk_create(
                [through(tag_id=tag_id, contact_id=pk) for pk in contact_ids], ignore_conflicts=True
            )
    for index, contact_ids in acts.notify.items():
        user_id = journey.steps[index].get("user")
        if user_id:
            enqueue_on_commit(
                journey_notify,
                journey_id=journey.pk,
                step=index,
                user_id=user_id,
                contact_ids=sorted(contact_ids),
            )
