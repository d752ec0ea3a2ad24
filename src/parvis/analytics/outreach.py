"""The marketing board: what the campaigns, the journeys and the recommendations brought in the period,
read from their own measures (`marketing.results`, `marketing.journeys`, `recommendations.report`), so the
figures here are those of each campaign's and journey's page.

- **Campaigns** sent in the period (by their sending date): sent, opened, clicks, the sales of the people
  who clicked within the campaign's attribution window, and the buying rate of those who received it
  against its holdout group (the uplift, in points).
- **Journeys**: people who entered in the period, done, who bought (converted), messages sent and clicks.
- **Recommendations**: impressions in the period, and what the personal suggestions changed against the
  holdout group, with the 95 % interval.
"""

import datetime

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.marketing import results as campaign_results
from parvis.marketing.journeys import message_ids
from parvis.marketing.models import Campaign, Click, Journey, JourneyEntry, Recipient
from parvis.recommendations import report as reco_report

from . import charts
from .boards import Chart, Filters, cell_text

MAX_CAMPAIGNS = 60


def _window(f: Filters) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(f.start, datetime.time.min, tz),
        datetime.datetime.combine(f.end + datetime.timedelta(days=1), datetime.time.min, tz),
    )


def board(organizer_ids: list[int], f: Filters, owner, network: bool) -> dict:
    since, until = _window(f)
    if f.venue or f.event or f.genre:
        f.notes.append(_("Les campagnes, les parcours et les suggestions ne se filtrent que par période."))
    owned = Q(network=owner) if network else Q(organizer_id__in=organizer_ids)
    campaigns = list(
        Campaign.objects.filter(owned, state=Campaign.State.SENT)
        .filter(
            Q(send_at__gte=since, send_at__lt=until)
            | Q(send_at=None, frozen_at__gte=since, frozen_at__lt=until)
        )
        .order_by("-send_at", "-frozen_at")[:MAX_CAMPAIGNS]
    )
    reco = reco_report.report(
        {"network_id": owner.pk} if network else {"organizer_id": owner.pk}, since, until
    )
    return {
        "charts": [
            _campaigns(campaigns),
            _journeys([] if network else organizer_ids, since, until),
            _recommendations(reco),
        ]
    }


def _campaigns(campaigns: list[Campaign]) -> Chart:
    sent = dict(
        Recipient.objects.filter(campaign__in=campaigns, state=Recipient.State.SENT)
        .values_list("campaign_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = []
    for campaign in campaigns:
        found = campaign_results.results(campaign)
        received, holdout = found["received"], found["holdout"]
        uplift = (
            round(received.rate - holdout.rate, 1)
            if received and holdout and received.rate is not None and holdout.rate is not None
            else None
        )
        rows.append(
            [
                campaign.name,
                timezone.localdate(campaign.send_at or campaign.frozen_at),
                sent.get(campaign.pk, 0),
                found["opens"],
                found["clicks"],
                found["after_clicks"]["orders"],
                found["after_clicks"]["revenue"],
                received.rate if received else None,
                holdout.rate if holdout else None,
                uplift,
            ]
        )
    if rows:
        best = max(rows, key=lambda r: r[6])
        summary = _(
            "%(n)s campagnes envoyées ; la plus suivie d'achats : « %(name)s », %(revenue)s € après un clic."
        ) % {"n": len(rows), "name": best[0], "revenue": cell_text(best[6])}
    else:
        summary = _("Aucune campagne envoyée sur cette période.")
    return Chart(
        key="campaigns",
        title=_("Campagnes"),
        summary=summary,
        columns=[
            _("Campagne"),
            _("Envoyée le"),
            _("Envoyés"),
            _("Ouvertures"),
            _("Clics"),
            _("Commandes après un clic"),
            _("Recette après un clic"),
            _("Ont acheté, destinataires (%)"),
            _("Ont acheté, groupe témoin (%)"),
            _("Écart (points)"),
        ],
        rows=rows,
        svg=charts.bars([r[0] for r in rows[:15]], [r[4] for r in rows[:15]], labelled_by="summary-campaigns")
        if rows
        else "",
    )


def _journeys(organizer_ids: list[int], since, until) -> Chart:
    journeys = list(Journey.objects.filter(organizer_id__in=organizer_ids).order_by("name"))
    states: dict[int, dict[str, int]] = {j.pk: {} for j in journeys}
    for journey_id, state, n in (
        JourneyEntry.objects.filter(journey__in=journeys, entered_at__gte=since, entered_at__lt=until)
        .values_list("journey_id", "state")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        states[journey_id][state] = n
    messages = {j.pk: message_ids(j) for j in journeys}
    every = [pk for ids in messages.values() for pk in ids]
    sent = dict(
        Recipient.objects.filter(
            campaign_id__in=every, state=Recipient.State.SENT, sent_at__gte=since, sent_at__lt=until
        )
        .values_list("campaign_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    clicks = dict(
        Click.objects.filter(campaign_id__in=every, at__gte=since, at__lt=until)
        .values_list("campaign_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = []
    for journey in journeys:
        entered = sum(states[journey.pk].values())
        converted = states[journey.pk].get(JourneyEntry.State.CONVERTED, 0)
        rows.append(
            [
                journey.name,
                entered,
                states[journey.pk].get(JourneyEntry.State.DONE, 0),
                converted,
                round(100 * converted / entered, 1) if entered else None,
                sum(sent.get(pk, 0) for pk in messages[journey.pk]),
                sum(clicks.get(pk, 0) for pk in messages[journey.pk]),
            ]
        )
    live = [r for r in rows if r[1]]
    if live:
        best = max(live, key=lambda r: r[3])
        summary = _("Le parcours qui a fait le plus acheter : « %(name)s », %(n)s personnes sur %(of)s.") % {
            "name": best[0],
            "n": cell_text(best[3]),
            "of": cell_text(best[1]),
        }
    else:
        summary = _("Personne n'est entré dans un parcours sur cette période.")
    return Chart(
        key="journeys",
        title=_("Parcours"),
        summary=summary,
        columns=[
            _("Parcours"),
            _("Entrées"),
            _("Allées au bout"),
            _("Ont acheté"),
            _("Ont acheté (%)"),
            _("Messages envoyés"),
            _("Clics"),
        ],
        rows=rows,
        svg=charts.bars([r[0] for r in live], [r[3] for r in live], labelled_by="summary-journeys")
        if live
        else "",
    )


def _recommendations(reco: dict) -> Chart:
    rows = [
        [
            str(row.label),
            round(row.personal, 3),
            round(row.holdout, 3),
            round(row.difference, 3),
            None if row.low is None else round(row.low, 3),
            None if row.high is None else round(row.high, 3),
            _("oui") if row.clear else _("non"),
        ]
        for row in reco["compared"]
    ]
    people = reco["people"]
    shown = sum(s["shown"] for s in reco["surfaces"])
    if people.get("personal") or people.get("holdout"):
        summary = _(
            "%(shown)s suggestions montrées ; %(personal)s personnes ont eu les leurs, %(holdout)s le groupe "
            "témoin. Un écart est net quand son intervalle à 95 %% exclut zéro."
        ) % {
            "shown": cell_text(shown),
            "personal": cell_text(people.get("personal", 0)),
            "holdout": cell_text(people.get("holdout", 0)),
        }
    else:
        summary = _("Aucune suggestion personnelle montrée sur cette période.")
    return Chart(
        key="recommendations",
        title=_("Recommandations : effet des suggestions personnelles"),
        summary=summary,
        columns=[
            _("Mesure"),
            _("Suggestions personnelles"),
            _("Groupe témoin"),
            _("Écart"),
            _("Intervalle à 95 %, bas"),
            _("Intervalle à 95 %, haut"),
            _("Écart net"),
        ],
        rows=rows,
    )
