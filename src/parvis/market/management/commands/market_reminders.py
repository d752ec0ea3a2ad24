"""`parvis market_reminders`, each evening (cron): tomorrow's agenda to every participant who has one."""

import datetime

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from parvis.market.models import Market, Participant
from parvis.market.tasks import send_agenda_reminder


class Command(BaseCommand):
    help = "Send tomorrow's agenda to the participants of the markets open tomorrow (once per day)."

    def handle(self, *args, **options):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        sent = 0
        for market in Market.objects.filter(starts_on__lte=tomorrow, ends_on__gte=tomorrow):
            busy = Q(meeting_seats__slot__starts_at__date=tomorrow) | Q(
                registrations__state="registered",
                registrations__session__performance__starts_at__date=tomorrow,
            )
            people = (
                market.participants.filter(state=Participant.State.ACCREDITED)
                .filter(busy)
                .exclude(reminded_for=tomorrow)
                .values_list("pk", flat=True)
                .distinct()
            )
            for pk in people:
                send_agenda_reminder.enqueue(participant_id=pk, day=tomorrow.isoformat())
                sent += 1
        self.stdout.write(f"{sent} agenda(s) queued for {tomorrow.isoformat()}")
