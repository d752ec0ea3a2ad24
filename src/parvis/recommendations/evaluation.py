"""`parvis reco evaluate`: the organizer's history replayed with a time split (the signals before a date
to learn from, those after to find), each model and balance side by side: popularity, plain EASE, and
EASE re-ranked at several balances."""

import datetime

import numpy as np
from django.utils import timezone

from parvis.programming.models import Event, EventStatus, Performance
from parvis.ticketing.models import Ticket, TicketState

from . import engine, history, learning, offline


def _cells(organizer_id: int, column_of: dict[int, int], row_of: dict[int, int], cut, *, before: bool):
    left_out = history.refusing(organizer_id)
    tickets = Ticket.objects.filter(
        organizer_id=organizer_id, state=TicketState.VALID, order__contact__isnull=False
    )
    tickets = tickets.filter(order__paid_at__lt=cut) if before else tickets.filter(order__paid_at__gte=cut)
    cells = []
    for contact_id, event_id in tickets.values_list("order__contact_id", "performance__event_id").distinct():
        if contact_id in left_out or event_id not in column_of:
            continue
        cells.append(
            (row_of.setdefault(contact_id, len(row_of)), column_of[event_id], engine.WEIGHTS["bought"])
        )
    return cells


def time_split(organizer, *, held_days: int = 90, now=None):
    """Learn from what was bought until `held_days` ago; find what was bought since."""
    now = now or timezone.now()
    cut = now - datetime.timedelta(days=held_days)
    events = list(Event.objects.filter(organizer=organizer, status=EventStatus.PUBLISHED).order_by("pk"))
    column_of = {event.pk: column for column, event in enumerate(events)}
    row_of: dict[int, int] = {}
    before = _cells(organizer.pk, column_of, row_of, cut, before=True)
    after = _cells(organizer.pk, column_of, row_of, cut, before=False)
    train = learning.signal_matrix(before, people=len(row_of), items=len(events))
    held: dict[int, set[int]] = {}
    for row, column, _weight in after:
        if train[row, column] == 0:
            held.setdefault(row, set()).add(column)
    venues: dict[int, set] = {}
    for event_id, venue_id in Performance.objects.filter(organizer=organizer).values_list(
        "event_id", "venue_id"
    ):
        venues.setdefault(event_id, set()).add(f"venue:{venue_id}")
    genres = [frozenset({f"genre:{event.genre}"}) for event in events]
    places = [frozenset(venues.get(event.pk, ())) for event in events]
    return offline.Split(train, held), genres, places


def compare(split: offline.Split, genres, places, *, balances=(0.0, 0.25, 0.5, 0.75)) -> list[dict]:
    attributes = [g | p for g, p in zip(genres, places, strict=True)]
    known = offline.known_attributes(split.train, attributes)
    features = engine.Features(attributes=attributes, popularity=offline.popularity(split.train))
    diversity = {"genres": genres, "venues": places}
    rows = []
    popular = np.tile(features.popularity.astype(np.float32), (len(genres), 1))
    models = [("popularity", popular, (0.0,))]
    if split.train.nnz:
        models.append(("ease", learning.ease(split.train), balances))
    for name, item_scores, settings in models:
        for curiosity in settings:
            lists = offline.recommend_all(
                split.train, item_scores, features, engine.Balance(curiosity), known=known
            )
            figures = offline.assess(
                split, lists, diversity=diversity, discovery_attributes=attributes, known=known
            )
            rows.append({"model": name, "curiosity": curiosity, **figures})
    return rows
