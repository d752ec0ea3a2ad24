"""`parvis synctoken create --organizer <slug> --scopes orders,tickets,checkins,contacts,consents --name BI`
prints a token of the sync API (shown once); `parvis synctoken revoke <prefix>` withdraws one."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from parvis.network.models import Organizer
from parvis.opendata.api import sync_token_create
from parvis.opendata.models import SCOPES, SyncToken


class Command(BaseCommand):
    help = "Jetons de l'API de synchronisation : create, revoke."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "revoke"])
        parser.add_argument("prefix", nargs="?")
        parser.add_argument("--organizer")
        parser.add_argument("--name", default="entrepôt")
        parser.add_argument("--scopes", default=",".join(s for s, _label in SCOPES))

    def handle(self, *args, action, prefix, organizer, name, scopes, **options):
        if action == "revoke":
            if not SyncToken.objects.filter(prefix=prefix or "", revoked_at=None).update(
                revoked_at=timezone.now()
            ):
                raise CommandError("Aucun jeton actif avec ce préfixe.")
            self.stdout.write("Jeton révoqué.")
            return
        found = Organizer.objects.filter(slug=organizer or "").first()
        if found is None:
            raise CommandError("Structure inconnue : --organizer <identifiant>.")
        wanted = [s.strip() for s in scopes.split(",") if s.strip()]
        unknown = set(wanted) - {s for s, _label in SCOPES}
        if unknown:
            raise CommandError(f"Portées inconnues : {', '.join(sorted(unknown))}.")
        self.stdout.write(sync_token_create(organizer=found, name=name, scopes=wanted))
