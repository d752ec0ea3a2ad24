"""Waiting lists of sold-out dates."""

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .catalogue import Tariff
from .orders import Cart


def _waiting_token() -> str:
    return secrets.token_urlsafe(24)


class WaitingEntry(models.Model):
    """A place in a sold-out performance's waiting list. When places come back, they are offered in order:
    the offer is a hold in a cart of its own, kept for a limited time, then passed to the next person."""

    class State(models.TextChoices):
        WAITING = "waiting", _("En attente")
        OFFERED = "offered", _("Places proposées")
        CONVERTED = "converted", _("Places achetées")
        EXPIRED = "expired", _("Proposition expirée")
        CANCELLED = "cancelled", _("Retiré de la liste")

    performance = models.ForeignKey(
        "programming.Performance", on_delete=models.CASCADE, related_name="waiting_entries"
    )
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="+", verbose_name=_("tarif"))
    quantity = models.PositiveSmallIntegerField(
        _("places"), default=1, validators=[MinValueValidator(1), MaxValueValidator(6)]
    )
    email = models.EmailField(_("e-mail"))
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    language = models.CharField(max_length=8, default="fr")
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    token = models.CharField(max_length=64, unique=True, default=_waiting_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    cart = models.OneToOneField(
        Cart, null=True, blank=True, on_delete=models.SET_NULL, related_name="waiting_entry"
    )

    class Meta:
        verbose_name = _("inscription en liste d'attente")
        verbose_name_plural = _("liste d'attente")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["performance", "email"],
                condition=Q(state__in=["waiting", "offered"]),
                name="one_live_waiting_entry_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.performance_id} {self.email} {self.state}"
