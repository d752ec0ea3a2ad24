"""Suggested links, answered by the person, never by staff (issue 33).

A network profile links the contacts that share a proven address (`crm.network_profiles`). A person who
gave another address at another club stays two people there: the ambiguous case. When they sign in, their
account looks, at the organizers of the networks that know them, for contacts with their name **and** their
phone under another address (never the name alone) and asks « Est-ce aussi vous ? ». They answer:
- yes: a link goes to that other address; opening it proves it, and the address becomes a confirmed alias
  of the account's (`AddressAlias`): its contacts link to the same profile where they consented, and the
  account lists what it bought;
- no: the suggestion is not made again.
A confirmed alias can be taken back from the account; its contacts then leave the profile at once.
Staff see none of this: a suggestion exists only on the person's own page.
"""

import datetime
from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from parvis.network.models import NetworkMembership

from . import network_profiles
from .models import AddressAlias, Contact, Identifier

ALIAS_SALT = "parvis.crm.address-alias"
ALIAS_MAX_AGE = datetime.timedelta(days=2)


class AliasRefused(Exception):
    """The link is forged, too old, or its address already belongs to another account."""


@dataclass(frozen=True)
class Suggestion:
    contact: Contact
    address: str
    requested: bool

    @property
    def masked(self) -> str:
        return mask(self.address)


def mask(address: str) -> str:
    """« c•••@exemple.org »: enough for its owner to recognise it, not to learn it."""
    local, _at, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


def addresses_of(main: str) -> list[str]:
    """The account's address, then the second addresses it confirmed."""
    confirmed = AddressAlias.objects.filter(main=main, state=AddressAlias.State.CONFIRMED)
    return [main, *sorted(confirmed.values_list("address", flat=True))]


def _live_holding(kind: str, values):
    return Contact.objects.filter(
        pk__in=Identifier.objects.filter(kind=kind, value__in=list(values)).values("contact_id"),
        merged_into__isnull=True,
        anonymised_at__isnull=True,
    )


def suggestions_for(main: str, *, addresses: list[str] | None = None, mine=None) -> list[Suggestion]:
    """Contacts that may be the person too: at an organizer of a network that knows them, with the name
    and a phone of one of their contacts, under an address they have not answered for, and whose person
    agreed there to share with the network (no other contact's data is used to suggest anything)."""
    # The account page has already read both: `addresses_of(main)` and the live contacts holding them.
    addresses = addresses if addresses is not None else addresses_of(main)
    mine = list(mine) if mine is not None else list(_live_holding(Identifier.Kind.EMAIL, addresses))
    names = {c.name_key for c in mine if c.name_key}
    phones = set(
        Identifier.objects.filter(kind=Identifier.Kind.PHONE, contact__in=mine).values_list(
            "value", flat=True
        )
    )
    if not names or not phones:
        return []
    networks = NetworkMembership.objects.filter(organizer_id__in={c.organizer_id for c in mine})
    organizers = set(
        NetworkMembership.objects.filter(network_id__in=networks.values("network_id")).values_list(
            "organizer_id", flat=True
        )
    )
    answered = dict(AddressAlias.objects.filter(main=main).values_list("address", "state"))
    found: dict[str, Suggestion] = {}
    mine_ids = {c.pk for c in mine}
    sharing = (
        _live_holding(Identifier.Kind.PHONE, phones)
        .annotate(given=network_profiles.sharing_given())
        .filter(given=True)
        .select_related("organizer")
        .order_by("pk")
    )
    for contact in sharing:
        address = (contact.email or "").strip().lower()
        if (
            contact.pk in mine_ids
            or contact.organizer_id not in organizers
            or contact.name_key not in names
            or not address
            or address in addresses
            or answered.get(address) in (AddressAlias.State.REFUSED, AddressAlias.State.CONFIRMED)
            or address in found
        ):
            continue
        found[address] = Suggestion(
            contact=contact, address=address, requested=answered.get(address) == AddressAlias.State.REQUESTED
        )
    return list(found.values())


def suggestion_of(main: str, contact_id) -> Suggestion:
    """The account's suggestion for this contact (the page names contacts, never full addresses)."""
    for suggestion in suggestions_for(main):
        if str(suggestion.contact.pk) == str(contact_id):
            return suggestion
    raise AliasRefused


def alias_request(main: str, suggestion: Suggestion) -> str:
    """The person says a suggestion of theirs (`suggestion_of`) is them: the token of the link to send to
    its address."""
    address = suggestion.address
    AddressAlias.objects.update_or_create(
        main=main, address=address, defaults={"state": AddressAlias.State.REQUESTED, "decided_at": None}
    )
    return signing.dumps({"m": main, "a": address}, salt=ALIAS_SALT, compress=True)


def _token(token: str) -> tuple[str, str]:
    try:
        data = signing.loads(token, salt=ALIAS_SALT, max_age=ALIAS_MAX_AGE)
    except signing.BadSignature:
        raise AliasRefused from None
    return str(data.get("m", "")), str(data.get("a", ""))


def alias_main(token: str) -> str:
    """The account address a link was asked from ("" when the link is forged or too old)."""
    try:
        return _token(token)[0]
    except AliasRefused:
        return ""


def alias_confirm(token: str) -> AddressAlias:
    """The link was opened: the second address is proven and joins the account's profile."""
    main, address = _token(token)
    now = timezone.now()
    try:
        with transaction.atomic():
            alias = AddressAlias.objects.select_for_update().filter(main=main, address=address).first()
            if alias is None or alias.state == AddressAlias.State.REFUSED:
                raise AliasRefused
            if alias.state != AddressAlias.State.CONFIRMED:
                alias.state, alias.decided_at = AddressAlias.State.CONFIRMED, now
                alias.save(update_fields=["state", "decided_at"])
            network_profiles.address_proven(address, at=now)
            network_profiles.holders_sync(address)
    except IntegrityError:  # the address is already another account's
        raise AliasRefused from None
    return alias


def alias_refuse(main: str, address: str) -> None:
    """« Ce n'est pas moi », or a confirmed address taken back: its contacts leave the profile at once."""
    with transaction.atomic():
        AddressAlias.objects.update_or_create(
            main=main,
            address=address,
            defaults={"state": AddressAlias.State.REFUSED, "decided_at": timezone.now()},
        )
        network_profiles.holders_sync(address)
