"""The network's circulation board: how its audiences move between its members, from the people who
agreed to share their profile with the network (`crm.network_audience`).

- **Together**: for each pair of members, how many people went to both (the matrix).
- **Recruited**: for each person, the member where they first bought a ticket in the network; the flows
  from that first member to the members they went to afterwards (drawn as a two-column flow diagram), and
  per member, how many people it brought who then went elsewhere in the network.
- **Matrix**: the same pairs as a square table, each member against each other.
- **Thanks to**: per member, the first visits that were a pass's entry or a date of the network's festival.
- **Pass**: people with a network pass and without, and how many members each went to.

Everything but the festival's first visits is read from the `Route` rollup (`routes`: each person's members,
in the order of their first visit at each), grouped in one statement; the festival's first visits from the
`FirstVisit` rows of the festival's dates. The routes are consent-aware as the network's links are: a
person who withdraws is unlinked in that transaction and their route is computed again with the change.

Figures only, never a person; a figure about fewer than `MIN_COUNT` people is not shown."""

from collections import Counter, defaultdict
from itertools import combinations

from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from parvis.crm import network_audience as audience
from parvis.programming.models import Festival, Performance

from . import charts, maps, routes
from .boards import Chart, Filters, cell_text, percent
from .models import FirstVisit, Route, RouteContact


def _festival_dates(network) -> set[int]:
    """The dates of the network's festivals: a performance of an event of a festival's selection, on a day
    of that festival."""
    windows = defaultdict(list)
    for event_id, starts_on, ends_on in Festival.objects.filter(network=network).values_list(
        "events", "starts_on", "ends_on"
    ):
        if event_id:
            windows[event_id].append((starts_on, ends_on))
    found = set()
    for pk, event_id, starts_at in Performance.objects.filter(event_id__in=list(windows)).values_list(
        "pk", "event_id", "starts_at"
    ):
        day = timezone.localtime(starts_at).date()
        if any(start <= day <= end for start, end in windows[event_id]):
            found.add(pk)
    return found


def _festival_firsts(network) -> Counter:
    """Per member: the people whose first visit there (not a pass's entry) was a date of a festival."""
    dates = _festival_dates(network)
    if not dates:
        return Counter()
    counted = RouteContact.objects.filter(network=network, first_here=True).values("contact_id")
    return Counter(
        dict(
            FirstVisit.objects.filter(performance_id__in=dates, with_pass=False, contact_id__in=counted)
            .values_list("organizer_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
    )


class _Tally:
    """What the routes add up to, read grouped: routes alike (same members, same order of first visits,
    a pass or not) come as one row with their number."""

    def __init__(self, network):
        self.cells: Counter = Counter()  # (a, b), a <= b → people linked at both
        self.flows: Counter = Counter()  # (first member, a later one) → people
        self.recruited: Counter = Counter()  # first member → people who went on elsewhere
        self.firsts: dict[int, Counter] = defaultdict(Counter)  # member → first visits, with a pass
        self.groups = {"pass": [0, 0, 0], "no_pass": [0, 0, 0]}  # people, venues summed, at two or more
        grouped = (
            Route.objects.filter(network=network)
            .values_list("venues", "path", "with_pass")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for venues, path, with_pass, n in grouped:
            self._add([int(v) for v in venues.split(",") if v], routes.parse_path(path), with_pass, n)

    def _add(self, organizers: list[int], steps: list[tuple[int, bool]], with_pass: bool, n: int) -> None:
        for organizer_id in organizers:
            self.cells[(organizer_id, organizer_id)] += n
        for pair in combinations(organizers, 2):
            self.cells[pair] += n
        for organizer_id, by_pass in steps:
            self.firsts[organizer_id]["all"] += n
            self.firsts[organizer_id]["pass"] += n if by_pass else 0
        if len(steps) >= 2:
            self.recruited[steps[0][0]] += n
            for later, _by_pass in steps[1:]:
                self.flows[(steps[0][0], later)] += n
        group = self.groups["pass" if with_pass else "no_pass"]
        group[0] += n
        group[1] += n * len(organizers)
        group[2] += n if len(organizers) >= 2 else 0

    def pass_effect(self, minimum: int) -> dict[str, dict | None]:
        """As `crm.network_audience.pass_effect`, from the routes."""
        return {
            name: {"people": people, "venues": round(venues / people, 1), "several": several}
            if people >= minimum
            else None
            for name, (people, venues, several) in self.groups.items()
        }


def board(network, f: Filters) -> dict:
    names = dict(network.organizers.values_list("pk", "name"))
    minimum = audience.MIN_COUNT
    tally = _Tally(network)
    cells = {pair: (n if n >= minimum else None) for pair, n in sorted(tally.cells.items())}
    charts_ = [
        _matrix(cells, names, minimum),
        _together(cells, names, minimum),
        _flows(tally.flows, names, minimum),
        _recruiters(tally.recruited, names, minimum),
        _thanks_to(tally.firsts, _festival_firsts(network), names, minimum),
    ]
    return {"charts": charts_, "pass_effect": tally.pass_effect(minimum), "min_count": minimum}


def _thanks_to(firsts: dict[int, Counter], festival: Counter, names: dict, minimum: int) -> Chart:
    """Per member: the people whose first visit there was a pass's entry, or a date of the festival."""
    counts = {pk: c + Counter(festival=festival[pk]) for pk, c in firsts.items()}

    def shown(n: int) -> int | None:
        return n if n >= minimum or n == 0 else None

    rows = []
    for organizer_id, c in sorted(counts.items(), key=lambda kv: (-kv[1]["pass"] - kv[1]["festival"], kv[0])):
        if organizer_id not in names or c["all"] < minimum:
            continue
        thanks = c["pass"] + c["festival"]
        rows.append(
            [
                names[organizer_id],
                c["all"],
                shown(c["pass"]),
                shown(c["festival"]),
                percent(thanks, c["all"]) if shown(thanks) is not None else None,
            ]
        )
    best = next((r for r in rows if r[4]), None)
    if best:
        summary = _("%(name)s : %(share)s %% des premières venues sont dues au pass ou au festival.") % {
            "name": best[0],
            "share": cell_text(best[4]),
        }
    else:
        summary = _("Pas encore assez de premières venues grâce au pass ou au festival pour être montrées.")
    return Chart(
        key="thanks",
        title=_("Premières venues grâce au pass ou au festival"),
        summary=summary,
        columns=[
            _("Lieu"),
            _("Premières venues"),
            _("Avec le pass"),
            _("Pendant le festival"),
            _("Part due au pass ou au festival (%)"),
        ],
        rows=rows,
        svg=charts.bars(
            [r[0] for r in rows if r[4]],
            [r[4] for r in rows if r[4]],
            labelled_by="summary-thanks",
            unit=" %",
        )
        if best
        else "",
    )


def _matrix(cells: dict, names: dict, minimum: int) -> Chart:
    """Every pair of members in a square table: the people who went to both (to the member itself on the
    diagonal); a cell under the threshold is blank."""
    members = sorted(names, key=lambda pk: names[pk])
    rows = []
    for a in members:
        row = [names[a]]
        for b in members:
            row.append(cells.get((min(a, b), max(a, b))))
        rows.append(row)
    known = [n for (a, b), n in cells.items() if a != b and n]
    summary = (
        _("%(n)s paires de lieux ont au moins %(min)s personnes en commun.")
        % {"n": len(known), "min": minimum}
        if known
        else _("Aucune paire de lieux n'a assez de personnes en commun pour être montrée.")
    )
    return Chart(
        key="matrix",
        title=_("Matrice des publics partagés"),
        summary=summary,
        columns=[_("Lieu"), *[names[pk] for pk in members]],
        rows=rows,
        svg=matrix_diagram([names[pk] for pk in members], [r[1:] for r in rows], labelled_by="summary-matrix")
        if known
        else "",
        wide=len(members) > 6,
    )


def matrix_diagram(labels: list[str], values: list[list], *, labelled_by: str):
    """A square heat table: each cell shaded by its number (one blue, by lightness), its number written in
    it; the members' names along the left and the top."""
    n = len(labels)
    cell, left, top = 34, 150, 150
    peak = max((v for row in values for v in row if v), default=1)
    size_w, size_h = left + n * cell + 4, top + n * cell + 4
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}" focusable="false">',
            size_w,
            size_h,
            labelled_by,
        )
    ]
    for i, label in enumerate(labels):
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" class="chart-label">{}</text>'
                '<text transform="translate({} {}) rotate(-60)" class="chart-label">{}</text>',
                left - 6,
                top + i * cell + cell / 2 + 4,
                label[:22],
                left + i * cell + cell / 2,
                top - 6,
                label[:22],
            )
        )
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            shade = maps.shade(value or 0, peak)
            dark = shade in maps.STEPS[3:]
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#999" stroke-width="0.5">'
                    "<title>{} · {} : {}</title></rect>"
                    '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="{}">{}</text>',
                    left + j * cell,
                    top + i * cell,
                    cell,
                    cell,
                    shade,
                    labels[i],
                    labels[j],
                    charts.fmt(value) if value else "—",
                    left + j * cell + cell / 2,
                    top + i * cell + cell / 2 + 4,
                    "#ffffff" if dark else "#222222",
                    charts.fmt(value) if value else "",
                )  # fmt: skip
            )
    parts.append(mark_safe("</svg>"))  # noqa: S308 (a constant)
    return mark_safe("".join(parts))  # noqa: S308 (every value above went through format_html)


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
