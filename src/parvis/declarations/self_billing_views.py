"""The network's self-billed invoices: per month, each member's invoice to the network's seller (made once
the month is over, from the settlement), checked against the settlement to the cent; each as a PDF, for
the network's staff and for the member's."""

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from parvis.core.params import date_or_none, int_or_none
from parvis.network.permissions import Perm, has_organizer_perm, network_perms, require_network_perm
from parvis.passes.settlements import statement_build

from . import self_billing, self_billing_paid
from .models import SelfBillingInvoice
from .pdf import self_billing_pdf
from .tax_views import month_nav, month_param


@login_required
def network_self_billing(request, network_slug: str):
    network = require_network_perm(request.user, network_slug, Perm.NETWORK_SETTLEMENTS)
    year, month = month_param(request.GET.get("mois", "") or request.POST.get("mois", ""))
    if request.method == "POST" and request.POST.get("action") == "pay":
        _pay(request, network)
        return redirect(f"{request.path}?mois={year}-{month:02d}")
    if request.method == "POST":
        made = self_billing.issue_month(network, year, month)
        if self_billing.month_bounds(year, month)[1] > timezone.now():
            messages.error(request, _("Le mois n'est pas terminé : les autofactures sont établies ensuite."))
        else:
            corrected = self_billing.correct_month(network, year, month)
            messages.success(
                request,
                _("%(n)s autofactures établies, %(c)s avoirs ou factures rectificatives.")
                % {"n": len(made), "c": len(corrected)},
            )
        return redirect(f"{request.path}?mois={year}-{month:02d}")
    invoices = list(
        SelfBillingInvoice.objects.filter(network=network, period=f"{year}-{month:02d}")
        .select_related("organizer", "seller", "corrects")
        .prefetch_related("payments")
        .order_by("organizer__name", "pk")
    )
    for invoice in invoices:
        invoice.left = self_billing_paid.remaining(invoice)
    statement = statement_build(network=network, start=self_billing.month_bounds(year, month)[0],
                                end=self_billing.month_bounds(year, month)[1])  # fmt: skip
    members = {row.organizer_id: row for row in statement.rows}
    billed: dict[int, Decimal] = defaultdict(Decimal)  # the member's documents of the month, summed
    for invoice in invoices:
        billed[invoice.organizer_id] += invoice.total
    checks = [(invoice, members.get(invoice.organizer_id)) for invoice in invoices]
    return render(
        request,
        "declarations/self_billing.html",
        {
            **month_nav(year, month),
            "network": network,
            "checks": checks,
            "today": timezone.localdate(),
            "agree": all(
                members.get(organizer) is not None and members[organizer].total == total
                for organizer, total in billed.items()
            ),
        },
    )


@login_required
def self_billing_file(request, pk: int):
    invoice = get_object_or_404(
        SelfBillingInvoice.objects.select_related("network", "organizer", "seller"), pk=pk
    )
    allowed = Perm.NETWORK_SETTLEMENTS in network_perms(request.user, invoice.network) or has_organizer_perm(
        request.user, invoice.organizer, Perm.SALES_VIEW
    )
    if not allowed:
        raise Http404
    response = HttpResponse(self_billing_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
    return response


def _pay(request, network) -> None:
    """The seller's payment of a member's document (all that remains unless an amount is given)."""
    invoice = SelfBillingInvoice.objects.filter(
        network=network, pk=int_or_none(request.POST.get("invoice", ""))
    ).first()
    paid_on = date_or_none(request.POST.get("paid_on", ""))
    raw = request.POST.get("amount", "").strip().replace(",", ".").replace(" ", "")
    try:
        amount = Decimal(raw) if raw else None
    except ArithmeticError:
        amount = Decimal(0)  # refused below, with what remains
    if amount is not None and not amount.is_finite():
        amount = Decimal(0)
    if invoice is None or paid_on is None:
        messages.error(request, _("Indiquez l'autofacture et la date du paiement."))
        return
    try:
        payment = self_billing_paid.payment_record(
            invoice=invoice, paid_on=paid_on, amount=amount, actor=request.user, request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return
    messages.success(
        request,
        _("Paiement de %(amount)s € enregistré pour %(n)s, le %(day)s.")
        % {
            "amount": f"{payment.amount:.2f}".replace(".", ","),
            "n": invoice.number,
            "day": date_format(paid_on),
        },
    )
