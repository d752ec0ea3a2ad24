"""Outgoing webhooks: where an organizer wants to be told, and every delivery made (the log staff read and
replay)."""

import base64
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

TOPICS = (
    ("order.paid", _("Commande payée")),
    ("order.refunded", _("Commande remboursée (en tout ou en partie)")),
    ("ticket.checked_in", _("Billet contrôlé à l'entrée")),
    ("contact.updated", _("Contact créé ou complété")),
    ("consent.changed", _("Consentement donné ou retiré")),
    ("performance.updated", _("Date modifiée")),
)


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes it: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Endpoint(models.Model):
    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    url = models.URLField(_("adresse"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    topics = models.JSONField(_("événements"), default=list)
    secret = models.CharField(max_length=80, default=new_secret)
    # After a rotation the previous secret signs too, for a day: the receiver has time to switch.
    previous_secret = models.CharField(max_length=80, blank=True)
    previous_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    failures_in_row = models.PositiveIntegerField(default=0)
    from_seq = models.BigIntegerField(default=0)  # it is told of the changes placed after its creation
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook")

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("En attente")
        SUCCEEDED = "succeeded", _("Livré")
        FAILED = "failed", _("Échec définitif")

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=40, unique=True)  # "msg_…": the receiver's idempotency key
    topic = models.CharField(max_length=40)
    seq = models.BigIntegerField()  # the change it tells (its place in the feed)
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)  # the receiver's HTTP status
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint", "seq"], name="one_delivery_per_change")]
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_recent")]

    def __str__(self) -> str:
        return f"{self.message_id} {self.topic} → {self.endpoint_id} ({self.state})"


SCOPES = (
    ("orders", _("Commandes")),
    ("tickets", _("Billets")),
    ("checkins", _("Entrées contrôlées")),
    ("contacts", _("Contacts")),
    ("consents", _("Consentements")),
    ("interactions", _("Interactions (historique des contacts)")),
)


class SyncToken(models.Model):
    """A token of the incremental sync API ("sy_…"), for one organizer and the records it may read."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"
