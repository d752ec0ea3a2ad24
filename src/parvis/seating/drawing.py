"""The seat map drawn on the server: one SVG, a circle per seat in its category's colour, each free seat a
link that adds it to the selection or takes it out. A seat's state is never told by colour alone: a taken
seat is crossed out, a chosen one ringed and ticked, and each has its words in its title."""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parvis.core.params import int_or_none

RADIUS = 11  # a seat in the plan's units (the generator spaces seats 30 apart)


class Words:
    """The words of a map, translated once per page: a 2,000-seat hall asks for them ten thousand times."""

    def __init__(self):
        self.label = str(_("%(where)srang %(row)s, place %(number)s"))  # as `Seat.label`
        self.chosen, self.free, self.taken = _("choisie"), _("libre"), _("prise")
        self.kept = _("gardée (%(why)s)")
        self.wheelchair, self.restricted = _("emplacement fauteuil roulant"), _("visibilité réduite")
        self.place, self.wheelchair_short = _("place"), _("fauteuil roulant")

    def seat_label(self, seat) -> str:
        where = f"{seat.zone}, " if seat.zone else ""
        return self.label % {"where": where, "row": seat.row, "number": seat.number}

    def state(self, seat, free: set[int], chosen: set[int], kept: dict[int, str] | None = None) -> str:
        if seat.pk in chosen:
            return self.chosen
        if seat.pk in free:
            return self.free
        if kept and seat.pk in kept:
            return self.kept % {"why": kept[seat.pk]}
        return self.taken


def seat_title(
    seat, free: set[int], chosen: set[int], kept: dict[int, str] | None = None, words: Words | None = None
) -> str:
    words = words or Words()
    found = [words.seat_label(seat), seat.category.name, words.state(seat, free, chosen, kept)]
    if seat.wheelchair:
        found.append(words.wheelchair)
    if seat.restricted:
        found.append(words.restricted + (f" ({seat.note})" if seat.note else ""))
    return " — ".join(found)


# The staff's heat view of the seats' quality: five bands of 20 points, a sequential palette that reads the
# same for colour-blind eyes (viridis), its words in the legend and in each seat's title.
HEAT = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")


def heat_band(quality: int) -> int:
    return min(len(HEAT) - 1, max(0, quality) // 20)


def heat_legend() -> list[tuple[str, str]]:
    return [(colour, f"{20 * n}–{99 if n < len(HEAT) - 1 else 100}") for n, colour in enumerate(HEAT)]


def standing_boxes(plan, seats, count: int) -> list[tuple[float, float, float, float]]:
    """Where a plan's standing areas are drawn (it gives them no place of their own): side by side in the
    band between the stage and the nearest row when there is room, else past the farthest row."""
    if not count:
        return []
    xs = [s.x for s in seats] or [plan.stage_x]
    ys = [s.y for s in seats] or [plan.stage_y + 120]
    left = min(min(xs) - RADIUS, plan.stage_x - 120)
    right = max(max(xs) + RADIUS, plan.stage_x + 120, left + 170 * count)
    if plan.stage_y <= min(ys):  # the stage above the seats, as the generator draws it
        room = (plan.stage_y + 24, min(ys) - RADIUS - 10)
        fallback = (max(ys) + RADIUS + 20, max(ys) + RADIUS + 80)
    else:
        room = (max(ys) + RADIUS + 10, plan.stage_y - 24)
        fallback = (min(ys) - RADIUS - 80, min(ys) - RADIUS - 20)
    top, bottom = room if room[1] - room[0] >= 50 else fallback
    bottom = min(bottom, top + 120)
    width = (right - left - 10 * (count - 1)) / count
    return [(left + n * (width + 10), top, width, bottom - top) for n in range(count)]


def _standing_svg(boxes, standing: list[dict]) -> list[str]:
    """Each standing area, a dashed box in its category's colour with its name; its title says what it is
    and how many places are left; on sale, a link to its form."""
    parts = []
    for (x, y, w, h), area in zip(boxes, standing, strict=True):
        colour = escape(area["colour"])
        body = (
            f"<title>{escape(area['title'])}</title>"
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="8" fill="{colour}" '
            f'fill-opacity="0.25" stroke="{colour}" stroke-width="3" stroke-dasharray="8 5"/>'
            f'<text class="standing-label" x="{x + w / 2:.0f}" y="{y + h / 2 + 6:.0f}" text-anchor="middle">'
            f"{escape(area['name'])}</text>"
        )
        named = f'class="standing" data-area="{escape(area["name"])}"'
        if area.get("href"):
            parts.append(f'<a href="{escape(area["href"])}" {named}>{body}</a>')
        else:
            parts.append(f"<g {named}>{body}</g>")
    return parts


def standing_for_map(areas, left: dict[int, int]) -> list[dict]:
    """The standing areas as the map draws them: `left`, the places left by category on sale (a category
    absent: not on sale at this date); one on sale with places left links to its form (`#standing-<id>`)."""
    found = []
    for area in areas:
        where = _("%(name)s — places debout (%(category)s)") % {
            "name": area.name,
            "category": area.category.name,
        }
        n = left.get(area.category_id)
        if n is None:
            state = _("pas en vente à cette date")
        elif n:
            state = ngettext("%(n)s place libre", "%(n)s places libres", n) % {"n": n}
        else:
            state = _("complet")
        found.append(
            {
                "name": area.name,
                "colour": area.category.colour,
                "title": _("%(where)s : %(state)s") % {"where": where, "state": state},
                "href": f"#standing-{area.category_id}" if n else "",
            }
        )
    return found


def standing_for_plan(areas) -> list[dict]:
    """The standing areas as the staff's maps draw them: each with its capacity, no link."""
    return [
        {
            "name": area.name,
            "colour": area.category.colour,
            "title": _("%(name)s — places debout (%(category)s) : %(n)s places")
            % {"name": area.name, "category": area.category.name, "n": area.capacity},
        }
        for area in areas
    ]


def seat_map_svg(
    plan, seats, free: set[int], chosen: set[int], path: str, kept: dict[int, str] | None = None,
    heat: bool = False, standing: list[dict] | None = None,
):  # fmt: skip
    """The map: written with string joins (a 2,000-seat hall is 2,000 elements; a template loop would
    be the page's slowest part), every text escaped. `kept`: the seats the venue keeps, with why, for the
    box office, which may sell them (each a link, drawn with a square). `heat`: each seat coloured by its
    quality (`seat.quality`, set by the caller) instead of its category. `standing`: the plan's standing
    areas ({"name", "colour", "title", "href"}), drawn as boxes."""
    kept = kept or {}
    standing = standing or []
    words_ = Words()
    boxes = standing_boxes(plan, seats, len(standing))
    min_x = min([*(s.x for s in seats), *(b[0] for b in boxes)], default=0) - 30
    min_y = min([*(s.y for s in seats), *(b[1] for b in boxes), plan.stage_y]) - 40
    width = max([*(s.x for s in seats), *(b[0] + b[2] for b in boxes)], default=0) - min_x + 30
    height = max([*(s.y for s in seats), *(b[1] + b[3] for b in boxes)], default=0) - min_y + 30
    chosen_list = sorted(chosen)
    href = escape(path)
    sep = "&amp;" if "?" in path else "?"
    sx, sy = plan.stage_x, plan.stage_y
    parts = [
        f'<svg class="seat-map" viewBox="{min_x:.0f} {min_y:.0f} {width:.0f} {height:.0f}" role="group" '
        f'aria-label="{escape(_("Plan de la salle"))}">',
        f'<rect class="stage" x="{sx - 120:.0f}" y="{sy - 14:.0f}" width="240" height="28" rx="4"/>'
        f'<text class="stage-label" x="{sx:.0f}" y="{sy + 5:.0f}" text-anchor="middle">'
        f"{escape(_('Scène'))}</text>",
        *_standing_svg(boxes, standing),
    ]
    for seat in seats:
        words = seat_title(seat, free, chosen, kept, words_)
        fill = seat.category.colour
        if heat:
            words += " — " + _("qualité %(q)s") % {"q": seat.quality}
            fill = HEAT[heat_band(seat.quality)]
        title = escape(words)
        x, y = seat.x, seat.y
        circle = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{RADIUS}" fill="{escape(fill)}"/>'
        if seat.pk in chosen:
            others = ",".join(str(pk) for pk in chosen_list if pk != seat.pk)
            parts.append(
                f'<a href="{href}{sep}places={others}" class="seat chosen" data-seat="{seat.pk}">'
                f'<title>{title}</title>{circle}<path d="M{x - 5:.1f} {y:.1f}l3.5 4 7-8" class="tick"/></a>'
            )
        elif seat.pk in free:
            more = ",".join(str(pk) for pk in [*chosen_list, seat.pk])
            parts.append(
                f'<a href="{href}{sep}places={more}" class="seat free" data-seat="{seat.pk}">'
                f"<title>{title}</title>{circle}</a>"
            )
        elif seat.pk in kept:
            more = ",".join(str(pk) for pk in [*chosen_list, seat.pk])
            parts.append(
                f'<a href="{href}{sep}places={more}" class="seat kept" data-seat="{seat.pk}">'
                f'<title>{title}</title>{circle}<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" '
                'class="kept-mark"/></a>'
            )
        else:
            parts.append(
                f'<g class="seat taken"><title>{title}</title>{circle}'
                f'<path d="M{x - 6:.1f} {y - 6:.1f}l12 12m0-12l-12 12" class="cross"/></g>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped, every number formatted)


def rows_for_list(seats, free: set[int], chosen: set[int], kept: dict[int, str] | None = None) -> list[dict]:
    """The seats by zone and row, for the list: each with its state in words (`kept`: as the map's)."""
    kept = kept or {}
    words_ = Words()
    rows: list[dict] = []
    for seat in seats:
        key = (seat.zone, seat.row)
        if not rows or rows[-1]["key"] != key:
            rows.append({"key": key, "zone": seat.zone, "row": seat.row, "seats": [], "free": 0})
        state = (
            "chosen"
            if seat.pk in chosen
            else "free"
            if seat.pk in free
            else "kept"
            if seat.pk in kept
            else "taken"
        )
        words = words_.state(seat, free, chosen, kept)
        rows[-1]["seats"].append({"seat": seat, "state": state, "words": words})
        rows[-1]["free"] += state != "taken"
    return rows


def seat_checks(rows: list[dict]) -> None:
    """Each row's boxes for the public list (`row["checks"]`), written with joins like the map: one per
    seat, its number, state, category and flags in words; a taken seat disabled, a chosen one ticked."""
    words = Words()
    for row in rows:
        parts = []
        for item in row["seats"]:
            seat, state = item["seat"], item["state"]
            attrs = " disabled" if state == "taken" else " checked" if state == "chosen" else ""
            text = f"{words.place} {seat.number} — {item['words']}, {seat.category.name}"
            text += f", {words.wheelchair_short}" if seat.wheelchair else ""
            text += f", {words.restricted}" if seat.restricted else ""
            parts.append(
                f'<label class="check seat-check"><input type="checkbox" name="place" '
                f'value="{seat.pk}"{attrs}> {escape(text)}</label>\n'
            )
        row["checks"] = mark_safe("".join(parts))  # noqa: S308 (the text escaped, the number an integer)


def categories_with_prices(plan, prices: dict, layout, free: set[int]) -> list[dict]:
    counts: dict[int, int] = {}
    for pk in free:
        place = layout.places.get(pk)
        if place is not None:
            counts[place.category] = counts.get(place.category, 0) + 1
    return [
        {"category": c, "tariffs": prices.get(c.pk, []), "free": counts.get(c.pk, 0)}
        for c in plan.categories.all()
        if prices.get(c.pk)
    ]


def selection(raw: str, selectable: set[int], limit: int) -> list[int]:
    """The seats chosen in an address (`?places=12,13`): the selectable ones, each once, in order, at most
    `limit` (anything else in it is ignored)."""
    chosen: list[int] = []
    for part in raw.split(","):
        pk = int_or_none(part)
        if pk is not None and pk in selectable and pk not in chosen:
            chosen.append(pk)
    return chosen[:limit]
