"""The holder's side of a pass: buy it, see it, book performances with it, give an entry back."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.core.customers import signed_in_email
from parvis.core.params import id_param
from parvis.programming.models import Performance
from parvis.ticketing.errors import SaleError
from parvis.ticketing.providers import providers_without_places
from parvis.ticketing.public import payment_target

from . import selectors, services
from .forms import PassBuyForm, PassFindForm
from .models import PassEntry, PassHolding, PassProduct

SESSION_KEY = "parvis_passes"


def remember(request, holding: PassHolding) -> None:
    """This browser may use the pass from performance pages ("use my pass")."""
    known = request.session.get(SESSION_KEY, [])
    if holding.pk not in known:
        request.session[SESSION_KEY] = [*known, holding.pk][-5:]


def remembered_ids(request) -> list[int]:
    """The passes this browser may book with: those opened here, and the signed-in customer's."""

    ids = list(request.session.get(SESSION_KEY, []))
    email = signed_in_email(request)
    if email:
        states = PassHolding.objects.filter(email__iexact=email, state=PassHolding.State.ACTIVE)
        ids += list(states.values_list("pk", flat=True))
    return ids


def pass_buy(request, product_id: int):
    product = get_object_or_404(
        PassProduct.objects.select_related("organizer", "network"), pk=product_id, on_sale=True
    )
    if product.valid_until <= timezone.now():
        raise Http404
    providers = providers_without_places(product.price)
    form = PassBuyForm(request.POST or None, providers=providers, sellers=[product.organizer])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.pass_order_place(
                product=product,
                provider_code=data["provider"],
                buyer=form.buyer(),
            )
        except SaleError as exc:
            form.add_error(None, exc.message)
        else:
            for holding in order.pass_holdings.all():
                remember(request, holding)
            return redirect(payment_target(request, order, data["provider"]))
    count = services.eligible_performances(product).filter(starts_at__gt=timezone.now()).count()
    return render(
        request,
        "passes/buy.html",
        {"product": product, "form": form, "eligible_count": count},
        status=400 if form.errors else 200,
    )


def _holding(code: str, secret: str) -> PassHolding:
    holding = (
        PassHolding.objects.select_related("product__organizer", "product__network").filter(code=code).first()
    )
    if holding is None or not _same(holding.secret, secret):
        raise Http404
    return holding


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def holding_view(request, code: str, secret: str):
    """The holder's page: entries left, bookings (with their tickets), and what to book next."""
    holding = _holding(code, secret)
    if holding.state == PassHolding.State.ACTIVE:
        remember(request, holding)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "book":
                performance_id = id_param(request.POST, "performance")
                try:
                    entry = services.pass_book(
                        holding=holding,
                        performance_id=performance_id,
                        overlap_confirmed=request.POST.get("overlap_ok") == "1",
                    )
                except SaleError as exc:
                    if exc.code != "pass_overlap_confirm":
                        raise
                    messages.warning(request, exc.message)  # the page asks for the confirmation
                    return redirect(f"{holding.get_absolute_url()}?confirmer={performance_id}#confirm")
                messages.success(
                    request,
                    _("Réservé : %(event)s. Votre billet est envoyé par e-mail.")
                    % {"event": entry.performance.event.localized_title},
                )
            elif request.POST.get("action") == "cancel":
                entry = get_object_or_404(PassEntry, holding=holding, pk=id_param(request.POST, "entry"))
                services.pass_entry_cancel(entry=entry)
                messages.success(request, _("Réservation annulée : l'entrée est rendue à votre pass."))
        except SaleError as exc:
            messages.error(request, exc.message)
        except ValueError:
            messages.error(request, SaleError("pass_not_eligible").message)
        return redirect(holding.get_absolute_url())
    entries = selectors.holding_entries(holding)
    for entry in entries:
        entry.cancellable = services.cancellation_allowed(entry)
    filters = selectors.SuggestionFilters.of(request.GET)
    active = holding.state == "active" and holding.entries_left
    return render(
        request,
        "passes/holding.html",
        {
            "holding": holding,
            "product": holding.product,
            "entries": entries,
            "filters": filters,
            "choices": selectors.suggestion_choices(holding) if active else {},
            "suggestions": selectors.suggestions(holding, filters=filters) if active else [],
            "confirm": Performance.objects.select_related("event", "venue")
            .filter(pk=id_param(request.GET, "confirmer"))
            .first(),
        },
    )


@require_POST
def pass_use(request, performance_id: int):
    """ "Use my pass" on a performance page: a pass remembered in this browser, or one found by code and
    e-mail."""
    performance = get_object_or_404(Performance, pk=performance_id)
    holding = None
    if request.POST.get("holding"):
        holding = PassHolding.objects.filter(
            pk=id_param(request.POST, "holding"),
            id__in=remembered_ids(request),
        ).first()
    else:
        form = PassFindForm(request.POST)
        if form.is_valid():
            try:
                holding = services.holding_find(
                    code=form.cleaned_data["code"], email=form.cleaned_data["email"]
                )
            except SaleError as exc:
                messages.error(request, exc.message)
                return redirect("ticketing:performance", performance_id=performance.pk)
    if holding is None:
        messages.error(request, SaleError("pass_unknown").message)
        return redirect("ticketing:performance", performance_id=performance.pk)
    try:
        services.pass_book(holding=holding, performance_id=performance.pk)
    except SaleError as exc:
        messages.error(request, exc.message)
        return redirect("ticketing:performance", performance_id=performance.pk)
    remember(request, holding)
    messages.success(
        request,
        _("Réservé avec votre pass : %(event)s. Votre billet est envoyé par e-mail.")
        % {"event": performance.event.localized_title},
    )
    return redirect(holding.get_absolute_url())
