"""The taxe sur les spectacles (CIBS L452-14 to L452-27): 3.5 % of a performance's box office excluding
VAT, owed by its organizer to the CNM or to the ASTP according to the genre lists of décret 2004-117
art. 1.

Rules, as the review page states them:
- each event carries its tax body, proposed from its genre and confirmed by staff; circus is on neither
  list and classical concerts are taxed by neither: those stay "to decide", never guessed;
- the base is the revenue of the valid tickets excluding VAT, pass and subscription shares included
  (a pass entry counts for its share of the pass, not as a free ticket); a kept cancellation fee is not
  box office;
- ASTP: a public body or a subsidised company is exempt for its performances, unless the performance is
  given under a contract with a private, unsubsidised producer;
- a free performance is taxed all the same, by the seller, on the cession contract's amount excluding
  VAT;
- a co-production can split the tax: the organizer owes its share;
- declared per performance by the last day of the third month after it (the CNM accepts a month's
  performances together); under 80 € per payer over a calendar year the tax is not collected, but the
  declaration is still due."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parvis.programming.models import Genre, Performance, PerformanceStatus

from .models import EventTax, OrganizerTax, PerformanceTax, TaxBody
from .revenue import CENT, excluding_vat, valid_sold

PARIS = ZoneInfo("Europe/Paris")
RATE = Decimal("3.5")
THRESHOLD = Decimal(80)
TAXED = (TaxBody.CNM, TaxBody.ASTP)

# What the genre suggests (décret 2004-117 art. 1): staff confirm it for each event.
PROPOSED = {
    Genre.JAZZ: TaxBody.CNM,
    Genre.MUSIC: TaxBody.CNM,
    Genre.THEATRE: TaxBody.ASTP,
    Genre.DANCE: TaxBody.ASTP,
    Genre.EXHIBITION: TaxBody.NONE,
    Genre.TALK: TaxBody.NONE,
    Genre.SCREENING: TaxBody.NONE,
}
# Why nothing is proposed, where the lists leave the genre open.
NO_PROPOSAL = {
    Genre.CIRCUS: gettext_lazy(
        "Le cirque ne figure sur aucune des deux listes du décret 2004-117 : à décider (un spectacle de "
        "cirque n'est en principe taxé ni par le CNM ni par l'ASTP)."
    ),
    Genre.CLASSICAL: gettext_lazy(
        "Les concerts de musique classique ne sont taxés ni par le CNM ni par l'ASTP ; un opéra relève de "
        "l'ASTP : à décider."
    ),
    Genre.YOUNG_AUDIENCE: gettext_lazy(
        "Jeune public : selon la forme (théâtre, concert, cirque), à décider."
    ),
    Genre.DIGITAL_ARTS: gettext_lazy("Arts numériques : selon la forme du spectacle, à décider."),
    Genre.OTHER: gettext_lazy("Genre « Autre » : à décider."),
}


class Debtor:
    ORGANIZER = "organizer"
    SELLER = "seller"


@dataclass
class TaxRow:
    performance: Performance
    body: str = TaxBody.UNDECIDED
    proposed: str = TaxBody.UNDECIDED
    paying: int = 0
    exonerated: int = 0
    gross: Decimal = Decimal(0)
    base: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    share: Decimal = Decimal(100)
    due: Decimal = Decimal(0)
    debtor: str = Debtor.ORGANIZER
    exempt: str = ""
    deadline: datetime.date | None = None
    settings: PerformanceTax | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def body_label(self) -> str:
        return TaxBody(self.body).label


def proposal(genre: str) -> str:
    return PROPOSED.get(genre, TaxBody.UNDECIDED)


def deadline(performance: Performance) -> datetime.date:
    """The last day of the third month after the performance's month (local time)."""
    local = performance.starts_at.astimezone(PARIS)
    month = local.month + 4
    year = local.year + (month - 1) // 12
    return datetime.date(year, (month - 1) % 12 + 1, 1) - datetime.timedelta(days=1)


def month_bounds(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime(year, month, 1, tzinfo=PARIS)
    end = datetime.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=PARIS)
    return start, end


def performances(organizer, start: datetime.datetime, end: datetime.datetime):
    return (
        Performance.objects.filter(organizer=organizer, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=PerformanceStatus.CANCELLED)
        .select_related("event", "venue")
        .order_by("starts_at", "pk")
    )


def rows(organizer, start: datetime.datetime, end: datetime.datetime) -> list[TaxRow]:
    """The tax of each of the organizer's performances between start and end."""
    found = list(performances(organizer, start, end))
    bodies = dict(
        EventTax.objects.filter(event__in={p.event_id for p in found}).values_list("event_id", "body")
    )
    settings = {s.performance_id: s for s in PerformanceTax.objects.filter(performance__in=found)}
    profile = OrganizerTax.objects.filter(organizer=organizer).first()
    subsidised = bool(profile and profile.subsidised)
    sold = valid_sold([p.pk for p in found])
    return [
        tax_row(p, bodies.get(p.event_id), settings.get(p.pk), subsidised, sold.get(p.pk, [])) for p in found
    ]


def tax_row(performance, body, settings, subsidised: bool, sold) -> TaxRow:
    genre = performance.event.genre
    row = TaxRow(performance, body=body or TaxBody.UNDECIDED, proposed=proposal(genre), settings=settings)
    row.deadline = deadline(performance)
    row.paying = sum(1 for one in sold if one.amount > 0)
    row.exonerated = sum(1 for one in sold if one.amount == 0)
    row.gross = sum((one.amount for one in sold), Decimal(0))
    row.base = excluding_vat(sold)[0]
    row.share = settings.share if settings else Decimal(100)
    if body is None or body == TaxBody.UNDECIDED:
        row.warnings.append(_undecided(genre, row.proposed))
        return row
    if body not in TAXED:
        return row
    if row.gross == 0:
        row.debtor = Debtor.SELLER
        row.base = settings.cession_amount if settings and settings.cession_amount is not None else Decimal(0)
        if not (settings and settings.cession_amount is not None):
            row.warnings.append(
                _("Représentation gratuite : indiquez le montant HT du contrat de cession (la taxe est due "
                  "par le vendeur du spectacle).")
            )  # fmt: skip
    if body == TaxBody.ASTP and subsidised and not (settings and settings.private_contract):
        row.exempt = _(
            "Exonérée : structure publique ou subventionnée, sans contrat avec un producteur privé."
        )
        return row
    row.tax = (row.base * RATE / 100).quantize(CENT)
    row.due = (row.tax * row.share / 100).quantize(CENT)
    return row


def _undecided(genre: str, proposed: str) -> str:
    if proposed:
        return _("Organisme de la taxe à confirmer (proposé d'après le genre : %(body)s).") % {
            "body": TaxBody(proposed).label
        }
    return str(NO_PROPOSAL.get(genre, _("Organisme de la taxe à décider.")))


def year_totals(organizer, year: int) -> dict[str, dict]:
    """Per body, the organizer's tax over the calendar year, and whether it is collected (80 € or more)."""
    start, end = datetime.datetime(year, 1, 1, tzinfo=PARIS), datetime.datetime(year + 1, 1, 1, tzinfo=PARIS)
    totals: dict[str, dict] = defaultdict(lambda: {"due": Decimal(0), "performances": 0})
    for row in rows(organizer, start, end):
        if row.body in TAXED and row.debtor == Debtor.ORGANIZER:
            totals[row.body]["due"] += row.due
            totals[row.body]["performances"] += 1
    for total in totals.values():
        total["collected"] = total["due"] >= THRESHOLD
    return dict(totals)


def export_rows(found: list[TaxRow], body: str) -> list[list[str]]:
    """The figures each body asks for, one line per performance it collects for."""
    head = [
        _("Date"), _("Heure"), _("Spectacle"), _("Lieu"), _("Code postal"), _("Commune"), _("Jauge"),
        _("Entrées payantes"), _("Entrées exonérées"), _("Recette TTC"), _("Recette HT (assiette)"),
        _("Taxe 3,5 %"), _("Part (%)"), _("Taxe due"), _("Redevable"), _("Exonération"), _("Échéance"),
    ]  # fmt: skip
    lines = [head]
    for row in found:
        if row.body != body:
            continue
        p = row.performance
        local = p.starts_at.astimezone(PARIS)
        lines.append(
            [
                local.strftime("%d/%m/%Y"), local.strftime("%H:%M"), p.event.title, p.venue.name,
                p.venue.postcode, p.venue.town, str(p.capacity or p.venue.capacity or ""), str(row.paying),
                str(row.exonerated), _comma(row.gross), _comma(row.base), _comma(row.tax), _comma(row.share),
                _comma(row.due),
                _("organisateur") if row.debtor == Debtor.ORGANIZER else _("vendeur (contrat de cession)"),
                row.exempt, row.deadline.strftime("%d/%m/%Y"),
            ]
        )  # fmt: skip
    return lines


def _comma(value: Decimal) -> str:
    return str(value.quantize(CENT)).replace(".", ",")
