"""The tax inspector's view (a read-only role per organizer, `Perm.INSPECT`): any ticket found by its
number (or its order's code) with its sale, its payments, its cancellation, its reprints and its scans;
the statements and the till journal as they stand. Every access by that role is written in the audit
log: who looked, when, for what."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render

from parvis.boxoffice.journal import verify as journal_verify
from parvis.boxoffice.models import Chain, JournalEntry, Reprint
from parvis.checkin.models import Scan
from parvis.core.audit import audit_record
from parvis.core.models import AuditLogEntry
from parvis.core.params import is_digits
from parvis.network.models import Organizer
from parvis.network.permissions import Perm, organizer_perms
from parvis.ticketing.models import Payment, Ticket

MAX_FOUND = 50


def organizer_for(request, organizer_slug: str, *, perm: Perm = Perm.SALES_VIEW) -> tuple[Organizer, bool]:
    """The organizer, for staff with `perm` or an inspector (True: the access is to be logged)."""
    organizer = Organizer.objects.filter(slug=organizer_slug).first()
    perms = organizer_perms(request.user, organizer) if organizer else set()
    if not perms:
        raise Http404
    if perm in perms:
        return organizer, False
    if Perm.INSPECT in perms:
        return organizer, True
    raise PermissionDenied


def access_log(request, organizer, what: str, **details) -> None:
    audit_record(
        actor=request.user,
        action="inspector.access",
        instance=organizer,
        organizer_id=organizer.pk,
        after={"page": what, **details},
        request=request,
    )


def tickets_found(organizer, q: str) -> list[Ticket]:
    """Tickets of the organizer by number (every performance's ticket of that number) or order code."""
    q = q.strip()
    tickets = (
        Ticket.objects.filter(organizer=organizer)
        .select_related("order", "performance__event", "performance__venue", "tariff")
        .prefetch_related(Prefetch("order__payments", queryset=Payment.objects.order_by("pk")))
    )
    if is_digits(q, max_len=9):  # through the organizer's dates in order: one index probe per date
        found = tickets.filter(performance__organizer=organizer, number=int(q))
    elif q:
        found = tickets.filter(order__code=q.upper())  # codes are upper case: the unique index answers
    else:
        return []
    found = list(found.order_by("performance__starts_at", "number")[:MAX_FOUND])
    ids = [t.pk for t in found]
    reprints, scans = {}, {}
    for reprint in Reprint.objects.filter(ticket_id__in=ids).select_related("staff").order_by("at"):
        reprints.setdefault(reprint.ticket_id, []).append(reprint)
    for scan in Scan.objects.filter(ticket_id__in=ids).select_related("gate").order_by("scanned_at"):
        scans.setdefault(scan.ticket_id, []).append(scan)
    orders = {t.order_id for t in found}
    history: dict[int, list] = {}
    for entry in AuditLogEntry.objects.filter(
        object_type="ticketing.order", object_id__in=[str(o) for o in orders]
    ).order_by("created_at"):
        history.setdefault(int(entry.object_id), []).append(entry)
    for ticket in found:
        ticket.reprints = reprints.get(ticket.pk, [])
        ticket.scan_list = scans.get(ticket.pk, [])
        ticket.history = history.get(ticket.order_id, [])
        ticket.payment_list = list(ticket.order.payments.all())  # read with the tickets, in order
    return found


@login_required
def inspector(request, organizer_slug: str):
    organizer, logged = organizer_for(request, organizer_slug, perm=Perm.AUDIT_VIEW)
    q = request.GET.get("billet", "")[:40]
    found = tickets_found(organizer, q) if q else []
    if logged:
        access_log(request, organizer, "tickets", query=q, found=len(found))
    journal = JournalEntry.objects.filter(organizer=organizer, chain=Chain.LIVE).order_by("-seq")[:30]
    return render(
        request,
        "declarations/inspector.html",
        {
            "organizer": organizer,
            "query": q,
            "found": found,
            "journal": journal,
            "journal_ok": journal_verify(organizer, Chain.LIVE).ok,
        },
    )
