"""Seat plans from the generator, pretix's JSON and a CSV: laid out by place (rows, blocks between aisles,
positions), never by number; every wrong input told at once."""

import json

import pytest

from parvis.network.models import Space
from parvis.seating import plans
from parvis.seating.models import Seat
from parvis.testing import VenueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall():
    return Space.objects.create(venue=VenueFactory(), name="Grande salle", capacity=500)


def test_the_generator_numbers_odd_left_and_even_right_and_blocks_follow_the_aisles(hall):
    draft = plans.generate(name="Parterre", rows=3, seats_per_row=8, aisles_after=[4], curve=0.3)
    plan = plans.plan_save(hall, draft, source="generator")
    row_a = list(Seat.objects.filter(plan=plan, row="A").order_by("x"))
    assert [s.number for s in row_a] == ["7", "5", "3", "1", "2", "4", "6", "8"]
    assert [(s.block, s.position) for s in row_a] == [
        (0, 0),
        (0, 1),
        (0, 2),
        (0, 3),
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
    ]
    assert [
        r
        for r in Seat.objects.filter(plan=plan, number="1")
        .order_by("row_index")
        .values_list("row", flat=True)
    ] == ["A", "B", "C"]
    assert plan.version == 1 and plans.plan_save(hall, draft, source="generator").version == 2
    quality = plans.default_quality(plan)
    centre = Seat.objects.get(plan=plan, row="A", number="1")
    corner = Seat.objects.get(plan=plan, row="C", number="8")
    assert quality[centre.pk] > quality[corner.pk]


def test_the_generator_refuses_impossible_aisles_and_sizes():
    with pytest.raises(plans.PlanInvalid) as caught:
        plans.generate(name="x", rows=0, seats_per_row=10, aisles_after=[10])
    assert len(caught.value.problems) == 2


def _pretix(seats_of_row2=None):
    return {
        "name": "Salle Jouvet",
        "categories": [{"name": "Orchestre", "color": "#aa0000"}, {"name": "Balcon"}],
        "size": {"width": 800, "height": 600},
        "zones": [
            {
                "name": "Orchestre",
                "position": {"x": 100, "y": 100},
                "rows": [
                    {
                        "row_number": "1",
                        "position": {"x": 0, "y": 0},
                        "seats": [
                            {
                                "seat_guid": f"o1-{n}",
                                "seat_number": str(n),
                                "position": {"x": x, "y": 0},
                                "category": "Orchestre",
                            }
                            for n, x in ((1, 0), (2, 20), (3, 40), (4, 100), (5, 120))
                        ],
                    },
                    {
                        "row_number": "2",
                        "position": {"x": 0, "y": 30},
                        "seats": seats_of_row2
                        or [
                            {
                                "seat_guid": "o2-1",
                                "seat_number": "1",
                                "position": {"x": 0, "y": 0},
                                "category": "Balcon",
                            }
                        ],
                    },
                ],
            }
        ],
    }


def test_a_pretix_plan_is_imported_with_its_categories_and_its_aisles(hall):
    plan = plans.plan_save(hall, plans.from_pretix(json.dumps(_pretix())), source="pretix")
    assert list(plan.categories.values_list("name", "colour")) == [
        ("Orchestre", "#aa0000"),
        ("Balcon", "#ff7f0e"),
    ]
    row = list(Seat.objects.filter(plan=plan, row="1").order_by("x"))
    assert [(s.number, s.block, s.position) for s in row] == [
        ("1", 0, 0),
        ("2", 0, 1),
        ("3", 0, 2),
        ("4", 1, 0),
        ("5", 1, 1),
    ]
    assert row[0].x == 100 and Seat.objects.get(plan=plan, guid="o2-1").y == 130


def test_a_pretix_plan_with_duplicate_seat_ids_or_unknown_categories_is_refused_with_each_fault(hall):
    bad = _pretix(
        [
            {"seat_guid": "o1-1", "seat_number": "1", "position": {"x": 0, "y": 0}, "category": "Balcon"},
            {"seat_guid": "o2-2", "seat_number": "2", "position": {"x": 20, "y": 0}, "category": "Loges"},
            {"seat_number": "3"},
        ]
    )
    with pytest.raises(plans.PlanInvalid) as caught:
        plans.from_pretix(bad)
    problems = caught.value.problems
    assert len(problems) == 3
    assert "o1-1" in problems[0] and "1-1" in problems[0]
    assert "Loges" in problems[1]
    assert "seat_guid" in problems[2]
    with pytest.raises(plans.PlanInvalid):
        plans.from_pretix("not json")
    assert not Seat.objects.exists()


def test_a_csv_plan_is_imported_and_its_wrong_lines_told_by_number(hall):
    text = (
        "zone;rang;place;x;y;categorie;options\n"
        "Parterre;A;1;10;10;Cat 1;\n"
        "Parterre;A;2;30;10;Cat 1;fauteuil\n"
        "Parterre;A;3;50;10;Cat 2;visibilite_reduite|accompagnateur\n"
    )
    plan = plans.plan_save(hall, plans.from_csv(text, name="CSV"), source="csv")
    seats = {s.number: s for s in Seat.objects.filter(plan=plan)}
    assert seats["2"].wheelchair and seats["3"].restricted and seats["3"].companion
    assert sorted(plan.categories.values_list("name", flat=True)) == ["Cat 1", "Cat 2"]
    wrong = (
        "zone,rang,place,x,y,categorie,options\n"
        "P,A,1,10,10,C,\n"
        "P,A,1,30,10,C,\n"
        "P,,2,abc,10,C,\n"
        "P,A,3,50,10,C,trône\n"
    )
    with pytest.raises(plans.PlanInvalid) as caught:
        plans.from_csv(wrong, name="CSV")
    assert [p.split(" :")[0] for p in caught.value.problems] == ["Ligne 3", "Ligne 4", "Ligne 5"]
    assert "trône" in caught.value.problems[2]
