"""Accounting documents: invoices and their numbering, donation tax receipts."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .orders import Order


class InvoiceSeries(models.Model):
    """The gapless numbering of an organizer's invoices and credit notes."""

    organizer = models.OneToOneField(
        "network.Organizer", on_delete=models.PROTECT, related_name="invoice_series"
    )
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.organizer}: {self.last_number}"


class Invoice(models.Model):
    """An invoice (or credit note, negative) frozen at issue: seller, buyer, lines and VAT breakdown."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Facture")
        CREDIT_NOTE = "credit_note", _("Avoir")

    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    number = models.PositiveIntegerField()
    issued_at = models.DateTimeField(default=timezone.now)
    seller = models.JSONField()
    buyer = models.JSONField()
    lines = models.JSONField()
    vat_breakdown = models.JSONField()
    total_excl_tax = models.DecimalField(max_digits=12, decimal_places=2)
    total_tax = models.DecimalField(max_digits=12, decimal_places=2)
    total_incl_tax = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        constraints = [models.UniqueConstraint(fields=["organizer", "number"], name="unique_invoice_number")]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        return f"{'AV' if self.kind == self.Kind.CREDIT_NOTE else 'F'}-{self.number:06d}"


class DonationReceipt(models.Model):
    """A tax receipt for a donation (CERFA n° 11580), numbered without gap per organizer and year.
    Never deleted: a refunded donation's receipt is marked cancelled, with the date."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="donation_receipts")
    donor_name = models.CharField(max_length=200)
    donor_address = models.CharField(max_length=300)
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    received_on = models.DateField()
    method = models.CharField(max_length=40)
    issued_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reçu fiscal")
        verbose_name_plural = _("reçus fiscaux")
        constraints = [
            models.UniqueConstraint(fields=["organizer", "year", "number"], name="unique_receipt_number"),
            models.UniqueConstraint(fields=["order"], name="one_receipt_per_order"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"{self.year}-{self.number:05d}"
