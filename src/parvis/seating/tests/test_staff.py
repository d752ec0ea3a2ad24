"""The staff's seating pages: plans made and imported (each fault of a file listed), a date put on sale
with a plan and its tariffs by category, house seats kept and released; each role sees what it may."""

import io
import json
import random

import pytest
from django.urls import reverse

from parvis.core.models import AuditLogEntry
from parvis.network.models import Role, Space
from parvis.seating.models import ClaimState, Seat, SeatClaim, SeatedPerformance, SeatPlan
from parvis.seating.services import seats_choose
from parvis.testing import OrganizerFactory, login_staff, staff
from parvis.ticketing.models import Tariff
from parvis.ticketing.tests.factories import on_sale_performance, tariff

from .conftest import seat_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def date():
    performance = on_sale_performance(capacity=200)
    tariff(performance, price="25.00")
    tariff(performance, name="Réduit", price="15.00", kind="reduced")
    Space.objects.create(venue=performance.venue, name="Grande salle")
    return performance


def test_a_plan_is_generated_then_a_date_sold_on_it_with_its_tariffs(client, date):
    organizer = date.organizer
    login_staff(client, staff(organizer, Role.PROGRAMMING))
    space = Space.objects.get(venue=date.venue)
    answer = client.post(
        reverse("staff:seat_plans", args=[organizer.slug]),
        {
            "how": "generator",
            "space": space.pk,
            "name": "Parterre",
            "rows": "8",
            "seats": "12",
            "aisles": "6",
            "curve": "0.2",
            "numbering": "odd_even",
        },
    )
    plan = SeatPlan.objects.get()
    assert answer.status_code == 302 and plan.seats.count() == 96
    assert (
        "Parterre" in client.get(reverse("staff:seat_plan", args=[organizer.slug, plan.pk])).content.decode()
    )
    url = reverse("staff:seating_performance", args=[organizer.slug, date.pk])
    category = plan.categories.get()
    full, reduced = Tariff.objects.filter(performance=date).order_by("-price")
    client.post(url, {"action": "on_sale", "plan": plan.pk, f"cat-{category.pk}": [full.pk, reduced.pk]})
    assert SeatedPerformance.objects.get(performance=date).plan == plan
    assert set(Tariff.objects.filter(performance=date, seated=True)) == {full, reduced}
    seats = list(Seat.objects.filter(plan=plan, row="A").values_list("pk", flat=True)[:2])
    client.post(url, {"action": "keep", "place": seats, "kind": "technical"})
    assert SeatClaim.objects.filter(state=ClaimState.KEPT, kept="technical").count() == 2
    client.post(url, {"action": "release", "place": seats[:1]})
    assert SeatClaim.objects.filter(state=ClaimState.KEPT).count() == 1
    assert "Grande salle" in client.get(url).content.decode()
    sales = reverse("staff:performance_sales", args=[organizer.slug, date.pk])
    assert "performance-note" not in client.get(sales).content.decode()
    tariff(date, name="Dernière minute", price="10.00")  # added later, linked to no category: said so
    page = client.get(sales).content.decode()
    assert "performance-note" in page and "« Dernière minute »" in page


def test_an_imported_file_with_faults_is_refused_with_each_one_listed(client, date):
    organizer = date.organizer
    login_staff(client, staff(organizer, Role.ADMINISTRATOR))
    space = Space.objects.get(venue=date.venue)
    bad = io.BytesIO(b"zone;rang;place;x;y;categorie;options\nP;A;1;x;1;C;\nP;A;2;3;1;C;licorne\n")
    bad.name = "plan.csv"
    answer = client.post(
        reverse("staff:seat_plans", args=[organizer.slug]), {"how": "csv", "space": space.pk, "file": bad}
    )
    page = answer.content.decode()
    assert answer.status_code == 400 and "Ligne 2" in page and "Ligne 3" in page and "licorne" in page
    plan = {
        "name": "P",
        "categories": [{"name": "A"}],
        "zones": [
            {
                "position": {"x": 0, "y": 0},
                "rows": [
                    {
                        "row_number": "1",
                        "seats": [
                            {
                                "seat_guid": "s1",
                                "seat_number": "1",
                                "position": {"x": 0, "y": 0},
                                "category": "A",
                            }
                        ],
                    }
                ],
            }
        ],
    }
    good = io.BytesIO(json.dumps(plan).encode())
    good.name = "plan.json"
    answer = client.post(
        reverse("staff:seat_plans", args=[organizer.slug]), {"how": "pretix", "space": space.pk, "file": good}
    )
    assert answer.status_code == 302 and SeatPlan.objects.get().source == "pretix"


def test_roles_and_organizers_are_kept_apart(client, date):
    organizer = date.organizer
    space = Space.objects.get(venue=date.venue)
    login_staff(client, staff(organizer, Role.READ_ONLY))
    assert client.get(reverse("staff:seat_plans", args=[organizer.slug])).status_code == 200
    refused = client.post(
        reverse("staff:seat_plans", args=[organizer.slug]),
        {"how": "generator", "space": space.pk, "rows": "2", "seats": "2"},
    )
    assert refused.status_code == 403 and not SeatPlan.objects.exists()
    other = OrganizerFactory()
    login_staff(client, staff(other, Role.ADMINISTRATOR))
    answer = client.post(
        reverse("staff:seat_plans", args=[other.slug]),
        {"how": "generator", "space": space.pk, "rows": "2", "seats": "2"},
    )
    assert answer.status_code == 400 and not SeatPlan.objects.exists()  # not one of its halls
    assert client.get(reverse("staff:seating_performance", args=[other.slug, date.pk])).status_code == 404


def test_painted_quality_steers_the_best_seats_and_goes_back_to_the_default(client, seated):
    performance, plan, _full = seated
    login_staff(client, staff(performance.organizer, Role.PROGRAMMING))
    url = reverse("staff:seating_performance", args=[performance.organizer.slug, performance.pk])
    back_row = seat_ids(plan, "D", 4, 5, 6, 7)
    page = client.get(url, {"places": ",".join(map(str, back_row))}).content.decode()
    assert "4 places sélectionnées" in page
    client.post(url, {"action": "quality", "score": "100", "place": back_row})
    client.post(url, {"action": "quality", "score": "0", "place": seat_ids(plan, "A", *range(1, 11))})
    chosen = seats_choose(
        performance_id=performance.pk, quantity=4, rng=random.Random(1), state="kept", kept="house"
    )
    assert sorted(c.seat_id for c in chosen) == sorted(back_row)
    assert "qualité 100" in client.get(url).content.decode()
    client.post(url, {"action": "quality_reset", "place": back_row})
    assert "qualité 100" not in client.get(url).content.decode()
    assert AuditLogEntry.objects.filter(action="seating.quality").count() == 3
    assert client.post(url, {"action": "quality", "score": "120", "place": back_row}).status_code == 302
    assert AuditLogEntry.objects.filter(action="seating.quality").count() == 3  # refused


def test_the_heat_view_colours_each_seat_by_its_quality_with_its_words(client, seated):
    from parvis.seating import drawing

    performance, plan, _full = seated
    login_staff(client, staff(performance.organizer, Role.PROGRAMMING))
    url = reverse("staff:seating_performance", args=[performance.organizer.slug, performance.pk])
    client.post(url, {"action": "quality", "score": "100", "place": seat_ids(plan, "D", 4)})
    client.post(url, {"action": "quality", "score": "5", "place": seat_ids(plan, "A", 1)})
    plain = client.get(url).content.decode()
    assert 'data-testid="heat-on"' in plain and drawing.HEAT[4] not in plain
    page = client.get(url, {"qualite": "1"}).content.decode()
    assert 'data-testid="heat-legend"' in page and "qualité 80–100" in page
    best = page[page.index(f'data-seat="{seat_ids(plan, "D", 4)[0]}"') :][:400]
    worst = page[page.index(f'data-seat="{seat_ids(plan, "A", 1)[0]}"') :][:400]
    assert f'fill="{drawing.HEAT[4]}"' in best and "qualité 100" in best  # in colour and in words
    assert f'fill="{drawing.HEAT[0]}"' in worst and "qualité 5" in worst
    assert "?qualite=1&amp;places=" in page  # a tap keeps the heat view
