"""parvis reco train | evaluate: train the organizers' models (nightly, from cron), or replay history to
compare the models and balances."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from parvis.network.models import Network, Organizer

from ... import evaluation, training

FIGURES = ("recall_at_20", "ndcg_at_10", "ild_genres", "ild_venues", "coverage", "novelty", "discovery_rate")


class Command(BaseCommand):
    help = _("Recommandations : entraîner les modèles (chaque nuit) ou les évaluer sur l'historique.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["train", "evaluate"])
        parser.add_argument("--organizer", help=_("identifiant (slug) d'une structure ; toutes sinon"))
        parser.add_argument("--held-days", type=int, default=90, help=_("jours gardés pour l'évaluation"))
        parser.add_argument("--json", action="store_true", help=_("une ligne JSON par résultat"))

    def handle(self, *args, action, organizer=None, held_days=90, json=False, **options):
        organizers = Organizer.objects.order_by("slug")
        if organizer:
            organizers = organizers.filter(slug=organizer)
            if not organizers.exists():
                raise CommandError(_("Structure inconnue : %(slug)s") % {"slug": organizer})
        for each in organizers:
            if action == "train":
                self._trained(each.slug, training.train_organizer(each))
            else:
                self._evaluate(each, held_days, json)
        if action == "train":
            networks = Network.objects.order_by("slug")
            if organizer:
                networks = networks.filter(memberships__organizer__slug=organizer)
            for network in networks:
                self._trained(f"{network.slug} (network)", training.train_network(network))

    def _trained(self, name: str, done) -> None:
        self.stdout.write(
            f"{name}: v{done.version}, {done.events} events, {done.people} people, {done.signals} signals"
        )

    def _evaluate(self, organizer, held_days: int, as_json: bool):
        split, genres, places = evaluation.time_split(organizer, held_days=held_days)
        rows = evaluation.compare(split, genres, places)
        if as_json:
            for row in rows:
                self.stdout.write(json.dumps({"organizer": organizer.slug, **row}))
            return
        self.stdout.write(f"{organizer.slug} ({len(split.held_out)} people to find)")
        self.stdout.write(f"{'model':<12}{'curiosity':>10}" + "".join(f"{name:>16}" for name in FIGURES))
        for row in rows:
            self.stdout.write(
                f"{row['model']:<12}{row['curiosity']:>10.2f}"
                + "".join(f"{row.get(name, 0):>16.3f}" for name in FIGURES)
            )
