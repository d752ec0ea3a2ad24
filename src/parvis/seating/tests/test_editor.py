"""The plan editor: seats selected, then moved to a category, flagged, relabelled or deleted; each edit a
new version of the hall's plan, the dates on sale keeping theirs; every refusal said."""

import pytest
from django.urls import reverse

from parvis.network.models import Role, Space
from parvis.seating import editor, plans
from parvis.seating.models import Seat, SeatedPerformance, SeatPlan
from parvis.seating.plans import PlanInvalid
from parvis.testing import login_staff, staff

from .conftest import seat_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(seated):
    return seated[1]


def _seat(plan, row, number):
    return Seat.objects.get(plan=plan, row=row, number=str(number))


def test_each_edit_is_a_new_version_and_the_date_on_sale_keeps_its_own(plan, seated):
    performance = seated[0]
    v2 = editor.plan_edit(plan, editor.Edit("category", seat_ids(plan, "A", 1, 2, 3), category="Loge"))
    assert (v2.version, v2.space_id, v2.seats.count()) == (2, plan.space_id, 40)
    assert sorted(v2.categories.values_list("name", flat=True)) == ["Catégorie 1", "Loge"]
    assert [s.number for s in Seat.objects.filter(plan=v2, category__name="Loge").order_by("x")] == [
        "1",
        "2",
        "3",
    ]
    assert SeatedPerformance.objects.get(performance=performance).plan == plan  # kept
    assert not plan.categories.filter(name="Loge").exists()
    v3 = editor.plan_edit(v2, editor.Edit("flag", seat_ids(v2, "D", 10), flag="restricted", note="Pilier"))
    seat = _seat(v3, "D", 10)
    assert seat.restricted and seat.note == "Pilier" and _seat(v3, "D", 9).restricted is False
    v4 = editor.plan_edit(v3, editor.Edit("unflag", seat_ids(v3, "D", 10), flag="restricted"))
    assert not _seat(v4, "D", 10).restricted and _seat(v4, "D", 10).note == ""
    assert _seat(v4, "A", 1).guid == _seat(plan, "A", 1).guid  # a seat keeps its identity


def test_a_deleted_seat_leaves_a_gap_that_splits_the_row(plan):
    v2 = editor.plan_edit(plan, editor.Edit("delete", seat_ids(plan, "B", 5)))
    assert v2.seats.count() == 39 and not Seat.objects.filter(plan=v2, row="B", number="5").exists()
    assert _seat(v2, "B", 4).block != _seat(v2, "B", 6).block  # no longer neighbours
    assert _seat(v2, "C", 4).block == _seat(v2, "C", 6).block


def test_relabelling_a_row_or_a_seat_and_what_is_refused(plan):
    v2 = editor.plan_edit(plan, editor.Edit("relabel", seat_ids(plan, "A", *range(1, 11)), zone="Parterre"))
    assert Seat.objects.filter(plan=v2, zone="Parterre").count() == 10
    v3 = editor.plan_edit(
        v2, editor.Edit("relabel", [Seat.objects.get(plan=v2, row="B", number="1").pk], number="1 bis")
    )
    assert Seat.objects.filter(plan=v3, row="B", number="1 bis").exists()
    refusals = [
        editor.Edit("relabel", seat_ids(plan, "C", 1), number="2"),  # C 2 exists
        editor.Edit("relabel", seat_ids(plan, "C", 1, 2), number="9"),  # one number, two seats
        editor.Edit("relabel", seat_ids(plan, "C", 1), row=""),
        editor.Edit("category", []),
        editor.Edit("delete", list(plan.seats.values_list("pk", flat=True))),
        editor.Edit("flag", seat_ids(plan, "C", 1), flag="gold"),
        editor.Edit("paint", seat_ids(plan, "C", 1)),
    ]
    for edit in refusals:
        with pytest.raises(PlanInvalid) as refused:
            editor.plan_edit(plan, edit)
        assert refused.value.problems
    assert SeatPlan.objects.filter(space=plan.space).count() == 3  # nothing written by a refusal


def test_the_editor_page_selects_on_the_map_then_edits_and_only_programmers_may(client, plan):
    organizer = plan.space.venue.organizer
    url = reverse("staff:seat_plan", args=[organizer.slug, plan.pk])
    login_staff(client, staff(organizer, Role.BOX_OFFICE, username="guichet@example.org"))
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "delete", "place": seat_ids(plan, "A", 1)}).status_code == 403
    login_staff(client, staff(organizer, Role.PROGRAMMING))
    chosen = seat_ids(plan, "A", 1, 2)
    page = client.get(url, {"places": ",".join(map(str, chosen))}).content.decode()
    assert "2 places sélectionnées : rang A, place 1 ; rang A, place 2" in page
    answer = client.post(url, {"action": "flag", "flag": "wheelchair", "place": chosen})
    new = SeatPlan.objects.get(space=plan.space, version=2)
    assert answer.status_code == 302 and answer["Location"].endswith(f"/{new.pk}/")
    assert Seat.objects.filter(plan=new, wheelchair=True).count() == 2
    refused = client.post(url, {"action": "relabel", "number": "3", "place": seat_ids(plan, "A", 1)})
    assert refused.status_code == 200 and "porteraient le même nom" in refused.content.decode()
    other = Space.objects.create(venue=plan.space.venue, name="Studio")
    foreign = plans.plan_save(other, plans.generate(name="S", rows=1, seats_per_row=2), source="generator")
    assert client.get(reverse("staff:seat_plan", args=["autre", foreign.pk])).status_code in (403, 404)
