import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from parvis.demo.data import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Prints the current TOTP code of the demo administrator (development only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp is a development helper; it refuses to run with DEBUG off.")
        self.stdout.write(pyotp.TOTP(DEMO_TOTP_SECRET).now())
