"""The audiences board: the people who held a ticket for a date in the period (by month, the performances'
months), from the `AudienceMonth` rollup and the CRM's profiles.

- **People**: unique people per month, new (their first month at the organizer, or at the venue when one is
  chosen) and returning.
- **Cohorts**: people by their first season (September to August), and how many came back the next one.
- **Frequency**: how many dates each person came to in the period; **RFM** groups (`crm.rfm`).
- **Geography**: by département (a map and a table) and by postcode; **distance**: from the venue's
  commune to abroad, by postcode (exact bands, where the person's postcode is known); **age** bands.
- **Members**: the period's people holding a membership valid in it, or an active subscription.
- **Consents**: the period's people who agree now to each purpose (`ConsentState`): who can be written to.
- **Groups** and **online viewers**, who hold no named ticket for a seat (`beyond`).

A person is a contact of one organizer: on a network's board, someone who went to two members counts once at
each (the circulation board tells how many are shared). On a network's board, any figure about fewer than
`MIN_COUNT` people is hidden, as on the circulation board; an organizer sees its own figures whole.
"""

import datetime
from collections import Counter

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from parvis.crm.models import Purpose
from parvis.crm.network_audience import MIN_COUNT
from parvis.memberships.models import Membership, Subscription

from . import audience_queries as q
from . import beyond, charts, maps
from .boards import Chart, Filters, bar_chart, cell_text, percent
from .models import AudienceMonth, ConsentState
from .people import season_of

SEASONS = 6  # cohorts shown
AGES = ((0, 17), (18, 25), (26, 35), (36, 50), (51, 65), (66, None))
RFM = {
    "champions": gettext_lazy("Fidèles et actifs"),
    "loyal": gettext_lazy("Réguliers"),
    "new": gettext_lazy("Nouveaux"),
    "at_risk": gettext_lazy("À retenir"),
    "lost": gettext_lazy("Perdus de vue"),
    "other": gettext_lazy("Autres"),
    "": gettext_lazy("Pas encore classés"),
}
DISTANCE = {  # the labels of `audience_queries.BANDS`
    "commune": gettext_lazy("Même code postal que le lieu"),
    "departement": gettext_lazy("Même département"),
    "region": gettext_lazy("Même région"),
    "france": gettext_lazy("Ailleurs en France"),
    "abroad": gettext_lazy("Étranger"),
    "unknown": gettext_lazy("Non renseigné"),
}
POSTCODES = 50


def season_label(year: int) -> str:
    return f"{year}–{(year + 1) % 100:02d}"


def _month_label(month: datetime.date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def board(organizer_ids: list[int], f: Filters, *, network: bool = False) -> dict:
    minimum = MIN_COUNT if network else 1
    start, end = f.start.replace(day=1), f.end.replace(day=1)
    scope = AudienceMonth.objects.filter(organizer_id__in=organizer_ids)
    first, back = "first", "back"
    if f.venue:  # new to that venue, back there
        scope, first, back = scope.filter(venue=f.venue), "first_here", "back_here"
    if f.event or f.genre:
        f.notes.append(
            _(
                "Ce tableau compte les personnes par lieu et par mois : "
                "le filtre de spectacle ou de genre ne s'y applique pas."
            )
        )
    inside = scope.filter(month__gte=start, month__lte=end)
    found = q.gather(inside, first)
    total, new = found.people, found.new
    hide = _hider(minimum)
    postcodes = sorted(
        ((code, n) for code, n in found.fields["postal_code"].items() if code and n >= minimum),
        key=lambda kv: (-kv[1], kv[0]),
    )
    charts_ = [
        _people(found.months, start, end, hide),
        _cohorts(q.cohorts(scope, first, back), hide),
        _frequency(found.frequency, total, hide),
        _rfm(found.fields["rfm_group"], total, hide),
        _departements(found.fields["departement"], hide),
        _postcodes(postcodes[:POSTCODES]),
        _distance(found.distance, hide),
        _ages(found.fields["birth_year"], hide),
        _members(inside, start, end, total, hide),
        _consents(found.contacts, organizer_ids, total, hide),
        beyond.groups_chart(organizer_ids, f, hide),
        beyond.online_chart(organizer_ids, f, hide),
    ]
    figures = [
        (_("Personnes"), cell_text(hide(total)), "people"),
        (_("Nouvelles"), cell_text(hide(new)), "new"),
        (_("Déjà venues"), cell_text(hide(total - new)), "returning"),
        (_("Dates par personne"), cell_text(round(found.visits / total, 1) if total else None), "visits"),
    ]
    return {"charts": charts_, "figures": figures, "min_count": minimum if network else None}


def _hider(minimum: int):
    def hide(n: int) -> int | None:
        return n if n >= minimum or n == 0 else None

    return hide


def _pair(n: int, whole: int, hide) -> list:
    """A count and its share of `whole`, both hidden when the count is."""
    shown = hide(n)
    return [shown, percent(n, whole) if shown is not None else None]


def _people(months: dict, start, end, hide) -> Chart:
    rows, month = [], start
    while month <= end:
        present, fresh = months.get(month, (0, 0))
        rows.append([_month_label(month), hide(present), hide(fresh), hide(present - fresh)])
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    busiest = max(rows, key=lambda r: r[1] or 0, default=None)
    if busiest and busiest[1]:
        summary = ngettext(
            "Le mois le plus fréquenté : %(month)s, %(n)s personne dont %(new)s nouvelle.",
            "Le mois le plus fréquenté : %(month)s, %(n)s personnes dont %(new)s nouvelles.",
            busiest[1],
        ) % {
            "month": busiest[0],
            "n": cell_text(busiest[1]),
            "new": cell_text(busiest[2]),
        }
    else:
        summary = _("Personne n'est venu sur cette période.")
    return Chart(
        key="people",
        title=_("Personnes par mois, nouvelles et déjà venues"),
        summary=summary,
        columns=[_("Mois"), _("Personnes"), _("Nouvelles"), _("Déjà venues")],
        rows=rows,
        svg=charts.lines(
            [r[0] for r in rows],
            [
                charts.Series(_("Nouvelles"), [r[2] for r in rows]),
                charts.Series(_("Déjà venues"), [r[3] for r in rows]),
            ],
            labelled_by="summary-people",
        )
        if busiest and busiest[1]
        else "",
    )


def _cohorts(firsts: dict, hide) -> Chart:
    current = season_of(timezone.localdate())
    cohort: Counter = Counter()
    returned: Counter = Counter()
    for month, (people, again) in firsts.items():
        cohort[season_of(month)] += people
        returned[season_of(month)] += again
    rows = []
    for year in range(current - SEASONS, current):  # seasons whose next one has begun
        n, back = hide(cohort[year]), hide(returned[year])
        rows.append([season_label(year), n, back, percent(back, n) if n and back is not None else None])
    shown = [r for r in rows if r[1]]
    if shown:
        last = shown[-1]
        summary = ngettext(
            "Sur %(n)s personne venue pour la première fois en %(season)s, "
            "%(share)s %% sont revenues la saison suivante.",
            "Sur les %(n)s personnes venues pour la première fois en %(season)s, "
            "%(share)s %% sont revenues la saison suivante.",
            last[1],
        ) % {
            "n": cell_text(last[1]),
            "season": last[0],
            "share": cell_text(last[3]),
        }
    else:
        summary = _("Aucune saison achevée n'a encore de nouveaux venus.")
    columns = [
        _("Première saison"),
        _("Nouvelles personnes"),
        _("Revenues la saison suivante"),
        _("Part (%)"),
    ]
    title = _("Fidélisation : revenus la saison suivante")
    return bar_chart("cohorts", title, summary, columns, rows, value=3, drawn=shown, unit=" %")


def _frequency(bands: Counter, total: int, hide) -> Chart:
    rows = [[label, *_pair(bands[label], total, hide)] for _high, label in q.FREQUENCY]
    once = bands["1"]
    summary = (
        _("%(share)s %% des personnes sont venues à une seule date sur la période.")
        % {"share": cell_text(percent(once, total))}
        if total
        else _("Personne n'est venu sur cette période.")
    )
    return bar_chart(
        "frequency",
        _("Fréquentation : nombre de dates par personne"),
        summary,
        [_("Dates sur la période"), _("Personnes"), _("Part (%)")],
        rows,
        draw=bool(total),
    )


def _rfm(counts: Counter, total: int, hide) -> Chart:
    rows = [[str(label), *_pair(counts[key], total, hide)] for key, label in RFM.items()]
    top = max(rows, key=lambda r: r[1] or 0) if total else None
    summary = (
        ngettext(
            "Le groupe le plus nombreux : %(group)s (%(n)s personne).",
            "Le groupe le plus nombreux : %(group)s (%(n)s personnes).",
            top[1],
        )
        % {"group": top[0], "n": cell_text(top[1])}
        if top and top[1]
        else _("Personne n'est venu sur cette période.")
    )
    return bar_chart(
        "rfm",
        _("Groupes RFM (récence, fréquence, montant)"),
        summary,
        [_("Groupe"), _("Personnes"), _("Part (%)")],
        rows,
        draw=bool(total),
    )


def _departements(counts: Counter, hide) -> Chart:
    counts.pop("", None)  # no address known
    known = sum(counts.values())
    names = maps.names()
    rows = [
        [f"{code} {names.get(code, '')}".strip(), *_pair(n, known, hide)]
        for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    shown = {code: n for code, n in counts.items() if hide(n)}
    if rows:
        summary = _("%(share)s %% des personnes dont on connaît l'adresse viennent de %(dep)s.") % {
            "share": cell_text(rows[0][2]),
            "dep": rows[0][0],
        }
    else:
        summary = _("Aucune adresse connue parmi les personnes de la période.")
    return Chart(
        key="departements",
        title=_("D'où viennent-ils : départements"),
        summary=summary,
        columns=[_("Département"), _("Personnes"), _("Part des adresses connues (%)")],
        rows=[r for r in rows if r[1] is not None],
        svg=maps.departements(shown, labelled_by="summary-departements") if rows else "",
        note=_("Carte : %(source)s.") % {"source": maps.ATTRIBUTION},
    )


def _postcodes(rows: list[tuple]) -> Chart:
    rows = [list(row) for row in rows]
    summary = (
        ngettext(
            "Le code postal le plus représenté : %(code)s (%(n)s personne).",
            "Le code postal le plus représenté : %(code)s (%(n)s personnes).",
            rows[0][1],
        )
        % {"code": rows[0][0], "n": cell_text(rows[0][1])}
        if rows
        else _("Aucun code postal à montrer.")
    )
    return Chart(
        key="postcodes",
        title=_("Codes postaux les plus représentés"),
        summary=summary,
        columns=[_("Code postal"), _("Personnes")],
        rows=rows,
    )


def _distance(counts: Counter, hide) -> Chart:
    """Each person in the nearest band to a venue they came to, by postcode (`audience_queries`)."""
    known = sum(n for key, n in counts.items() if key != "unknown")
    rows = [
        [str(DISTANCE[key]), *_pair(counts[key], known if key != "unknown" else 0, hide)] for key in q.BANDS
    ]
    near = counts["commune"] + counts["departement"]
    summary = (
        _("%(share)s %% des personnes dont on connaît l'adresse viennent du département du lieu.")
        % {"share": cell_text(percent(near, known))}
        if known
        else _("Aucune adresse connue parmi les personnes de la période.")
    )
    return bar_chart(
        "distance",
        _("Distance parcourue (par code postal)"),
        summary,
        [_("D'où"), _("Personnes"), _("Part des adresses connues (%)")],
        rows,
        draw=bool(counts),
    )


def _ages(years: Counter, hide) -> Chart:
    year = timezone.localdate().year
    counts: Counter = Counter()
    for birth_year, n in years.items():
        if not birth_year:
            counts[None] += n
            continue
        age = year - birth_year
        counts[next((b for b in AGES if age >= b[0] and (b[1] is None or age <= b[1])), AGES[-1])] += n
    labels = {
        band: _("moins de 18 ans")
        if band[0] == 0
        else _("%(age)s ans et plus") % {"age": band[0]}
        if band[1] is None
        else _("%(low)s–%(high)s ans") % {"low": band[0], "high": band[1]}
        for band in AGES
    }
    known = sum(counts.values()) - counts[None]
    rows = [[labels[band], *_pair(counts[band], known, hide)] for band in AGES]
    rows.append([_("Non renseigné"), hide(counts[None]), None])
    top = max(rows[:-1], key=lambda r: r[1] or 0)
    summary = (
        _("La tranche d'âge la plus représentée : %(band)s (%(share)s %% des âges connus).")
        % {"band": top[0], "share": cell_text(top[2])}
        if known and top[1]
        else _("Aucun âge connu parmi les personnes de la période.")
    )
    return bar_chart(
        "ages",
        _("Tranches d'âge"),
        summary,
        [_("Âge"), _("Personnes"), _("Part des âges connus (%)")],
        rows,
        drawn=rows[:-1],
        draw=bool(known),
    )


def _members(inside, start, end, total: int, hide) -> Chart:
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tz)
    until = datetime.datetime.combine(
        (end + datetime.timedelta(days=32)).replace(day=1), datetime.time.min, tz
    )
    who = inside.values("contact_id")
    members = (
        Membership.objects.filter(
            order__contact_id__in=who,
            state=Membership.State.ACTIVE,
            valid_from__lt=until,
            valid_until__gt=since,
        )
        .values("order__contact_id")
        .distinct()
        .count()
    )
    subscribers = (
        Subscription.objects.filter(order__contact_id__in=who, state=Subscription.State.ACTIVE)
        .values("order__contact_id")
        .distinct()
        .count()
    )
    rows = [
        [_("Adhérents (adhésion valable sur la période)"), *_pair(members, total, hide)],
        [_("Abonnés"), *_pair(subscribers, total, hide)],
    ]
    summary = (
        _("%(members)s %% des personnes de la période sont adhérentes, %(subscribers)s %% abonnées.")
        % {
            "members": cell_text(percent(members, total)),
            "subscribers": cell_text(percent(subscribers, total)),
        }
        if total
        else _("Personne n'est venu sur cette période.")
    )
    return bar_chart(
        "members",
        _("Adhérents et abonnés"),
        summary,
        [_("Qui"), _("Personnes"), _("Part des personnes (%)")],
        rows,
        draw=bool(total),
    )


def _consents(contacts: set, organizer_ids: list[int], total: int, hide) -> Chart:
    """The consents given to the board's organizers (another's, given at a partner who sold the ticket,
    does not let them write), counted among the period's people (one row per person and purpose)."""
    given: Counter = Counter()
    for contact_id, purpose in ConsentState.objects.filter(
        organizer_id__in=organizer_ids, given=True
    ).values_list("contact_id", "purpose"):
        if contact_id in contacts:
            given[purpose] += 1
    rows = [[str(label), *_pair(given.get(purpose, 0), total, hide)] for purpose, label in Purpose.choices]
    newsletter = given.get(Purpose.ORGANIZER_NEWSLETTER, 0)
    summary = (
        _("%(share)s %% des personnes de la période acceptent de recevoir la lettre d'information.")
        % {"share": cell_text(percent(newsletter, total) if hide(newsletter) is not None else None)}
        if total
        else _("Personne n'est venu sur cette période.")
    )
    return bar_chart(
        "consents",
        _("Consentements en vigueur"),
        summary,
        [_("Finalité"), _("Personnes qui acceptent"), _("Part des personnes (%)")],
        rows,
        draw=bool(total),
    )
