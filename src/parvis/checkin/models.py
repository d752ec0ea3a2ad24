"""Door check-in: lists with rules, gates, scanning devices, and every scan recorded."""

from django.conf import settings
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from parvis.ticketing.signing import public_keys_of

from . import extensions

# Why a ticket is refused, as the door staff read it (codes of services.redeem and of the offline judge).
REFUSAL_LABELS = {
    "already_used": _("Déjà utilisé"),
    "cancelled": _("Billet annulé"),
    "refunded": _("Billet remboursé"),
    "exchanged": _("Billet échangé"),
    "unpaid": _("Commande non payée"),
    "wrong_performance": _("Pas pour cette date"),
    "wrong_tariff": _("Tarif non admis sur cette liste"),
    "too_early": _("Trop tôt : les portes ne sont pas ouvertes"),
    "expired": _("Billet expiré"),
    "wrong_slot": _("Pas pour ce créneau"),
    "online": _("Billet en ligne : il donne accès à la diffusion, pas à la salle"),
    "invalid": _("Billet inconnu ou falsifié"),
    "malformed": _("Code illisible : ce n'est pas un billet"),
    "unknown_ticket": _("Billet inconnu"),
    "no_reentry": _("Sorties non autorisées sur cette liste"),
    "not_inside": _("Ce billet n'est pas entré"),
    "refused_offline": _("Refusé hors ligne"),
    "member_card_refused": _("Les cartes d'adhérent ne donnent pas l'entrée sur cette liste"),
    "member_expired": _("Carte d'adhérent expirée ou annulée"),
    "member_elsewhere": _("Carte d'adhérent non valable dans ce lieu"),
    "member_used": _("Carte déjà utilisée pour toutes ses personnes"),
}


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
    admit_members = models.BooleanField(
        _("cartes d'adhérent acceptées"),
        default=False,
        help_text=_("Une carte d'adhérent valable ici fait entrer ses titulaires sans billet."),
    )
    # Areas this list opens to the codes of the products above (a market's days, its showcases), read by
    # the registered code kinds (`checkin.extensions`).
    areas = models.JSONField(_("badges admis"), default=list, blank=True)
    # The list each date gets with it (all its valid tickets); other lists cover several dates.
    default_for = models.OneToOneField(
        "programming.Performance",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="default_checkin_list",
        verbose_name=_("liste par défaut de la date"),
    )

    class Meta:
        verbose_name = _("liste de contrôle")
        verbose_name_plural = _("listes de contrôle")

    def __str__(self) -> str:
        return self.name

    @cached_property
    def performance_ids(self) -> frozenset[int]:
        return frozenset(self.performances.values_list("pk", flat=True))

    @cached_property
    def tariff_ids(self) -> frozenset[int]:
        """Tariffs admitted; empty means every tariff."""
        return frozenset(self.tariffs.values_list("pk", flat=True))

    @cached_property
    def public_keys(self) -> dict[int, bytes]:
        return public_keys_of(self.organizer)


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
    # A member card scanned instead of a ticket (lists that admit members).
    membership = models.ForeignKey(
        "memberships.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="scans"
    )
    # A code of a product above (a badge: "badge:<id>"), neither a ticket nor a member card.
    code_ref = models.CharField(max_length=40, blank=True)
    nonce = models.CharField(max_length=64)
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.ENTRY)
    accepted = models.BooleanField()
    reason = models.CharField(max_length=30, blank=True)
    scanned_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    # Judged by the device without the network, synchronised later.
    offline = models.BooleanField(default=False)
    # The door let in someone the server refuses on sync (used twice, revoked meanwhile): staff review it.
    conflict = models.BooleanField(default=False)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("passage")
        verbose_name_plural = _("passages")
        constraints = [models.UniqueConstraint(fields=["device", "nonce"], name="unique_scan_nonce")]
        indexes = [
            models.Index(fields=["checkin_list", "scanned_at"]),
            models.Index(fields=["checkin_list"], condition=models.Q(conflict=True), name="scan_conflicts"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.ticket_id} {'ok' if self.accepted else self.reason}"

    @property
    def reason_label(self) -> str:
        label = REFUSAL_LABELS.get(self.reason) or extensions.refusal_label(self.reason)
        return str(label or self.reason)


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
