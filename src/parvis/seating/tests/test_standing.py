"""Standing areas inside a seated plan: added in the editor (a category of their own), sold on the seat
map by a number of places (no seat), counted by their own quota, never beyond their capacity; the date's
sales page says which tariffs sell no category."""

import pytest
from django.db import transaction
from django.urls import reverse

from parvis.network.models import Role
from parvis.seating import editor
from parvis.seating.models import SeatClaim, StandingSale
from parvis.seating.plans import PlanInvalid
from parvis.seating.services import seating_put_on_sale
from parvis.testing import login_staff, staff
from parvis.ticketing import services as sales
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import Cart, Hold, Quota, Tariff
from parvis.ticketing.tests.factories import tariff

from .conftest import seat_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def pit(seated):
    performance, plan, full = seated
    v2 = editor.plan_edit(plan, editor.Edit("standing_add", [], area="Fosse", category="Debout", capacity=5))
    standing = tariff(performance, name="Fosse", price="12.00")
    seating_put_on_sale(
        actor=None,
        performance=performance,
        plan=v2,
        tariffs_by_category={
            v2.categories.get(name="Catégorie 1").pk: [full.pk],
            v2.categories.get(name="Debout").pk: [standing.pk],
        },
    )
    return performance, v2, full, standing


def test_a_standing_area_is_sold_by_number_within_its_capacity(client, pit):
    performance, plan, full, standing = pit
    standing.refresh_from_db()
    full.refresh_from_db()
    assert standing.seated is False and full.seated is True
    quota = StandingSale.objects.get().quota
    assert quota.capacity == 5 and list(quota.tariffs.all()) == [standing]
    assert Quota.objects.get(performance=performance, is_total=True).capacity == 45
    url = reverse("seating:choose", args=[performance.pk])
    page = client.get(url).content.decode()
    assert "Places debout — Debout" in page and "Fosse — 5 places libres" in page
    answer = client.post(url, {"standing": "1", "tarif": standing.pk, "quantity": "4"})
    assert answer.status_code == 302
    assert Hold.objects.get(tariff=standing).quantity == 4 and not SeatClaim.objects.exists()
    refused = client.post(url, {"standing": "1", "tarif": standing.pk, "quantity": "2"})
    assert refused.status_code == 409  # one place left in the pit
    assert Hold.objects.filter(tariff=standing).count() == 1
    with pytest.raises(SaleError), transaction.atomic():
        sales.cart_add(cart=Cart.objects.create(), tariff_id=standing.pk, quantity=2)


def test_standing_areas_in_the_editor_and_what_is_refused(seated):
    _performance, plan, _full = seated
    v2 = editor.plan_edit(
        plan, editor.Edit("standing_add", [], area="Promenoir", category="Debout", capacity=80)
    )
    assert [(a.name, a.category.name, a.capacity) for a in v2.standing_areas.all()] == [
        ("Promenoir", "Debout", 80)
    ]
    for edit in (
        editor.Edit("standing_add", [], area="Promenoir", category="Debout", capacity=10),  # same name
        editor.Edit("standing_add", [], area="Loge", category="Catégorie 1", capacity=10),  # seats' category
        editor.Edit("standing_add", [], area="Loge", category="Loge", capacity=0),
        editor.Edit("standing_remove", [], area="Balcon"),
    ):
        with pytest.raises(PlanInvalid):
            editor.plan_edit(v2, edit)
    v3 = editor.plan_edit(v2, editor.Edit("standing_remove", [], area="Promenoir"))
    assert not v3.standing_areas.exists() and not v3.categories.filter(name="Debout").exists()
    assert v3.seats.count() == 40 and seat_ids(v3, "A", 1)


def test_an_unlinked_tariff_is_noted_on_the_sales_page_and_a_standing_one_is_not(client, pit):
    performance, _plan, _full, _standing = pit
    login_staff(client, staff(performance.organizer, Role.PROGRAMMING))
    url = reverse("staff:performance_sales", args=[performance.organizer.slug, performance.pk])
    assert "performance-note" not in client.get(url).content.decode()
    Tariff.objects.create(performance=performance, name="Invitation", price=0, currency="EUR")
    assert "« Invitation »" in client.get(url).content.decode()


def test_a_standing_area_is_drawn_on_the_map_with_its_places_left_and_links_to_its_form(client, pit):
    import re

    performance, plan, _full, standing = pit
    url = reverse("seating:choose", args=[performance.pk])
    page = client.get(url).content.decode()
    area = re.search(r'<a href="#standing-(\d+)" class="standing" data-area="Fosse">(.*?)</a>', page)
    assert area and int(area.group(1)) == plan.categories.get(name="Debout").pk
    assert f'id="standing-{area.group(1)}"' in page  # the form it leads to
    assert "<title>Fosse — places debout (Debout) : 5 places libres</title>" in area.group(2)
    box = re.search(r'<rect x="(-?\d+)" y="(-?\d+)" width="(\d+)" height="(\d+)"', area.group(2))
    viewbox = [float(v) for v in re.search(r'class="seat-map" viewBox="([^"]+)"', page).group(1).split()]
    x, y, w, h = (float(v) for v in box.groups())
    assert (
        viewbox[0] <= x
        and x + w <= viewbox[0] + viewbox[2]
        and viewbox[1] <= y <= y + h <= viewbox[1] + viewbox[3]
    )
    seats = [
        (float(a), float(b)) for a, b in re.findall(r'<circle cx="([\d.-]+)" cy="([\d.-]+)" r="11"', page)
    ]
    assert len(seats) == 40 and not any(
        x - 11 < cx < x + w + 11 and y - 11 < cy < y + h + 11 for cx, cy in seats
    )
    client.post(url, {"standing": "1", "tarif": standing.pk, "quantity": "5"})
    page = client.get(url).content.decode()  # full: drawn, said, not a link
    assert 'href="#standing-' not in page and "Fosse — places debout (Debout) : complet" in page

    login_staff(client, staff(performance.organizer, Role.PROGRAMMING))
    staff_page = client.get(
        reverse("staff:seating_performance", args=[performance.organizer.slug, performance.pk])
    )
    assert "Fosse — places debout (Debout) : 5 places" in staff_page.content.decode()
