"""The organizer's daily revenue statements: the list (the ones due are made on opening it), each as PDF
and CSV, and whether the chain is intact."""

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from . import sibil, statements
from .inspector import access_log, organizer_for
from .models import DailyStatement
from .pdf import statement_pdf


@login_required
def statement_list(request, organizer_slug: str):
    organizer, logged = organizer_for(request, organizer_slug)
    if logged:
        access_log(request, organizer, "statements")
    statements.statements_due(organizer)
    found = (
        DailyStatement.objects.filter(organizer=organizer)
        .select_related("performance__event", "performance__venue", "supersedes")
        .order_by("-number")[:200]
    )
    intact, broken_at = statements.verify(organizer)
    return render(
        request,
        "declarations/statements.html",
        {"organizer": organizer, "statements": found, "intact": intact, "broken_at": broken_at},
    )


@login_required
def statement_file(request, organizer_slug: str, number: int, kind: str):
    organizer, logged = organizer_for(request, organizer_slug)
    if logged:
        access_log(request, organizer, "statement", number=number, kind=kind)
    statement = get_object_or_404(
        DailyStatement.objects.select_related("performance__event", "performance__venue", "organizer"),
        organizer=organizer,
        number=number,
    )
    name = f"bordereau-{organizer.slug}-{statement.number}"
    if kind == "csv":
        response = HttpResponse(statements.statement_csv(statement), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


def _quarter_param(raw: str) -> tuple[int, int]:
    """ "2026-4" → (2026, 4); anything else: the quarter before the current one (the one to declare)."""
    year, _sep, quarter = (raw or "").partition("-")
    if year.isdigit() and quarter in ("1", "2", "3", "4") and 2000 <= int(year) <= 2100:
        return int(year), int(quarter)
    year, quarter = sibil.quarter_of(timezone.now())
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


@login_required
def sibil_quarter(request, organizer_slug: str):
    """A quarter's performances with the figures SIBIL asks for and what is missing, or its spreadsheet."""
    organizer, logged = organizer_for(request, organizer_slug)
    year, quarter = _quarter_param(request.GET.get("trimestre", ""))
    if logged:
        access_log(request, organizer, "sibil", quarter=f"{year}-{quarter}")
    rows = sibil.quarter_rows(organizer, year, quarter)
    if request.GET.get("format") == "csv":
        out = io.StringIO()
        csv.writer(out, delimiter=";").writerows(sibil.quarter_csv_rows(rows))
        response = HttpResponse(
            ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="sibil-{organizer.slug}-{year}-T{quarter}.csv"'
        )
        return response
    previous = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    following = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
    return render(
        request,
        "declarations/sibil.html",
        {
            "organizer": organizer,
            "year": year,
            "quarter": quarter,
            "rows": rows,
            "deadline": sibil.deadline(year, quarter),
            "to_fix": sum(1 for row in rows if row.warnings),
            "previous": f"{previous[0]}-{previous[1]}",
            "following": f"{following[0]}-{following[1]}",
        },
    )
