from django.core.management.base import BaseCommand, CommandError

from parvis.network.models import Organizer
from parvis.ticketing.auth import api_token_create, api_token_revoke
from parvis.ticketing.models import ApiToken


class Command(BaseCommand):
    help = (
        "API tokens of sales channels. create: prints a new token of an organizer (shown once); "
        "list: an organizer's tokens by prefix; revoke <prefix>: withdraws a token."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("prefix", nargs="?", help="revoke: the token's prefix (after 'pv_')")
        parser.add_argument("--organizer", help="slug of the organizer (create, list)")
        parser.add_argument("--name", default="sales channel")

    def handle(self, *args, **options):
        if options["action"] == "revoke":
            return self._revoke(options["prefix"])
        if not options["organizer"]:
            raise CommandError("--organizer is required")
        organizer = Organizer.objects.filter(slug=options["organizer"]).first()
        if organizer is None:
            raise CommandError(f"unknown organizer: {options['organizer']}")
        if options["action"] == "create":
            self.stdout.write(api_token_create(organizer=organizer, name=options["name"]))
            return
        for record in ApiToken.objects.filter(organizer=organizer).order_by("created_at"):
            state = f"revoked {record.revoked_at:%Y-%m-%d %H:%M}" if record.revoked_at else "live"
            self.stdout.write(
                f"pv_{record.prefix}_…  {record.name}  created {record.created_at:%Y-%m-%d}  {state}"
            )

    def _revoke(self, prefix: str | None):
        prefix = (prefix or "").removeprefix("pv_").split("_")[0]
        record = ApiToken.objects.filter(prefix=prefix).first() if prefix else None
        if record is None:
            raise CommandError(f"unknown token prefix: {prefix or '(none)'}")
        if not api_token_revoke(record):
            raise CommandError(f"token pv_{prefix}_… was already revoked")
        self.stdout.write(
            f"revoked pv_{prefix}_… ({record.name}); running servers refuse it within a few seconds"
        )
