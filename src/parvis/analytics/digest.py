"""The weekly digest: to each staff member who asked for it, the last seven days of an organizer's sales
against the seven before, the dates at risk, and the new people. Sent by `parvis analytics digest` (run
it weekly, from cron); a subscription sent within six days is skipped, so a second run sends nothing."""

import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from parvis.core.mail import deliver
from parvis.crm.models import Contact
from parvis.network.permissions import Perm, has_organizer_perm

from . import fill, rollups
from .boards import Filters, cell_text
from .models import DigestSubscription, SalesDay

AT_RISK_DAYS = 30


def week_figures(organizer_id: int, today: datetime.date) -> dict:
    def week(end: datetime.date) -> tuple[int, object]:
        totals = SalesDay.objects.filter(
            organizer_id=organizer_id, day__gt=end - datetime.timedelta(days=7), day__lte=end
        ).aggregate(s=Sum("sold"), r=Sum("returned"), sa=Sum("sold_amount"), ra=Sum("returned_amount"))
        return (totals["s"] or 0) - (totals["r"] or 0), (totals["sa"] or 0) - (totals["ra"] or 0)

    yesterday = today - datetime.timedelta(days=1)
    this, last = week(yesterday), week(yesterday - datetime.timedelta(days=7))
    coming = fill.board(
        [organizer_id], Filters(start=today, end=today + datetime.timedelta(days=AT_RISK_DAYS))
    )
    risky = [line for line in coming["lines"] if line.at_risk]
    since = timezone.now() - datetime.timedelta(days=7)
    return {
        "tickets": this[0],
        "amount": this[1],
        "tickets_before": last[0],
        "amount_before": last[1],
        "risky": risky,
        "new_people": Contact.objects.filter(organizer_id=organizer_id, created_at__gte=since).count(),
    }


def body(organizer, figures: dict) -> str:
    lines = [
        _(
            "Les 7 derniers jours : %(n)s billets nets, %(amount)s € "
            "(les 7 jours d'avant : %(before)s billets, %(amount_before)s €)."
        )
        % {
            "n": cell_text(figures["tickets"]),
            "amount": cell_text(figures["amount"]),
            "before": cell_text(figures["tickets_before"]),
            "amount_before": cell_text(figures["amount_before"]),
        },
        _("Nouvelles personnes dans vos publics : %(n)s.") % {"n": figures["new_people"]},
    ]
    if figures["risky"]:
        lines.append(_("Dates à risque dans les 30 jours (en retard sur les dates comparables) :"))
        for line in figures["risky"][:10]:
            lines.append(
                f"- {timezone.localtime(line.starts_at):%d/%m %H:%M} {line.event} — {cell_text(line.fill)} % "
                + _("(comparable : %(p)s %%)") % {"p": cell_text(line.expected)}
            )
    else:
        lines.append(_("Aucune date à risque dans les 30 jours."))
    url = settings.PARVIS_BASE_URL + reverse("staff:analytics_sales", args=[organizer.slug])
    lines.append("\n" + _("Tableaux de bord : %(url)s") % {"url": url})
    lines.append(_("Pour ne plus recevoir ce résumé, utilisez le bouton en bas de cette page."))
    return "\n".join(lines) + "\n"


def send_due(*, today: datetime.date | None = None) -> int:
    """Send every digest not sent in the last six days; return how many were sent."""
    today = today or timezone.localdate()
    rollups.settle()
    sent = 0
    for subscription in DigestSubscription.objects.select_related("user", "organizer").order_by("pk"):
        if subscription.last_sent_on and subscription.last_sent_on > today - datetime.timedelta(days=6):
            continue
        user, organizer = subscription.user, subscription.organizer
        if not user.is_active or not user.email or not has_organizer_perm(user, organizer, Perm.SALES_VIEW):
            continue  # no longer allowed to see these figures
        with translation.override(settings.LANGUAGE_CODE):
            deliver(
                EmailMessage(
                    _("Résumé de la semaine — %(organizer)s") % {"organizer": organizer.name},
                    body(organizer, week_figures(organizer.pk, today)),
                    None,
                    [user.email],
                )
            )
        DigestSubscription.objects.filter(pk=subscription.pk).update(last_sent_on=today)
        sent += 1
    return sent
