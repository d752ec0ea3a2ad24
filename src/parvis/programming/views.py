"""Public pages: the network agenda, organizer, venue, event and festival pages, feeds and the widget."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from parvis.network.models import Network, Organizer, Venue
from parvis.network.permissions import Perm, has_organizer_perm

from . import extensions, selectors
from .calendars import month_grids, weekday_names
from .filters import parse_agenda_filters
from .ical import calendar_for
from .jsonld import event_jsonld, jsonld_script
from .models import EventStatus, Festival, Genre

PAGE_SIZE = 24
ICAL_LIMIT = 2000


def _render_agenda(request, *, template: str, base_qs, context: dict, status: int = 200):
    filters, form = parse_agenda_filters(request.GET)
    filtered = selectors.apply_agenda_filters(base_qs, filters)
    qs = selectors.agenda_page_queryset(selectors.one_card_per_exhibition(filtered, filters))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.exhibition_runs(filtered, page.object_list)
    context = {
        **context,
        "filters": filters,
        "form": form,
        "page": page,
        "choices": selectors.agenda_choices(base_qs),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "agenda-results":
        template = "programming/_agenda_results.html"
    return render(request, template, context, status=status)


@require_GET
def home(request):
    networks = Network.objects.all()
    organizers = Organizer.objects.all()
    return render(request, "programming/home.html", {"networks": networks, "organizers": organizers})


@require_GET
def network_agenda(request, network_slug: str):
    network = get_object_or_404(Network, slug=network_slug)
    return _render_agenda(
        request,
        template="programming/network_agenda.html",
        base_qs=selectors.network_performances(network=network),
        context={
            "network": network,
            "featured": selectors.featured_events(network=network),
            "festivals": network.festivals.all(),
            **extensions.network_offers(network),  # passes, membership programmes…
            "ical_url": f"/r/{network.slug}/agenda.ics",
        },
    )


@require_GET
def organizer_page(request, organizer_slug: str):
    organizer = get_object_or_404(Organizer, slug=organizer_slug)
    return _render_agenda(
        request,
        template="programming/organizer.html",
        base_qs=selectors.organizer_performances(organizer=organizer),
        context={
            "organizer": organizer,
            "venues": organizer.venues.all(),
            **extensions.organizer_offers(organizer),  # membership programmes, subscriptions…
            "ical_url": f"/o/{organizer.slug}/agenda.ics",
        },
    )


@require_GET
def venue_page(request, organizer_slug: str, venue_slug: str):
    venue = get_object_or_404(
        Venue.objects.select_related("organizer"), organizer__slug=organizer_slug, slug=venue_slug
    )
    return _render_agenda(
        request,
        template="programming/venue.html",
        base_qs=selectors.venue_performances(venue=venue),
        context={
            "venue": venue,
            "organizer": venue.organizer,
            "ical_url": f"/o/{organizer_slug}/lieux/{venue.slug}/agenda.ics",
        },
    )


@require_GET
def festival_page(request, network_slug: str, festival_slug: str):
    festival = get_object_or_404(
        Festival.objects.select_related("network"), network__slug=network_slug, slug=festival_slug
    )
    return _render_agenda(
        request,
        template="programming/festival.html",
        base_qs=selectors.festival_performances(festival=festival),
        context={"festival": festival, "network": festival.network},
    )


def _visible_event(request, organizer_slug: str, event_slug: str):
    try:
        event = selectors.event_public(organizer_slug=organizer_slug, event_slug=event_slug)
    except selectors.Event.DoesNotExist:
        raise Http404 from None
    if event.status != EventStatus.PUBLISHED and not has_organizer_perm(
        request.user, event.organizer, Perm.PROGRAMMING_VIEW
    ):
        raise Http404
    return event


@require_GET
def event_page(request, organizer_slug: str, event_slug: str):
    event = _visible_event(request, organizer_slug, event_slug)
    performances = selectors.event_performances_list(event.pk)
    return render(
        request,
        "programming/event.html",
        {
            "event": event,
            "months": month_grids(performances) if event.genre == Genre.EXHIBITION else None,
            "weekdays": weekday_names(),
            "organizer": event.organizer,
            "performances": performances,
            "jsonld": jsonld_script(event_jsonld(event, performances)),
            "ical_url": f"/o/{organizer_slug}/e/{event.slug}/event.ics",
            "is_preview": event.status != EventStatus.PUBLISHED,
            "additions": (
                []
                if event.status != EventStatus.PUBLISHED
                else extensions.event_page_additions(request, event)
            ),
        },
    )


def _ical_response(performances, *, name: str, filename: str) -> HttpResponse:
    response = HttpResponse(
        calendar_for(performances, name=name), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    patch_cache_control(response, public=True, max_age=300)
    return response


def _feed_performances(qs):
    return (
        selectors.apply_agenda_filters(qs, parse_agenda_filters({})[0])
        .select_related("event", "event__organizer", "venue")
        .order_by("starts_at")[:ICAL_LIMIT]
    )


@require_GET
def network_ical(request, network_slug: str):
    network = get_object_or_404(Network, slug=network_slug)
    return _ical_response(
        _feed_performances(selectors.network_performances(network=network)),
        name=network.name,
        filename=f"{network.slug}.ics",
    )


@require_GET
def organizer_ical(request, organizer_slug: str):
    organizer = get_object_or_404(Organizer, slug=organizer_slug)
    return _ical_response(
        _feed_performances(selectors.organizer_performances(organizer=organizer)),
        name=organizer.name,
        filename=f"{organizer.slug}.ics",
    )


@require_GET
def venue_ical(request, organizer_slug: str, venue_slug: str):
    venue = get_object_or_404(Venue, organizer__slug=organizer_slug, slug=venue_slug)
    return _ical_response(
        _feed_performances(selectors.venue_performances(venue=venue)),
        name=venue.name,
        filename=f"{venue.slug}.ics",
    )


@require_GET
def event_ical(request, organizer_slug: str, event_slug: str):
    event = _visible_event(request, organizer_slug, event_slug)
    return _ical_response(
        selectors.event_performances(event=event).select_related("event"),
        name=event.title,
        filename=f"{event.slug}.ics",
    )


@require_GET
@xframe_options_exempt
def widget(request, organizer_slug: str):
    """The agenda shown inside a venue's own site (iframe); links open on Parvis in a new tab."""
    organizer = get_object_or_404(Organizer, slug=organizer_slug)
    base_qs = selectors.organizer_performances(organizer=organizer)
    venue_slug = request.GET.get("lieu")
    if venue_slug:
        base_qs = base_qs.filter(venue__slug=venue_slug)
    filters, _form = parse_agenda_filters(request.GET)
    qs = selectors.agenda_page_queryset(selectors.apply_agenda_filters(base_qs, filters))
    page = Paginator(qs, 10).get_page(request.GET.get("page"))
    response = render(request, "programming/widget.html", {"organizer": organizer, "page": page})
    response.csp_overrides = {"frame-ancestors": "*"}
    return response


@require_GET
def widget_script(request):
    response = render(request, "programming/widget.js", {}, content_type="text/javascript; charset=utf-8")
    patch_cache_control(response, public=True, max_age=3600)
    return response
