"""The public agenda: what is shown, filters, search, pagination, bad input."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from parvis.programming.filters import date_range_for
from parvis.programming.models import PerformanceStatus
from parvis.testing import EventFactory, PerformanceFactory, VenueFactory, local

pytestmark = pytest.mark.django_db


def _titles(response):
    return [p.event.title for p in response.context["page"].object_list]


def _soon(days=2, hour=20):
    return (timezone.localtime() + datetime.timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


def test_network_agenda_shows_published_shared_upcoming_dates_only(
    client, network, organizer, other_organizer, venue
):
    from parvis.testing import OrganizerFactory

    PerformanceFactory(
        event=EventFactory(organizer=organizer, title="Publié"), venue=venue, starts_at=_soon()
    )
    PerformanceFactory(
        event=EventFactory(organizer=organizer, title="Brouillon", status="draft"),
        venue=venue,
        starts_at=_soon(),
    )
    PerformanceFactory(
        event=EventFactory(organizer=organizer, title="Pas partagé", share_with_network=False),
        venue=venue,
        starts_at=_soon(),
    )
    PerformanceFactory(
        event=EventFactory(organizer=organizer, title="Passé"), venue=venue, starts_at=_soon(days=-3)
    )
    PerformanceFactory(
        event=EventFactory(organizer=organizer, title="Date brouillon"),
        venue=venue,
        starts_at=_soon(),
        status=PerformanceStatus.DRAFT,
    )
    PerformanceFactory(
        event=EventFactory(organizer=organizer, title="Annulé"),
        venue=venue,
        starts_at=_soon(),
        status=PerformanceStatus.CANCELLED,
    )
    outsider = OrganizerFactory()
    PerformanceFactory(event=EventFactory(organizer=outsider, title="Hors réseau"), starts_at=_soon())

    response = client.get(f"/r/{network.slug}/")
    assert response.status_code == 200
    assert sorted(_titles(response)) == ["Annulé", "Publié"]
    assert "Annulée" in response.content.decode()  # the status is shown
    # The organizer's own page shows its unshared events too.
    assert sorted(_titles(client.get(f"/o/{organizer.slug}/"))) == ["Annulé", "Pas partagé", "Publié"]


def test_filters_combine(client, network, organizer, venue):
    montreuil = venue
    paris = VenueFactory(organizer=organizer, town="Paris", slug="paris")
    PerformanceFactory(
        event=EventFactory(
            organizer=organizer, title="Jazz gratuit LSF", genre="jazz", is_free=True, sign_language=True
        ),
        venue=montreuil,
        starts_at=_soon(),
    )
    PerformanceFactory(
        event=EventFactory(
            organizer=organizer,
            title="Jazz cher",
            genre="jazz",
            price_min=Decimal("40"),
            price_max=Decimal("60"),
        ),
        venue=paris,
        starts_at=_soon(),
    )
    PerformanceFactory(
        event=EventFactory(
            organizer=organizer,
            title="Théâtre pas cher",
            genre="theatre",
            price_min=Decimal("8"),
            wheelchair=True,
        ),
        venue=paris,
        starts_at=_soon(),
    )

    get = lambda **q: sorted(_titles(client.get(f"/r/{network.slug}/", q)))  # noqa: E731
    assert get(genre="jazz") == ["Jazz cher", "Jazz gratuit LSF"]
    assert get(genre=["jazz", "theatre"], town="paris") == ["Jazz cher", "Théâtre pas cher"]
    assert get(venue=montreuil.pk) == ["Jazz gratuit LSF"]
    assert get(free="on") == ["Jazz gratuit LSF"]
    assert get(price_max="10") == ["Jazz gratuit LSF", "Théâtre pas cher"]
    assert get(access="sign_language") == ["Jazz gratuit LSF"]
    assert get(access=["wheelchair"], genre="theatre") == ["Théâtre pas cher"]


@pytest.mark.parametrize("query", ["theatre", "THÉÂTRE", "Theatre  pas", "théatre"])
def test_text_search_folds_accents_and_case(client, network, organizer, venue, query):
    PerformanceFactory(
        event=EventFactory(organizer=organizer, title="Théâtre pas cher"), venue=venue, starts_at=_soon()
    )
    PerformanceFactory(
        event=EventFactory(organizer=organizer, title="Concert"), venue=venue, starts_at=_soon()
    )
    assert _titles(client.get(f"/r/{network.slug}/", {"q": query})) == ["Théâtre pas cher"]


def test_search_finds_artists(client, network, organizer, venue):
    PerformanceFactory(
        event=EventFactory(organizer=organizer, title="Soirée", artists="Hélène Brun"),
        venue=venue,
        starts_at=_soon(),
    )
    assert _titles(client.get(f"/r/{network.slug}/", {"q": "helene"})) == ["Soirée"]


def test_date_range_filter_uses_local_days(client, network, organizer, venue):
    day = timezone.localdate() + datetime.timedelta(days=10)
    late = datetime.datetime.combine(day, datetime.time(23, 30), tzinfo=local(2026, 1, 1).tzinfo)
    PerformanceFactory(
        event=EventFactory(organizer=organizer, title="Tard le soir"), venue=venue, starts_at=late
    )
    PerformanceFactory(
        event=EventFactory(organizer=organizer, title="Lendemain"),
        venue=venue,
        starts_at=late + datetime.timedelta(hours=1),
    )
    titles = _titles(
        client.get(f"/r/{network.slug}/", {"date_from": day.isoformat(), "date_to": day.isoformat()})
    )
    assert titles == ["Tard le soir"]


def test_when_shortcuts():
    friday = datetime.date(2026, 11, 27)
    assert date_range_for("today", friday) == (friday, friday)
    monday = datetime.date(2026, 11, 23)
    assert date_range_for("weekend", monday) == (friday, datetime.date(2026, 11, 29))
    sunday = datetime.date(2026, 11, 29)
    assert date_range_for("weekend", sunday) == (sunday, sunday)


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "pas-une-date"},
        {"date_from": "2026-02-30"},
        {"price_max": "-3"},
        {"price_max": "abc"},
        {"genre": "polka"},
        {"venue": "x"},
        {"access": "telepathy"},
        {"page": "999999"},
        {"page": "-1"},
        {"q": "x" * 5000},
        {"unknown": "1"},
        {"date_from": "2026-12-10", "date_to": "2026-12-01"},
    ],
)
def test_bad_filters_do_not_break_the_page(client, network, organizer, venue, params):
    PerformanceFactory(event=EventFactory(organizer=organizer), venue=venue, starts_at=_soon())
    response = client.get(f"/r/{network.slug}/", params)
    assert response.status_code == 200


def test_bad_filter_is_reported_to_the_visitor(client, network):
    response = client.get(f"/r/{network.slug}/", {"date_from": "2026-02-30"})
    assert response.context["form"].errors["date_from"]
    assert 'class="error"' in response.content.decode()


def test_pagination_keeps_filters_and_query_count_is_constant(
    client, network, organizer, venue, django_assert_max_num_queries
):
    for i in range(30):
        PerformanceFactory(
            event=EventFactory(organizer=organizer, title=f"Concert {i:02d}", genre="jazz"),
            venue=venue,
            starts_at=_soon(days=1 + i),
        )
    with django_assert_max_num_queries(8):
        first = client.get(f"/r/{network.slug}/", {"genre": "jazz"})
    assert len(first.context["page"].object_list) == 24
    assert "genre=jazz&amp;page=2" in first.content.decode()
    second = client.get(f"/r/{network.slug}/", {"genre": "jazz", "page": 2})
    assert len(second.context["page"].object_list) == 6


def test_htmx_request_gets_only_the_results(client, network, organizer, venue):
    PerformanceFactory(event=EventFactory(organizer=organizer), venue=venue, starts_at=_soon())
    response = client.get(
        f"/r/{network.slug}/", headers={"HX-Request": "true", "HX-Target": "agenda-results"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="agenda-results"') and "<html" not in body


def test_html_in_titles_is_escaped(client, network, organizer, venue):
    event = EventFactory(
        organizer=organizer, title='<script>alert("x")</script>', description="<img src=x onerror=alert(1)>"
    )
    PerformanceFactory(event=event, venue=venue, starts_at=_soon())
    for url in [f"/r/{network.slug}/", event.get_absolute_url(), f"/widget/{organizer.slug}/"]:
        body = client.get(url).content.decode()
        assert '<script>alert("x")</script>' not in body, url
        assert "<img src=x" not in body, url


def test_featured_events_and_festival_pages(client, network, organizer, venue):
    from parvis.programming.models import FeaturedEvent, Festival

    event = EventFactory(organizer=organizer, title="Vedette")
    PerformanceFactory(event=event, venue=venue, starts_at=_soon())
    PerformanceFactory(event=EventFactory(organizer=organizer, title="Autre"), venue=venue, starts_at=_soon())
    FeaturedEvent.objects.create(network=network, event=event)
    festival = Festival.objects.create(
        network=network,
        slug="f",
        name="Festival 2026",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=13),
    )
    festival.events.add(event)
    page = client.get(f"/r/{network.slug}/")
    assert [e.title for e in page.context["featured"]] == ["Vedette"]
    assert _titles(client.get(festival.get_absolute_url())) == ["Vedette"]


def test_language_switch_and_accept_language(client, network, organizer, venue):
    PerformanceFactory(
        event=EventFactory(organizer=organizer, title="Titre", title_en="Title"),
        venue=venue,
        starts_at=_soon(),
    )
    french = client.get(f"/r/{network.slug}/").content.decode()
    assert 'lang="fr"' in french and "Titre" in french
    english = client.get(f"/r/{network.slug}/", headers={"Accept-Language": "en"}).content.decode()
    assert 'lang="en"' in english and "Title" in english and "All dates" in english
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert 'lang="en"' in client.get(f"/r/{network.slug}/").content.decode()


def test_unknown_pages_are_404(client, network):
    assert client.get("/r/nope/").status_code == 404
    assert client.get("/o/nope/e/nope/").status_code == 404
    assert client.get("/o/nope/lieux/x/agenda.ics").status_code == 404
