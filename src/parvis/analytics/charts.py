"""Charts drawn on the server as SVG: no script, no third-party request, the same on a phone, in print and
in a test. Each chart is an image (`role="img"`) named by its one-line summary; the facts it shows are in
the data table beside it, for screen readers and keyboards alike.

Colours are the Okabe–Ito palette, told apart by people with any common colour blindness; lines also
differ by dash pattern, and bars carry their value as text, so no fact rests on colour alone.

Why not Apache ECharts: a dashboard page here is a few bar and line charts over a few hundred points.
Drawing them is some 150 lines; ECharts would add a 1 MB script to vendor and keep up to date, and a
chart that exists only after JavaScript runs.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
DASHES = ("", "6 4", "2 3", "10 3 2 3")
WIDTH = 480


@dataclass
class Series:
    name: str
    values: Sequence[float | None]  # one per label; None: no point


def _nice_max(value: float) -> float:
    """A round top for the axis, at or above `value`."""
    if value <= 0:
        return 1
    step = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * step:
            return factor * step
    return 10 * step


def coord(value: float) -> str:
    return f"{value:.1f}"


def fmt(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")


def bars(labels: Sequence[str], values: Sequence[float], *, labelled_by: str, unit: str = "") -> SafeString:
    """Horizontal bars, one per label: the label above its bar, the value at its end. Laid out in
    percentages of the width, so the text keeps its size from a phone to a wide screen."""
    row = 40
    peak = max([v for v in values if v] or [0])
    parts = [
        format_html(
            '<svg class="chart" width="100%" height="{}" role="img" aria-labelledby="{}" focusable="false">',
            row * len(labels) + 4,
            labelled_by,
        )
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = i * row
        share = 0.0 if not peak else max(0.5, 82.0 * (value or 0) / peak)
        parts.append(
            format_html(
                '<text x="0" y="{}" class="chart-label">{}</text>'
                '<rect x="0" y="{}" width="{}%" height="14" fill="{}"><title>{}: {}{}</title></rect>'
                '<text x="{}%" y="{}" class="chart-value">{}{}</text>',
                y + 14,
                label,
                y + 20,
                coord(share),
                PALETTE[0],
                label,
                fmt(value or 0),
                unit,
                coord(share + 1),
                y + 32,
                fmt(value or 0),
                unit,
            )
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308 (a constant)
    return mark_safe("".join(parts))  # noqa: S308 (every value above went through format_html)


def lines(
    labels: Sequence[str], series: Sequence[Series], *, labelled_by: str, y_unit: str = ""
) -> SafeString:
    """One line per series over the labels (days, days before a date), with a legend and a y axis."""
    height, left, right, top, bottom = 220, 52, 12, 10, 40
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    peak = _nice_max(max([v for s in series for v in s.values if v is not None] or [0]))
    n = max(1, len(labels) - 1)

    def x(i: int) -> float:
        return left + plot_w * i / n

    def y(v: float) -> float:
        return top + plot_h * (1 - v / peak)

    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}" focusable="false">',
            WIDTH,
            height + 22 * len(series),
            labelled_by,
        )
    ]
    for k in range(5):  # the y axis: five round steps
        v = peak * k / 4
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" class="chart-grid"/>'
                '<text x="{}" y="{}" text-anchor="end" class="chart-label">{}{}</text>',
                left,
                WIDTH - right,
                coord(y(v)),
                coord(y(v)),
                left - 6,
                coord(y(v) + 4),
                fmt(v),
                y_unit,
            )
        )
    ticks = sorted({0, n // 2, n} if len(labels) > 2 else set(range(len(labels))))
    for i in ticks:  # the x axis: first, middle and last label
        anchor = "start" if i == 0 else "end" if i == n else "middle"
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="{}" class="chart-label">{}</text>',
                coord(x(i)),
                top + plot_h + 18,
                anchor,
                labels[i],
            )
        )
    for k, s in enumerate(series):
        colour, dash = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s.values) if v is not None)
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5" stroke-dasharray="{}"/>',
                points,
                colour,
                dash,
            )
        )
        ly = height + 22 * k
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="3" stroke-dasharray="{}"/>'
                '<text x="{}" y="{}" class="chart-label">{}</text>',
                left,
                left + 30,
                ly,
                ly,
                colour,
                dash,
                left + 38,
                ly + 4,
                s.name,
            )
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308 (a constant)
    return mark_safe("".join(parts))  # noqa: S308 (every value above went through format_html)
