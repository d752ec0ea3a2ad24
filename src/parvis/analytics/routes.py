"""The circulation's rollup: each person of a network as one `Route` row, so that the circulation board
reads the routes grouped (one statement over a few hundred thousand short rows) instead of every link,
consent and first visit of the network (issue 24: the matrix in under a second at 1M contacts).

A route is computed from what `crm.network_audience` lets the network know: the person's live links
(checked again here: active contact, latest network-sharing consent given), the first visit of each
linked contact (`FirstVisit`) and the pass codes they carry. Like the other people rollups, the routes a
change touches are computed again whole, never adjusted:
- a contact's sale, refund, exchange, consent, merge or erasure, and a link made, moved or dropped
  (`contact.network_link`): the profiles the contact is in now and was in before (`RouteContact`);
- many links at once (`network.relinked`: an organizer joined or left, the profiles rebuilt): the whole
  network.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction

from parvis.core.models import Change
from parvis.crm import network_audience as audience
from parvis.network.models import Network

from .models import FirstVisit, Route, RouteContact

CHUNK = 5000  # profiles computed again per statement


def follow(batch: Sequence[Change], contact_ids: Iterable[int]) -> None:
    """Compute again the routes a batch of changes may alter (`contact_ids`: the people it touched)."""
    relinked = {c.subject_id for c in batch if c.topic == "network.relinked"}
    for network_id in sorted(relinked):
        recompute_network(network_id)
    ids = list(contact_ids)
    if not ids:
        return
    touched: dict[int, set[int]] = defaultdict(set)
    for network_id, profile_id in audience.profiles_of(ids):
        touched[network_id].add(profile_id)
    for network_id, profile_id in RouteContact.objects.filter(contact_id__in=ids).values_list(
        "network_id", "profile_id"
    ):
        touched[network_id].add(profile_id)
    for network_id, profiles in sorted(touched.items()):
        if network_id not in relinked:
            recompute(network_id, profiles)


def recompute(network_id: int, profile_ids: Iterable[int]) -> None:
    ids = sorted(set(profile_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = audience.live_rows(network_id, profiles=chunk)
        contacts = [contact_id for _profile, _organizer, contact_id in rows]
        firsts = FirstVisit.objects.filter(contact_id__in=contacts)
        routes, members = _made(
            network_id, rows, firsts, audience.pass_carriers(network_id, contacts=contacts)
        )
        with transaction.atomic():
            Route.objects.filter(profile_id__in=chunk).delete()
            RouteContact.objects.filter(network_id=network_id, profile_id__in=chunk).delete()
            Route.objects.bulk_create(routes, batch_size=2000)
            RouteContact.objects.bulk_create(members, batch_size=2000)


def recompute_network(network_id: int) -> int:
    """Every route of the network, in one transaction (its members' first visits read by organizer and
    matched here); how many people."""
    rows = audience.live_rows(network_id)
    firsts = FirstVisit.objects.filter(organizer__networks=network_id)
    routes, members = _made(network_id, rows, firsts, audience.pass_carriers(network_id))
    with transaction.atomic():
        Route.objects.filter(network_id=network_id).delete()
        RouteContact.objects.filter(network_id=network_id).delete()
        Route.objects.bulk_create(routes, batch_size=5000)
        RouteContact.objects.bulk_create(members, batch_size=5000)
    return len(routes)


def rebuild() -> int:
    """Every network's routes again; how many people in all."""
    return sum(recompute_network(pk) for pk in Network.objects.order_by("pk").values_list("pk", flat=True))


def _made(network_id: int, rows, firsts, carriers: set[int]) -> tuple[list[Route], list[RouteContact]]:
    """The routes of the profiles in `rows` (live links: profile, organizer, contact), from the first visits
    (`firsts`, a query: those of contacts not in `rows` are passed over) and the pass carriers."""
    profile_of = {contact_id: profile_id for profile_id, _organizer, contact_id in rows}
    venues: dict[int, set[int]] = defaultdict(set)
    for profile_id, organizer_id, _contact in rows:
        venues[profile_id].add(organizer_id)
    # profile → organizer → (when, contact, with a pass) of the earliest first visit there
    visits: dict[int, dict[int, tuple]] = defaultdict(dict)
    for contact_id, organizer_id, at, with_pass in firsts.values_list(
        "contact_id", "organizer_id", "at", "with_pass"
    ).iterator(chunk_size=20000):
        profile_id = profile_of.get(contact_id)
        if profile_id is None:
            continue  # not sharing their profile with the network
        here = visits[profile_id]
        if organizer_id not in here or (at, contact_id) < here[organizer_id][:2]:
            here[organizer_id] = (at, contact_id, with_pass)
    holders = {profile_of[c] for c in carriers if c in profile_of}
    routes = []
    for profile_id, organizers in venues.items():
        here = visits.get(profile_id, {})
        path = ",".join(
            f"{organizer_id}{'p' if here[organizer_id][2] else ''}"
            for organizer_id in sorted(here, key=lambda o: here[o][:2])
        )
        routes.append(
            Route(
                profile_id=profile_id,
                network_id=network_id,
                venues=",".join(str(o) for o in sorted(organizers)),
                path=path,
                with_pass=profile_id in holders,
            )
        )
    firsts_here = {v[1] for here in visits.values() for v in here.values()}
    members = [
        RouteContact(
            contact_id=contact_id,
            network_id=network_id,
            profile_id=profile_id,
            first_here=contact_id in firsts_here,
        )
        for contact_id, profile_id in profile_of.items()
    ]
    return routes, members


def parse_path(path: str) -> list[tuple[int, bool]]:
    """ "12p,3" → [(12, True), (3, False)]: the members by first visit, and whether it was a pass's entry."""
    return [(int(step.rstrip("p")), step.endswith("p")) for step in path.split(",") if step]
