"""The organizer's daily revenue statements: the list (the ones due are made on opening it), each as PDF
and CSV, and whether the chain is intact."""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record
from parvis.core.background import enqueue_on_commit
from parvis.core.params import int_or_none, is_digits
from parvis.network.permissions import Perm, has_organizer_perm
from parvis.programming.models import Genre, Performance

from . import sibil, sibil_send, statements
from .inspector import access_log, organizer_for
from .models import (
    SHOW_CRITERIA,
    DailyStatement,
    GenreDomain,
    SibilAccount,
    SibilDomain,
    SibilPlaceType,
    SibilShow,
    SibilVenue,
    criterion_required,
)
from .pdf import statement_pdf
from .sibil_client import SibilError
from .tasks import send_quarter


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
    if is_digits(year, max_len=4) and quarter in ("1", "2", "3", "4") and 2000 <= int(year) <= 2100:
        return int(year), int(quarter)
    year, quarter = sibil.quarter_of(timezone.now())
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


@login_required
def sibil_quarter(request, organizer_slug: str):
    """A quarter's performances with the figures SIBIL asks for and what is missing, or its spreadsheet;
    administrators set the SIBIL login, fetch SIBIL's domains, map genres to them and send the quarter."""
    organizer, logged = organizer_for(request, organizer_slug)
    year, quarter = _quarter_param(request.GET.get("trimestre", "") or request.POST.get("trimestre", ""))
    if logged:
        access_log(request, organizer, "sibil", quarter=f"{year}-{quarter}")
    can_send = has_organizer_perm(request.user, organizer, Perm.ORGANIZER_SETTINGS)
    if request.method == "POST":
        if not can_send:
            raise PermissionDenied
        _sibil_action(request, organizer, year, quarter)
        return redirect(f"{request.path}?trimestre={year}-{quarter}")
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
            "can_send": can_send,
            "account": SibilAccount.objects.filter(organizer=organizer).first(),
            "domains": SibilDomain.objects.filter(active=True),
            "genres": _genres(organizer, rows),
            "place_types": SibilPlaceType.objects.filter(active=True),
            "venues": _venues(rows),
            "shows": _shows(rows),
            "siret_missing": len(organizer.siret or "") != 14,
        },
    )


def _genres(organizer, rows) -> list[tuple]:
    """The quarter's genres with the SIBIL domain each declares as (None: to choose)."""
    mapped = dict(GenreDomain.objects.filter(organizer=organizer).values_list("genre", "domain_id"))
    seen = {}
    for row in rows:
        event = row.performance.event
        seen.setdefault(event.genre, (event.genre, event.get_genre_display(), mapped.get(event.genre)))
    return list(seen.values())


def _venues(rows) -> list[tuple]:
    """The quarter's venues with the SIBIL type each is declared as ("": to choose)."""
    seen = {}
    for row in rows:
        venue = row.performance.venue
        seen.setdefault(venue.pk, (venue, row.place_type))
    return list(seen.values())


def _shows(rows) -> list[dict]:
    """The quarter's events whose SIBIL domain asks for criteria beyond the title, with what is written."""
    seen = {}
    for row in rows:
        event = row.performance.event
        if row.domain is None or event.pk in seen or not row.domain.criteria_asked():
            continue
        seen[event.pk] = {
            "event": event,
            "domain": row.domain,
            "criteria": [
                {**c, "value": row.criteria.get(c["field"], ""), "required": criterion_required(c)}
                for c in row.domain.criteria_asked()
            ],
        }
    return list(seen.values())


def _places(request, organizer, year: int, quarter: int) -> None:
    types = {t.pk: t for t in SibilPlaceType.objects.filter(active=True)}
    for venue, _current in _venues(sibil.quarter_rows(organizer, year, quarter)):
        chosen = types.get(request.POST.get(f"venue-{venue.pk}", ""))
        if chosen is not None:
            SibilVenue.objects.update_or_create(venue=venue, defaults={"place_type": chosen})
    messages.success(request, _("Types de lieu enregistrés."))


def _criteria(request, organizer, year: int, quarter: int) -> None:
    shows = {str(s["event"].pk): s for s in _shows(sibil.quarter_rows(organizer, year, quarter))}
    show = shows.get(request.POST.get("event", ""))
    if show is None:
        messages.error(request, _("Cet évènement n'est pas à déclarer ce trimestre."))
        return
    criteria = {
        c["field"]: request.POST.get(c["field"], "").strip()[:255]
        for c in show["criteria"]
        if c["field"] in SHOW_CRITERIA
    }
    SibilShow.objects.update_or_create(
        event=show["event"], defaults={"criteria": {k: v for k, v in criteria.items() if v}}
    )
    messages.success(request, _("Critères enregistrés pour « %(title)s ».") % {"title": show["event"].title})


def _sibil_action(request, organizer, year: int, quarter: int) -> None:
    action = request.POST.get("action", "")
    try:
        if action == "account":
            username = request.POST.get("username", "").strip()[:200]
            password = request.POST.get("password", "")[:200]
            if not username or not password:
                messages.error(request, _("Indiquez l'identifiant et le mot de passe SIBIL."))
                return
            SibilAccount.objects.update_or_create(
                organizer=organizer, defaults={"username": username, "password": password}
            )
            messages.success(request, _("Identifiant SIBIL enregistré."))
        elif action == "domains":
            got = sibil_send.lists_refresh(sibil_send.client_for(organizer))
            messages.success(
                request, _("Reçus de SIBIL : %(domains)s domaines, %(place_types)s types de lieu.") % got
            )
        elif action == "map":
            for genre in Genre.values:
                domain = SibilDomain.objects.filter(
                    pk=int_or_none(request.POST.get(f"genre-{genre}", ""))
                ).first()
                if domain is not None:
                    GenreDomain.objects.update_or_create(
                        organizer=organizer, genre=genre, defaults={"domain": domain}
                    )
            messages.success(request, _("Domaines enregistrés."))
        elif action == "refresh":
            done = sibil_send.statuses_refresh(organizer, year, quarter)
            text = _("Statuts relus : %(read)s ; changés : %(changed)s.") % done
            (messages.error if done["error"] else messages.success)(
                request, f"{text} {done['error']}".strip()
            )
        elif action == "places":
            _places(request, organizer, year, quarter)
        elif action == "criteria":
            _criteria(request, organizer, year, quarter)
        elif action == "siret":
            _siret(request, organizer)
        elif action == "capacity":
            _capacity(request, organizer)
        elif action == "send":
            asked = SibilAccount.objects.filter(organizer=organizer).update(
                run_asked_at=timezone.now(), run_done_at=None, run_summary={}
            )
            if not asked:
                messages.error(request, _("Indiquez d'abord l'identifiant SIBIL de la structure."))
                return
            enqueue_on_commit(send_quarter, organizer_id=organizer.pk, year=year, quarter=quarter)
            messages.success(request, _("Envoi lancé : chaque statut s'affiche ici dès que SIBIL a répondu."))
    except SibilError as exc:
        messages.error(request, exc.message)


def _siret(request, organizer) -> None:
    siret = "".join(request.POST.get("siret", "").split())
    if not is_digits(siret, max_len=14) or len(siret) != 14:
        messages.error(request, _("Un SIRET a 14 chiffres : rien n'a été enregistré."))
        return
    before = organizer.siret
    type(organizer).objects.filter(pk=organizer.pk).update(siret=siret)
    audit_record(
        actor=request.user, action="organizer.update", instance=organizer, organizer_id=organizer.pk,
        before={"siret": before}, after={"siret": siret}, request=request,
    )  # fmt: skip
    messages.success(request, _("SIRET enregistré."))


def _capacity(request, organizer) -> None:
    performance = Performance.objects.filter(
        organizer=organizer, pk=int_or_none(request.POST.get("performance", ""))
    ).first()
    capacity = int_or_none(request.POST.get("capacity", ""), max_len=6)
    if performance is None or not capacity:
        messages.error(request, _("Indiquez une jauge (un nombre de places)."))
        return
    Performance.objects.filter(pk=performance.pk).update(capacity=capacity)
    audit_record(
        actor=request.user, action="performance.update", instance=performance, organizer_id=organizer.pk,
        before={"capacity": performance.capacity}, after={"capacity": capacity}, request=request,
    )  # fmt: skip
    messages.success(request, _("Jauge enregistrée."))
