"""The market's long background work: placing the meetings in one batch (up to a minute of solving)."""

from django.contrib.auth import get_user_model
from django_tasks import task

from . import meetings
from .models import Market


@task()
def schedule_market_task(*, market_id: int, actor_id: int | None, seconds: float = 30.0) -> None:
    """Safe to run twice: meetings placed by the first run stay where they are, the second places none."""
    market = Market.objects.select_related("venue").filter(pk=market_id).first()
    if market is None:
        return
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        meetings.schedule_market(actor=actor, market=market, seconds=seconds)
    finally:  # done, or failed (tried again by the worker's policy, or asked again by the team)
        Market.objects.filter(pk=market.pk).update(schedule_asked_at=None)
