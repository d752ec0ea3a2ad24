"""parvis waitlist_refresh: pass expired waiting-list offers on now (cron, every few minutes).

Without it the next buyer's attempt passes them on anyway; this only makes the e-mails go out sooner."""

from django.core.management.base import BaseCommand

from parvis.ticketing.waitlist import refresh


class Command(BaseCommand):
    help = "Pass expired waiting-list offers to the next people waiting."

    def handle(self, *args, **options):
        self.stdout.write(f"{refresh()} places passed on")
