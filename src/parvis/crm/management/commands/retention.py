from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from parvis.crm import retention
from parvis.network.models import Organizer


class Command(BaseCommand):
    help = _(
        "Durées de conservation : liste les contacts à anonymiser (par défaut, sans rien changer) ; "
        "--apply les anonymise."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help=_("Anonymiser pour de bon."))
        parser.add_argument("--organizer", help=_("Une seule structure (son identifiant)."))

    def handle(self, *args, **options):
        organizers = Organizer.objects.order_by("pk")
        if options["organizer"]:
            organizers = organizers.filter(slug=options["organizer"])
        for organizer in organizers:
            if options["apply"]:
                self.stdout.write(f"{organizer.slug}: {retention.apply(organizer)} " + _("anonymisés"))
            else:
                found = retention.report(organizer, sample=0)
                self.stdout.write(
                    f"{organizer.slug}: "
                    + _("%(c)s clients et %(p)s prospects à anonymiser (essai, rien n'est changé)")
                    % {"c": found["customers"], "p": found["prospects"]}
                )
