"""The recommender's arithmetic on tiny data whose answers are worked out by hand (issue 23)."""

import numpy as np
import pytest

from parvis.recommendations import engine, learning, metrics, offline, simulation

# Four people, five shows. Shows 0 and 1 go together (three people took both); show 2 with 3; show 4 is
# new (nobody took it yet).
CELLS = [
    (0, 0, 2.0),
    (0, 1, 2.0),
    (1, 0, 2.0),
    (1, 1, 3.0),
    (2, 0, 2.0),
    (2, 1, 2.0),
    (3, 2, 2.0),
    (3, 3, 2.0),
]


def test_a_persons_strongest_signal_is_kept_for_each_show():
    matrix = learning.signal_matrix([(0, 1, 1.0), (0, 1, 3.0), (0, 1, 2.0), (1, 0, 2.0)], people=2, items=2)
    assert matrix.toarray().tolist() == [[0.0, 3.0], [2.0, 0.0]]
    assert learning.signal_matrix([], people=2, items=3).shape == (2, 3)


def test_ease_links_the_shows_the_same_people_took_and_nothing_to_itself():
    weights = learning.ease(learning.signal_matrix(CELLS, people=4, items=5), lam=1.0)
    assert np.allclose(np.diag(weights), 0)
    assert weights[0, 1] > 0.5 and weights[1, 0] > 0.5  # taken together
    assert weights[2, 3] > 0.3
    assert abs(weights[0, 2]) < 1e-6 and abs(weights[0, 4]) < 1e-6  # never together, or never taken
    assert np.argmax(weights[0]) == 1


def test_content_links_shows_described_alike_and_an_empty_catalogue_gives_zeros():
    texts = ["jazz trio piano swing", "jazz quartet piano swing", "danse contemporaine solo", ""]
    similarity = learning.content_similarity(texts)
    assert np.allclose(np.diag(similarity), 0)
    assert similarity[0, 1] > 0.5 and similarity[0, 2] == 0 and similarity[3].sum() == 0
    assert learning.content_similarity(["", " "]).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_a_new_show_is_reached_through_its_content_then_through_its_audience():
    collaborative = np.array([[0, 1.0, 0], [1.0, 0, 0], [0, 0, 0]], dtype=np.float32)
    content = np.array([[0, 0.2, 0.9], [0.2, 0, 0.1], [0.9, 0.1, 0]], dtype=np.float32)
    new = engine.blend(collaborative, content, np.array([40.0, 40.0, 0.0]), shrink=20)
    assert np.argmax(new[0]) == 2  # nobody bought show 2 yet: its description makes it the best
    together, alike = engine.blend_parts(collaborative, content, np.array([40.0, 40.0, 0.0]), shrink=20)
    assert alike[0, 2] == pytest.approx(1.0) and together[0, 2] == 0
    grown = engine.blend(collaborative, content, np.array([40.0, 40.0, 40.0]), shrink=20)
    assert grown[0, 1] > grown[0, 2]  # with an audience of its own, what people do weighs more


def test_neighbours_are_the_best_scores_best_first():
    scores = np.array([[0.0, 0.5, 0.9, 0.1], [0.3, 0.0, 0.2, 0.8]], dtype=np.float32)
    best, values = engine.neighbours(scores, count=2)
    assert best.tolist() == [[2, 1], [3, 0]] and values[0].tolist() == pytest.approx([0.9, 0.5])


FEATURES = engine.Features(
    attributes=[
        frozenset({"jazz", "club"}),
        frozenset({"jazz", "club"}),
        frozenset({"jazz", "club"}),
        frozenset({"danse", "théâtre"}),
        frozenset({"cirque", "parc"}),
    ],
    popularity=np.array([50, 40, 30, 2, 1]),
)


def test_familiar_keeps_the_order_of_relevance_and_curiosity_varies_the_list():
    relevance = [1.0, 0.9, 0.8, 0.5, 0.4]
    familiar = engine.rerank(range(5), relevance, FEATURES, count=3, balance=engine.Balance(0.0))
    assert [pick.index for pick in familiar] == [0, 1, 2]
    # Relevance scaled: 1, .83, .67, .17, 0. After show 0, shows 1 and 2 are alike to it (mean 1).
    balanced = engine.rerank(range(5), relevance, FEATURES, count=3, balance=engine.Balance(0.5))
    assert [pick.index for pick in balanced] == [0, 3, 1]  # .17 > .83 − 1·1; then .83 − 1·.5 > 0
    curious = engine.rerank(range(5), relevance, FEATURES, count=3, balance=engine.Balance(1.0))
    assert [pick.index for pick in curious] == [0, 3, 4]  # .83 − 2·.5 < 0


def test_a_genre_or_a_place_new_to_the_person_is_said_and_favoured():
    relevance = [1.0, 0.55, 0.55]
    features = engine.Features(
        attributes=[frozenset({"jazz"}), frozenset({"jazz", "b"}), frozenset({"danse", "c"})],
        popularity=np.ones(3),
    )
    picks = engine.rerank(
        range(3), relevance, features, count=2, balance=engine.Balance(0.5), known=frozenset({"jazz", "b"})
    )
    assert [pick.index for pick in picks] == [0, 2]
    assert picks[1].new_attributes == {"danse", "c"} and picks[0].new_attributes == frozenset()


def test_the_popular_is_discounted_with_curiosity_only():
    scores = np.array([[1.0, 0.8]], dtype=np.float32)
    popularity = np.array([100, 1])
    assert engine.discounted(scores, popularity, engine.Balance(0.0)).tolist() == scores.tolist()
    assert np.argmax(engine.discounted(scores, popularity, engine.Balance(0.5))) == 1


def test_candidates_leave_out_what_the_person_has():
    assert engine.top_candidates(np.array([0.9, 0.1, 0.5, 0.7]), np.array([0]), 2).tolist() == [3, 2]
    assert engine.top_candidates(np.array([0.9]), np.array([0]), 5).tolist() == []


def test_the_measures_on_lists_worked_out_by_hand():
    lists = {0: [1, 2], 1: [3, 4]}
    held_out = {0: {2}, 1: {0}}
    attributes = [frozenset({"a"}), frozenset({"a"}), frozenset({"b"}), frozenset({"a"}), frozenset({"a"})]
    figures = metrics.evaluate(
        lists,
        held_out,
        diversity={"genres": engine.unit_vectors(attributes)},
        discovery_attributes=attributes,
        known={0: frozenset({"a"}), 1: frozenset({"a"})},
        popularity=np.array([4, 2, 1, 1, 1]),
        people=4,
    )
    assert figures["recall_at_20"] == pytest.approx(0.5)  # person 0 found 1 of 1, person 1 none
    assert figures["ndcg_at_10"] == pytest.approx((1 / np.log2(3)) / 2)
    assert figures["ild_genres"] == pytest.approx(0.5)  # a/b differ, a/a alike
    assert figures["coverage"] == pytest.approx(4 / 5)
    assert figures["discovery_rate"] == 1.0  # the one hit is in genre b, new to person 0
    assert metrics.intra_list_diversity([0], engine.unit_vectors(attributes)) == 0.0


def test_recommending_for_many_leaves_out_what_each_has_and_splits_at_random():
    split = offline.random_split(CELLS * 1, people=4, items=5, seed=1)
    assert split.train.nnz + sum(len(v) for v in split.held_out.values()) == len(CELLS)
    matrix = learning.signal_matrix(CELLS, people=4, items=5)
    features = engine.Features(attributes=[frozenset({str(i)}) for i in range(5)], popularity=np.ones(5))
    lists = offline.recommend_all(
        matrix, learning.ease(matrix, lam=1.0), features, engine.Balance(0.0), count=2
    )
    assert lists[3][0] not in (2, 3) and lists[0][0] not in (0, 1)
    assert all(len(items) == 2 for items in lists.values())


def test_the_generated_network_plants_tastes_and_is_the_same_each_time():
    network = simulation.generate(people=300, venues=5, events=120, outings=3000, seed=3)
    again = simulation.generate(people=300, venues=5, events=120, outings=3000, seed=3)
    assert network.cells == again.cells
    assert len({(p, e) for p, e, _w in network.cells}) == len(network.cells)  # one visit per show
    genres_of = {}
    for person, event, _weight in network.cells:
        genres_of.setdefault(person, []).append(int(network.event_genre[event]))
    # Most people spend most of their outings on two genres of twelve.
    shares = [
        sum(sorted(np.bincount(g, minlength=12))[-2:]) / len(g) for g in genres_of.values() if len(g) >= 5
    ]
    assert np.median(shares) >= 0.8


def test_signals_from_arrays_keep_the_strongest_per_cell():
    matrix = learning.signal_matrix_of(
        np.array([0, 0, 1]), np.array([1, 1, 0]), np.array([2.0, 3.0, 1.0]), people=2, items=2
    )
    assert matrix.toarray().tolist() == [[0.0, 3.0], [1.0, 0.0]]
