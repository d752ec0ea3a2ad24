"""The network's audience, read through one door: what the analytics and the recommendations of a network
may know of a person across its organizers (issue 33; the links are made by `crm.network_profiles`).

Every answer is consent-aware twice over. A contact is in a profile only while its person consents to
sharing with the network at its organizer (the links follow each consent in its own transaction); and
each read here checks again, in its own query, that the contact is active and that its latest consent is
given, so that a link left behind by a fault could not leak a contact. None of these functions returns a
contact's name or address to another organizer's staff: the pages of a network show aggregates only,
with small counts suppressed (`MIN_COUNT`).

- `linked_profiles(network)`: the profiles with at least one live link.
- `contacts_of(profile, organizer=None)`: the live, consenting contacts of a profile.
- `organizers_of(profile)`: the organizers where the profile is linked.
- `has_consented(profile, purpose, organizer)`: whether the person's latest consent for a purpose at that
  organizer is given (False where they are not linked there).
- `profile_for_email(network, email)`: the profile a proven address links to, if any.
- `circulation(network)`: profiles linked at each pair of organizers, cells under `MIN_COUNT` suppressed.
- `pass_effect(network)`: the people linked with a pass and without, and how many venues each is linked
  at; a group under `MIN_COUNT` suppressed.
"""

from collections import Counter
from itertools import combinations

from django.db.models import Exists, OuterRef, QuerySet

from parvis.network.models import NetworkMembership

from . import network_profiles
from .models import Consent, Contact, Identifier, NetworkLink, NetworkProfile

MIN_COUNT = 10  # a figure about fewer people than this is not shown (k-anonymity)


def live_links(network) -> QuerySet[NetworkLink]:
    """The network's links whose contact is active and whose latest network-sharing consent is given."""
    return (
        NetworkLink.objects.filter(
            network=network, contact__merged_into__isnull=True, contact__anonymised_at__isnull=True
        )
        .annotate(_sharing=network_profiles.sharing_given("contact_id"))
        .filter(_sharing=True)
    )


def linked_profiles(network) -> QuerySet[NetworkProfile]:
    return NetworkProfile.objects.filter(network=network).filter(
        Exists(live_links(network).filter(profile=OuterRef("pk")))
    )


def contacts_of(profile: NetworkProfile, *, organizer=None) -> QuerySet[Contact]:
    links = live_links(profile.network_id).filter(profile=profile)
    if organizer is not None:
        links = links.filter(organizer=organizer)
    return Contact.objects.filter(pk__in=links.values("contact_id"))


def organizers_of(profile: NetworkProfile) -> list[int]:
    links = live_links(profile.network_id).filter(profile=profile)
    return sorted(set(links.values_list("organizer_id", flat=True)))


def has_consented(profile: NetworkProfile, purpose: str, organizer) -> bool:
    organizer_id = getattr(organizer, "pk", organizer)
    for contact in contacts_of(profile, organizer=organizer_id):
        latest = (
            Consent.objects.filter(contact=contact, purpose=purpose, channel="email")
            .order_by("-at", "-pk")
            .values_list("given", flat=True)
            .first()
        )
        if latest:
            return True
    return False


def profile_for_email(network, email: str) -> NetworkProfile | None:
    """`email` normalised (crm.services.normalise_email), or a second address its account confirmed."""
    network_id = getattr(network, "pk", network)
    found = NetworkProfile.objects.filter(
        network_id=network_id, digest=network_profiles.digest(network_id, network_profiles.canonical(email))
    ).first()
    if found is None or not linked_profiles(network_id).filter(pk=found.pk).exists():
        return None
    return found


def live_rows(network, *, profiles=None) -> list[tuple[int, int, int]]:
    """The live links as (profile, organizer, contact), of every profile or of these."""
    links = live_links(network)
    if profiles is not None:
        links = links.filter(profile_id__in=list(profiles))
    return list(links.values_list("profile_id", "organizer_id", "contact_id").iterator())


def profiles_of(contact_ids) -> list[tuple[int, int]]:
    """(network, profile) of the links these contacts have, live or not (the caller checks again)."""
    return list(
        NetworkLink.objects.filter(contact_id__in=list(contact_ids)).values_list("network_id", "profile_id")
    )


def pass_carriers(network, *, contacts=None) -> set[int]:
    """The contacts, at the network's members (or among `contacts`), that carry a pass's code: they
    booked with one."""
    carriers = Identifier.objects.filter(kind=Identifier.Kind.PASS)
    if contacts is not None:
        carriers = carriers.filter(contact_id__in=list(contacts))
    else:
        carriers = carriers.filter(organizer__networks=network)
    return set(carriers.values_list("contact_id", flat=True))


def circulation(network, *, min_count: int = MIN_COUNT, rows=None) -> dict[tuple[int, int], int | None]:
    """(organizer a, organizer b) with a < b → how many people are linked at both; None where fewer than
    `min_count` (suppressed). The diagonal (a, a) counts the people linked at a. `rows`: `live_rows`,
    when the caller has them."""
    by_profile: dict[int, set[int]] = {}
    for profile_id, organizer_id, _contact in rows if rows is not None else live_rows(network):
        by_profile.setdefault(profile_id, set()).add(organizer_id)
    cells: Counter = Counter()
    for organizers in by_profile.values():
        ordered = sorted(organizers)
        for organizer_id in ordered:
            cells[(organizer_id, organizer_id)] += 1
        for pair in combinations(ordered, 2):
            cells[pair] += 1
    return {pair: (n if n >= min_count else None) for pair, n in sorted(cells.items())}


def pass_effect(network, *, min_count: int = MIN_COUNT, rows=None) -> dict[str, dict | None]:
    """ "pass" and "no_pass" → {people, venues (mean venues linked per person), several (people linked at
    two venues or more)}, or None for a group of fewer than `min_count` people. A person "has a pass" when
    one of their linked contacts booked with one (it carries the pass's code)."""
    rows = rows if rows is not None else live_rows(network)
    carriers = pass_carriers(network)  # at the network's members (matched to the links here)
    holders = {profile_id for profile_id, _organizer, contact_id in rows if contact_id in carriers}
    venues: dict[int, set[int]] = {}
    for profile_id, organizer_id, _contact in rows:
        venues.setdefault(profile_id, set()).add(organizer_id)
    groups: dict[str, list[int]] = {"pass": [], "no_pass": []}
    for profile_id, organizers in venues.items():
        groups["pass" if profile_id in holders else "no_pass"].append(len(organizers))
    return {
        name: {
            "people": len(counts),
            "venues": round(sum(counts) / len(counts), 1),
            "several": sum(1 for n in counts if n >= 2),
        }
        if len(counts) >= min_count
        else None
        for name, counts in groups.items()
    }


def linked_organizers_for_email(email: str, organizer_ids) -> dict[int, set[int]]:
    """For a proven address (normalised) and the organizers that know it: network id → the organizers
    where its profile is linked. The person's own account asks this; staff never do."""
    networks = set(
        NetworkMembership.objects.filter(organizer_id__in=list(organizer_ids)).values_list(
            "network_id", flat=True
        )
    )
    linked = {}
    for network_id in sorted(networks):
        profile = profile_for_email(network_id, email)
        linked[network_id] = set(organizers_of(profile)) if profile is not None else set()
    return linked
