"""Staff pages of the ticketing: tariffs and quotas of a date; orders (search, cancel, refund, resend)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.core.audit import audit_record
from parvis.core.audit_reading import entry_changes
from parvis.core.models import AuditLogEntry
from parvis.core.money import Money, format_money
from parvis.core.params import id_param, int_or_none
from parvis.network.permissions import Perm, has_organizer_perm, require_organizer_perm
from parvis.programming.models import Performance

from . import extensions, inventory, promo, services
from .errors import SaleError
from .models import (
    Channel,
    Order,
    PromoCode,
    Quota,
    SalesConfig,
    Tariff,
    Ticket,
    TicketState,
    Voucher,
)
from .staff_forms import (
    CancelPerformanceForm,
    CapacityForm,
    PromoCodeForm,
    QuotaForm,
    SalesConfigForm,
    SlotsForm,
    TariffForm,
)
from .tasks import send_order_confirmation
from .vouchers import normalise_code, voucher_extend


def _tariff_add(request, performance, form, total):
    services.tariff_create(actor=request.user, performance=performance, request=request, **form.cleaned_data)
    return _("Tarif ajouté.")


def _quota_add(request, performance, form, total):
    if total is None:
        raise ValidationError(_("Ajoutez d'abord un tarif : il crée la jauge totale."))
    services.quota_create(actor=request.user, performance=performance, request=request, **form.cleaned_data)
    return _("Contingent ajouté.")


def _capacity_set(request, performance, form, total):
    if total is None:
        return None
    services.quota_set_capacity(
        actor=request.user, quota=total, capacity=form.cleaned_data["capacity"], request=request
    )
    return _("Jauge modifiée.")


def _config_save(request, performance, form, total):
    form.save()
    return _("Paramètres de vente enregistrés.")


def _slots_add(request, performance, form, total):
    made = services.timed_slots_create(
        actor=request.user, performance=performance, request=request, **form.cleaned_data
    )
    return _("%(n)d créneaux créés.") % {"n": len(made)}


def _date_cancel(request, performance, form, total):
    n = services.performance_cancel(
        actor=request.user, performance=performance, reason=form.cleaned_data["reason"], request=request
    )
    return _("Date annulée ; %(n)d commande(s) remboursée(s) et prévenue(s).") % {"n": n}


# The forms of a date's sales page: each bound from the POST, then its action (which says what it did).
_SALES_FORMS = {
    "tariff": (lambda data, performance, config: TariffForm(data, prefix="tariff"), _tariff_add),
    "quota": (
        lambda data, performance, config: QuotaForm(data, prefix="quota", performance=performance),
        _quota_add,
    ),
    "capacity": (lambda data, performance, config: CapacityForm(data, prefix="capacity"), _capacity_set),
    "config": (
        lambda data, performance, config: SalesConfigForm(data, prefix="config", instance=config),
        _config_save,
    ),
    "slots": (lambda data, performance, config: SlotsForm(data, prefix="slots"), _slots_add),
    "cancel": (lambda data, performance, config: CancelPerformanceForm(data, prefix="cancel"), _date_cancel),
}


def _sales_form_post(request, performance, which: str, forms: dict, *, config, total):
    """One form of the sales page posted: its action done (a redirect), or its errors kept in `forms`."""
    bind, action = _SALES_FORMS[which]
    form = forms[which] = bind(request.POST, performance, config)
    try:
        if form.is_valid():
            message = action(request, performance, form, total)
            if message is not None:
                messages.success(request, message)
                return redirect(request.path)
    except SaleError as exc:
        form.add_error(None, exc.message)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
    return None


@login_required
def performance_sales(request, organizer_slug: str, performance_pk: int):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.PROGRAMMING_VIEW)
    performance = get_object_or_404(
        Performance.objects.select_related("event", "venue"), pk=performance_pk, organizer=organizer
    )
    can_change = has_organizer_perm(request.user, organizer, Perm.PROGRAMMING_CHANGE)
    can_cancel = can_change and has_organizer_perm(request.user, organizer, Perm.SALES_CHANGE)
    config = SalesConfig.objects.filter(performance=performance).first() or SalesConfig(
        performance=performance
    )
    total = Quota.objects.filter(performance=performance, is_total=True).first()
    forms = {
        "tariff": TariffForm(prefix="tariff"),
        "quota": QuotaForm(prefix="quota", performance=performance),
        "capacity": CapacityForm(prefix="capacity", initial={"capacity": total.capacity if total else None}),
        "config": SalesConfigForm(prefix="config", instance=config),
        "cancel": CancelPerformanceForm(prefix="cancel"),
        "slots": SlotsForm(prefix="slots"),
    }
    if request.method == "POST":
        which = request.POST.get("form")
        if which not in forms or not can_change or (which == "cancel" and not can_cancel):
            raise PermissionDenied
        done = _sales_form_post(request, performance, which, forms, config=config, total=total)
        if done is not None:
            return done
    has_errors = any(f.errors for f in forms.values())
    quotas = Quota.objects.filter(performance=performance).prefetch_related("tariffs")
    left = inventory.availability(performance_ids=[performance.pk], channel=Channel.ONLINE)
    tariffs = [(t, left.get(t.pk, 0)) for t in performance.tariffs.all()]
    notes = [note for notes_of in extensions.performance_notes for note in notes_of(performance)]
    sold = Ticket.objects.filter(performance=performance, state=TicketState.VALID).count()
    return render(
        request,
        "ticketing/staff/performance_sales.html",
        {
            "organizer": organizer,
            "performance": performance,
            "event": performance.event,
            "forms": forms,
            "quotas": quotas,
            "tariffs": tariffs,
            "notes": notes,
            "sold": sold,
            "unlimited": inventory.ONLINE_UNLIMITED,
            "can_change": can_change,
            "can_cancel": can_cancel,
            "waiting": performance.waiting_entries.filter(state__in=["waiting", "offered"]).select_related(
                "tariff"
            ),
        },
        status=400 if has_errors else 200,
    )


@login_required
def order_list(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.SALES_VIEW)
    orders = Order.objects.filter(organizer=organizer).order_by("-created_at")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        orders = orders.filter(
            Q(code__iexact=query)
            | Q(email__icontains=query)
            | Q(last_name__icontains=query)
            | Q(first_name__icontains=query)
        )
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    return render(
        request, "ticketing/staff/order_list.html", {"organizer": organizer, "page": page, "q": query}
    )


@login_required
def order_detail(request, organizer_slug: str, code: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.SALES_VIEW)
    order = get_object_or_404(Order, organizer=organizer, code=code)
    can_change = has_organizer_perm(request.user, organizer, Perm.SALES_CHANGE)
    tickets = order.tickets.select_related("performance__event", "performance__venue", "tariff").order_by(
        "number"
    )
    exchange_targets = (
        Tariff.objects.filter(
            performance__organizer=organizer,
            is_active=True,
            performance__starts_at__gt=timezone.now(),
            performance__status="published",
        )
        .select_related("performance__event")
        .order_by("performance__starts_at", "position")[:200]
    )
    history = AuditLogEntry.objects.filter(object_type="ticketing.order", object_id=str(order.pk)).order_by(
        "created_at"
    )
    history = [(entry, entry_changes(entry, skip_empty=True)) for entry in history]
    return render(
        request,
        "ticketing/staff/order_detail.html",
        {
            "organizer": organizer,
            "order": order,
            "tickets": tickets,
            "counter_url": reverse("staff:boxoffice", args=[organizer.slug]) + f"?commande={order.code}",
            "payments": order.payments.order_by("id"),
            "history": history,
            "can_change": can_change,
            "state": services.order_effective_state(order),
            "exchange_targets": exchange_targets,
            "can_see_contact": has_organizer_perm(request.user, organizer, Perm.CRM_VIEW),
        },
    )


@login_required
@require_POST
def order_action(request, organizer_slug: str, code: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.SALES_CHANGE)
    order = get_object_or_404(Order, organizer=organizer, code=code)
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")[:300]
    try:
        counter_money = order.channel == Channel.BOX_OFFICE or request.POST.get("difference_paid") == "on"
        refunds = ("cancel", "cancel_voucher", "refund_ticket", "refund_ticket_voucher", "exchange")
        if action in refunds and counter_money and order.state != "pending":
            # Money paid or given back at the counter goes through the till and its journal.
            raise SaleError("counter_only")
        if action == "cancel":
            with transaction.atomic(), services.refund_noticed(order):  # the buyer is told what comes back
                services.order_cancel(order=order, actor=request.user, reason=reason)
            messages.success(request, _("Commande annulée."))
        elif action == "refund_ticket":
            ticket = get_object_or_404(Ticket, order=order, pk=id_param(request.POST, "ticket"))
            with transaction.atomic(), services.refund_noticed(order):
                services.tickets_refund(tickets=[ticket], actor=request.user, reason=reason, request=request)
            messages.success(request, _("Billet remboursé."))
        elif action in ("cancel_voucher", "refund_ticket_voucher") and order.state != "pending":
            tickets = None
            if action == "refund_ticket_voucher":
                tickets = [get_object_or_404(Ticket, order=order, pk=id_param(request.POST, "ticket"))]
            voucher = services.refund_as_voucher(
                order=order, tickets=tickets, actor=request.user, reason=reason, request=request
            )
            messages.success(
                request,
                _("Remboursé en avoir : bon cadeau %(code)s de %(amount)s, envoyé à %(email)s.")
                % {
                    "code": voucher.code,
                    "amount": format_money(Money(voucher.initial_value, voucher.currency)),
                    "email": order.email,
                },
            )
        elif action == "exchange":
            ticket = get_object_or_404(Ticket, order=order, pk=id_param(request.POST, "ticket"))
            target = request.POST.get("tariff", "")
            services.ticket_exchange(
                ticket=ticket,
                tariff_id=int_or_none(target) or 0,
                actor=request.user,
                difference_paid=request.POST.get("difference_paid") == "on",
                request=request,
            )
            messages.success(request, _("Billet échangé ; les nouveaux billets sont envoyés."))
        elif action == "mark_paid" and order.state == "pending":
            payment = order.payments.filter(provider="transfer", state__in=["created", "pending"]).first()
            if payment is None:
                raise SaleError("order_not_payable")
            order = services.payment_confirm(payment_id=payment.pk, reference=f"virement {reason}".strip())
            if order.state == "paid":
                messages.success(request, _("Paiement enregistré ; les billets sont envoyés."))
            else:
                messages.error(
                    request, _("Les places ont été revendues entre-temps : le virement est à rembourser.")
                )
        elif action == "resend" and order.state in ("paid", "partially_refunded"):
            send_order_confirmation.enqueue(order_id=order.pk, resend=True)
            messages.success(request, _("Les billets ont été renvoyés à %(email)s.") % {"email": order.email})
        else:
            messages.error(request, _("Action impossible."))
    except SaleError as exc:
        messages.error(request, exc.message)
    return redirect("staff:order_detail", organizer_slug=organizer.slug, code=order.code)


@login_required
def promo_codes(request, organizer_slug: str):
    """Promo codes: the list with their uses, a new one, and switching one off."""

    organizer = require_organizer_perm(request.user, organizer_slug, Perm.ORGANIZER_SETTINGS)
    form = PromoCodeForm(request.POST or None, organizer=organizer)
    if request.method == "POST" and request.POST.get("deactivate"):
        code = get_object_or_404(PromoCode, organizer=organizer, pk=id_param(request.POST, "deactivate"))
        PromoCode.objects.filter(pk=code.pk).update(is_active=False)
        audit_record(actor=request.user, action="promo.deactivate", instance=code, organizer_id=organizer.pk)
        messages.success(request, _("Code désactivé."))
        return redirect(request.path)
    if request.method == "POST" and form.is_valid():
        code = form.save(commit=False)
        code.organizer = organizer
        code.save()
        form.save_m2m()
        audit_record(
            actor=request.user,
            action="promo.create",
            instance=code,
            organizer_id=organizer.pk,
            after={"code": code.code, "kind": code.kind, "value": str(code.value), "reason": code.reason},
        )
        messages.success(request, _("Code promo créé."))
        return redirect(request.path)
    codes = list(PromoCode.objects.filter(organizer=organizer).order_by("-created_at"))
    for code in codes:
        code.uses = promo.live_uses(code)
    return render(
        request,
        "ticketing/staff/promo_codes.html",
        {"organizer": organizer, "codes": codes, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def vouchers(request, organizer_slug: str):
    """Find a gift voucher by its code: balance, validity, every movement."""

    organizer = require_organizer_perm(request.user, organizer_slug, Perm.SALES_VIEW)
    can_change = has_organizer_perm(request.user, organizer, Perm.SALES_CHANGE)
    if request.method == "POST":
        return _voucher_extend(request, organizer, can_change)
    q = request.GET.get("code", "").strip()
    found = (
        Voucher.objects.filter(organizer=organizer, code=normalise_code(q))
        .prefetch_related("movements")
        .first()
        if q
        else None
    )
    recent = Voucher.objects.filter(organizer=organizer).order_by("-created_at")[:50]
    return render(
        request,
        "ticketing/staff/vouchers.html",
        {"organizer": organizer, "q": q, "found": found, "recent": recent, "can_change": can_change},
    )


def _voucher_extend(request, organizer, can_change: bool):
    """Staff keep a voucher valid for longer (the change is in the audit log)."""

    if not can_change:
        raise PermissionDenied
    voucher = get_object_or_404(Voucher, organizer=organizer, code=request.POST.get("code", ""))
    try:
        until = datetime.date.fromisoformat(request.POST.get("until", ""))
        voucher_extend(voucher=voucher, until=until, actor=request.user)
    except ValueError:
        messages.error(request, _("Date invalide."))
    except SaleError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Bon prolongé."))
    return redirect(f"{reverse('staff:vouchers', args=[organizer.slug])}?code={voucher.code}")
