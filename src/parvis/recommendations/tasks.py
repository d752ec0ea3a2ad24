"""Background work of the recommendations: a show just published is offered from the start (its content
makes it a neighbour of shows like it before anyone has bought it), by training its organizer's model and
its networks' again soon after, not only at night. Nothing depends on when it runs: the pages read the
latest training there is."""

from django.utils.translation import gettext_lazy
from django_tasks import task

from parvis.core import jobs
from parvis.core.background import enqueue_on_commit
from parvis.network.models import Network, NetworkMembership, Organizer
from parvis.programming.extensions import DatesFollower

from . import training
from .models import Training


@task()
def reco_refresh(*, organizer_id: int, since: str) -> None:
    """Train the organizer's model and its networks' again, unless a training already followed `since`
    (the publication, ISO time): one refresh for a burst of publications."""
    organizer = Organizer.objects.filter(pk=organizer_id).first()
    if organizer is None:
        return
    networks = Network.objects.filter(
        pk__in=NetworkMembership.objects.filter(organizer=organizer).values("network_id")
    )
    for owner in (organizer, *networks):
        field = "organizer" if isinstance(owner, Organizer) else "network"
        if not Training.objects.filter(**{field: owner, "trained_at__gt": since}).exists():
            if field == "organizer":
                training.train_organizer(owner)
            else:
                training.train_network(owner)


class FreshCatalogue(DatesFollower):
    def event_published(self, event, *, actor, request=None) -> None:
        enqueue_on_commit(reco_refresh, organizer_id=event.organizer_id, since=event.updated_at.isoformat())


def _about(kwargs: dict):
    return kwargs.get("organizer_id"), ""


jobs.policy(reco_refresh, tries=3, label=gettext_lazy("Recommandations d'un spectacle publié"), about=_about)
