"""The network's circulation board: how its audiences move between its members, from the people who
agreed to share their profile with the network (`crm.network_audience`, consent-aware on each read).

- **Together**: for each pair of members, how many people went to both (the matrix).
- **Recruited**: for each person, the member where they first bought a ticket in the network; the flows
  from that first member to the members they went to afterwards (drawn as a two-column flow diagram), and
  per member, how many people it brought who then went elsewhere in the network.
- **Pass**: people with a network pass and without, and how many members each went to.

Figures only, never a person; a figure about fewer than `MIN_COUNT` people is not shown."""

from collections import Counter, defaultdict

from django.db.models import Min
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from parvis.crm import network_audience as audience
from parvis.ticketing.models import Ticket

from . import charts
from .boards import Chart, Filters, cell_text


def _first_visits(network) -> dict[int, dict[int, object]]:
    """profile → {organizer: when the person first held a ticket there}."""
    links = list(audience.live_links(network).values_list("profile_id", "organizer_id", "contact_id"))
    profile_of = {contact: (profile, organizer) for profile, organizer, contact in links}
    firsts: dict[int, dict[int, object]] = defaultdict(dict)
    for contact_id, first in (
        Ticket.objects.filter(order__contact_id__in=list(profile_of))
        .values("order__contact_id")
        .annotate(first=Min("issued_at"))
        .values_list("order__contact_id", "first")
    ):
        profile, organizer = profile_of[contact_id]
        known = firsts[profile].get(organizer)
        firsts[profile][organizer] = min(known, first) if known else first
    return firsts


def board(network, f: Filters) -> dict:
    names = dict(network.organizers.values_list("pk", "name"))
    minimum = audience.MIN_COUNT
    cells = audience.circulation(network)
    flows: Counter = Counter()
    recruited: Counter = Counter()
    for visits in _first_visits(network).values():
        if len(visits) < 2:
            continue
        order = sorted(visits, key=lambda organizer: visits[organizer])
        recruited[order[0]] += 1
        for later in order[1:]:
            flows[(order[0], later)] += 1
    charts_ = [
        _together(cells, names, minimum),
        _flows(flows, names, minimum),
        _recruiters(recruited, names, minimum),
    ]
    return {"charts": charts_, "pass_effect": audience.pass_effect(network), "min_count": minimum}


def _together(cells: dict, names: dict, minimum: int) -> Chart:
    rows = sorted(
        ([names[a], names[b], n] for (a, b), n in cells.items() if a != b and a in names and b in names),
        key=lambda r: (-(r[2] or 0), r[0], r[1]),
    )
    shown = [r for r in rows if r[2] is not None]
    hidden = len(rows) - len(shown)
    if shown:
        summary = _("Le plus partagé : %(a)s et %(b)s, %(n)s personnes venues aux deux.") % {
            "a": shown[0][0],
            "b": shown[0][1],
            "n": cell_text(shown[0][2]),
        }
    else:
        summary = _("Aucune paire de lieux n'a assez de personnes en commun pour être montrée.")
    if hidden:
        summary += " " + _("%(n)s paires sous le seuil de %(min)s personnes ne sont pas montrées.") % {
            "n": hidden,
            "min": minimum,
        }
    return Chart(
        key="together",
        title=_("Publics en commun, par paire de lieux"),
        summary=summary,
        columns=[_("Lieu"), _("Autre lieu"), _("Personnes venues aux deux")],
        rows=shown[:100],
        svg=charts.bars(
            [f"{a} · {b}" for a, b, _n in shown[:15]],
            [n for _a, _b, n in shown[:15]],
            labelled_by="summary-together",
        )
        if shown
        else "",
    )


def _flows(flows: Counter, names: dict, minimum: int) -> Chart:
    rows = sorted(
        (
            [names[a], names[b], n]
            for (a, b), n in flows.items()
            if n >= minimum and a in names and b in names
        ),
        key=lambda r: (-r[2], r[0], r[1]),
    )
    hidden = sum(1 for n in flows.values() if n < minimum)
    if rows:
        summary = _("Le plus grand passage : %(n)s personnes venues d'abord à %(a)s, puis à %(b)s.") % {
            "n": cell_text(rows[0][2]),
            "a": rows[0][0],
            "b": rows[0][1],
        }
    else:
        summary = _("Aucun passage d'un lieu à un autre n'a assez de personnes pour être montré.")
    if hidden:
        summary += " " + _("%(n)s passages sous le seuil de %(min)s personnes ne sont pas montrés.") % {
            "n": hidden,
            "min": minimum,
        }
    return Chart(
        key="flows",
        title=_("D'où viennent les publics : premier lieu, puis les suivants"),
        summary=summary,
        columns=[_("Premier lieu"), _("Lieu découvert ensuite"), _("Personnes")],
        rows=rows,
        svg=flow_diagram(rows[:20], labelled_by="summary-flows") if rows else "",
    )


def _recruiters(recruited: Counter, names: dict, minimum: int) -> Chart:
    rows = sorted(
        ([names[a], n] for a, n in recruited.items() if n >= minimum and a in names),
        key=lambda r: (-r[1], r[0]),
    )
    if rows:
        summary = _("%(name)s a amené le plus de personnes vers les autres lieux du réseau (%(n)s).") % {
            "name": rows[0][0],
            "n": cell_text(rows[0][1]),
        }
    else:
        summary = _("Pas encore assez de personnes pour dire quels lieux amènent des publics aux autres.")
    return Chart(
        key="recruiters",
        title=_("Lieux qui amènent des publics aux autres"),
        summary=summary,
        columns=[_("Lieu de la première venue"), _("Personnes allées ensuite dans un autre lieu")],
        rows=rows,
        svg=charts.bars([r[0] for r in rows], [r[1] for r in rows], labelled_by="summary-recruiters")
        if rows
        else "",
    )


def flow_diagram(rows: list[list], *, labelled_by: str):
    """A two-column flow diagram (a Sankey of one step): first members on the left, the members found
    next on the right, each band as wide as its number of people."""
    left, right = defaultdict(int), defaultdict(int)
    for a, b, n in rows:
        left[a] += n
        right[b] += n
    total = sum(n for _a, _b, n in rows)
    height, gap, top = 300, 6, 4
    scale = (height - gap * max(len(left), len(right))) / total
    width, bar = charts.WIDTH, 12
    y_left, y_right = {}, {}
    y = top
    for name in sorted(left, key=lambda k: -left[k]):
        y_left[name] = y
        y += left[name] * scale + gap
    y = top
    for name in sorted(right, key=lambda k: -right[k]):
        y_right[name] = y
        y += right[name] * scale + gap
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}" focusable="false">',
            width,
            height + 10,
            labelled_by,
        )
    ]
    used_left, used_right = defaultdict(float), defaultdict(float)
    x1, x2 = 150, width - 150
    for i, (a, b, n) in enumerate(rows):
        thick = n * scale
        ya = y_left[a] + used_left[a] + thick / 2
        yb = y_right[b] + used_right[b] + thick / 2
        used_left[a] += thick
        used_right[b] += thick
        middle = (x1 + x2) / 2
        parts.append(
            format_html(
                '<path d="M{} {} C{} {} {} {} {} {}" fill="none" stroke="{}" stroke-opacity="0.55" '
                'stroke-width="{}"><title>{} → {} : {}</title></path>',
                x1 + bar,
                charts.coord(ya),
                charts.coord(middle),
                charts.coord(ya),
                charts.coord(middle),
                charts.coord(yb),
                x2,
                charts.coord(yb),
                charts.PALETTE[i % len(charts.PALETTE)],
                charts.coord(max(thick, 1)),
                a,
                b,
                n,
            )  # fmt: skip
        )
    for names, ys, sums, x, anchor, tx in (
        (left, y_left, left, x1, "end", x1 - 6),
        (right, y_right, right, x2, "start", x2 + bar + 6),
    ):
        for name in names:
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="#444"/>'
                    '<text x="{}" y="{}" text-anchor="{}" class="chart-label">{} ({})</text>',
                    x,
                    charts.coord(ys[name]),
                    bar,
                    charts.coord(max(sums[name] * scale, 1)),
                    tx,
                    charts.coord(ys[name] + sums[name] * scale / 2 + 4),
                    anchor,
                    name,
                    sums[name],
                )  # fmt: skip
            )
    parts.append(mark_safe("</svg>"))  # noqa: S308 (a constant)
    return mark_safe("".join(parts))  # noqa: S308 (every value above went through format_html)
