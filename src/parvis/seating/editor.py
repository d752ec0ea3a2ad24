"""The plan editor: seats selected on the map or in the list, then relabelled, moved to a category, flagged
or deleted. A plan version never changes (dates on sale keep theirs, and the best-available search keeps
its layout per version): each edit writes the hall's next version, made from the edited one."""

from collections import Counter
from dataclasses import dataclass, replace

from django.utils.translation import gettext as _

from .models import SeatPlan
from .plans import COLOURS, Draft, DraftSeat, PlanInvalid, plan_save

FLAG_NAMES = ("wheelchair", "companion", "restricted")


@dataclass
class Edit:
    """What to do to the selected seats (`seat_ids`): one action and its values."""

    action: str  # "category", "flag", "unflag", "relabel", "delete"
    seat_ids: list[int]
    category: str = ""  # an existing category's name, or a new one
    flag: str = ""
    note: str = ""
    zone: str | None = None  # relabel: what is given changes, what is None stays
    row: str | None = None
    number: str | None = None
    area: str = ""  # a standing area's name (added or removed)
    capacity: int | None = None


def draft_of(plan: SeatPlan) -> tuple[Draft, dict[int, int]]:
    """A plan back as a draft (its seats in the plan's order), and each seat's index in the draft."""
    draft = Draft(
        name=plan.name,
        categories={c.name: c.colour for c in plan.categories.all()},
        stage=(plan.stage_x, plan.stage_y),
        standing=[
            (a.name, a.category.name, a.capacity) for a in plan.standing_areas.select_related("category")
        ],
    )
    index = {}
    for seat in plan.seats.select_related("category").order_by("zone", "row_index", "block", "position"):
        index[seat.pk] = len(draft.seats)
        draft.seats.append(
            DraftSeat(
                zone=seat.zone,
                row=seat.row,
                number=seat.number,
                x=seat.x,
                y=seat.y,
                category=seat.category.name,
                guid=seat.guid,
                wheelchair=seat.wheelchair,
                companion=seat.companion,
                restricted=seat.restricted,
                note=seat.note,
            )
        )
    return draft, index


def plan_edit(plan: SeatPlan, edit: Edit) -> SeatPlan:
    """The hall's next version: this plan with the edit applied (`PlanInvalid` says why it cannot be)."""
    draft, index = draft_of(plan)
    if edit.action in ("standing_add", "standing_remove"):
        _standing(draft, edit)
        return _save(plan, draft)
    chosen = sorted({index[pk] for pk in edit.seat_ids if pk in index})
    if not chosen:
        raise PlanInvalid([_("Sélectionnez au moins une place.")])
    if edit.action == "delete":
        if len(chosen) == len(draft.seats):
            raise PlanInvalid([_("Un plan garde au moins une place.")])
        gone = set(chosen)
        draft.seats = [s for i, s in enumerate(draft.seats) if i not in gone]
    elif edit.action == "category":
        name = edit.category.strip()[:100]
        if not name:
            raise PlanInvalid([_("Donnez le nom de la catégorie.")])
        draft.categories.setdefault(name, COLOURS[len(draft.categories) % len(COLOURS)])
        for i in chosen:
            draft.seats[i] = replace(draft.seats[i], category=name)
    elif edit.action in ("flag", "unflag"):
        if edit.flag not in FLAG_NAMES:
            raise PlanInvalid([_("Choisissez la marque.")])
        on = edit.action == "flag"
        for i in chosen:
            changes = {edit.flag: on}
            if edit.flag == "restricted":
                changes["note"] = edit.note.strip()[:200] if on else ""
            draft.seats[i] = replace(draft.seats[i], **changes)
    elif edit.action == "relabel":
        _relabel(draft, chosen, edit)
    else:
        raise PlanInvalid([_("Choisissez ce qu'il faut faire des places sélectionnées.")])
    return _save(plan, draft)


def _save(plan: SeatPlan, draft: Draft) -> SeatPlan:
    used = {s.category for s in draft.seats} | {c for _n, c, _cap in draft.standing}
    draft.categories = {name: colour for name, colour in draft.categories.items() if name in used}
    return plan_save(plan.space, draft, source=SeatPlan.Source.EDITOR)


def _standing(draft: Draft, edit: Edit) -> None:
    """A standing area added (a name, a category of its own — its tariffs sell places without seats —, a
    capacity), or removed by its name."""
    name = edit.area.strip()[:100]
    names = [area for area, _c, _cap in draft.standing]
    if edit.action == "standing_remove":
        if name not in names:
            raise PlanInvalid([_("Choisissez l'espace debout à retirer.")])
        draft.standing = [a for a in draft.standing if a[0] != name]
        return
    problems = []
    category = edit.category.strip()[:100]
    if not name or name in names:
        problems.append(_("Donnez à l'espace debout un nom qu'aucun autre n'a."))
    if not category:
        problems.append(_("Donnez la catégorie de l'espace debout."))
    elif any(s.category == category for s in draft.seats):
        problems.append(_("La catégorie d'un espace debout ne peut pas avoir de places assises."))
    if edit.capacity is None or not 1 <= edit.capacity <= 100000:
        problems.append(_("La jauge d'un espace debout va de 1 à 100 000."))
    if problems:
        raise PlanInvalid(problems)
    draft.categories.setdefault(category, COLOURS[len(draft.categories) % len(COLOURS)])
    draft.standing.append((name, category, edit.capacity))


def _relabel(draft: Draft, chosen: list[int], edit: Edit) -> None:
    """A zone or a row given to every selected seat; a number only to one seat at a time."""
    if edit.number is not None and len(chosen) > 1:
        raise PlanInvalid([_("Un numéro se donne à une seule place à la fois.")])
    values = {
        key: value.strip()[:limit]
        for key, value, limit in (
            ("zone", edit.zone, 100),
            ("row", edit.row, 20),
            ("number", edit.number, 20),
        )
        if value is not None
    }
    if any(not values[key] for key in ("row", "number") if key in values):
        raise PlanInvalid([_("Le rang et le numéro ne peuvent pas être vides.")])
    if not values:
        raise PlanInvalid([_("Indiquez la zone, le rang ou le numéro.")])
    for i in chosen:
        draft.seats[i] = replace(draft.seats[i], **values)
    twice = [key for key, n in Counter((s.zone, s.row, s.number) for s in draft.seats).items() if n > 1]
    if twice:
        raise PlanInvalid(
            [
                _("Deux places porteraient le même nom : %(seat)s.")
                % {"seat": ", ".join(part for part in key if part)}
                for key in twice[:10]
            ]
        )
