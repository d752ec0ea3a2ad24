"""Gift vouchers and the movements of their balance."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .orders import Order


def _voucher_code() -> str:
    """12 characters in 3 groups, from an alphabet without 0/O, 1/I/L: easy to read out at a counter."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


class Voucher(models.Model):
    """A gift voucher (bon cadeau), or a credit given back on a refund: a value spent over several orders
    until the balance is used up or it expires. The balance only changes through conditional UPDATEs
    (never below zero), each with its movement."""

    class Source(models.TextChoices):
        BOX_OFFICE = "box_office", _("Vendu au guichet")
        ONLINE = "online", _("Vendu en ligne")
        REFUND = "refund", _("Avoir sur remboursement")
        GIFT = "gift", _("Offert")

    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="vouchers")
    code = models.CharField(_("code"), max_length=14, unique=True, default=_voucher_code)
    initial_value = models.DecimalField(_("valeur"), max_digits=9, decimal_places=2)
    balance = models.DecimalField(_("solde"), max_digits=9, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    source = models.CharField(_("origine"), max_length=12, choices=Source.choices)
    expires_at = models.DateTimeField(_("valable jusqu'au"))
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recipient = models.CharField(_("bénéficiaire"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("bon cadeau")
        verbose_name_plural = _("bons cadeaux")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="voucher_balance_positive"),
            models.CheckConstraint(
                condition=Q(balance__lte=F("initial_value")), name="voucher_balance_le_value"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class VoucherMovement(models.Model):
    class Kind(models.TextChoices):
        ISSUE = "issue", _("Émission")
        REDEEM = "redeem", _("Utilisation")
        RESTORE = "restore", _("Recrédit")
        CANCEL = "cancel", _("Annulation")

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = models.DecimalField(max_digits=9, decimal_places=2)  # + credit, − debit
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.voucher} {self.kind} {self.amount}"
