"""The pressure cap: at most N campaign messages per person per 7 days, counted per organizer (its own
campaigns) and per network (the campaigns of the network and of all its members), each with its own N.

A recipient over a cap is deferred until they are under it again (the time their oldest counted message
leaves the window) or skipped for this campaign, as the owner chose. A campaign of high priority goes
anyway, and counts. The check is made just before each batch is sent, so messages sent meanwhile by
another campaign count; two campaigns sending to one person in the same second may both pass (the cap
can be exceeded by the campaigns running at once, never by those before).
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db.models import Q

from parvis.network.models import NetworkMembership

from .models import PRESSURE_WINDOW_DAYS, Campaign, Recipient, SendingPolicy

WINDOW = datetime.timedelta(days=PRESSURE_WINDOW_DAYS)
NETWORK_DEFAULT_CAP = 0  # a network caps its members together only when its coordinators say so


def policy_of(*, organizer_id: int | None = None, network_id: int | None = None) -> SendingPolicy:
    """The owner's rules, or the defaults (3 a week for an organizer, none for a network; the quiet hours
    of the installation, `PARVIS_CAMPAIGN_QUIET_HOURS`)."""
    quiet_from, quiet_until = settings.PARVIS_CAMPAIGN_QUIET_HOURS
    defaults = {"quiet_from": quiet_from, "quiet_until": quiet_until}
    if organizer_id is not None:
        policy = SendingPolicy.objects.filter(organizer_id=organizer_id).first()
        return policy or SendingPolicy(organizer_id=organizer_id, **defaults)
    policy = SendingPolicy.objects.filter(network_id=network_id).first()
    return policy or SendingPolicy(network_id=network_id, pressure_cap=NETWORK_DEFAULT_CAP, **defaults)


def owner_policy(campaign: Campaign) -> SendingPolicy:
    if campaign.network_id:
        return policy_of(network_id=campaign.network_id)
    return policy_of(organizer_id=campaign.organizer_id)


def _network_scope(network_id: int) -> Q:
    members = NetworkMembership.objects.filter(network_id=network_id).values("organizer_id")
    return Q(campaign__network_id=network_id) | Q(campaign__organizer_id__in=members)


def caps_of(campaign: Campaign) -> list[tuple[SendingPolicy, Q]]:
    """Each cap the campaign's messages count against, with the campaigns it counts."""
    if campaign.network_id:
        networks = [campaign.network_id]
        caps = []
    else:
        networks = list(
            NetworkMembership.objects.filter(organizer_id=campaign.organizer_id).values_list(
                "network_id", flat=True
            )
        )
        caps = [
            (policy_of(organizer_id=campaign.organizer_id), Q(campaign__organizer_id=campaign.organizer_id))
        ]
    caps += [(policy_of(network_id=network_id), _network_scope(network_id)) for network_id in networks]
    return [(policy, scope) for policy, scope in caps if policy.pressure_cap]


def over_cap(
    campaign: Campaign, addresses: list[str], now: datetime.datetime, caps=None
) -> dict[str, tuple[str, datetime.datetime]]:
    """The addresses over a cap: address → (what to do, deferred or skipped; when they are under it)."""
    if campaign.priority == "high" or not addresses:
        return {}
    over: dict[str, tuple[str, datetime.datetime]] = {}
    for policy, scope in caps if caps is not None else caps_of(campaign):
        sent: dict[str, list[datetime.datetime]] = defaultdict(list)
        rows = (
            Recipient.objects.filter(scope, address__in=addresses, sent_at__gte=now - WINDOW)
            .filter(state=Recipient.State.SENT)
            .exclude(campaign=campaign)
            .values_list("address", "sent_at")
        )
        for address, sent_at in rows:
            sent[address].append(sent_at)
        for address, times in sent.items():
            if len(times) < policy.pressure_cap:
                continue
            times.sort()
            free_at = times[len(times) - policy.pressure_cap] + WINDOW  # the oldest counted one leaves
            action, when = over.get(address, (SendingPolicy.Capped.DEFER, free_at))
            if policy.capped == SendingPolicy.Capped.SKIP:
                action = SendingPolicy.Capped.SKIP
            over[address] = (action, max(when, free_at))
    return over
