"""Rows that belong to an organizer or to a network (a campaign, a sending domain, a model of
recommendations…): the one database rule they share."""

from django.db import models
from django.db.models import Q


def one_owner(name: str) -> models.CheckConstraint:
    """A row of an organizer or of a network, never both, never neither (fields `organizer`, `network`)."""
    return models.CheckConstraint(
        condition=Q(organizer__isnull=False, network__isnull=True)
        | Q(organizer__isnull=True, network__isnull=False),
        name=name,
    )
