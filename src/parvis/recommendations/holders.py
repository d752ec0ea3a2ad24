"""A pass holder's suggested dates in their own order: among the dates the pass allows, venues new to
them still first (the discovery a pass exists for), then what the network's model says their choices at
every member lead to, each with why. Only when the holder shares their profile with the network (their
contacts linked to one profile) and agreed to personalised recommendations; the holdout group and the
others keep the plain order. Each showing is kept as an impression of the network."""

from django.utils import timezone

from parvis.passes.extensions import SuggestionRanker

from . import history, personal, selectors, tracking
from .models import Arm, Impression, Surface

KEPT = 10  # the first dates of the page kept in the impression


class PassTaste(SuggestionRanker):
    def rank(self, holding, rows: list[dict]) -> list[dict]:
        network_id = holding.product.network_id
        contact_id = holding.order.contact_id
        if not rows or network_id is None or contact_id is None:
            return rows
        if contact_id not in history.consenting([contact_id]):
            return rows
        person = personal.profile_histories(network_id, [contact_id]).get(contact_id)
        if person is None:  # not linked: they do not share their profile with the network
            return rows
        policy = selectors.policy_of(network_id=network_id)
        training = selectors.latest_training(network_id=network_id)
        arm = Arm.PERSONAL
        if tracking.in_holdout(f"n{network_id}", contact_id, policy.holdout_percent):
            arm = Arm.HOLDOUT
        elif training is not None:
            rows = _by_taste(network_id, person.weights, rows)
        Impression.objects.create(
            network_id=network_id,
            surface=Surface.PASS,
            ref=f"pass:{holding.pk}",
            arm=arm,
            version=training.version if training else None,
            curiosity=policy.curiosity,
            contact_id=contact_id,
            events=list(dict.fromkeys(row["performance"].event_id for row in rows))[:KEPT],
            at=timezone.now(),
        )
        return rows


def _by_taste(network_id: int, weights: dict[int, float], rows: list[dict]) -> list[dict]:
    """The rows ordered by new venue first, then by what the person's choices (`weights`, across the
    network) lead to through the network's neighbours, then by date."""
    found = personal.network_neighbours_of(network_id, sorted(weights))
    titles = {event_id: (title, title_en) for event_id, _n, _s, title, title_en in found}
    scores, because = personal.lead_to(weights, ((e, n, score) for e, n, score, _t, _te in found))
    for row in rows:
        event_id = row["performance"].event_id
        if event_id in because:
            row["why"] = personal.reason_text(personal.Because("liked", because[event_id][1]), titles)
    return sorted(
        rows,
        key=lambda row: (
            not row["new_venue"],
            -scores.get(row["performance"].event_id, 0.0),
            row["performance"].starts_at,
        ),
    )
