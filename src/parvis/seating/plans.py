"""Seat plans made three ways: the generator of the staff pages, pretix's open seating-plan JSON, and a CSV
(zone, row, seat, x, y, category, flags). Each gives the same `Draft`; `plan_save` lays it out (rows front
to back, blocks between aisles, positions in each block) and writes a new version of the hall's plan.

Input errors are collected, never raised one at a time: a venue fixing a 1,200-line CSV sees every line
that is wrong at once, in its language."""

import csv
import io
import json
import math
import statistics
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from .models import Seat, SeatCategory, SeatPlan, StandingArea

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")  # colour-blind-safe first
FLAGS = {"fauteuil": "wheelchair", "accompagnateur": "companion", "visibilite_reduite": "restricted"}
FLAGS_EN = {"wheelchair": "wheelchair", "companion": "companion", "restricted": "restricted"}
MAX_SEATS = 20000


class PlanInvalid(Exception):
    """The input cannot make a plan: every problem found, each in words (and its line, where it has one)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class DraftSeat:
    zone: str
    row: str
    number: str
    x: float
    y: float
    category: str
    guid: str = ""
    wheelchair: bool = False
    companion: bool = False
    restricted: bool = False
    note: str = ""


@dataclass
class Draft:
    name: str
    categories: dict[str, str] = field(default_factory=dict)  # name → colour, in order
    seats: list[DraftSeat] = field(default_factory=list)
    standing: list[tuple[str, str, int]] = field(default_factory=list)  # name, category, capacity
    stage: tuple[float, float] | None = None


def generate(
    *,
    name: str,
    rows: int,
    seats_per_row: int,
    aisles_after: list[int] | None = None,
    curve: float = 0.0,
    numbering: str = "odd_even",
    category: str = "",
    zone: str = "",
    spacing: float = 30.0,
) -> Draft:
    """A rectangular (or curved) block of `rows` × `seats_per_row`, rows lettered A, B, … from the stage,
    an aisle after each seat count of `aisles_after`. Numbering `odd_even` (odd on the left half, even on
    the right, from the centre outwards, as many French halls) or `continuous` (1, 2, 3 from the left)."""
    problems = []
    if not 1 <= rows <= 200:
        problems.append(_("Le nombre de rangs doit être entre 1 et 200."))
    if not 1 <= seats_per_row <= 200:
        problems.append(_("Le nombre de places par rang doit être entre 1 et 200."))
    aisles = sorted(set(aisles_after or []))
    if any(not 0 < a < seats_per_row for a in aisles):
        problems.append(
            _("Une allée doit venir après une place du rang (entre 1 et le nombre de places - 1).")
        )
    if numbering not in ("odd_even", "continuous"):
        problems.append(_("Numérotation inconnue."))
    if problems:
        raise PlanInvalid(problems)
    category = category or _("Catégorie 1")
    draft = Draft(name=name, categories={category: COLOURS[0]})
    width = (seats_per_row + len(aisles)) * spacing
    for r in range(rows):
        label = _row_label(r)
        for i in range(seats_per_row):
            gaps = sum(1 for a in aisles if i >= a)
            x = (i + gaps) * spacing + spacing / 2
            offset = (x - width / 2) / (width / 2)
            y = (r + 1) * spacing * 1.2 + curve * spacing * 2 * offset * offset
            draft.seats.append(
                DraftSeat(zone, label, _number(i, seats_per_row, numbering), x, y + spacing, category)
            )
    draft.stage = (width / 2, 0.0)
    return draft


def _row_label(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = letters[rest] + label
    return label


def _number(i: int, count: int, numbering: str) -> str:
    if numbering == "continuous":
        return str(i + 1)
    half = count // 2
    if i < half:  # left half: odd, growing towards the wall
        return str(2 * (half - i) - 1)
    return str(2 * (i - half) + 2)


def from_pretix(text: str | bytes | dict) -> Draft:
    """pretix's seating-plan JSON (its published schema: name, categories, zones of rows of seats, each
    seat with seat_guid, seat_number, position and category; areas are drawn, not sold)."""
    try:
        data = text if isinstance(text, dict) else json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise PlanInvalid([_("Ce fichier n'est pas du JSON lisible.")]) from None
    problems: list[str] = []
    if not isinstance(data, dict):
        raise PlanInvalid([_("Le plan doit être un objet JSON.")])
    for key in ("name", "zones", "categories"):
        if key not in data:
            problems.append(_("Il manque « %(key)s » au plan.") % {"key": key})
    if problems:
        raise PlanInvalid(problems)
    draft = Draft(name=str(data["name"])[:200] or _("Plan importé"))
    for i, cat in enumerate(data["categories"] if isinstance(data["categories"], list) else []):
        if not isinstance(cat, dict) or not cat.get("name"):
            problems.append(_("La catégorie n° %(n)s n'a pas de nom.") % {"n": i + 1})
            continue
        draft.categories[str(cat["name"])[:100]] = _colour(cat.get("color"), i)
    seen: dict[str, str] = {}
    for z, zone in enumerate(data["zones"] if isinstance(data["zones"], list) else []):
        zx, zy = _position(zone.get("position") if isinstance(zone, dict) else None)
        zone_name = str(zone.get("name", "") if isinstance(zone, dict) else "")[:100]
        for r, row in enumerate(zone.get("rows", []) if isinstance(zone, dict) else []):
            where = _("zone %(z)s, rang n° %(r)s") % {"z": zone_name or z + 1, "r": r + 1}
            if not isinstance(row, dict) or "row_number" not in row or "seats" not in row:
                problems.append(_("%(where)s : il manque row_number ou seats.") % {"where": where})
                continue
            rx, ry = _position(row.get("position"))
            label = str(row.get("row_label") or row["row_number"])[:20]
            for seat in row["seats"]:
                made = _pretix_seat(seat, zone_name, label, zx + rx, zy + ry, draft, where, problems)
                if made is None:
                    continue
                if made.guid in seen:
                    problems.append(
                        _("%(where)s : l'identifiant de place %(guid)s est déjà celui de %(other)s.")
                        % {"where": where, "guid": made.guid, "other": seen[made.guid]}
                    )
                    continue
                seen[made.guid] = f"{label}-{made.number}"
                draft.seats.append(made)
    if not draft.seats and not problems:
        problems.append(_("Ce plan n'a aucune place."))
    if problems:
        raise PlanInvalid(problems)
    return draft


def _pretix_seat(seat, zone, row, x0, y0, draft, where, problems) -> DraftSeat | None:
    if not isinstance(seat, dict) or not all(k in seat for k in ("seat_guid", "seat_number", "position")):
        problems.append(
            _("%(where)s : une place n'a pas seat_guid, seat_number et position.") % {"where": where}
        )
        return None
    category = str(seat.get("category") or "")
    if category not in draft.categories:
        problems.append(
            _("%(where)s, place %(n)s : la catégorie « %(c)s » n'est pas dans la liste des catégories.")
            % {"where": where, "n": seat["seat_number"], "c": category}
        )
        return None
    x, y = _position(seat["position"])
    return DraftSeat(
        zone,
        row,
        str(seat.get("seat_label") or seat["seat_number"])[:20],
        x0 + x,
        y0 + y,
        category,
        guid=str(seat["seat_guid"])[:64],
    )


def _position(value) -> tuple[float, float]:
    if isinstance(value, dict):
        try:
            return float(value.get("x", 0)), float(value.get("y", 0))
        except (TypeError, ValueError):
            return 0.0, 0.0
    return 0.0, 0.0


def _colour(value, index: int) -> str:
    if isinstance(value, str) and len(value) == 7 and value.startswith("#"):
        return value
    return COLOURS[index % len(COLOURS)]


def from_csv(text: str | bytes, *, name: str) -> Draft:
    """One seat per line: zone;rang;place;x;y;categorie;options (options: fauteuil, accompagnateur,
    visibilite_reduite, separated by "|", or their English names); `;` or `,` between columns, a header line
    first. Every wrong line is told by its number."""
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig", errors="replace")
    sample = text[:2000]
    dialect = ";" if sample.count(";") >= sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=dialect)
    problems, draft, seen = [], Draft(name=name), set()
    for line, cells in enumerate(reader, start=1):
        if line == 1 or not any(c.strip() for c in cells):
            continue  # the header, or a blank line
        seat = _csv_seat(line, cells, problems)
        if seat is None:
            continue
        key = (seat.zone, seat.row, seat.number)
        if key in seen:
            problems.append(
                _("Ligne %(line)s : la place %(row)s-%(n)s de cette zone est déjà plus haut.")
                % {"line": line, "row": seat.row, "n": seat.number}
            )
            continue
        seen.add(key)
        draft.categories.setdefault(seat.category, COLOURS[len(draft.categories) % len(COLOURS)])
        draft.seats.append(seat)
    if not draft.seats and not problems:
        problems.append(_("Ce fichier n'a aucune place."))
    if len(draft.seats) > MAX_SEATS:
        problems.append(_("Un plan a au plus %(n)s places.") % {"n": MAX_SEATS})
    if problems:
        raise PlanInvalid(problems)
    return draft


def _csv_seat(line: int, cells: list[str], problems: list[str]) -> DraftSeat | None:
    cells = [c.strip() for c in cells] + [""] * 7
    zone, row, number, x, y, category, options = cells[:7]
    wrong = []
    if not row or not number:
        wrong.append(_("le rang et la place sont obligatoires"))
    try:
        fx, fy = float(x.replace(",", ".")), float(y.replace(",", "."))
        if not (math.isfinite(fx) and math.isfinite(fy)):
            raise ValueError
    except ValueError:
        wrong.append(_("x et y doivent être des nombres"))
        fx = fy = 0.0
    flags = {}
    for option in filter(None, (o.strip().lower() for o in options.split("|"))):
        known = FLAGS.get(option) or FLAGS_EN.get(option)
        if known is None:
            wrong.append(_("option inconnue « %(o)s »") % {"o": option})
        else:
            flags[known] = True
    if wrong:
        problems.append(_("Ligne %(line)s : %(what)s.") % {"line": line, "what": ", ".join(wrong)})
        return None
    return DraftSeat(zone[:100], row[:20], number[:20], fx, fy, category[:100] or _("Catégorie 1"), **flags)


def _layout(seats: list[DraftSeat]) -> list[tuple[DraftSeat, int, int, int]]:
    """Each seat with its row index (front to back in its zone), its block between aisles and its place in
    the block, from the drawing: a gap wider than one and a half times the row's usual spacing is an aisle."""
    rows: dict[tuple[str, str], list[DraftSeat]] = {}
    for seat in seats:
        rows.setdefault((seat.zone, seat.row), []).append(seat)
    order: dict[str, list[tuple[float, str]]] = {}
    for (zone, row), members in rows.items():
        order.setdefault(zone, []).append((statistics.fmean(s.y for s in members), row))
    index = {(zone, row): i for zone, ys in order.items() for i, (_y, row) in enumerate(sorted(ys))}
    laid = []
    for key, members in rows.items():
        members.sort(key=lambda s: s.x)
        gaps = [b.x - a.x for a, b in zip(members, members[1:], strict=False)]
        usual = statistics.median(gaps) if gaps else 0
        block = position = 0
        for i, seat in enumerate(members):
            if i and usual and gaps[i - 1] > usual * 1.5:
                block, position = block + 1, 0
            laid.append((seat, index[key], block, position))
            position += 1
    return laid


def plan_save(space, draft: Draft, *, source: str) -> SeatPlan:
    """A new version of the hall's plan from a draft (a plan already on sale keeps its own version)."""
    laid = _layout(draft.seats)
    xs = [s.x for s in draft.seats] or [0.0]
    ys = [s.y for s in draft.seats] or [0.0]
    stage = draft.stage or ((min(xs) + max(xs)) / 2, min(ys) - 40)
    with transaction.atomic():
        version = (SeatPlan.objects.filter(space=space).aggregate(v=Max("version"))["v"] or 0) + 1
        plan = SeatPlan.objects.create(
            space=space,
            version=version,
            name=draft.name[:200],
            source=source,
            stage_x=stage[0],
            stage_y=stage[1],
            width=max(xs) + 40,
            height=max(ys) + 40,
        )
        categories = {
            name: SeatCategory.objects.create(plan=plan, name=name, colour=colour, position=i)
            for i, (name, colour) in enumerate(draft.categories.items())
        }
        Seat.objects.bulk_create(
            [
                Seat(
                    plan=plan,
                    guid=seat.guid or f"{seat.zone}/{seat.row}/{seat.number}"[:64],
                    zone=seat.zone,
                    row=seat.row,
                    number=seat.number,
                    row_index=row_index,
                    block=block,
                    position=position,
                    x=seat.x,
                    y=seat.y,
                    category=categories[seat.category],
                    wheelchair=seat.wheelchair,
                    companion=seat.companion,
                    restricted=seat.restricted,
                    note=seat.note,
                )
                for seat, row_index, block, position in laid
            ],
            batch_size=1000,
        )
        for area_name, category, capacity in draft.standing:
            StandingArea.objects.create(
                plan=plan, name=area_name, category=categories[category], capacity=capacity
            )
    return plan


def default_quality(plan: SeatPlan) -> dict[int, int]:
    """Each seat's quality from 0 to 100: the nearer the stage's centre, the better."""
    seats = list(plan.seats.values_list("pk", "x", "y"))
    if not seats:
        return {}
    far = max(math.dist((x, y), (plan.stage_x, plan.stage_y)) for _pk, x, y in seats) or 1.0
    return {
        pk: round(100 - 100 * math.dist((x, y), (plan.stage_x, plan.stage_y)) / far) for pk, x, y in seats
    }
