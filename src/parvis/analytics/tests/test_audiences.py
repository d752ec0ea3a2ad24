"""The audiences board: people new and returning, cohorts, frequency, geography, distance, ages, members;
a refund and a merge change the figures at once; a network sees its members' figures with small ones
hidden; an organizer never sees another's."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from parvis.analytics import audiences, rollups
from parvis.analytics.boards import Filters
from parvis.analytics.models import AudienceMonth
from parvis.crm.dedupe import contacts_merge
from parvis.crm.models import Contact, Purpose
from parvis.crm.services import consent_record
from parvis.network.models import NetworkMembership, NetworkRole, NetworkStaff, Role
from parvis.programming.services import performance_update
from parvis.testing import PerformanceFactory, UserFactory, login_staff, staff
from parvis.ticketing import services
from parvis.ticketing.models import Cart, Ticket
from parvis.ticketing.tests.factories import buyer, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _buy(tariff_obj, email: str, quantity: int = 1, **profile):
    cart = Cart.objects.create()
    services.cart_add(cart=cart, tariff_id=tariff_obj.pk, quantity=quantity)
    [order] = services.checkout_place_orders(
        cart=cart, buyer=buyer(email=email, first_name=email.split("@")[0]), provider_code="demo"
    )
    order = services.payment_confirm(payment_id=order.payments.get().pk)
    if profile:
        Contact.objects.filter(pk=order.contact_id).update(**profile)
    return order


@pytest.fixture
def season(organizer):
    """Ana (same postcode as the venue, 30 years old) and Ben (Seine-Saint-Denis, 2 dates) are new; Chloé
    (Lyon) came last season and comes again."""
    now = timezone.now()
    first = on_sale_performance(organizer=organizer, capacity=50, days=5, title="Nuit bleue")
    second = PerformanceFactory(
        event=first.event,
        venue=first.venue,
        capacity=50,
        starts_at=first.starts_at + datetime.timedelta(days=2),
    )
    earlier = PerformanceFactory(
        event=first.event,
        venue=first.venue,
        capacity=50,
        starts_at=first.starts_at + datetime.timedelta(hours=3),
    )
    t1, t2, t0 = tariff(first), tariff(second), tariff(earlier)
    year = timezone.localdate().year
    _buy(t1, "ana@example.org", 2, postal_code="75011", departement="75", birth_year=year - 30)
    _buy(t1, "ben@example.org", postal_code="93100", departement="93", birth_year=year - 20)
    _buy(t2, "ben@example.org")
    _buy(t0, "chloe@example.org", postal_code="69001", departement="69")
    performance_update(
        actor=None, performance=earlier, data={"starts_at": now - datetime.timedelta(days=395)}
    )  # last season
    _buy(t2, "chloe@example.org")
    return first, second, earlier


def _board(organizer, **filters):
    today = timezone.localdate()
    f = Filters(
        start=today - datetime.timedelta(days=364), end=today + datetime.timedelta(days=90), **filters
    )
    rollups.settle()
    data = audiences.board([organizer.pk], f)
    return {label_key: value for _label, value, label_key in data["figures"]}, {
        c.key: c for c in data["charts"]
    }


def test_people_new_returning_cohorts_and_where_they_come_from(client, organizer, season):
    figures, charts = _board(organizer)
    assert figures == {"people": "3", "new": "2", "returning": "1", "visits": "1,3"}
    assert AudienceMonth.objects.filter(organizer=organizer).count() >= 3
    frequency = {row[0]: row[1] for row in charts["frequency"].rows}
    assert frequency["1"] == 2 and frequency["2"] == 1  # Ben came to two dates
    last_season = audiences.season_label(audiences.season_of(timezone.localdate()) - 1)
    cohort = next(row for row in charts["cohorts"].rows if row[0] == last_season)
    assert cohort[1:] == [1, 1, 100.0]  # Chloé, new last season, came back this one
    departements = {row[0]: row[1] for row in charts["departements"].rows}
    assert departements == {"75 Paris": 1, "93 Seine-Saint-Denis": 1, "69 Rhône": 1}
    assert "<title>Paris (75) : 1</title>" in charts["departements"].svg
    assert "CC BY 4.0" in charts["departements"].note
    distance = {row[0]: row[1] for row in charts["distance"].rows}
    assert distance["Même code postal que le lieu"] == 1  # Ana: the venue is in 75011
    assert distance["Même région"] == 1 and distance["Ailleurs en France"] == 1  # Ben (93), Chloé (69)
    consents = {row[0]: row[1:] for row in charts["consents"].rows}
    assert consents["Lettre d'information de la structure"] == [0, 0.0]
    ana = Contact.objects.get(email="ana@example.org")
    consent_record(contact=ana, purpose=Purpose.ORGANIZER_NEWSLETTER, given=True, source="self_service")
    _figures, charts = _board(organizer)
    consents = {row[0]: row[1:] for row in charts["consents"].rows}
    assert consents["Lettre d'information de la structure"] == [1, 33.3]
    consent_record(contact=ana, purpose=Purpose.ORGANIZER_NEWSLETTER, given=False, source="self_service")
    _figures, charts = _board(organizer)
    assert {row[0]: row[1] for row in charts["consents"].rows}["Lettre d'information de la structure"] == 0
    ages = {row[0]: row[1] for row in charts["ages"].rows}
    assert ages["26–35 ans"] == 1 and ages["18–25 ans"] == 1 and ages["Non renseigné"] == 1

    # The page, with its export, for the read-only role too
    login_staff(client, staff(organizer, Role.READ_ONLY))
    url = reverse("staff:analytics_audiences", args=[organizer.slug])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="figure-people">3<' in html and "Fidélisation" in html
    answer = client.get(url + "?export=departements&format=csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Département", "Personnes"] and ["69 Rhône", "1", "33.3"] in rows


def test_a_refund_and_a_merge_change_the_people_at_once(organizer, season):
    first, _second, _earlier = season
    services.tickets_refund(tickets=list(Ticket.objects.filter(order__contact__email="ana@example.org")))
    figures, _charts = _board(organizer)
    assert figures["people"] == "2" and figures["new"] == "1"
    ben = Contact.objects.get(email="ben@example.org")
    chloe = Contact.objects.get(email="chloe@example.org")
    contacts_merge(survivor=chloe, merged=ben)  # one person after all: returning, two dates
    figures, charts = _board(organizer)
    assert figures == {"people": "1", "new": "0", "returning": "1", "visits": "2,0"}
    assert not AudienceMonth.objects.filter(contact=ben).exists()


def test_a_venue_filter_counts_new_to_that_venue_and_an_event_filter_is_said_not_to_apply(organizer, season):
    first, _second, _earlier = season
    elsewhere = on_sale_performance(organizer=organizer, days=8, title="Autre lieu")
    _buy(tariff(elsewhere), "chloe@example.org")
    figures, _charts = _board(organizer, venue=elsewhere.venue)
    assert figures["people"] == "1" and figures["new"] == "1"  # Chloé, new to that venue
    f = Filters(start=timezone.localdate(), end=timezone.localdate(), event=first.event)
    audiences.board([organizer.pk], f)
    assert any("ne s'y applique pas" in note for note in f.notes)


def test_a_network_sees_its_members_figures_with_small_ones_hidden(client, network, organizer, season):
    NetworkMembership.objects.get_or_create(network=network, organizer=organizer)
    url = reverse("staff:network_analytics_audiences", args=[network.slug])
    login_staff(client, staff(organizer, Role.ADMINISTRATOR))
    assert client.get(url).status_code == 404
    coordinator = UserFactory()
    NetworkStaff.objects.create(network=network, user=coordinator, role=NetworkRole.COORDINATOR)
    login_staff(client, coordinator)
    html = client.get(url).content.decode()
    assert 'data-testid="figure-people">—<' in html  # 3 people: under the threshold of 10
    assert "ana@example.org" not in html and "75011" not in html
    assert "Un chiffre sur moins de 10 personnes" in html


def test_an_organizer_sees_only_its_own_people(client, organizer, other_organizer, season):
    login_staff(client, staff(other_organizer, Role.ADMINISTRATOR))
    assert client.get(reverse("staff:analytics_audiences", args=[organizer.slug])).status_code == 404
    html = client.get(reverse("staff:analytics_audiences", args=[other_organizer.slug])).content.decode()
    assert 'data-testid="figure-people">0<' in html


def test_the_figures_are_kept_served_at_once_and_computed_again_in_the_background(
    client, organizer, season, settings, django_capture_on_commit_callbacks
):
    from parvis.analytics.models import KeptBoard

    settings.PARVIS_ANALYTICS_KEEP_S = 300
    login_staff(client, staff(organizer, Role.READ_ONLY))
    url = reverse("staff:analytics_audiences", args=[organizer.slug])
    html = client.get(url).content.decode()  # the first reader computes them
    assert 'data-testid="figure-people">3<' in html and 'data-testid="computed-at"' in html
    services.tickets_refund(tickets=list(Ticket.objects.filter(order__contact__email="ana@example.org")))
    assert 'data-testid="figure-people">3<' in client.get(url).content.decode()  # kept
    assert 'data-testid="figure-people">2<' in client.get(url + "?frais=1").content.decode()  # computed again
    assert 'data-testid="figure-people">2<' in client.get(url).content.decode()

    # Five minutes on, a reader gets the kept figures at once, and the background task computes new ones;
    # a second reader meanwhile asks nothing more.
    KeptBoard.objects.update(computed_at=timezone.now() - datetime.timedelta(minutes=6))
    services.tickets_refund(tickets=list(Ticket.objects.filter(order__contact__email="ben@example.org")))
    with django_capture_on_commit_callbacks(execute=False) as asked:
        html = client.get(url).content.decode()
        again = client.get(url).content.decode()
    assert 'data-testid="figure-people">2<' in html and 'data-testid="refreshing"' in html
    assert 'data-testid="refreshing"' in again and len(asked) == 1
    forgotten = KeptBoard.objects.create(
        key="analytics:audiences:organizer:0:x:fr", data=b"", computed_at=timezone.now(),
        read_at=timezone.now() - datetime.timedelta(days=3),
    )  # fmt: skip
    asked[0]()  # the worker runs the task
    html = client.get(url).content.decode()
    assert 'data-testid="figure-people">1<' in html and 'data-testid="refreshing"' not in html
    assert not KeptBoard.objects.filter(pk=forgotten.pk).exists()  # no one read it for two days

    client.cookies["django_language"] = "en"
    english = client.get(url).content.decode()  # another language: its own figures, in its words
    assert "People per month, new and returning" in english and "Personnes par mois" not in english


def test_the_networks_kept_boards_are_computed_ahead_for_their_first_reader(
    client, network, organizer, season, settings
):
    from django.core.management import call_command

    from parvis.analytics.models import KeptBoard

    settings.PARVIS_ANALYTICS_KEEP_S = 300
    NetworkMembership.objects.get_or_create(network=network, organizer=organizer)
    call_command("analytics", "warm", verbosity=0)
    assert KeptBoard.objects.count() == 4  # audiences and circulation, in French and in English
    coordinator = UserFactory(username="coord-warm@example.org")
    NetworkStaff.objects.create(network=network, user=coordinator, role=NetworkRole.COORDINATOR)
    login_staff(client, coordinator)
    computed = set(KeptBoard.objects.values_list("computed_at", flat=True))
    html = client.get(reverse("staff:network_analytics_audiences", args=[network.slug])).content.decode()
    assert 'data-testid="computed-at"' in html and 'data-testid="refreshing"' not in html
    assert set(KeptBoard.objects.values_list("computed_at", flat=True)) == computed  # read, not computed
