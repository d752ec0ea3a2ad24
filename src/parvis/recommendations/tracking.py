"""What the recommendations showed and what came of it: the online half of their proof.

Each time suggestions reach a person (a campaign's message, their account page) one `Impression` keeps
which shows, from which training, under which balance and in which group; the person is named only if
they consented to personalised recommendations. The event pages' « Vous aimerez aussi », the same for
all, is counted per day (`Tally`). A click on a suggestion marks the impression it came from; what was
bought afterwards is read from the tickets when the report is drawn (`report`), not logged at the sale.

The holdout group: among the people who consented, a share the organizer sets (10 % by default) get the
common list instead of their own, always the same people (a keyed hash of the organizer and the person,
nothing stored), so that the report can compare like with like.
"""

import hashlib
import hmac

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from parvis.core.params import int_or_none

from .models import Impression, Surface, Tally

_SIGNER = signing.Signer(salt="parvis.recommendations.impression", sep=".")
PAGE = "page"  # the `suggestion` parameter of the links of the event pages' « Vous aimerez aussi »
NETWORK_PAGE = "network-"  # … and of their list of the network's other members, with the network's id


def in_holdout(owner: int | str, contact_id: int, percent: int) -> bool:
    """`owner`: an organizer's id, or "n<id>" for a network's."""
    if percent <= 0:
        return False
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"reco-holdout:{owner}:{contact_id}".encode(), hashlib.sha256
    ).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


def record(impressions: list[Impression | None]) -> None:
    """Keep a batch of impressions (one query)."""
    kept = [impression for impression in impressions if impression is not None]
    if kept:
        Impression.objects.bulk_create(kept)


def token_of(impression: Impression) -> str:
    return _SIGNER.sign(str(impression.pk))


def clicked(token: str, event_id: int, *, now=None) -> bool:
    """A suggestion of an account page opened (`token`: its link's, signed): the first one marks its
    impression, if it held that show. Whether one was counted."""
    try:
        value = _SIGNER.unsign(token)
    except signing.BadSignature:
        return False
    impression_id = int_or_none(value)
    if impression_id is None:
        return False
    return _mark(Impression.objects.filter(pk=impression_id), event_id, now)


def clicked_in_message(ref: str, event_id: int, *, now=None) -> bool:
    """A suggestion of a campaign's message opened (`ref`: "recipient:<id>"), for a named impression."""
    found = Impression.objects.filter(surface=Surface.CAMPAIGN, ref=ref, contact__isnull=False)
    return _mark(found, event_id, now)


def _mark(found, event_id: int, now) -> bool:
    impression = found.filter(clicked_at__isnull=True).only("pk", "events").first()
    if impression is None or event_id not in impression.events:
        return False
    return bool(
        Impression.objects.filter(pk=impression.pk, clicked_at__isnull=True).update(
            clicked_event_id=event_id, clicked_at=now or timezone.now()
        )
    )


def page_shown(*, organizer_id=None, network_id=None, version: int, curiosity, clicks=0, shown=1) -> None:
    """One more showing (or click) of an event page's list today, the organizer's or the network's: one
    update, a row created the first time of the day."""
    key = {
        "organizer_id": organizer_id,
        "network_id": network_id,
        "day": timezone.localdate(),
        "version": version,
        "curiosity": curiosity,
    }
    changes = {"shown": F("shown") + shown, "clicked": F("clicked") + clicks}
    if Tally.objects.filter(**key).update(**changes):
        return
    try:
        with transaction.atomic():
            Tally.objects.create(**key, shown=shown, clicked=clicks)
    except IntegrityError:  # another request of the same day came first
        Tally.objects.filter(**key).update(**changes)


def page_clicked(*, organizer_id=None, network_id=None, version: int, curiosity) -> None:
    page_shown(
        organizer_id=organizer_id,
        network_id=network_id,
        version=version,
        curiosity=curiosity,
        clicks=1,
        shown=0,
    )
