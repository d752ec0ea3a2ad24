"""What a venue declares, kept as it was declared. The daily revenue statement (bordereau de recettes,
arrêté du 8 mars 1993) of a performance: numbered per organizer, dated, its figures by tariff, chained to
the previous one by a hash like the till journal, never changed afterwards (a correction is a new
statement that supersedes the old)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyStatement(models.Model):
    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="+")
    performance = models.ForeignKey("programming.Performance", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("n°"))
    issued_at = models.DateTimeField(_("établi le"))
    # [{"tariff", "unit_price", "issued", "numbers", "exonerated", "cancelled", "revenue", "scanned",
    #   "pass_share"}] and the totals: strings for amounts, exact decimals.
    lines = models.JSONField(default=list)
    totals = models.JSONField(default=dict)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("bordereau de recettes")
        verbose_name_plural = _("bordereaux de recettes")
        ordering = ["organizer", "number"]
        constraints = [
            models.UniqueConstraint(fields=["organizer", "number"], name="unique_statement_number"),
        ]

    def __str__(self) -> str:
        return f"{self.organizer_id} n° {self.number}"
