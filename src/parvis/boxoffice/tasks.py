"""Closures made without anyone asking: enqueued when a till closes, and run nightly by cron
(`parvis journal close`), since django-tasks has no scheduler of its own. Safe to run twice."""

from django_tasks import task

from parvis.network.models import Organizer

from . import journal
from .models import JournalHead


@task()
def close_journals() -> int:
    made = 0
    for organizer_id, chain in JournalHead.objects.values_list("organizer_id", "chain"):
        made += len(journal.closures_generate(Organizer.objects.get(pk=organizer_id), chain))
    return made
