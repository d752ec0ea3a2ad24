"""Customer accounts: signing in by a link sent by e-mail (no password to keep or leak), and what an account
gathers: every order, pass, member card and subscription bought with that e-mail address.

The link proves the address: an account is created on its first use. It works once (it is bound to the
account's last sign-in) and for 30 minutes. Staff never sign in this way: their login has two factors.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from parvis.crm import network_profiles, network_suggestions, privacy
from parvis.crm.models import Contact, Identifier, Purpose
from parvis.crm.network_audience import linked_organizers_for_email
from parvis.crm.privacy import self_service_token
from parvis.crm.selectors import consents_of
from parvis.market.models import Participant
from parvis.memberships.models import Membership, Subscription
from parvis.network.models import Network, NetworkMembership, NetworkStaff, OrganizerStaff
from parvis.passes.models import PassHolding
from parvis.ticketing.models import Order, OrderState

LINK_SALT = "parvis.customer-sign-in"
LINK_MAX_AGE = datetime.timedelta(minutes=30)


def _normalise(email: str) -> str:
    return (email or "").strip().lower()


def _is_staff(user) -> bool:
    return (
        user.is_staff
        or user.is_superuser
        or OrganizerStaff.objects.filter(user=user).exists()
        or NetworkStaff.objects.filter(user=user).exists()
    )


def _stamp(user) -> str:
    """Changes with each sign-in: a link made before it no longer works."""
    if user is None:
        return "new"
    return user.last_login.isoformat() if user.last_login else "never"


def sign_in_link(email: str) -> str | None:
    """The one-time sign-in link for this address, or None for staff (they use the staff login)."""
    email = _normalise(email)
    user = get_user_model().objects.filter(email__iexact=email).order_by("pk").first()
    if user is not None and _is_staff(user):
        return None
    token = signing.dumps({"e": email, "s": _stamp(user)}, salt=LINK_SALT, compress=True)
    return settings.PARVIS_BASE_URL + reverse("customer:sign_in_link", kwargs={"token": token})


def sign_in_link_send(*, email: str, language: str = "fr") -> None:
    """E-mail the link. Said the same way whether the address is known or not (no account enumeration)."""
    link = sign_in_link(email)
    if link is None:
        return
    with translation.override(language):
        send_mail(
            _("Votre lien de connexion à Parvis"),
            render_to_string("accounts/email/sign_in.txt", {"link": link, "minutes": 30}),
            None,
            [_normalise(email)],
        )


def alias_link_send(user, suggestion, *, language: str = "fr") -> None:
    """The person says a suggested address is theirs too: a link to prove it goes to that address."""
    token = network_suggestions.alias_request(_normalise(user.email), suggestion)
    link = settings.PARVIS_BASE_URL + reverse("customer:address_confirm", kwargs={"token": token})
    with translation.override(language):
        send_mail(
            _("Confirmez cette adresse pour votre compte Parvis"),
            render_to_string(
                "accounts/email/address_confirm.txt",
                {"link": link, "main": network_suggestions.mask(_normalise(user.email)), "days": 2},
            ),
            None,
            [suggestion.address],
        )


def customer_for_token(token: str):
    """The account a link opens (created on first use), or None if the link is forged, old or used."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    email = _normalise(data.get("e", ""))
    if not email:
        return None
    users = get_user_model().objects
    with transaction.atomic():
        user = users.select_for_update().filter(email__iexact=email).order_by("pk").first()
        if _stamp(user) != data.get("s"):
            return None  # already used (or the account signed in since)
        if user is None:
            user = users.create_user(username=email[:150], email=email)
            user.set_unusable_password()
            first_order = _orders_q(email).order_by("created_at").first()
            if first_order is not None:
                user.first_name, user.last_name = first_order.first_name[:150], first_order.last_name[:150]
            user.save()
        elif _is_staff(user):
            return None
        type(user).objects.filter(pk=user.pk).update(last_login=timezone.now())
        user.refresh_from_db()
        network_profiles.address_proven(email)  # the link came to this mailbox
    return user


def _orders_q(email: str):
    return Order.objects.filter(email=email)  # orders keep the address in lower case (ticketing.Buyer)


def account_overview(user) -> dict:
    """Everything bought with the account's address (or while signed in), newest first."""

    email = _normalise(user.email)
    addresses = network_suggestions.addresses_of(email)  # and the second addresses it confirmed
    orders = list(
        Order.objects.filter(Q(email__in=addresses) | Q(customer=user))
        .exclude(state=OrderState.PENDING, expires_at__lte=timezone.now())
        .select_related("organizer")
        .prefetch_related("tickets__performance__event", "tickets__performance__venue")
        .order_by("-created_at")[:100]
    )
    now = timezone.now()
    for order in orders:
        order.upcoming = [
            t for t in order.tickets.all() if t.state == "valid" and t.performance.starts_at > now
        ]

    contacts = list(_contacts(addresses).select_related("organizer").order_by("organizer__name", "pk"))
    profiles = [(contact.organizer, self_service_token(contact)) for contact in contacts]
    return {
        "profiles": profiles,
        "all_data_token": privacy.all_organizers_token(contacts) if contacts else "",
        "consents": [(contact, consents_of(contact)) for contact in contacts],
        "networks": networks_of(email, contacts),
        "orders": orders,
        "addresses": addresses[1:],
        "suggestions": network_suggestions.suggestions_for(email, addresses=addresses, mine=contacts),
        "passes": list(
            PassHolding.objects.filter(email__in=addresses)
            .exclude(state=PassHolding.State.PENDING)
            .select_related("product")
        ),
        "cards": list(
            Membership.objects.filter(email__in=addresses)
            .exclude(state=Membership.State.PENDING)
            .select_related("level__program")
        ),
        "subscriptions": list(
            Subscription.objects.filter(email__in=addresses)
            .exclude(state=Subscription.State.PENDING)
            .select_related("offer")
        ),
        "accreditations": list(
            Participant.objects.filter(email__in=addresses)
            .exclude(state=Participant.State.CANCELLED)
            .select_related("market", "category")
            .order_by("-market__starts_on")
        ),
    }


def networks_of(email: str, contacts: list[Contact]) -> list[dict]:
    """The networks of the organizers that know the address, each with the organizers where the person's
    profile is linked (they consented to share with the network there) and those where it is not."""
    organizers = {contact.organizer_id: contact.organizer for contact in contacts}
    networks = []
    by_network = linked_organizers_for_email(email, organizers)
    names = {n.pk: n for n in Network.objects.filter(pk__in=by_network).only("pk", "name", "slug")}
    for network_id, linked in by_network.items():
        members = NetworkMembership.objects.filter(network_id=network_id, organizer_id__in=organizers)
        here = [organizers[o] for o in members.values_list("organizer_id", flat=True)]
        networks.append(
            {
                "network": names[network_id],
                "name": names[network_id].name,
                "linked": sorted((o for o in here if o.pk in linked), key=lambda o: o.name),
                "apart": sorted((o for o in here if o.pk not in linked), key=lambda o: o.name),
            }
        )
    return networks


CONSENTS_VERSION = "2026-12"  # the account's consent page, as worded then


def consents_save(user, data, proof: dict) -> None:
    """The person's choices from their account, for every organizer that knows the address: only what
    changed is written to each organizer's ledger, with the account as proof (its address is proven)."""
    for contact in _contacts(network_suggestions.addresses_of(_normalise(user.email))):
        privacy.consents_set(
            contact=contact,
            wanted={purpose: data.get(f"c{contact.pk}-{purpose}") == "on" for purpose in Purpose.values},
            wording=privacy.purpose_wording(),
            version=CONSENTS_VERSION,
            proof={**proof, "account": user.pk},
        )


def network_sharing_set(user, network_id, given: bool, proof: dict) -> int:
    """« Relier / délier tous mes lieux »: the network-sharing consent at every organizer of the network
    that knows the account's addresses, in each organizer's ledger. How many organizers it concerns."""
    members = NetworkMembership.objects.filter(network_id=network_id).values("organizer_id")
    contacts = list(
        _contacts(network_suggestions.addresses_of(_normalise(user.email))).filter(organizer_id__in=members)
    )
    for contact in contacts:
        privacy.consents_set(
            contact=contact,
            wanted={Purpose.NETWORK_SHARING: given},
            wording=privacy.purpose_wording(),
            version=CONSENTS_VERSION,
            proof={**proof, "account": user.pk, "network": network_id},
        )
    return len(contacts)


def _contacts(addresses: list[str]):
    """The live contacts that hold the addresses, one per organizer and address (found by the
    identifiers' index)."""
    return Contact.objects.filter(
        pk__in=Identifier.objects.filter(kind=Identifier.Kind.EMAIL, value__in=addresses).values(
            "contact_id"
        ),
        merged_into__isnull=True,
        anonymised_at__isnull=True,
    )


def account_contacts(user) -> list[Contact]:
    """The profiles (one per organizer and address) that the account's addresses hold."""
    addresses = network_suggestions.addresses_of(_normalise(user.email))
    return list(_contacts(addresses).select_related("organizer").order_by("organizer__name", "pk"))
