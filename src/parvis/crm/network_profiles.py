"""One person across the organizers of a network, only as far as they consented (issue 33).

Each organizer stays the controller of its own contacts. A contact joins its network's profile of the
person (`NetworkProfile`, through a `NetworkLink`) when three things hold at once:
- its latest « Partage du profil avec le réseau » consent at that organizer is given;
- it is active (neither merged into another nor erased);
- it holds a verified identifier: a proven e-mail address (`Identifier.verified_at`: the person opened a
  link sent to it, to sign in to their account, to confirm a sign-up, or to reach their data), or else a
  pass's code (the contacts a nominative pass booked at each organizer are its holder). A typed address
  links nobody: anyone can type another's address at a checkout.
The profile is found by a keyed hash of that identifier (the address, or the main address of the account
that confirmed it as its own: `AddressAlias`), with a key of the network's own derived from the
key-encryption key (`core.keyvault.derive`): the network's tables hold no readable address, and two
networks' hashes of one address differ. Never by name.

Every change that can make or break a link syncs the contact in the same transaction: a consent recorded,
an erasure, a merge or its undoing, an address proven, an organizer joining or leaving a network. A
withdrawal therefore unlinks at once. `link_all` rebuilds a network's profiles from scratch (an organizer
joins, or a check); `crm.network_audience` is the one door through which other apps read them.
"""

import functools
import hashlib
import hmac

from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from parvis.core import changes as feed
from parvis.core import keyvault
from parvis.network.models import NetworkMembership

from .models import AddressAlias, Consent, Contact, Identifier, NetworkLink, NetworkProfile, Purpose

SHARING = Purpose.NETWORK_SHARING
BATCH = 5000


@functools.lru_cache(maxsize=1024)
def _key(network_id: int, source: str) -> bytes:
    return keyvault.derive(f"network-profile:{network_id}")


def network_key(network_id: int) -> bytes:
    # Cached per key-encryption key as configured (a test or a key rotation changes it).
    return _key(network_id, settings.PARVIS_KEY_ENCRYPTION_KEY or settings.SECRET_KEY)


def digest(network_id: int, text: str, *, key: bytes | None = None) -> str:
    """The network's keyed hash of what a contact links by: a normalised address
    (crm.services.normalise_email) or "pass:<code>"."""
    return hmac.new(key or network_key(network_id), text.encode(), hashlib.sha256).hexdigest()


def sharing_given(contact_ref: str = "pk") -> Subquery:
    """Whether the contact's latest network-sharing consent is given (None: never asked), as a subquery."""
    latest = Consent.objects.filter(contact=OuterRef(contact_ref), purpose=SHARING, channel="email")
    return Subquery(latest.order_by("-at", "-pk").values("given")[:1])


def _linkable():
    """The rule, in one query: the verified identifiers (proven addresses, then pass codes) of active
    contacts whose latest network-sharing consent is given, by contact, the one it links by first."""
    return (
        Identifier.objects.filter(
            Q(kind=Identifier.Kind.EMAIL, verified_at__isnull=False) | Q(kind=Identifier.Kind.PASS),
            contact__merged_into__isnull=True,
            contact__anonymised_at__isnull=True,
        )
        .annotate(given=sharing_given("contact_id"))
        .filter(given=True)
        .order_by("contact_id", "kind", "value")  # "email" before "pass"
    )


def aliases() -> dict[str, str]:
    """Every confirmed second address → the main address of its account."""
    return dict(
        AddressAlias.objects.filter(state=AddressAlias.State.CONFIRMED).values_list("address", "main")
    )


def canonical(email: str) -> str:
    """The address a person's profile is keyed by: the main address of the account that confirmed
    `email` (normalised) as its own, or `email` itself."""
    main = (
        AddressAlias.objects.filter(address=email, state=AddressAlias.State.CONFIRMED)
        .values_list("main", flat=True)
        .first()
    )
    return main or email


def _key_text(kind: str, value: str, alias_map: dict[str, str]) -> str:
    if kind == Identifier.Kind.PASS:
        return f"pass:{value}"  # no address holds a colon before its @: the two never meet
    return alias_map.get(value, value)


def link_key(contact: Contact) -> str:
    """What the contact links by (the canonical proven address, or "pass:<code>"); "" when it may not be
    linked."""
    row = _linkable().filter(contact_id=contact.pk).values_list("kind", "value").first()
    if row is None:
        return ""
    kind, value = row
    return f"pass:{value}" if kind == Identifier.Kind.PASS else canonical(value)


def _networks_of(organizer_id: int) -> list[int]:
    return list(
        NetworkMembership.objects.filter(organizer_id=organizer_id).values_list("network_id", flat=True)
    )


def contact_sync(contact: Contact) -> None:
    """Link the contact, or unlink it, in every network of its organizer, as its state is now."""
    networks = _networks_of(contact.organizer_id)
    key = link_key(contact) if networks else ""
    if not key:
        contact_unlink(contact)
        return
    now = timezone.now()
    with transaction.atomic():
        for network_id in networks:
            profile, _created = NetworkProfile.objects.get_or_create(
                network_id=network_id, digest=digest(network_id, key)
            )
            link = NetworkLink.objects.filter(network_id=network_id, contact=contact).first()
            if link is None:
                NetworkLink.objects.create(
                    profile=profile,
                    network_id=network_id,
                    organizer_id=contact.organizer_id,
                    contact=contact,
                    linked_at=now,
                )
                _announce(contact)
            elif link.profile_id != profile.pk:  # what it links by changed
                previous = link.profile_id
                NetworkLink.objects.filter(pk=link.pk).update(profile=profile, linked_at=now)
                _drop_empty([previous])
                _announce(contact)


def contact_unlink(contact: Contact) -> int:
    """Take the contact out of every network profile at once; profiles left empty go with it."""
    with transaction.atomic():
        profiles = list(
            NetworkLink.objects.filter(contact_id=contact.pk).values_list("profile_id", flat=True)
        )
        removed = NetworkLink.objects.filter(contact_id=contact.pk).delete()[0]
        _drop_empty(profiles)
        if removed:
            _announce(contact)
    return removed


def _announce(contact: Contact) -> None:
    """The contact joined a profile, moved to another or left: the network's figures follow (the change
    feed tells the analytics' circulation rollup, in this transaction)."""
    feed.record(
        "contact.network_link", organizer_id=contact.organizer_id, subject="contact", subject_id=contact.pk
    )


def _relinked(network_id: int, organizer_id: int | None) -> None:
    """Many links of the network were made or dropped at once: its figures are computed again whole."""
    feed.record("network.relinked", organizer_id=organizer_id or 0, subject="network", subject_id=network_id)


def _drop_empty(profile_ids: list[int]) -> None:
    if profile_ids:
        NetworkProfile.objects.filter(pk__in=profile_ids, links__isnull=True).delete()


def address_proven(email: str, *, at=None) -> int:
    """The person proved they hold `email` (normalised): every contact holding it may now be linked where
    they consented. How many contacts it concerns."""
    at = at or timezone.now()
    with transaction.atomic():
        unproven = Identifier.objects.filter(
            kind=Identifier.Kind.EMAIL, value=email, verified_at__isnull=True
        )
        contact_ids = list(unproven.values_list("contact_id", flat=True))
        unproven.update(verified_at=at)
        for contact in Contact.objects.filter(pk__in=contact_ids):
            contact_sync(contact)
    return len(contact_ids)


def holders_sync(email: str) -> int:
    """Sync every live contact that holds the address (normalised), proven or not: its account confirmed
    it as a second address, or took that back."""
    contacts = Contact.objects.filter(
        pk__in=Identifier.objects.filter(kind=Identifier.Kind.EMAIL, value=email).values("contact_id")
    )
    with transaction.atomic():
        for contact in contacts:
            contact_sync(contact)
    return len(contacts)


def pass_identity(contact: Contact, code: str) -> None:
    """A nominative pass booked an entry for this contact: it carries the pass's code, by which its
    holder's contacts at each organizer link (where they consented) until an address of theirs is proven."""
    with transaction.atomic():
        _identifier, created = Identifier.objects.get_or_create(
            organizer_id=contact.organizer_id,
            kind=Identifier.Kind.PASS,
            value=code,
            defaults={"contact": contact, "verified_at": timezone.now()},
        )
        if created:
            contact_sync(contact)


def link_all(network, *, organizer_id: int | None = None) -> int:
    """Rebuild the network's profiles from scratch, in one transaction, or only one organizer's links (it
    joined the network): how many contacts are linked."""
    members = NetworkMembership.objects.filter(network=network).values_list("organizer_id", flat=True)
    if organizer_id is not None:
        members = members.filter(organizer_id=organizer_id)
    now, key = timezone.now(), network_key(network.pk)
    with transaction.atomic():
        if organizer_id is None:
            removed = _forget(network.pk)
        else:
            removed = _leave(network.pk, organizer_id)
        links: list[tuple[int, int, str]] = []
        digests: dict[str, str] = {}
        alias_map = aliases()
        for member in members:  # one organizer at a time: its rows fit in memory, read in one go
            last = None
            for contact_id, kind, value in _linkable_rows(member):
                if contact_id == last:
                    continue  # one key per contact: its first proven address, else its pass
                last = contact_id
                text = _key_text(kind, value, alias_map)
                if text not in digests:
                    digests[text] = digest(network.pk, text, key=key)
                links.append((contact_id, member, digests[text]))
        profile_of = _profiles(network.pk, set(digests.values()), fresh=organizer_id is None)
        NetworkLink.objects.bulk_create(
            (
                NetworkLink(
                    profile_id=profile_of[d],
                    network_id=network.pk,
                    organizer_id=member,
                    contact_id=contact_id,
                    linked_at=now,
                )
                for contact_id, member, d in links
            ),
            batch_size=BATCH,
        )
        if links or removed:
            _relinked(network.pk, organizer_id)
    return len(links)


def _linkable_rows(organizer_id: int) -> list[tuple[int, str, str]]:
    """(contact, kind, value) of the organizer's contacts that may be linked, by contact."""
    return list(_linkable().filter(organizer_id=organizer_id).values_list("contact_id", "kind", "value"))


def _profiles(network_id: int, wanted: set[str], *, fresh: bool) -> dict[str, int]:
    """The profiles of these digests, made where missing: digest → id."""
    found: dict[str, int] = {}
    if not fresh:
        chunks = sorted(wanted)
        for start in range(0, len(chunks), BATCH):
            found.update(
                NetworkProfile.objects.filter(
                    network_id=network_id, digest__in=chunks[start : start + BATCH]
                ).values_list("digest", "pk")
            )
    made = NetworkProfile.objects.bulk_create(
        [NetworkProfile(network_id=network_id, digest=d) for d in sorted(wanted - found.keys())],
        batch_size=BATCH,
    )
    return found | {p.digest: p.pk for p in made}


def _forget(network_id: int) -> int:
    """Every link and profile of the network, in two statements (the ORM would load each profile to
    cascade)."""
    removed = 0
    with connection.cursor() as cursor:
        for model in (NetworkLink, NetworkProfile):
            cursor.execute(
                f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} WHERE network_id = %s",  # noqa: S608
                [network_id],
            )
            removed += max(cursor.rowcount, 0)
    return removed


def organizer_left(network_id: int, organizer_id: int) -> None:
    """An organizer left the network: its contacts leave the network's profiles."""
    with transaction.atomic():
        if _leave(network_id, organizer_id):
            _relinked(network_id, organizer_id)


def _leave(network_id: int, organizer_id: int) -> int:
    links = NetworkLink.objects.filter(network_id=network_id, organizer_id=organizer_id)
    profiles = list(links.values_list("profile_id", flat=True).distinct())
    removed = links.delete()[0]
    _drop_empty(profiles)
    return removed


def _joined(sender, instance, created, **kwargs) -> None:
    if created:
        link_all(instance.network, organizer_id=instance.organizer_id)


def _left(sender, instance, **kwargs) -> None:
    organizer_left(instance.network_id, instance.organizer_id)


def connect() -> None:
    """An organizer joining a network brings its consenting contacts in; leaving takes them out."""
    post_save.connect(_joined, sender=NetworkMembership, dispatch_uid="parvis.crm.network_joined")
    post_delete.connect(_left, sender=NetworkMembership, dispatch_uid="parvis.crm.network_left")
