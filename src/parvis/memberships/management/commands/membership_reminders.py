"""parvis membership_reminders: e-mail the members whose card ends soon (cron, once a day)."""

from django.core.management.base import BaseCommand

from parvis.memberships.services import renewal_reminders_due
from parvis.memberships.tasks import send_renewal_reminder


class Command(BaseCommand):
    help = "Send renewal reminders to members whose card ends within their programme's reminder period."

    def handle(self, *args, **options):
        due = renewal_reminders_due()
        for membership_id in due:
            send_renewal_reminder.enqueue(membership_id=membership_id)
        self.stdout.write(f"{len(due)} reminders queued")
