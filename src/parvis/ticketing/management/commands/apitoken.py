from django.core.management.base import BaseCommand, CommandError

from parvis.network.models import Organizer
from parvis.ticketing.auth import api_token_create


class Command(BaseCommand):
    help = "Creates an API token for a sales channel of an organizer and prints it (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create"])
        parser.add_argument("--organizer", required=True, help="slug of the organizer")
        parser.add_argument("--name", default="sales channel")

    def handle(self, *args, **options):
        organizer = Organizer.objects.filter(slug=options["organizer"]).first()
        if organizer is None:
            raise CommandError(f"unknown organizer: {options['organizer']}")
        self.stdout.write(api_token_create(organizer=organizer, name=options["name"]))
