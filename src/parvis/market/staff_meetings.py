"""The team's view of the business meetings, day by day: each placed meeting by its time and table, who
did not come (recorded by a participant on their page, or here by the team at the tables), those absent
more than once, and the day's plan as a CSV file for the tables' hosts."""

import csv
import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from parvis.core.params import date_or_none, int_or_none
from parvis.network.permissions import Perm, has_organizer_perm, require_organizer_perm

from . import meetings
from .accreditation import MarketError
from .models import Market, Meeting, Participant

REPEATED = 2  # absences from which a participant is listed


def _day_of(market: Market, asked) -> tuple[datetime.date, list[datetime.date]]:
    days = [
        market.starts_on + datetime.timedelta(days=n)
        for n in range((market.ends_on - market.starts_on).days + 1)
    ]
    today = timezone.localdate()
    return (asked if asked in days else today if today in days else days[0]), days


@login_required
def meetings_day(request, organizer_slug: str, market_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.PROGRAMMING_VIEW)
    market = get_object_or_404(Market.objects.select_related("venue"), organizer=organizer, slug=market_slug)
    can_change = has_organizer_perm(request.user, organizer, Perm.MARKET_MANAGE)
    day, days = _day_of(market, date_or_none(request.GET.get("jour") or request.POST.get("jour")))
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        _mark(request, market)
        return redirect(f"{request.path}?jour={day.isoformat()}")
    tz = market.venue.tzinfo
    start = datetime.datetime.combine(day, datetime.time.min, tz)
    placed = (
        market.meetings.filter(
            state=Meeting.State.ACCEPTED,
            slot__starts_at__gte=start,
            slot__starts_at__lt=start + datetime.timedelta(days=1),
        )
        .select_related("slot", "table", "requester", "recipient")
        .order_by("slot__starts_at", "table__area", "table__number")
    )
    if request.GET.get("format") == "csv":
        return _csv(market, day, placed)
    repeated = (
        market.meetings.filter(no_show__isnull=False)
        .values("no_show")
        .annotate(n=Count("pk"))
        .filter(n__gte=REPEATED)
        .order_by("-n")
    )
    names = Participant.objects.in_bulk([row["no_show"] for row in repeated])
    return render(
        request,
        "market/staff/meetings.html",
        {
            "organizer": organizer,
            "market": market,
            "can_change": can_change,
            "day": day,
            "days": days,
            "placed": placed,
            "absent": sum(1 for meeting in placed if meeting.no_show_id),
            "repeated": [(names[row["no_show"]], row["n"]) for row in repeated if row["no_show"] in names],
        },
    )


def _mark(request, market: Market) -> None:
    meeting = get_object_or_404(
        market.meetings.select_related("market"), pk=int_or_none(request.POST.get("meeting"))
    )
    action = request.POST.get("action")
    if action == "present":
        meetings.no_show_clear(actor=request.user, meeting=meeting, request=request)
        messages.success(request, _("Absence retirée."))
        return
    who = {"requester": meeting.requester, "recipient": meeting.recipient}.get(action)
    if who is None:
        messages.error(request, _("Action inconnue."))
        return
    try:
        meetings.no_show(actor=request.user, meeting=meeting, participant=who, request=request)
    except MarketError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s noté absent.") % {"name": who.name})


def _csv(market: Market, day: datetime.date, placed) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rendez-vous-{market.slug}-{day:%Y-%m-%d}.csv"'
    response.write("\ufeff")
    out = csv.writer(response, delimiter=";")
    out.writerow(
        [_("Heure"), _("Espace"), _("Table"), _("Demandeur"), _("Organisation"), _("Invité"),
         _("Organisation"), _("Objet"), _("Absent")]
    )  # fmt: skip
    for meeting in placed:
        absent = {meeting.requester_id: meeting.requester, meeting.recipient_id: meeting.recipient}.get(
            meeting.no_show_id
        )
        out.writerow(
            [
                formats.time_format(timezone.localtime(meeting.slot.starts_at, market.venue.tzinfo), "H:i"),
                meeting.table.area if meeting.table_id else "",
                meeting.table.number if meeting.table_id else "",
                meeting.requester.name,
                meeting.requester.organisation_name,
                meeting.recipient.name,
                meeting.recipient.organisation_name,
                meeting.topic,
                absent.name if absent else "",
            ]
        )
    return response
