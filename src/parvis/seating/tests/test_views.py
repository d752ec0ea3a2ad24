"""The public seat map: the tickets page of a seated date leads to it; a seat tapped is added to the
choice (in the address), the choice or the best N go to the cart; every state is in words too."""

import pytest
from django.urls import reverse

from parvis.seating.models import ClaimState, Seat, SeatClaim
from parvis.ticketing.models import Hold

from .conftest import seat_ids

pytestmark = pytest.mark.django_db


def test_the_tickets_page_of_a_seated_date_leads_to_its_seat_map(client, seated):
    performance, _plan, _full = seated
    answer = client.get(reverse("ticketing:performance", args=[performance.pk]))
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "seating:choose", args=[performance.pk]
    )


def test_tapping_seats_builds_the_choice_and_taking_it_holds_them_in_the_cart(client, seated):
    performance, plan, full = seated
    url = reverse("seating:choose", args=[performance.pk])
    b4, b5 = seat_ids(plan, "B", 4, 5)
    page = client.get(url, {"places": f"{b4}"}).content.decode()
    assert f'href="{url}?places={b4},{b5}"' in page  # tapping B5 adds it
    assert "rang B, place 4 — Catégorie 1 — choisie" in page
    answer = client.post(url, {"places": f"{b4},{b5}", "tarif": full.pk})
    assert answer.status_code == 302 and answer["Location"] == reverse("ticketing:cart")
    hold = Hold.objects.get()
    assert sorted(SeatClaim.objects.filter(hold=hold).values_list("seat_id", flat=True)) == sorted([b4, b5])
    page = client.get(url).content.decode()
    assert "rang B, place 4 — Catégorie 1 — prise" in page  # in words, not only crossed out


def test_the_list_and_the_best_available_take_seats_too_and_a_taken_seat_is_refused_in_words(client, seated):
    performance, plan, full = seated
    url = reverse("seating:choose", args=[performance.pk])
    page = client.get(url).content.decode()
    assert 'name="place"' in page and "place 1 — libre, Catégorie 1" in page
    assert client.post(url, {"place": seat_ids(plan, "C", 1, 2), "tarif": full.pk}).status_code == 302
    assert client.post(url, {"best": "1", "quantity": "3", "tarif": full.pk}).status_code == 302
    assert SeatClaim.objects.filter(state=ClaimState.HELD).count() == 5
    other = client.__class__()
    refused = other.post(url, {"place": seat_ids(plan, "C", 2, 3), "tarif": full.pk})
    assert refused.status_code == 409
    assert "vient de prendre ces places : rang C, place 2" in refused.content.decode()


def test_bad_input_is_answered_without_an_error_page(client, seated):
    performance, plan, full = seated
    url = reverse("seating:choose", args=[performance.pk])
    assert client.get(url, {"places": "abc,99999999,-3"}).status_code == 200
    assert client.post(url, {"tarif": "x"}).status_code == 409
    assert client.post(url, {"best": "1", "quantity": "99", "tarif": full.pk}).status_code == 409
    assert client.post(url, {"tarif": full.pk}).status_code == 409
    assert client.get(reverse("seating:choose", args=[10**8])).status_code == 404
    assert not Seat.objects.filter(claims__isnull=False).exists()
