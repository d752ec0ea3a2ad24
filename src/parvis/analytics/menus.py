"""The dashboards' menus: each board's title, how it is computed, its default period and what the period
counts; which boards are kept (`kept`), and how a kept board is named and computed again, by the page or
by the background task."""

from django.utils import translation
from django.utils.translation import gettext_lazy

from parvis.network.models import Network, NetworkMembership, Organizer

from . import audiences, circulation, fill, outreach, sales
from .boards import Filters


def _audiences(organizer_ids, f, owner, network):
    return audiences.board(organizer_ids, f, network=network)


BOARDS = {
    # name: (title, builder, days back and ahead of today by default, what the period counts)
    "sales": (
        gettext_lazy("Ventes"),
        lambda ids, f, *_: sales.board(ids, f),
        55,
        0,
        gettext_lazy("jours de vente"),
    ),
    "fill": (
        gettext_lazy("Remplissage"),
        lambda ids, f, *_: fill.board(ids, f),
        30,
        90,
        gettext_lazy("dates des représentations"),
    ),
    "audiences": (gettext_lazy("Publics"), _audiences, 364, 90, gettext_lazy("mois des représentations")),
    "marketing": (gettext_lazy("Marketing"), outreach.board, 90, 0, gettext_lazy("jours d'envoi")),
}
# A network's boards: the same, and how its audiences move between its members.
NETWORK_BOARDS = {
    **BOARDS,
    "circulation": (
        gettext_lazy("Circulation des publics"),
        lambda _ids, f, owner, _n: circulation.board(owner, f),
        0,
        0,
        "",
    ),
}


# Boards whose figures are kept (`kept`): the people of a period and how they move between venues change
# slowly, and a network's are read from a million people. The page says when they were computed, and offers
# to compute them again at once.
KEPT = {"audiences", "circulation"}


def kind_of(owner) -> str:
    return "network" if isinstance(owner, Network) else "organizer"


def scope(kind: str, owner_id: int) -> tuple[object, list[int], bool]:
    """The board's owner, the organizers whose figures it shows, and whether it is a network's."""
    if kind == "network":
        network = Network.objects.get(pk=owner_id)
        members = list(
            NetworkMembership.objects.filter(network=network).values_list("organizer_id", flat=True)
        )
        return network, members, True
    return Organizer.objects.get(pk=owner_id), [owner_id], False


def key_of(name: str, owner, f: Filters) -> str:
    """A kept board's name: its owner, period, filters and language (its words are computed with it)."""
    return f"analytics:{name}:{kind_of(owner)}:{owner.pk}:{f.query()}:{translation.get_language()}"


def builder(name: str, owner, organizer_ids: list[int], network: bool, f: Filters):
    """What computes the board: its figures, and the notes it adds to the filters' (given apart)."""
    build = (NETWORK_BOARDS if network else BOARDS)[name][1]

    def run() -> tuple[dict, list[str]]:
        before = len(f.notes)
        data = build(organizer_ids, f, owner, network)
        notes = f.notes[before:]
        del f.notes[before:]
        return data, notes

    return run
