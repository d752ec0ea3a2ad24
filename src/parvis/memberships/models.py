"""Memberships (adhésions): a card valid for a period, whose benefits apply by themselves at each purchase.

A programme is run by an organizer, or for a network (then its cards are valid at every member organizer).
Each level (individual, duo, family, youth, patron) says what its card gives: the member tariffs of the
venues, booking before the public on-sale date, free entry to given events, a discount on add-ons. The
card's QR code is signed with the programme organizer's key, like a ticket, so a door can check it.
"""

import datetime
import secrets
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from parvis.core.models import Presented
from parvis.ticketing.models import VAT_RATES


class MembershipProgram(Presented):
    organizer = models.ForeignKey(
        "network.Organizer",
        on_delete=models.PROTECT,
        related_name="membership_programs",
        verbose_name=_("proposée par"),
    )
    network = models.ForeignKey(
        "network.Network",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="membership_programs",
        verbose_name=_("réseau"),
        help_text=_("Une adhésion du réseau est valable chez toutes ses structures membres."),
    )
    on_sale = models.BooleanField(_("en vente"), default=True)
    reminder_days = models.PositiveSmallIntegerField(
        _("rappel de renouvellement (jours avant la fin)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("programme d'adhésion")
        verbose_name_plural = _("programmes d'adhésion")
        ordering = ["name"]

    def get_absolute_url(self) -> str:
        return reverse("memberships:join", kwargs={"program_id": self.pk})


class LevelKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individuelle")
    DUO = "duo", _("Duo")
    FAMILY = "family", _("Famille")
    YOUTH = "youth", _("Jeune")
    PATRON = "patron", _("Mécène")


class MembershipLevel(models.Model):
    """What a card costs, how long it lasts, and what it gives."""

    program = models.ForeignKey(MembershipProgram, on_delete=models.CASCADE, related_name="levels")
    kind = models.CharField(
        _("formule"), max_length=12, choices=LevelKind.choices, default=LevelKind.INDIVIDUAL
    )
    name = models.CharField(_("nom"), max_length=100)
    name_en = models.CharField(_("nom (anglais)"), max_length=100, blank=True)
    eligibility = models.CharField(
        _("conditions"), max_length=200, blank=True, help_text=_("ex. « moins de 26 ans, sur justificatif »")
    )
    eligibility_en = models.CharField(_("conditions (anglais)"), max_length=200, blank=True)
    price = models.DecimalField(
        _("prix TTC"), max_digits=9, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    vat_rate = models.DecimalField(
        _("taux de TVA"), max_digits=4, decimal_places=2, choices=VAT_RATES, default=Decimal("0.00")
    )
    months = models.PositiveSmallIntegerField(
        _("durée (mois)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    persons = models.PositiveSmallIntegerField(
        _("personnes"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(8)],
        help_text=_("Billets au tarif adhérent (ou gratuits) par date : 2 pour un duo, 4 pour une famille…"),
    )
    priority_days = models.PositiveSmallIntegerField(
        _("réservation prioritaire (jours avant l'ouverture au public)"),
        default=0,
        validators=[MaxValueValidator(120)],
    )
    addon_discount_percent = models.DecimalField(
        _("remise sur les produits (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    free_events = models.ManyToManyField(
        "programming.Event",
        blank=True,
        related_name="+",
        verbose_name=_("entrée libre"),
        help_text=_("Évènements où le tarif adhérent est gratuit pour ce niveau."),
    )
    position = models.PositiveSmallIntegerField(default=0)
    on_sale = models.BooleanField(_("en vente"), default=True)

    class Meta:
        verbose_name = _("niveau d'adhésion")
        verbose_name_plural = _("niveaux d'adhésion")
        ordering = ["position", "price", "id"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="membership_price_positive")]

    def __str__(self) -> str:
        return f"{self.program} — {self.name}"

    @property
    def localized_name(self) -> str:
        return self.name_en if translation.get_language() == "en" and self.name_en else self.name

    @property
    def localized_eligibility(self) -> str:
        if translation.get_language() == "en" and self.eligibility_en:
            return self.eligibility_en
        return self.eligibility

    def period_from(self, start: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
        """A card's validity from `start`: the same day `months` later (the month's last day if shorter)."""
        month = start.month - 1 + self.months
        year, month = start.year + month // 12, month % 12 + 1
        for day in (start.day, 30, 29, 28):
            try:
                return start, start.replace(year=year, month=month, day=day)
            except ValueError:
                continue
        raise ValueError(start)  # pragma: no cover


def _member_code() -> str:
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # read aloud at a counter: no 0/O, 1/I/L
    return "A" + "".join(secrets.choice(alphabet) for _ in range(9))


def _secret() -> str:
    return secrets.token_urlsafe(24)


class Membership(models.Model):
    """A member's card: active once its order is paid, valid from `valid_from` to `valid_until`."""

    class State(models.TextChoices):
        PENDING = "pending", _("En attente de paiement")
        ACTIVE = "active", _("Valable")
        CANCELLED = "cancelled", _("Annulée")

    level = models.ForeignKey(MembershipLevel, on_delete=models.PROTECT, related_name="memberships")
    order = models.ForeignKey("ticketing.Order", on_delete=models.PROTECT, related_name="memberships")
    renewed_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewal"
    )
    code = models.CharField(_("n° d'adhérent"), max_length=12, unique=True, default=_member_code)
    secret = models.CharField(max_length=64, default=_secret, editable=False)
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    email = models.EmailField(_("e-mail"))
    other_names = models.JSONField(_("autres personnes"), default=list, blank=True)
    language = models.CharField(max_length=8, default="fr")
    price = models.DecimalField(_("prix TTC"), max_digits=9, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=4, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    valid_from = models.DateTimeField(_("valable à partir du"))
    valid_until = models.DateTimeField(_("valable jusqu'au"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.PENDING)
    issued_at = models.DateTimeField(auto_now_add=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("adhésion")
        verbose_name_plural = _("adhésions")
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["email", "state"]), models.Index(fields=["state", "valid_until"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="membership_validity_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.first_name} {self.last_name}"

    def get_absolute_url(self) -> str:
        return reverse("memberships:card", kwargs={"code": self.code, "secret": self.secret})

    @property
    def holder_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def is_valid_at(self, at: datetime.datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.state == self.State.ACTIVE and self.valid_from <= at < self.valid_until


class SubscriptionOffer(Presented):
    """A season subscription (abonnement): N shows or more, each at its subscriber tariff, bought as one
    order; more shows may be added while the season runs, and a date exchanged within its event."""

    organizer = models.ForeignKey(
        "network.Organizer", on_delete=models.PROTECT, related_name="subscription_offers"
    )
    season_starts = models.DateTimeField(_("début de la saison"))
    season_ends = models.DateTimeField(_("fin de la saison"))
    min_shows = models.PositiveSmallIntegerField(
        _("spectacles au moins"), default=4, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    events = models.ManyToManyField(
        "programming.Event",
        blank=True,
        related_name="+",
        verbose_name=_("spectacles"),
        help_text=_("Aucun : tous les spectacles de la saison qui ont un tarif abonné."),
    )
    exchanges = models.PositiveSmallIntegerField(
        _("échanges de date permis"), default=1, validators=[MaxValueValidator(10)]
    )
    on_sale = models.BooleanField(_("en vente"), default=True)

    class Meta:
        verbose_name = _("formule d'abonnement")
        verbose_name_plural = _("formules d'abonnement")
        ordering = ["-season_starts", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(season_ends__gt=F("season_starts")), name="subscription_season_order"
            )
        ]

    def get_absolute_url(self) -> str:
        return reverse("memberships:subscribe", kwargs={"offer_id": self.pk})


def _subscription_code() -> str:
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "S" + "".join(secrets.choice(alphabet) for _ in range(9))


class Subscription(models.Model):
    """A subscriber's season: its orders (the first one, then the shows added) and its exchanges left."""

    class State(models.TextChoices):
        PENDING = "pending", _("En attente de paiement")
        ACTIVE = "active", _("Valable")
        CANCELLED = "cancelled", _("Annulé")

    offer = models.ForeignKey(SubscriptionOffer, on_delete=models.PROTECT, related_name="subscriptions")
    # The first order (the N shows); null only while it is being placed.
    order = models.ForeignKey(
        "ticketing.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("n° d'abonné"), max_length=12, unique=True, default=_subscription_code)
    secret = models.CharField(max_length=64, default=_secret, editable=False)
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    email = models.EmailField(_("e-mail"))
    language = models.CharField(max_length=8, default="fr")
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.PENDING)
    exchanges_used = models.PositiveSmallIntegerField(_("échanges faits"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("abonnement")
        verbose_name_plural = _("abonnements")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.code} — {self.first_name} {self.last_name}"

    def get_absolute_url(self) -> str:
        return reverse("memberships:subscription", kwargs={"code": self.code, "secret": self.secret})

    @property
    def holder_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
