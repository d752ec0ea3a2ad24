"""Door check-in: lists with rules, gates, scanning devices, and every scan recorded."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gate(models.Model):
    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="gates")
    name = models.CharField(_("nom"), max_length=100)

    class Meta:
        verbose_name = _("porte")
        verbose_name_plural = _("portes")
        constraints = [models.UniqueConstraint(fields=["organizer", "name"], name="unique_gate_name")]

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    """A phone or scanner with its own credentials (only a hash is kept), revocable."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(_("nom"), max_length=100)
    gate = models.ForeignKey(Gate, null=True, blank=True, on_delete=models.SET_NULL, related_name="devices")
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("appareil de contrôle")
        verbose_name_plural = _("appareils de contrôle")

    def __str__(self) -> str:
        return self.name


class CheckinList(models.Model):
    """Who may enter where: performances (one, several, a festival), tariffs, entry window, re-entry."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="checkin_lists")
    name = models.CharField(_("nom"), max_length=100)
    performances = models.ManyToManyField("programming.Performance", related_name="checkin_lists")
    tariffs = models.ManyToManyField(
        "ticketing.Tariff", blank=True, related_name="checkin_lists", help_text=_("Aucun : tous les tarifs.")
    )
    allow_reentry = models.BooleanField(_("sorties et retours autorisés"), default=False)
    opens_minutes_before = models.PositiveIntegerField(_("ouverture des portes (minutes avant)"), default=90)
    slot_tolerance_minutes = models.PositiveIntegerField(_("tolérance des créneaux (minutes)"), default=15)
    include_pending = models.BooleanField(_("accepter les commandes non payées"), default=False)

    class Meta:
        verbose_name = _("liste de contrôle")
        verbose_name_plural = _("listes de contrôle")

    def __str__(self) -> str:
        return self.name


class Scan(models.Model):
    """One scan as the device saw it. A device's retry with the same nonce is the same scan."""

    class Kind(models.TextChoices):
        ENTRY = "entry", _("Entrée")
        EXIT = "exit", _("Sortie")

    checkin_list = models.ForeignKey(CheckinList, on_delete=models.CASCADE, related_name="scans")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="scans")
    gate = models.ForeignKey(Gate, null=True, blank=True, on_delete=models.SET_NULL, related_name="scans")
    ticket = models.ForeignKey(
        "ticketing.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="scans"
    )
    nonce = models.CharField(max_length=64)
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.ENTRY)
    accepted = models.BooleanField()
    reason = models.CharField(max_length=30, blank=True)
    scanned_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("passage")
        verbose_name_plural = _("passages")
        constraints = [models.UniqueConstraint(fields=["device", "nonce"], name="unique_scan_nonce")]
        indexes = [models.Index(fields=["checkin_list", "scanned_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.ticket_id} {'ok' if self.accepted else self.reason}"


class Presence(models.Model):
    """A ticket's state on a list. Its unique row is what makes an entry happen exactly once."""

    checkin_list = models.ForeignKey(CheckinList, on_delete=models.CASCADE, related_name="presences")
    ticket = models.ForeignKey("ticketing.Ticket", on_delete=models.PROTECT, related_name="presences")
    first_scan = models.ForeignKey(Scan, on_delete=models.PROTECT, related_name="+")
    inside = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["checkin_list", "ticket"], name="unique_presence")]

    def __str__(self) -> str:
        return f"{self.ticket_id} on {self.checkin_list_id}"
