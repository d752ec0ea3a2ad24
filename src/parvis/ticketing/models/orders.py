"""Carts and holds, orders and their lines, payments, tickets."""

import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..providers import COUNTER_METHODS, PROVIDERS
from .catalogue import Channel, Product, PromoCode, Quota, Tariff


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
    # Money the counter owes back (a date cancelled, a buyer's self-cancellation of a counter sale): paid
    # out at the counter, with its till-journal entry, and only then `REFUNDED`.
    REFUND_DUE = "refund_due", _("Remboursement à verser au guichet")


class Payment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("moyen"), max_length=20)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    state = models.CharField(max_length=10, choices=PaymentState.choices, default=PaymentState.CREATED)
    reference = models.CharField(_("référence"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # A refund due at the counter: its tickets, its VAT by rate and why, for the till's journal entry.
    detail = models.JSONField(default=dict, blank=True)

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
    # When it stopped being valid (refunded, cancelled, exchanged): the day a refund counts in the figures.
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("billet")
        verbose_name_plural = _("billets")
        constraints = [
            models.UniqueConstraint(fields=["performance", "number"], name="unique_ticket_number"),
        ]

    def __str__(self) -> str:
        return f"{self.performance_id}-{self.number:06d}"


class OrderExtra(models.Model):
    """A line of an order that is not a ticket: an add-on, or a donation (outside the scope of VAT)."""

    class Kind(models.TextChoices):
        PRODUCT = "product", _("Produit")
        DONATION = "donation", _("Don")
        VOUCHER = "voucher", _("Bon cadeau")
        PASS = "pass", _("Pass")
        MEMBERSHIP = "membership", _("Adhésion")
        MARKET = "market", _("Marché professionnel")

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
