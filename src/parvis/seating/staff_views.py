"""Staff pages of the seating: the organizer's seat plans (made by the generator, or imported from
pretix's JSON or a CSV, every fault of a file listed), and a date's numbered seats (its plan and which
tariffs sell each category, the seats the venue keeps, released by staff)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from parvis.core.params import int_or_none
from parvis.network.models import Space
from parvis.network.permissions import Perm, has_organizer_perm, require_organizer_perm
from parvis.programming.models import Performance
from parvis.ticketing.errors import SaleError

from . import drawing, editor, plans
from .claims import SeatTaken
from .models import CategoryTariff, ClaimState, Seat, SeatClaim, SeatedPerformance, SeatPlan
from .selectors import free_seats, layout_of
from .services import quality_paint, seating_put_on_sale, seats_keep, seats_release

MAX_UPLOAD = 5 * 1024 * 1024


@login_required
def plan_list(request, organizer_slug: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.PROGRAMMING_VIEW)
    spaces = (
        Space.objects.filter(venue__organizer=organizer)
        .select_related("venue")
        .order_by("venue__name", "name")
    )
    problems: list[str] = []
    if request.method == "POST":
        if not has_organizer_perm(request.user, organizer, Perm.PROGRAMMING_CHANGE):
            raise PermissionDenied
        space = spaces.filter(pk=int_or_none(request.POST.get("space", ""))).first()
        if space is None:
            problems.append(_("Choisissez une salle de vos lieux."))
        else:
            try:
                plan = plans.plan_save(space, _draft(request), source=request.POST.get("how", "generator"))
            except plans.PlanInvalid as exc:
                problems = exc.problems
            else:
                messages.success(
                    request,
                    _("Plan « %(name)s » enregistré (version %(v)s).")
                    % {"name": plan.name, "v": plan.version},
                )
                return redirect("staff:seat_plan", organizer.slug, plan.pk)
    found = (
        SeatPlan.objects.filter(space__in=spaces)
        .select_related("space__venue")
        .annotate(seat_count=Count("seats"))
        .order_by("space__venue__name", "space__name", "-version")
    )
    return render(
        request,
        "seating/staff/plans.html",
        {
            "organizer": organizer,
            "plans": found,
            "spaces": spaces,
            "problems": problems,
            "can_change": has_organizer_perm(request.user, organizer, Perm.PROGRAMMING_CHANGE),
            "post": request.POST if problems else {},
        },
        status=400 if problems else 200,
    )


def _draft(request) -> plans.Draft:
    how, name = request.POST.get("how", ""), request.POST.get("name", "").strip()[:200] or _("Plan")
    if how in ("pretix", "csv"):
        upload = request.FILES.get("file")
        if upload is None:
            raise plans.PlanInvalid([_("Choisissez un fichier.")])
        if upload.size > MAX_UPLOAD:
            raise plans.PlanInvalid([_("Ce fichier dépasse 5 Mo.")])
        content = upload.read()
        return plans.from_pretix(content) if how == "pretix" else plans.from_csv(content, name=name)
    if how != "generator":
        raise plans.PlanInvalid([_("Choisissez comment faire le plan.")])
    aisles = [
        int_or_none(a.strip())
        for a in request.POST.get("aisles", "").replace(";", ",").split(",")
        if a.strip()
    ]
    if None in aisles:
        raise plans.PlanInvalid([_("Les allées se donnent par numéros de place, séparés par des virgules.")])
    try:
        curve = float(request.POST.get("curve", "0").replace(",", ".") or 0)
    except ValueError:
        curve = -1
    if not 0 <= curve <= 1:
        raise plans.PlanInvalid([_("La courbure va de 0 (droit) à 1.")])
    return plans.generate(
        name=name,
        rows=int_or_none(request.POST.get("rows", "")) or 0,
        seats_per_row=int_or_none(request.POST.get("seats", "")) or 0,
        aisles_after=aisles,
        curve=curve,
        numbering=request.POST.get("numbering", "odd_even"),
        category=request.POST.get("category", "").strip()[:100],
    )


@login_required
def plan_detail(request, organizer_slug: str, plan_pk: int):
    """A plan, and its editor: seats selected on the map (`?places=`) or in the list, then edited; each edit
    writes the hall's next version (dates on sale keep theirs)."""
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.PROGRAMMING_VIEW)
    plan = get_object_or_404(
        SeatPlan.objects.select_related("space__venue"), pk=plan_pk, space__venue__organizer=organizer
    )
    can_change = has_organizer_perm(request.user, organizer, Perm.PROGRAMMING_CHANGE)
    problems: list[str] = []
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        try:
            new = editor.plan_edit(plan, _edit(request))
        except plans.PlanInvalid as exc:
            problems = exc.problems
        else:
            messages.success(request, _("Version %(v)s enregistrée.") % {"v": new.version})
            return redirect("staff:seat_plan", organizer.slug, new.pk)
    seats = list(plan.seats.select_related("category").order_by("zone", "row_index", "x"))
    ids = {seat.pk for seat in seats}
    raw = (
        ",".join(request.POST.getlist("place")) if request.method == "POST" else request.GET.get("places", "")
    )
    chosen = [pk for pk in dict.fromkeys(int_or_none(p) for p in raw.split(",")) if pk in ids]
    selected = set(chosen)
    return render(
        request,
        "seating/staff/plan.html",
        {
            "organizer": organizer,
            "plan": plan,
            "can_change": can_change,
            "problems": problems,
            "svg": drawing.seat_map_svg(
                plan,
                seats,
                ids - selected,
                selected,
                request.path,
                standing=drawing.standing_for_plan(
                    plan.standing_areas.select_related("category").order_by("pk")
                ),
            ),  # fmt: skip
            "rows": drawing.rows_for_list(seats, ids - selected, selected),
            "chosen": [s for s in seats if s.pk in selected],
            "chosen_ids": ",".join(str(pk) for pk in chosen),
            "categories": plan.categories.annotate(n=Count("seats")),
            "standing": plan.standing_areas.select_related("category"),
            "seat_count": len(seats),
            "latest": SeatPlan.objects.filter(space=plan.space).order_by("-version").first(),
            "in_use": plan.performances.count(),
        },
    )


def _edit(request) -> editor.Edit:
    raw = request.POST.getlist("place")
    data = request.POST

    def given(key):
        return data[key] if data.get(key, "").strip() else None

    return editor.Edit(
        action=data.get("action", ""),
        seat_ids=[pk for pk in (int_or_none(p) for p in raw) if pk is not None],
        category=data.get("new_category", "").strip() or data.get("category", ""),
        flag=data.get("flag", ""),
        note=data.get("note", ""),
        zone=given("zone"),
        row=given("row"),
        number=given("number"),
        area=data.get("area", ""),
        capacity=int_or_none(data.get("capacity", "")),
    )


@login_required
def performance_seating(request, organizer_slug: str, performance_pk: int):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.PROGRAMMING_VIEW)
    performance = get_object_or_404(
        Performance.objects.select_related("event", "venue"), pk=performance_pk, organizer=organizer
    )
    can_change = has_organizer_perm(request.user, organizer, Perm.PROGRAMMING_CHANGE)
    seated = SeatedPerformance.objects.select_related("plan").filter(performance=performance).first()
    plans_here = SeatPlan.objects.filter(space__venue__organizer=organizer).select_related("space__venue")
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        done = _seating_post(request, organizer, performance, seated, plans_here)
        if done is not None:
            return done
        seated = SeatedPerformance.objects.select_related("plan").filter(performance=performance).first()
    context = {
        "organizer": organizer,
        "performance": performance,
        "event": performance.event,
        "seated": seated,
        "plans": plans_here.order_by("space__name", "-version"),
        "tariffs": list(performance.tariffs.all()),
        "can_change": can_change,
    }
    if seated is not None:
        layout = layout_of(seated.plan, performance.pk)
        free = free_seats(layout, performance.pk)
        seats = list(seated.plan.seats.select_related("category").order_by("zone", "row_index", "x"))
        for seat in seats:
            seat.quality = layout.places[seat.pk].quality
        mapped = set(CategoryTariff.objects.filter(seated=seated).values_list("category_id", "tariff_id"))
        kept_claims = list(
            SeatClaim.objects.filter(performance=performance, state=ClaimState.KEPT).select_related("seat")
        )
        kept = {claim.seat_id: claim.get_kept_display() for claim in kept_claims}
        heat = request.GET.get("qualite") == "1"  # the seats coloured by their quality
        # Seats selected on the map (`?places=`) are ticked in the list: kept, released or given a quality.
        raw = request.GET.get("places", "").split(",")
        selected = {pk for pk in (int_or_none(p) for p in raw) if pk in free or pk in kept}
        context.update(
            {
                "categories": [
                    {"category": c, "tariffs": [(t, (c.pk, t.pk) in mapped) for t in context["tariffs"]]}
                    for c in seated.plan.categories.all()
                ],
                "svg": drawing.seat_map_svg(
                    seated.plan,
                    seats,
                    free,
                    selected,
                    request.path + ("?qualite=1" if heat else ""),
                    standing=drawing.standing_for_plan(
                        seated.plan.standing_areas.select_related("category").order_by("pk")
                    ),
                    kept=kept,
                    heat=heat,
                ),  # fmt: skip
                "heat": heat,
                "heat_legend": drawing.heat_legend() if heat else [],
                "rows": drawing.rows_for_list(seats, free, selected, kept=kept),
                "selected": [s for s in seats if s.pk in selected],
                "kept": kept_claims,
                "kinds": SeatClaim.Kept.choices,
            }
        )
    return render(request, "seating/staff/performance.html", context)


def _seating_post(request, organizer, performance, seated, plans_here):
    action = request.POST.get("action", "")
    try:
        if action == "on_sale":
            plan = plans_here.filter(pk=int_or_none(request.POST.get("plan", ""))).first()
            if plan is None:
                raise SaleError("unknown_seat")
            mapping: dict[int, list[int]] = {}
            for category in plan.categories.all():
                ids = [int_or_none(v) for v in request.POST.getlist(f"cat-{category.pk}")]
                mapping[category.pk] = [i for i in ids if i is not None]
            seating_put_on_sale(
                actor=request.user, performance=performance, plan=plan, tariffs_by_category=mapping
            )
            messages.success(request, _("Cette date se vend maintenant en placement numéroté."))
        elif action in ("quality", "quality_reset") and seated is not None:
            ids = [i for i in (int_or_none(v) for v in request.POST.getlist("place")) if i is not None]
            ids = list(Seat.objects.filter(plan=seated.plan, pk__in=ids).values_list("pk", flat=True))
            score = None if action == "quality_reset" else int_or_none(request.POST.get("score", ""))
            if action == "quality" and score is None:
                raise SaleError("invalid_quantity")
            n = quality_paint(
                actor=request.user, performance=performance, seat_ids=ids, score=score, request=request
            )
            messages.success(request, _("Qualité de %(n)s places enregistrée.") % {"n": n})
        elif action in ("keep", "release") and seated is not None:
            ids = [i for i in (int_or_none(v) for v in request.POST.getlist("place")) if i is not None]
            ids = list(Seat.objects.filter(plan=seated.plan, pk__in=ids).values_list("pk", flat=True))
            if action == "keep":
                kind = request.POST.get("kind", "")
                if kind not in SeatClaim.Kept.values:
                    kind = SeatClaim.Kept.HOUSE
                seats_keep(
                    actor=request.user, performance=performance, seat_ids=ids, kind=kind, request=request
                )
                messages.success(request, _("%(n)s places gardées.") % {"n": len(ids)})
            else:
                n = seats_release(actor=request.user, performance=performance, seat_ids=ids, request=request)
                messages.success(request, _("%(n)s places libérées : elles sont en vente.") % {"n": n})
        else:
            return None
    except SeatTaken:
        messages.error(request, _("Certaines de ces places sont déjà prises : rien n'a été gardé."))
    except SaleError as exc:
        messages.error(request, exc.message)
    return redirect("staff:seating_performance", organizer.slug, performance.pk)
