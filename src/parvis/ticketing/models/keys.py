"""Signing keys of the tickets, sales channels' API tokens and their idempotency records."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SigningKey(models.Model):
    """An organizer's Ed25519 key for ticket secrets. New keys replace old ones; old ones still verify."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="signing_keys")
    public_key = models.BinaryField(max_length=32)
    private_key = models.BinaryField(max_length=80)  # sealed: see core.keyvault
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("clé de signature")
        verbose_name_plural = _("clés de signature")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"key {self.pk} ({self.organizer})"


class IdempotencyRecord(models.Model):
    """The answer given to a request with an Idempotency-Key, replayed for a retry of the same request."""

    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="unique_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class ApiToken(models.Model):
    """A sales channel's token for one organizer. Only a hash is stored."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
