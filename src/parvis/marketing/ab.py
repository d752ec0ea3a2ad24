"""The A/B test of a campaign's subject, its first text, or both: which of A and B did better on its
sample, and whether the difference is more than chance (a two-sided test of two proportions at 5 %,
`statistics.NormalDist`: the standard library is enough for it). A difference that may be chance keeps the
original, A."""

import datetime
import math
from dataclasses import dataclass
from statistics import NormalDist

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Campaign, Click, Recipient
from .results import _orders

SIGNIFICANCE = 0.05


@dataclass
class Arm:
    sent: int
    successes: int

    @property
    def rate(self) -> float:
        return self.successes / self.sent if self.sent else 0.0


def p_value(a: Arm, b: Arm) -> float:
    """Two-sided p-value that A and B convert alike (pooled two-proportion z-test)."""
    if not a.sent or not b.sent:
        return 1.0
    pooled = (a.successes + b.successes) / (a.sent + b.sent)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / a.sent + 1 / b.sent))
    if spread == 0:
        return 1.0
    z = abs(a.rate - b.rate) / spread
    return 2 * (1 - NormalDist().cdf(z))


def arms(campaign: Campaign) -> dict[str, Arm]:
    sent = dict(
        Recipient.objects.filter(campaign=campaign, state=Recipient.State.SENT)
        .values_list("variant")
        .annotate(n=Count("pk"))
        .order_by()
    )
    if campaign.ab_metric == "sales":
        since = campaign.send_at or campaign.frozen_at
        buyers = dict.fromkeys("ab", 0)
        for variant in "ab":
            contacts = Recipient.objects.filter(
                campaign=campaign, state=Recipient.State.SENT, variant=variant
            ).values("contact_id")
            buyers[variant] = (
                _orders(campaign)
                .filter(contact_id__in=contacts, paid_at__gte=since)
                .values("contact_id")
                .distinct()
                .count()
            )
        successes = buyers
    else:  # clicks: counted per message sent (a click is known by its variant, named or not)
        successes = dict(
            Click.objects.filter(campaign=campaign).values_list("variant").annotate(n=Count("pk")).order_by()
        )
    return {v: Arm(sent.get(v, 0), min(successes.get(v, 0), sent.get(v, 0))) for v in "ab"}


def decide(campaign: Campaign) -> tuple[str, str]:
    """(winner, what the staff read of it)."""
    a, b = arms(campaign).values()
    p = p_value(a, b)
    metric = _("clics") if campaign.ab_metric == "clicks" else _("acheteurs")
    figures = _("A : %(a)s %(metric)s pour %(an)s envois ; B : %(b)s pour %(bn)s ; p = %(p).3f.") % {
        "a": a.successes,
        "an": a.sent,
        "b": b.successes,
        "bn": b.sent,
        "metric": metric,
        "p": p,
    }
    if p < SIGNIFICANCE and b.rate > a.rate:
        return "b", _("B l'emporte : %(figures)s") % {"figures": figures}
    if p < SIGNIFICANCE:
        return "a", _("A l'emporte : %(figures)s") % {"figures": figures}
    return "a", _("Écart non significatif : la version A part au reste du public. %(figures)s") % {
        "figures": figures
    }


def release(campaign: Campaign) -> tuple[str, int]:
    """Decide, and give the rest of the audience the winner (once: a run again finds nothing waiting)."""
    winner, note = decide(campaign)
    released = Recipient.objects.filter(campaign=campaign, state=Recipient.State.WAITING).update(
        state=Recipient.State.QUEUED, variant=winner
    )
    if released or not campaign.ab_winner:
        Campaign.objects.filter(pk=campaign.pk).update(ab_winner=winner, ab_note=note[:300])
    return winner, released


def decision_time(campaign: Campaign) -> datetime.datetime:
    return (campaign.send_at or timezone.now()) + datetime.timedelta(hours=campaign.ab_hours)
