"""Daily revenue statements (bordereaux de recettes): per performance, per tariff, the unit price, the
tickets issued (their count and their numbers: numbers run per performance, so a tariff's first and last
would interleave with the others'), the exonerated ones, the cancellations, the revenue and the entries
scanned.

Rules, as the statement states them:
- issued: every ticket of the tariff ever made for the date; cancelled: refunded, cancelled or exchanged
  away since; revenue: the price of the tickets still valid (a kept cancellation fee is not box office);
- a pass's entry is a 0 € ticket in the ticketing: here it counts for its share of the pass, the pass's
  price divided by its number of entries (`pass_share`), never as exonerated;
- exonerated: valid tickets at 0 € that are not pass entries (invitations).

A statement is made once the performance is over (`DUE_AFTER` after it starts), on demand or by the
nightly task; if its figures change later (a late refund), a new statement supersedes it."""

import csv
import datetime
import io
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.boxoffice.journal import digest
from parvis.checkin.models import Presence
from parvis.network.models import Organizer
from parvis.programming.models import Performance
from parvis.ticketing.models import Ticket, TicketState

from .models import DailyStatement
from .revenue import pass_share

DUE_AFTER = datetime.timedelta(hours=6)
CENT = Decimal("0.01")
GENESIS = "0" * 64


def figures(performance) -> tuple[list[dict], dict]:
    """The statement's lines (one per tariff and unit price) and totals, from the tickets themselves."""
    tickets = (
        Ticket.objects.filter(performance=performance)
        .select_related("tariff", "pass_entry__holding")
        .order_by("number")
    )
    scanned = set(
        Presence.objects.filter(ticket__performance=performance).values_list("ticket_id", flat=True)
    )
    lines: dict[tuple, dict] = {}
    for ticket in tickets:
        holding = getattr(getattr(ticket, "pass_entry", None), "holding", None)
        share = pass_share(holding.price, holding.entries) if holding else None
        key = (ticket.tariff.name, ticket.price, share is not None)
        line = lines.setdefault(
            key,
            {
                "tariff": ticket.tariff.name,
                "unit_price": ticket.price,
                "pass": share is not None,
                "issued": 0,
                "numbers": [],
                "exonerated": 0,
                "cancelled": 0,
                "revenue": Decimal(0),
                "scanned": 0,
            },
        )
        line["issued"] += 1
        line["numbers"].append(ticket.number)
        if ticket.state != TicketState.VALID:
            line["cancelled"] += 1
            continue
        line["revenue"] += share if share is not None else ticket.price
        line["exonerated"] += ticket.price == 0 and share is None
        line["scanned"] += ticket.pk in scanned
    ordered = sorted(lines.values(), key=lambda line: (line["pass"], -line["unit_price"], line["tariff"]))
    totals: dict = defaultdict(int)
    for line in ordered:
        for name in ("issued", "exonerated", "cancelled", "scanned"):
            totals[name] += line[name]
        totals["revenue"] = totals.get("revenue", Decimal(0)) + line["revenue"]
    totals.setdefault("revenue", Decimal(0))
    return [_plain(line) for line in ordered], _plain(dict(totals))


def _plain(values: dict) -> dict:
    return {k: str(v.quantize(CENT)) if isinstance(v, Decimal) else v for k, v in values.items()}


def statement_issue(performance, *, now=None) -> DailyStatement:
    """The performance's statement: the latest one if its figures still hold, else a new one (superseding
    it, if there was one). Numbered and chained per organizer, in one transaction."""
    now = now or timezone.now()
    lines, totals = figures(performance)
    with transaction.atomic():
        Organizer.objects.select_for_update().filter(pk=performance.organizer_id).first()  # one at a time
        current = (
            DailyStatement.objects.filter(performance=performance, superseded_by__isnull=True)
            .order_by("-number")
            .first()
        )
        if current is not None and current.lines == lines and current.totals == totals:
            return current
        last = (
            DailyStatement.objects.filter(organizer_id=performance.organizer_id).order_by("-number").first()
        )
        statement = DailyStatement(
            organizer_id=performance.organizer_id,
            performance=performance,
            number=(last.number if last else 0) + 1,
            issued_at=now.replace(microsecond=0),
            lines=lines,
            totals=totals,
            supersedes=current,
            previous_hash=last.hash if last else GENESIS,
        )
        statement.hash = digest(_hashed(statement))
        statement.save(force_insert=True)
    return statement


def _hashed(statement: DailyStatement) -> dict:
    return {
        "organizer": statement.organizer_id,
        "performance": statement.performance_id,
        "number": statement.number,
        "issued_at": statement.issued_at.isoformat(),
        "lines": statement.lines,
        "totals": statement.totals,
        "supersedes": statement.supersedes_id,
        "previous_hash": statement.previous_hash,
    }


def statements_due(organizer, *, now=None) -> list[DailyStatement]:
    """Make the statements of the organizer's performances that are over and have none (on demand: nothing
    waits for a worker)."""
    now = now or timezone.now()
    done = DailyStatement.objects.filter(organizer=organizer).values("performance_id")
    due = (
        Performance.objects.filter(organizer=organizer, starts_at__lte=now - DUE_AFTER, tickets__isnull=False)
        .exclude(pk__in=done)
        .distinct()
        .order_by("starts_at", "pk")
    )
    return [statement_issue(performance, now=now) for performance in due]


def verify(organizer) -> tuple[bool, int | None]:
    """Whether the organizer's statements are all as they were made: (True, None), or (False, the number of
    the first one changed or out of the chain)."""
    previous = GENESIS
    for statement in DailyStatement.objects.filter(organizer=organizer).order_by("number"):
        if statement.previous_hash != previous or digest(_hashed(statement)) != statement.hash:
            return False, statement.number
        previous = statement.hash
    return True, None


def statement_csv(statement: DailyStatement) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            _("Tarif"), _("Prix unitaire"), _("Part de pass"), _("Billets émis"), _("Numéros"),
            _("Exonérés"), _("Annulés"), _("Recette"), _("Entrées contrôlées"),
        ]
    )  # fmt: skip
    for line in statement.lines:
        writer.writerow(
            [
                line["tariff"], line["unit_price"].replace(".", ","), _("oui") if line["pass"] else "",
                line["issued"], " ".join(str(n) for n in line["numbers"]), line["exonerated"],
                line["cancelled"], line["revenue"].replace(".", ","), line["scanned"],
            ]
        )  # fmt: skip
    totals = statement.totals
    writer.writerow(
        [_("Total"), "", "", totals["issued"], "", totals["exonerated"], totals["cancelled"],
         totals["revenue"].replace(".", ","), totals["scanned"]]
    )  # fmt: skip
    writer.writerow([_("Empreinte"), statement.hash, _("Précédente"), statement.previous_hash])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
