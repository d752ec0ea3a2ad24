"""Passes: a number of entries among eligible performances, sold by an organizer or for a network.

A pass (`PassHolding`) is bought like any order. Each booking (`PassEntry`) takes a place from the
performance's capacity through the inventory, like a ticket, and issues a ticket signed by the venue's
organizer; the pass's entry counter only moves by conditional UPDATE, so concurrent bookings never use more
entries than the pass has. What the pass earned is split between the venues by `settlements.py`.
"""

import secrets
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from parvis.core.models import Presented
from parvis.ticketing.models import VAT_RATES


class OverlapRule(models.TextChoices):
    """Two bookings of one pass whose dates overlap in time (three concerts at 19:30 in three towns)."""

    REFUSE = "refuse", _("Refusées")
    CONFIRM = "confirm", _("Acceptées après confirmation")
    ALLOW = "allow", _("Acceptées")


class SplitRule(models.TextChoices):
    PROPORTIONAL = "proportional", _("Part du prix proportionnelle aux entrées utilisées")
    FIXED = "fixed", _("Montant fixe par entrée utilisée")
    EQUAL = "equal", _("Part égale entre les structures partenaires")


class UnusedRule(models.TextChoices):
    KEPT = "kept", _("Gardées par le vendeur du pass")
    SHARED = "shared", _("Partagées entre les lieux visités, au prorata des entrées")


class PassProduct(Presented):
    """A pass on sale: N entries among eligible performances, a validity, a price, and how its revenue
    is split.

    Empty filters mean "all": all the network's member organizers (or the seller's own performances when the
    pass is not a network's), all venues, genres and events."""

    organizer = models.ForeignKey(
        "network.Organizer",
        on_delete=models.PROTECT,
        related_name="pass_products",
        verbose_name=_("vendu par"),
    )
    network = models.ForeignKey(
        "network.Network",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pass_products",
        verbose_name=_("réseau"),
        help_text=_("Un pass du réseau est valable chez ses structures membres."),
    )
    price = models.DecimalField(
        _("prix TTC"), max_digits=9, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    vat_rate = models.DecimalField(
        _("taux de TVA"), max_digits=4, decimal_places=2, choices=VAT_RATES, default=Decimal("5.50")
    )
    entries = models.PositiveSmallIntegerField(
        _("entrées"), default=3, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    valid_from = models.DateTimeField(_("valable à partir du"))
    valid_until = models.DateTimeField(_("valable jusqu'au"))
    on_sale = models.BooleanField(_("en vente"), default=True)
    # Eligible performances.
    organizers = models.ManyToManyField(
        "network.Organizer", blank=True, related_name="+", verbose_name=_("structures partenaires")
    )
    venues = models.ManyToManyField("network.Venue", blank=True, related_name="+", verbose_name=_("lieux"))
    events = models.ManyToManyField(
        "programming.Event", blank=True, related_name="+", verbose_name=_("évènements")
    )
    festival = models.ForeignKey(
        "programming.Festival",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("festival"),
    )
    genres = models.JSONField(_("genres"), default=list, blank=True)
    tariff_kinds = models.JSONField(
        _("tarifs remplacés"),
        default=list,
        blank=True,
        help_text=_("Types de tarif qu'une entrée remplace (par défaut : plein tarif)."),
    )
    # Rules of use.
    max_per_venue = models.PositiveSmallIntegerField(
        _("entrées au plus par lieu"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    min_venues = models.PositiveSmallIntegerField(
        _("lieux différents au moins"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    overlap_rule = models.CharField(
        _("dates qui se chevauchent"), max_length=8, choices=OverlapRule.choices, default=OverlapRule.REFUSE
    )
    cancel_hours = models.PositiveIntegerField(
        _("réservation annulable jusqu'à (heures avant)"),
        null=True,
        blank=True,
        help_text=_("Vide : une entrée réservée n'est pas rendue."),
    )
    # How the revenue is split between venues (reversements).
    split_rule = models.CharField(
        _("partage des recettes"), max_length=12, choices=SplitRule.choices, default=SplitRule.PROPORTIONAL
    )
    fixed_amount = models.DecimalField(
        _("montant par entrée"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    unused_rule = models.CharField(
        _("entrées non utilisées"), max_length=8, choices=UnusedRule.choices, default=UnusedRule.KEPT
    )
    commission_percent = models.DecimalField(
        _("commission du vendeur (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pass")
        verbose_name_plural = _("pass")
        ordering = ["valid_from", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="pass_price_positive"),
            models.CheckConstraint(condition=Q(valid_until__gt=F("valid_from")), name="pass_validity_order"),
            models.CheckConstraint(
                condition=~Q(split_rule="fixed") | Q(fixed_amount__gte=0), name="pass_fixed_amount_set"
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("passes:buy", kwargs={"product_id": self.pk})

    @property
    def replaced_kinds(self) -> list[str]:
        return list(self.tariff_kinds) or ["full"]


def _pass_code() -> str:
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # read aloud at a counter: no 0/O, 1/I/L
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"P{raw}"


def _secret() -> str:
    return secrets.token_urlsafe(24)


class PassHolding(models.Model):
    """A pass bought by a person: its entries, used one booking at a time (never more than it has)."""

    class State(models.TextChoices):
        PENDING = "pending", _("En attente de paiement")
        ACTIVE = "active", _("Valable")
        CANCELLED = "cancelled", _("Annulé")

    product = models.ForeignKey(PassProduct, on_delete=models.PROTECT, related_name="holdings")
    order = models.ForeignKey("ticketing.Order", on_delete=models.PROTECT, related_name="pass_holdings")
    code = models.CharField(_("code"), max_length=12, unique=True, default=_pass_code)
    secret = models.CharField(max_length=64, default=_secret, editable=False)
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    email = models.EmailField(_("e-mail"))
    language = models.CharField(max_length=8, default="fr")
    entries = models.PositiveSmallIntegerField(_("entrées"))
    entries_used = models.PositiveSmallIntegerField(_("entrées utilisées"), default=0)
    price = models.DecimalField(_("prix TTC"), max_digits=9, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=4, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    valid_from = models.DateTimeField(_("valable à partir du"))
    valid_until = models.DateTimeField(_("valable jusqu'au"))
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    issued_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pass vendu")
        verbose_name_plural = _("pass vendus")
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["email"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(entries_used__lte=F("entries")), name="pass_entries_not_overused"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("passes:holding", kwargs={"code": self.code, "secret": self.secret})

    @property
    def holder_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def entries_left(self) -> int:
        return self.entries - self.entries_used


class PassEntry(models.Model):
    """One entry of a pass booked for a performance: the ticket it issued, at the venue it was used in."""

    class State(models.TextChoices):
        BOOKED = "booked", _("Réservée")
        CANCELLED = "cancelled", _("Annulée (entrée rendue)")

    holding = models.ForeignKey(PassHolding, on_delete=models.PROTECT, related_name="pass_entries")
    ticket = models.OneToOneField("ticketing.Ticket", on_delete=models.PROTECT, related_name="pass_entry")
    performance = models.ForeignKey("programming.Performance", on_delete=models.PROTECT, related_name="+")
    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="+")
    venue = models.ForeignKey("network.Venue", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.BOOKED)
    booked_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("entrée de pass")
        verbose_name_plural = _("entrées de pass")
        ordering = ["booked_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["holding", "performance"],
                condition=Q(state="booked"),
                name="one_pass_entry_per_performance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holding} → {self.performance_id}"
