"""The organizer's daily revenue statements: the list (the ones due are made on opening it), each as PDF
and CSV, and whether the chain is intact."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from . import statements
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
