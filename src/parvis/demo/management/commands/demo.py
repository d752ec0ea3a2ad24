from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from parvis.demo.builder import build_demo
from parvis.demo.data import DEMO_PASSWORD, DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = _("Crée (ou complète) le réseau de démonstration. Peut être lancé plusieurs fois.")

    def handle(self, *args, **options):
        accounts = build_demo()
        self.stdout.write(self.style.SUCCESS(_("Démo prête.")))
        self.stdout.write(_("Comptes de démonstration (mot de passe : %(pw)s)") % {"pw": DEMO_PASSWORD})
        for account in accounts:
            self.stdout.write(f"  {account.username:<45} {account.role} — {account.where}")
        self.stdout.write(
            _(
                "L'administrateur a la double authentification : clé TOTP %(secret)s "
                "(ou `parvis demo_totp` pour le code du moment)."
            )
            % {"secret": DEMO_TOTP_SECRET}
        )
