"""What each person holds, for the blocks that speak of it: the entries left on their passes, the end of
their member card. Read for a whole batch of recipients at once, by address, among what the campaign's
owner sells (an organizer's campaign: its own, and its networks'; a network's: its own and its members')."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from parvis.memberships.models import Membership
from parvis.network.models import NetworkMembership
from parvis.passes.models import PassHolding

from .models import Campaign

PERSONAL_BLOCKS = ("pass_entries", "membership")


@dataclass(frozen=True)
class Held:
    name: str
    url: str
    until: datetime.datetime
    entries_left: int = 0


def _sellers(campaign: Campaign, via: str) -> Q:
    """What the campaign's owner sells, reached through `via` (the product, the card's programme)."""
    if campaign.network_id:
        members = NetworkMembership.objects.filter(network_id=campaign.network_id).values("organizer_id")
        return Q(**{f"{via}__network_id": campaign.network_id}) | Q(**{f"{via}__organizer_id__in": members})
    networks = NetworkMembership.objects.filter(organizer_id=campaign.organizer_id).values("network_id")
    return Q(**{f"{via}__organizer_id": campaign.organizer_id}) | Q(**{f"{via}__network_id__in": networks})


def held(campaign: Campaign, addresses: list[str]) -> dict[str, dict[str, Held]]:
    """address → {"pass_entries": the pass with the most entries left, "membership": the card ending last}."""
    kinds = {b["type"] for b in campaign.blocks}
    found: dict[str, dict[str, Held]] = defaultdict(dict)
    now = timezone.now()
    if "pass_entries" in kinds:
        holdings = (
            PassHolding.objects.filter(
                _sellers(campaign, "product"),
                email__in=addresses,
                state=PassHolding.State.ACTIVE,
                valid_until__gt=now,
                entries_used__lt=F("entries"),
            )
            .select_related("product")
            .order_by("email", "valid_until")
        )
        for holding in holdings:
            current = found[holding.email].get("pass_entries")
            if current is None or holding.entries_left > current.entries_left:
                found[holding.email]["pass_entries"] = Held(
                    holding.product.name,
                    holding.get_absolute_url(),
                    holding.valid_until,
                    holding.entries_left,
                )
    if "membership" in kinds:
        cards = (
            Membership.objects.filter(
                _sellers(campaign, "level__program"),
                email__in=addresses,
                state=Membership.State.ACTIVE,
                valid_until__gt=now,
            )
            .select_related("level__program")
            .order_by("email", "valid_until")
        )
        for card in cards:  # the one that ends last wins: ordered by its end
            found[card.email]["membership"] = Held(
                card.level.program.name, card.get_absolute_url(), card.valid_until
            )
    return found


def fragments(kind: str, item: Held | None, language: str) -> tuple[str, str]:
    """(HTML, text) of a personal block for one person; empty when they hold nothing of the kind."""
    if item is None:
        return "", ""
    with translation.override(language):
        context = {
            "kind": kind,
            "item": item,
            "url": settings.PARVIS_BASE_URL + item.url,
            "until": formats.date_format(timezone.localtime(item.until), "DATE_FORMAT"),
        }
        return (
            render_to_string("marketing/email/held.html", context),
            render_to_string("marketing/email/held.txt", context).strip(),
        )
