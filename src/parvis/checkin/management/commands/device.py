from django.core.management.base import BaseCommand, CommandError

from parvis.checkin.models import Gate
from parvis.checkin.services import device_create
from parvis.network.models import Organizer


class Command(BaseCommand):
    help = "Registers a scanning device for an organizer and prints its token (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create"])
        parser.add_argument("--organizer", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--gate", default="")

    def handle(self, *args, **options):
        organizer = Organizer.objects.filter(slug=options["organizer"]).first()
        if organizer is None:
            raise CommandError(f"unknown organizer: {options['organizer']}")
        gate = (
            Gate.objects.get_or_create(organizer=organizer, name=options["gate"])[0]
            if options["gate"]
            else None
        )
        _device, token = device_create(organizer=organizer, name=options["name"], gate=gate)
        self.stdout.write(token)
