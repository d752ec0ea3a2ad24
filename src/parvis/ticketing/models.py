"""Tariffs, capacity (quotas), holds, orders, payments, tickets and the keys that sign them.

Capacity is only ever changed by `inventory.py`.
"""

import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .providers import COUNTER_METHODS, PROVIDERS


class Channel(models.TextChoices):
    ONLINE = "online", _("En ligne")
    BOX_OFFICE = "box_office", _("Guichet")
    API = "api", _("API (canal de vente)")


class TariffKind(models.TextChoices):
    FULL = "full", _("Plein tarif")
    REDUCED = "reduced", _("Tarif réduit")
    YOUTH = "youth", _("Tarif jeune")
    SOLIDARITY = "solidarity", _("Tarif solidaire")
    FREE = "free", _("Gratuit")
    EXONERATED = "exonerated", _("Exonéré")
    MEMBER = "member", _("Tarif adhérent")
    SUBSCRIBER = "subscriber", _("Tarif abonné")
    OTHER = "other", _("Autre")


VAT_RATES = [
    (Decimal("5.50"), _("5,5 % — spectacle vivant")),
    (Decimal("2.10"), _("2,1 % — 140 premières représentations")),
    (Decimal("10.00"), _("10 % — expositions, musées")),
    (Decimal("20.00"), _("20 % — taux normal")),
    (Decimal("0.00"), _("0 % — hors champ")),
]


class SalesConfig(models.Model):
    """How a performance is sold: when sales open and close, how many tickets an order may hold."""

    performance = models.OneToOneField(
        "programming.Performance", on_delete=models.CASCADE, related_name="sales"
    )
    opens_at = models.DateTimeField(_("ouverture des ventes"), null=True, blank=True)
    online_close_minutes = models.PositiveIntegerField(
        _("fin des ventes en ligne (minutes avant le début)"), default=120
    )
    max_per_order = models.PositiveSmallIntegerField(
        _("billets au plus par commande"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("paramètres de vente")
        verbose_name_plural = _("paramètres de vente")

    def __str__(self) -> str:
        return f"{self.performance}"


class Tariff(models.Model):
    performance = models.ForeignKey(
        "programming.Performance", on_delete=models.CASCADE, related_name="tariffs"
    )
    name = models.CharField(_("nom"), max_length=100)
    name_en = models.CharField(_("nom (anglais)"), max_length=100, blank=True)
    kind = models.CharField(_("type"), max_length=12, choices=TariffKind.choices, default=TariffKind.FULL)
    price = models.DecimalField(
        _("prix TTC"), max_digits=9, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    vat_rate = models.DecimalField(
        _("taux de TVA"), max_digits=4, decimal_places=2, choices=VAT_RATES, default=Decimal("5.50")
    )
    eligibility = models.CharField(
        _("conditions"),
        max_length=300,
        blank=True,
        help_text=_("Montré à l'acheteur, ex. « moins de 26 ans, sur justificatif »"),
    )
    eligibility_en = models.CharField(_("conditions (anglais)"), max_length=300, blank=True)
    sold_online = models.BooleanField(_("vendu en ligne"), default=True)
    sold_at_box_office = models.BooleanField(_("vendu au guichet"), default=True)
    sales_open_at = models.DateTimeField(_("vente à partir du"), null=True, blank=True)
    sales_close_at = models.DateTimeField(_("vente jusqu'au"), null=True, blank=True)
    max_per_order = models.PositiveSmallIntegerField(_("au plus par commande"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("tarif")
        verbose_name_plural = _("tarifs")
        ordering = ["position", "-price", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="tariff_price_positive"),
            models.UniqueConstraint(fields=["performance", "name"], name="unique_tariff_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.price} {self.currency})"

    @property
    def localized_name(self) -> str:
        return self.name_en if translation.get_language() == "en" and self.name_en else self.name

    @property
    def localized_eligibility(self) -> str:
        return (
            self.eligibility_en
            if translation.get_language() == "en" and self.eligibility_en
            else self.eligibility
        )

    def sold_on(self, channel: str) -> bool:
        if channel == Channel.BOX_OFFICE:
            return self.sold_at_box_office
        return self.sold_online


class Quota(models.Model):
    """A capacity counter. Each performance has one total quota (its jauge) and optional sub-quotas:
    limited to some tariffs (e.g. 40 youth places, an early-bird tariff) and/or to online channels
    (e.g. online sales capped so that 20 places stay for the box office).

    `used` counts sold places and places held by carts (expired holds are reclaimed by the next buyer).
    """

    class Channels(models.TextChoices):
        ALL = "all", _("Tous les canaux")
        ONLINE = "online", _("Vente en ligne et API")
        BOX_OFFICE = "box_office", _("Guichet seulement")

    performance = models.ForeignKey(
        "programming.Performance", on_delete=models.CASCADE, related_name="quotas"
    )
    name = models.CharField(_("nom"), max_length=100)
    capacity = models.PositiveIntegerField(_("places"))
    used = models.PositiveIntegerField(_("places prises"), default=0)
    is_total = models.BooleanField(_("jauge totale"), default=False)
    channels = models.CharField(_("canaux"), max_length=10, choices=Channels.choices, default=Channels.ALL)
    tariffs = models.ManyToManyField(
        Tariff,
        blank=True,
        related_name="quotas",
        verbose_name=_("tarifs"),
        help_text=_("Aucun : s'applique à tous les tarifs."),
    )
    # A timed-entry slot (e.g. 14:30–15:00 of an exhibition's day): taken only by buyers who choose it.
    slot_starts_at = models.DateTimeField(_("créneau à"), null=True, blank=True)
    slot_ends_at = models.DateTimeField(_("créneau jusqu'à"), null=True, blank=True)

    class Meta:
        verbose_name = _("contingent")
        verbose_name_plural = _("contingents")
        ordering = ["-is_total", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(used__lte=F("capacity")), name="quota_not_oversold"),
            models.UniqueConstraint(
                fields=["performance"], condition=Q(is_total=True), name="one_total_quota"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.used}/{self.capacity}"

    @property
    def is_slot(self) -> bool:
        return self.slot_starts_at is not None

    def applies_to_channel(self, channel: str) -> bool:
        if self.channels == self.Channels.ALL:
            return True
        if self.channels == self.Channels.BOX_OFFICE:
            return channel == Channel.BOX_OFFICE
        return channel in (Channel.ONLINE, Channel.API)


class PromoCode(models.Model):
    """A discount by code: a percentage or an amount off each eligible ticket, for some events or tariffs
    (none listed: all), within dates, for a limited number of orders. The reason is kept for the books."""

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Pourcentage")
        AMOUNT = "amount", _("Montant par billet")

    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="promo_codes")
    code = models.CharField(_("code"), max_length=30)
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices, default=Kind.PERCENT)
    value = models.DecimalField(
        _("valeur"), max_digits=7, decimal_places=2, validators=[MinValueValidator(0)]
    )
    reason = models.CharField(_("motif"), max_length=200)
    events = models.ManyToManyField(
        "programming.Event", blank=True, related_name="+", verbose_name=_("évènements")
    )
    tariffs = models.ManyToManyField("Tariff", blank=True, related_name="+", verbose_name=_("tarifs"))
    max_uses = models.PositiveIntegerField(_("commandes au plus"), null=True, blank=True)
    valid_from = models.DateTimeField(_("à partir du"), null=True, blank=True)
    valid_until = models.DateTimeField(_("jusqu'au"), null=True, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("code promo")
        verbose_name_plural = _("codes promo")
        constraints = [
            models.UniqueConstraint(fields=["organizer", "code"], name="unique_promo_code"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100), name="promo_percent_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return self.code


def _token() -> str:
    return secrets.token_urlsafe(24)


class Cart(models.Model):
    """A buyer's selection across performances, venues and organizers of the network."""

    token = models.CharField(max_length=64, unique=True, default=_token)
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.ONLINE)
    created_at = models.DateTimeField(auto_now_add=True)
    promo = models.ForeignKey(PromoCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The member card whose benefits apply to this cart (member tariffs, priority booking, free entries).
    membership = models.ForeignKey(
        "memberships.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A subscription's cart: its subscriber tariffs may be sold (and only in it).
    subscription = models.ForeignKey(
        "memberships.Subscription", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("panier")
        verbose_name_plural = _("paniers")

    def __str__(self) -> str:
        return f"cart {self.pk}"


class HoldState(models.TextChoices):
    ACTIVE = "active", _("Réservé")
    CONVERTED = "converted", _("Vendu")
    RELEASED = "released", _("Libéré")
    EXPIRED = "expired", _("Expiré")


class Hold(models.Model):
    """Places taken for a while: in a cart, then by a pending order until it is paid."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="holds")
    performance = models.ForeignKey("programming.Performance", on_delete=models.PROTECT, related_name="holds")
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="holds")
    quantity = models.PositiveIntegerField()
    quotas = models.ManyToManyField(Quota, related_name="holds")
    state = models.CharField(max_length=10, choices=HoldState.choices, default=HoldState.ACTIVE)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    order = models.ForeignKey("Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="holds")
    slot = models.ForeignKey(Quota, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("réservation temporaire")
        verbose_name_plural = _("réservations temporaires")
        indexes = [models.Index(fields=["performance", "state", "expires_at"])]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="hold_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.tariff.name} ({self.state})"

    @property
    def is_live(self) -> bool:
        return self.state == HoldState.ACTIVE and self.expires_at > timezone.now()


class OrderState(models.TextChoices):
    PENDING = "pending", _("En attente de paiement")
    PAID = "paid", _("Payée")
    CANCELLED = "cancelled", _("Annulée")
    EXPIRED = "expired", _("Expirée")
    REFUNDED = "refunded", _("Remboursée")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partiellement remboursée")


def live_orders_q(now, prefix: str = "") -> Q:
    """Orders that hold what they bought: paid (even partly refunded), or pending and not yet expired.
    An unpaid order past its deadline holds nothing, whether or not a worker has marked it expired."""
    return Q(**{f"{prefix}state__in": [OrderState.PAID, OrderState.PARTIALLY_REFUNDED]}) | Q(
        **{f"{prefix}state": OrderState.PENDING, f"{prefix}expires_at__gt": now}
    )


def _order_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a counter
    return "".join(secrets.choice(alphabet) for _ in range(8))


class Order(models.Model):
    """An order to one organizer (the seller and data controller). A cart may give several orders."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="orders")
    code = models.CharField(_("code"), max_length=12, unique=True, default=_order_code)
    secret = models.CharField(max_length=64, default=_token, editable=False)
    checkout = models.UUIDField(_("paiement groupé"), default=uuid.uuid4, db_index=True)
    state = models.CharField(_("état"), max_length=20, choices=OrderState.choices, default=OrderState.PENDING)
    channel = models.CharField(_("canal"), max_length=12, choices=Channel.choices, default=Channel.ONLINE)
    email = models.EmailField(_("e-mail"))
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    postal_address = models.CharField(_("adresse postale"), max_length=300, blank=True)
    language = models.CharField(max_length=8, default="fr")
    total = models.DecimalField(_("total TTC"), max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    created_at = models.DateTimeField(_("passée le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("à payer avant"))
    paid_at = models.DateTimeField(_("payée le"), null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    consents = models.JSONField(_("consentements"), default=list, blank=True)
    terms_version = models.CharField(max_length=40, blank=True)
    promo = models.ForeignKey(
        PromoCode,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("code promo"),
    )
    membership = models.ForeignKey(
        "memberships.Membership",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="benefit_orders",
        verbose_name=_("carte d'adhérent"),
    )
    subscription = models.ForeignKey(
        "memberships.Subscription",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("abonnement"),
    )

    class Meta:
        verbose_name = _("commande")
        verbose_name_plural = _("commandes")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organizer", "-created_at"]), models.Index(fields=["email"])]
        constraints = [models.CheckConstraint(condition=Q(total__gte=0), name="order_total_positive")]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:

        return reverse("ticketing:order", kwargs={"code": self.code, "secret": self.secret})

    @property
    def is_payable(self) -> bool:
        return self.state == OrderState.PENDING and self.expires_at > timezone.now()


class OrderItem(models.Model):
    """What was ordered, at the price computed by the server when the order was placed."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    performance = models.ForeignKey("programming.Performance", on_delete=models.PROTECT, related_name="+")
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=9, decimal_places=2)
    discount = models.DecimalField(_("remise par billet"), max_digits=9, decimal_places=2, default=Decimal(0))
    vat_rate = models.DecimalField(max_digits=4, decimal_places=2)
    attendee_names = models.JSONField(default=list, blank=True)
    hold = models.OneToOneField(Hold, null=True, on_delete=models.SET_NULL, related_name="order_item")
    slot = models.ForeignKey(Quota, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("ligne de commande")
        verbose_name_plural = _("lignes de commande")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.tariff.name}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class PaymentState(models.TextChoices):
    CREATED = "created", _("Créé")
    PENDING = "pending", _("En attente")
    CONFIRMED = "confirmed", _("Confirmé")
    FAILED = "failed", _("Refusé")
    REFUNDED = "refunded", _("Remboursé")


class Payment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("moyen"), max_length=20)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    state = models.CharField(max_length=10, choices=PaymentState.choices, default=PaymentState.CREATED)
    reference = models.CharField(_("référence"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "reference"], condition=~Q(reference=""), name="unique_payment_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.amount} {self.state}"

    @property
    def provider_label(self) -> str:
        """How this payment was made, in words ("Canal de vente partenaire", "Espèces"…)."""

        if self.provider in COUNTER_METHODS:
            return str(COUNTER_METHODS[self.provider])
        return str(PROVIDERS[self.provider].label) if self.provider in PROVIDERS else self.provider


class TicketState(models.TextChoices):
    VALID = "valid", _("Valable")
    CANCELLED = "cancelled", _("Annulé")
    REFUNDED = "refunded", _("Remboursé")
    EXCHANGED = "exchanged", _("Échangé")


class TicketSeries(models.Model):
    """The uninterrupted numbering of tickets per organizer and performance."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="+")
    performance = models.OneToOneField(
        "programming.Performance", on_delete=models.PROTECT, related_name="ticket_series"
    )
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.performance}: {self.last_number}"


class Ticket(models.Model):
    """A ticket (and its counterfoil record). Kept 6 years; never deleted, only cancelled or refunded."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="tickets")
    item = models.ForeignKey(OrderItem, on_delete=models.PROTECT, related_name="tickets")
    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="tickets")
    performance = models.ForeignKey(
        "programming.Performance", on_delete=models.PROTECT, related_name="tickets"
    )
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="tickets")
    number = models.PositiveIntegerField(_("numéro"))
    price = models.DecimalField(_("prix TTC"), max_digits=9, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=4, decimal_places=2)
    attendee_name = models.CharField(_("nom du spectateur"), max_length=200, blank=True)
    slot = models.ForeignKey(
        Quota, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("créneau")
    )
    state = models.CharField(max_length=10, choices=TicketState.choices, default=TicketState.VALID)
    quotas = models.ManyToManyField(Quota, related_name="tickets")
    secret = models.CharField(max_length=200, blank=True)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("billet")
        verbose_name_plural = _("billets")
        constraints = [
            models.UniqueConstraint(fields=["performance", "number"], name="unique_ticket_number"),
        ]

    def __str__(self) -> str:
        return f"{self.performance_id}-{self.number:06d}"


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


class Product(models.Model):
    """An add-on sold with tickets: a programme, a drink, merchandise (20 % VAT by default)."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="products")
    name = models.CharField(_("nom"), max_length=100)
    name_en = models.CharField(_("nom (anglais)"), max_length=100, blank=True)
    price = models.DecimalField(
        _("prix TTC"), max_digits=9, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    vat_rate = models.DecimalField(
        _("taux de TVA"), max_digits=4, decimal_places=2, choices=VAT_RATES, default=Decimal("20.00")
    )
    is_active = models.BooleanField(_("en vente"), default=True)
    max_per_order = models.PositiveSmallIntegerField(_("au plus par commande"), default=10)
    # Merchandise: how many there are (empty: no limit). What is left is counted from the live orders.
    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True)

    class Meta:
        verbose_name = _("produit")
        verbose_name_plural = _("produits")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="product_price_positive")]

    def __str__(self) -> str:
        return self.name

    @property
    def localized_name(self) -> str:
        return self.name_en if translation.get_language() == "en" and self.name_en else self.name


class OrderExtra(models.Model):
    """A line of an order that is not a ticket: an add-on, or a donation (outside the scope of VAT)."""

    class Kind(models.TextChoices):
        PRODUCT = "product", _("Produit")
        DONATION = "donation", _("Don")
        VOUCHER = "voucher", _("Bon cadeau")
        PASS = "pass", _("Pass")
        MEMBERSHIP = "membership", _("Adhésion")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="extras")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=9, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=4, decimal_places=2)

    class Meta:
        verbose_name = _("ligne annexe")
        verbose_name_plural = _("lignes annexes")
        constraints = [models.CheckConstraint(condition=Q(unit_price__gte=0), name="extra_price_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


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


def _waiting_token() -> str:
    return secrets.token_urlsafe(24)


class WaitingEntry(models.Model):
    """A place in a sold-out performance's waiting list. When places come back, they are offered in order:
    the offer is a hold in a cart of its own, kept for a limited time, then passed to the next person."""

    class State(models.TextChoices):
        WAITING = "waiting", _("En attente")
        OFFERED = "offered", _("Places proposées")
        CONVERTED = "converted", _("Places achetées")
        EXPIRED = "expired", _("Proposition expirée")
        CANCELLED = "cancelled", _("Retiré de la liste")

    performance = models.ForeignKey(
        "programming.Performance", on_delete=models.CASCADE, related_name="waiting_entries"
    )
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="+", verbose_name=_("tarif"))
    quantity = models.PositiveSmallIntegerField(
        _("places"), default=1, validators=[MinValueValidator(1), MaxValueValidator(6)]
    )
    email = models.EmailField(_("e-mail"))
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    language = models.CharField(max_length=8, default="fr")
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    token = models.CharField(max_length=64, unique=True, default=_waiting_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    cart = models.OneToOneField(
        Cart, null=True, blank=True, on_delete=models.SET_NULL, related_name="waiting_entry"
    )

    class Meta:
        verbose_name = _("inscription en liste d'attente")
        verbose_name_plural = _("liste d'attente")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["performance", "email"],
                condition=Q(state__in=["waiting", "offered"]),
                name="one_live_waiting_entry_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.performance_id} {self.email} {self.state}"


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
