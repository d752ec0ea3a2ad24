"""The dashboards' pages: an organizer's (anyone who may see its sales, the read-only role included) and a
network's (its coordinators: the figures of its members summed, no person in them)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parvis.network.models import NetworkMembership
from parvis.network.permissions import Perm, require_network_perm, require_organizer_perm

from . import audiences, boards, circulation, exports, fill, outreach, rollups, sales
from .models import DigestSubscription


def _audiences(organizer_ids, f, owner, network):
    return audiences.board(organizer_ids, f, network=network)


BOARDS = {
    # name: (title, builder, days back and ahead of today by default, what the period counts)
    "sales": (
        gettext_lazy("Ventes"),
        lambda ids, f, *_: sales.board(ids, f),
        55,
        0,
        gettext_lazy("jours de vente"),
    ),
    "fill": (
        gettext_lazy("Remplissage"),
        lambda ids, f, *_: fill.board(ids, f),
        30,
        90,
        gettext_lazy("dates des représentations"),
    ),
    "audiences": (gettext_lazy("Publics"), _audiences, 364, 90, gettext_lazy("mois des représentations")),
    "marketing": (gettext_lazy("Marketing"), outreach.board, 90, 0, gettext_lazy("jours d'envoi")),
}
# A network's boards: the same, and how its audiences move between its members.
NETWORK_BOARDS = {
    **BOARDS,
    "circulation": (
        gettext_lazy("Circulation des publics"),
        lambda _ids, f, owner, _n: circulation.board(owner, f),
        0,
        0,
        "",
    ),
}


# Boards whose figures are kept a few minutes (`PARVIS_ANALYTICS_KEEP_S`): the people of a period and how
# they move between venues change slowly, and a network's are read from a million people. The page says
# when they were computed, and offers to compute them again at once.
KEPT = {"audiences", "circulation"}


def _kept(name: str, owner, f: boards.Filters, build, fresh) -> dict:
    key = f"analytics:{name}:{type(owner).__name__}:{owner.pk}:{f.query()}:{translation.get_language()}"
    kept = None if fresh else cache.get(key)
    if kept is None:
        before = len(f.notes)
        kept = {"data": build(), "notes": None, "at": timezone.now()}
        kept["notes"] = f.notes[before:]
        cache.set(key, kept, settings.PARVIS_ANALYTICS_KEEP_S)
    else:
        f.notes.extend(kept["notes"])
    return {**kept["data"], "computed_at": kept["at"]}


def _show(
    request,
    *,
    name: str,
    organizer_ids: list[int],
    owner,
    network: bool,
    slug: str,
    digest_on: bool | None = None,
):
    menu = NETWORK_BOARDS if network else BOARDS
    url_name = "staff:network_analytics_{}" if network else "staff:analytics_{}"
    title, build, back, ahead, period_of = menu[name]
    rollups.settle()  # the figures include the last sale, whether or not a worker has run
    f = boards.filters_read(request.GET, organizer_ids, back=back, ahead=ahead)
    if name in KEPT:
        data = _kept(
            name, owner, f, lambda: build(organizer_ids, f, owner, network), request.GET.get("frais")
        )
    else:
        data = build(organizer_ids, f, owner, network)
    filename = slug
    wanted = request.GET.get("export", "")
    for chart in data["charts"]:
        if chart.key == wanted:
            fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
            return exports.chart_response(chart, fmt, f"{filename}-{name}-{chart.key}-{f.start}-{f.end}")
    tabs = [
        (str(label), reverse(url_name.format(other), args=[slug]), other == name)
        for other, (label, *_rest) in menu.items()
    ]
    return render(
        request,
        "analytics/board.html",
        {
            "name": name,
            "title": title,
            "owner": owner,
            "tabs": tabs,
            "filters": f,
            "period_of": period_of,
            "query": f.query(),
            "choices": boards.options(organizer_ids),
            "show_source": name == "sales",
            "show_filters": name != "circulation",
            "risk_word": _("à risque"),
            "digest_on": digest_on,
            **data,
        },
    )


@login_required
def organizer_board(request, organizer_slug: str, name: str):
    organizer = require_organizer_perm(request.user, organizer_slug, Perm.SALES_VIEW)
    if request.method == "POST":  # the weekly digest, for oneself: asked for, or no longer
        mine = DigestSubscription.objects.filter(user=request.user, organizer=organizer)
        if request.POST.get("digest") == "on" and request.user.email:
            DigestSubscription.objects.get_or_create(user=request.user, organizer=organizer)
            messages.success(request, _("Vous recevrez le résumé chaque semaine par e-mail."))
        else:
            mine.delete()
            messages.success(request, _("Vous ne recevrez plus le résumé de la semaine."))
        return redirect(request.get_full_path())
    return _show(
        request,
        name=name,
        organizer_ids=[organizer.pk],
        owner=organizer,
        network=False,
        slug=organizer.slug,
        digest_on=DigestSubscription.objects.filter(user=request.user, organizer=organizer).exists(),
    )


@login_required
def network_board(request, network_slug: str, name: str):
    network = require_network_perm(request.user, network_slug, Perm.NETWORK_AUDIENCE)
    members = list(NetworkMembership.objects.filter(network=network).values_list("organizer_id", flat=True))
    return _show(
        request,
        name=name,
        organizer_ids=members,
        owner=network,
        network=True,
        slug=network.slug,
    )
