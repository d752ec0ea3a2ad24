"""The audiences that hold no named ticket for a seat, on the audiences board: groups and classes (one
booking, counted at the door) and online viewers (a personal access link). They are not people of the
`AudienceMonth` rollup: a class of 25 is one booking, not 25 known persons, and an online viewer takes no
place. Both are read at once from their own tables, for the performances of the period (a few hundred rows
at a venue's scale), and hidden under the network's minimum like every other count."""

import datetime
from collections import defaultdict

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.groups.models import Audience, BookingState, GroupBooking
from parvis.online.models import ContentKind, OnlineAccess, OnlineContent
from parvis.ticketing.models import Ticket, TicketState

from .boards import Chart, Filters, bar_chart, cell_text

CAME = (BookingState.VISITED, BookingState.INVOICED, BookingState.PAID)


def _dates(organizer_ids: list[int], f: Filters, prefix: str) -> Q:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(f.start, datetime.time.min, tz)
    end = datetime.datetime.combine(f.end + datetime.timedelta(days=1), datetime.time.min, tz)
    where = Q(
        **{
            f"{prefix}organizer_id__in": organizer_ids,
            f"{prefix}starts_at__gte": start,
            f"{prefix}starts_at__lt": end,
        }
    )
    if f.venue:  # like the rest of the board, by venue only (not by show or genre)
        where &= Q(**{f"{prefix}venue": f.venue})
    return where


def groups_chart(organizer_ids: list[int], f: Filters, hide) -> Chart:
    """Groups that came in the period by kind of group: visits, pupils and adults counted at the door; and
    the bookings of the period that never came."""
    came, absent = defaultdict(lambda: [0, 0, 0]), defaultdict(int)
    for audience, state, pupils, adults in GroupBooking.objects.filter(
        _dates(organizer_ids, f, "performance__"), state__in=[*CAME, BookingState.NO_SHOW]
    ).values_list("audience", "state", "final_pupils", "final_adults"):
        if state == BookingState.NO_SHOW:
            absent[audience] += 1
            continue
        row = came[audience]
        row[0], row[1], row[2] = row[0] + 1, row[1] + (pupils or 0), row[2] + (adults or 0)
    rows = [
        [str(label), hide(came[kind][0]), hide(came[kind][1]), hide(came[kind][2]), hide(absent[kind])]
        for kind, label in Audience.choices
        if kind in came or kind in absent
    ]
    visits = sum(v[0] for v in came.values())
    people = sum(v[1] + v[2] for v in came.values())
    summary = (
        _("%(visits)s groupes venus, %(people)s personnes comptées à l'accueil ; %(absent)s absents.")
        % {
            "visits": cell_text(hide(visits)),
            "people": cell_text(hide(people)),
            "absent": cell_text(hide(sum(absent.values()))),
        }
        if rows
        else _("Aucun groupe sur cette période.")
    )
    return bar_chart(
        "groups",
        _("Groupes et scolaires"),
        summary,
        [_("Type de groupe"), _("Visites"), _("Élèves ou participants"), _("Accompagnateurs"), _("Absents")],
        rows,
        value=2,
    )


def online_chart(organizer_ids: list[int], f: Filters, hide) -> Chart:
    """Online access by content kind: given (the valid tickets that open it, whether or not their link was
    made yet, and the accesses of member cards, guests and classes) and opened at least once (viewers)."""
    given, opened = defaultdict(int), defaultdict(int)
    contents = {  # the period's dates with online content: few, so the tickets are read by their dates
        performance: (kind, holders)
        for performance, kind, holders in OnlineContent.objects.filter(
            _dates(organizer_ids, f, "performance__")
        ).values_list("performance_id", "kind", "ticket_holders")
    }
    if not contents:
        return _online([], 0, 0)
    holders = [pk for pk, (_kind, all_tickets) in contents.items() if all_tickets]
    for performance, n in (
        Ticket.objects.filter(performance_id__in=list(contents), state=TicketState.VALID)
        .filter(Q(tariff__online=True) | Q(performance_id__in=holders))
        .values("performance_id")
        .annotate(n=Count("id"))
        .values_list("performance_id", "n")
        .order_by()
    ):
        given[contents[performance][0]] += n
    accesses = OnlineAccess.objects.filter(
        content__performance_id__in=list(contents), revoked_at__isnull=True
    )
    for content_kind, others, seen in (
        accesses.values("content__kind")
        .annotate(
            others=Count("id", filter=Q(ticket__isnull=True)),
            seen=Count("id", filter=Q(first_opened_at__isnull=False)),
        )
        .values_list("content__kind", "others", "seen")
        .order_by()
    ):
        given[content_kind] += others
        opened[content_kind] += seen
    rows = [
        [str(label), hide(given[value]), hide(opened[value])]
        for value, label in ContentKind.choices
        if given[value] or opened[value]
    ]
    return _online(rows, hide(sum(given.values())), hide(sum(opened.values())))


def _online(rows: list[list], given, opened) -> Chart:
    summary = (
        _("%(opened)s accès ouverts sur %(given)s donnés : des spectateurs qui n'occupent pas de place.")
        % {"opened": cell_text(opened), "given": cell_text(given)}
        if rows
        else _("Aucun accès en ligne sur cette période.")
    )
    return bar_chart(
        "online",
        _("Spectateurs en ligne"),
        summary,
        [_("Contenu"), _("Accès donnés"), _("Accès ouverts")],
        rows,
        value=2,
    )
