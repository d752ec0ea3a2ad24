"""parvis declarations_reminders: remind administrators of SIBIL's deadline (cron, once a day)."""

from django.core.management.base import BaseCommand

from parvis.declarations.reminders import reminders_due
from parvis.declarations.tasks import send_deadline_reminder


class Command(BaseCommand):
    help = "E-mail each organizer's administrators ten and three days before SIBIL's deadline."

    def handle(self, *args, **options):
        due = reminders_due()
        for organizer_id, period, days_before in due:
            send_deadline_reminder.enqueue(organizer_id=organizer_id, period=period, days_before=days_before)
        self.stdout.write(f"{len(due)} reminders queued")
