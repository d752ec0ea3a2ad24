"""Training the models (nightly, `parvis reco train`): an organizer's from its published events and what
its audience bought and came to; a network's from its members' events and what the people who share their
profile with the network did at any of them (one row per network profile). EASE blended with the events'
content, and for each event the 30 coming events it leads to best, kept as `Neighbour` rows that the
pages read."""

import time

import numpy as np
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from parvis.network.models import NetworkMembership
from parvis.programming.models import Event, EventStatus, Performance

from . import engine, history, learning
from .models import Neighbour, Training

NEIGHBOURS = 30
LAMBDA = 300.0
SHRINK = 20.0
# "The audience of X chose it too" is said when at least this many people took both: a public page does
# not tell what one or two people did.
TOGETHER_AT_LEAST = 3


def _catalogue(organizer_ids: list[int]) -> list[dict]:
    events = list(
        Event.objects.filter(organizer_id__in=organizer_ids, status=EventStatus.PUBLISHED)
        .order_by("pk")
        .values(
            "pk", "title", "title_en", "subtitle", "genre", "tags", "artists", "description", "description_en"
        )
    )
    venues: dict[int, set[str]] = {}
    for event_id, name, town in (
        Performance.objects.filter(organizer_id__in=organizer_ids)
        .values_list("event_id", "venue__name", "venue__town")
        .distinct()
    ):
        venues.setdefault(event_id, set()).add(f"{name} {town}")
    for event in events:
        event["places"] = " ".join(sorted(venues.get(event["pk"], ())))
    return events


def _text(event: dict) -> str:
    """What staff wrote of an event, the genre and artists repeated: they say more than a description."""
    words = [event["genre"]] * 3 + [event["artists"]] * 2 + [event["tags"]] * 2
    words += [
        event[name] for name in ("title", "title_en", "subtitle", "places", "description", "description_en")
    ]
    return " ".join(part for part in words if part)


def train_organizer(organizer, *, now=None) -> Training:
    """A new version of the organizer's model; the older ones and their neighbours deleted."""
    events = _catalogue([organizer.pk])
    column_of = {event["pk"]: column for column, event in enumerate(events)}
    return _train(
        {"organizer": organizer},
        events,
        history.organizer_history(organizer.pk, column_of),
        history.coming_event_ids([organizer.pk], now or timezone.now()),
        now=now,
    )


def train_network(network, *, now=None) -> Training:
    """A new version of the network's model: its members' events, and only the signals of the people who
    share their profile with the network (and did not refuse recommendations where they did them)."""
    members = list(NetworkMembership.objects.filter(network=network).values_list("organizer_id", flat=True))
    events = _catalogue(members)
    column_of = {event["pk"]: column for column, event in enumerate(events)}
    return _train(
        {"network": network},
        events,
        history.network_history(network.pk, column_of),
        history.coming_event_ids(members, now or timezone.now()),
        now=now,
    )


def _train(owner: dict, events: list[dict], signals, coming_ids: set[int], *, now=None) -> Training:
    started = time.perf_counter()
    now = now or timezone.now()
    column_of = {event["pk"]: column for column, event in enumerate(events)}
    matrix = learning.signal_matrix_of(
        signals.rows, signals.cols, signals.weights, people=len(signals.people), items=len(events)
    )
    counts = np.asarray((matrix > 0).sum(axis=0)).ravel() if len(events) else np.zeros(0)
    coming = sorted(column_of[pk] for pk in coming_ids if pk in column_of)
    rows = _neighbour_rows(events, matrix, counts, coming)
    with transaction.atomic():
        version = (Training.objects.filter(**owner).aggregate(v=Max("version"))["v"] or 0) + 1
        training = Training.objects.create(
            **owner,
            version=version,
            trained_at=now,
            events=len(events),
            people=len(signals.people),
            signals=matrix.nnz,
            params={"model": "ease+tfidf", "lambda": LAMBDA, "shrink": SHRINK, "neighbours": NEIGHBOURS},
        )
        Neighbour.objects.bulk_create([Neighbour(training=training, **row) for row in rows], batch_size=2000)
        Training.objects.filter(**owner, version__lt=version).delete()
        Training.objects.filter(pk=training.pk).update(seconds=round(time.perf_counter() - started, 3))
    return training


def _neighbour_rows(events: list[dict], matrix, counts: np.ndarray, coming: list[int]) -> list[dict]:
    if not events or not coming:
        return []
    collaborative = (
        learning.ease(matrix, lam=LAMBDA) if matrix.nnz else np.zeros((len(events),) * 2, np.float32)
    )
    content = learning.content_similarity([_text(event) for event in events])
    together, alike = engine.blend_parts(collaborative, content, counts, shrink=SHRINK)
    scores = (together + alike)[:, coming]
    taken = (matrix > 0).astype(np.float32)
    both = np.asarray((taken.T @ taken).todense())[:, coming]  # how many people took each pair
    for position, column in enumerate(coming):
        scores[column, position] = -np.inf  # an event is not its own neighbour
    best, best_scores = engine.neighbours(scores, count=NEIGHBOURS)
    rows = []
    for column, event in enumerate(events):
        for rank, (position, score) in enumerate(zip(best[column], best_scores[column], strict=True)):
            if not np.isfinite(score) or score <= 0:
                break
            reason = (
                Neighbour.Reason.TOGETHER
                if both[column, position] >= TOGETHER_AT_LEAST
                else Neighbour.Reason.ALIKE
            )
            rows.append(
                {
                    "event_id": event["pk"],
                    "neighbour_id": events[coming[position]]["pk"],
                    "rank": rank,
                    "score": float(score),
                    "reason": reason,
                }
            )
    return rows
