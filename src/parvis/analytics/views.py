"""The dashboards' pages: an organizer's (anyone who may see its sales, the read-only role included) and a
network's (its coordinators: the figures of its members summed, no person in them)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from parvis.core.background import enqueue_on_commit
from parvis.network.models import NetworkMembership
from parvis.network.permissions import Perm, require_network_perm, require_organizer_perm

from . import boards, exports, kept, menus, rollups
from .menus import BOARDS, NETWORK_BOARDS
from .models import DigestSubscription
from .tasks import board_refresh


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
    if name in menus.KEPT:
        query, language = f.query(), translation.get_language()
        got = kept.read(
            menus.key_of(name, owner, f),
            menus.builder(name, owner, organizer_ids, network, f),
            fresh=bool(request.GET.get("frais")),
            refresh=lambda: enqueue_on_commit(
                board_refresh, name=name, owner_kind=menus.kind_of(owner), owner_id=owner.pk, query=query,
                language=language,
            ),
        )  # fmt: skip
        f.notes.extend(got["notes"])
        data = {**got["data"], "computed_at": got["at"], "refreshing": got["refreshing"]}
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
