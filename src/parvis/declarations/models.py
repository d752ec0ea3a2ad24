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


class SibilAccount(models.Model):
    """The organizer's SIBIL login (its declarant account at the Ministry). The password is written here by
    an administrator and never shown again."""

    organizer = models.OneToOneField(
        "network.Organizer", on_delete=models.CASCADE, related_name="sibil_account"
    )
    username = models.CharField(_("identifiant SIBIL"), max_length=200)
    password = models.CharField(_("mot de passe SIBIL"), max_length=200)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organizer_id}: {self.username}"


class SibilDomain(models.Model):
    """A performance domain as SIBIL lists it (`GET /domaine-representations`): its numeric id is SIBIL's,
    fetched and kept, never written by hand."""

    id = models.PositiveIntegerField(primary_key=True)
    label = models.CharField(_("domaine"), max_length=200)
    active = models.BooleanField(default=True)
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class GenreDomain(models.Model):
    """Which SIBIL domain an organizer's genre declares as: chosen once by staff."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    genre = models.CharField(max_length=20)
    domain = models.ForeignKey(SibilDomain, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organizer", "genre"], name="unique_genre_domain")]

    def __str__(self) -> str:
        return f"{self.organizer_id} {self.genre} → {self.domain_id}"


class SibilDeclaration(models.Model):
    """A performance as declared to SIBIL: its external id (made once, never changed: SIBIL refuses a new id
    for the same show and time, and the same id updates), SIBIL's id and status, and what was sent."""

    class Status(models.TextChoices):
        NOT_SENT = "", _("Pas encore envoyée")
        DRAFT = "BROUILLON", _("Brouillon")
        RECORDED = "ENREGISTRE", _("Enregistrée")
        CLOSED = "CLOTURE", _("Clôturée")
        REJECTED = "REJETE", _("Rejetée")
        CANCELLED = "ANNULE", _("Annulée")

    performance = models.OneToOneField(
        "programming.Performance", on_delete=models.PROTECT, related_name="sibil_declaration"
    )
    ext_id = models.CharField(max_length=16, unique=True)
    sibil_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    error = models.TextField(blank=True)
    sent = models.JSONField(default=dict, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.ext_id} ({self.status or '-'})"
