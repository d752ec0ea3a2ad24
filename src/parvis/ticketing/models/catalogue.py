"""What is sold: sales settings of a date, tariffs, quotas (capacity), promo codes, add-on products."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _


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
    (Decimal("2.10"), _("2,1 % — 140 premières représentations ; spectacle en Corse et outre-mer")),
    (Decimal("10.00"), _("10 % — expositions, musées")),
    (Decimal("20.00"), _("20 % — taux normal")),
    (Decimal("8.50"), _("8,5 % — taux normal en Guadeloupe, Martinique, La Réunion")),
    (Decimal("1.05"), _("1,05 % — 140 premières représentations outre-mer")),
    (Decimal("0.90"), _("0,9 % — 140 premières représentations en Corse")),
    (Decimal("0.00"), _("0 % — hors champ")),
]


class SalesConfig(models.Model):
    """How a performance is sold: when sales open and close, how many tickets an order may hold."""

    performance = models.OneToOneField(
        "programming.Performance", on_delete=models.CASCADE, related_name="sales"
    )
    opens_at = models.DateTimeField(_("ouverture des ventes"), null=True, blank=True)
    # None: the venue's rule (`Venue.online_close_minutes`, until the start by default).
    online_close_minutes = models.PositiveIntegerField(
        _("fin des ventes en ligne (minutes avant le début)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(7 * 24 * 60)],
        help_text=_("Vide : la règle du lieu."),
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


class PriceLine(models.Model):
    """What a price says, for a date's tariff and for a line of an event's price list alike."""

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
    # Access at a distance (a stream, an on-demand visit, resources): no place in the room, no door check.
    # Such a ticket draws only on the contingents that name its tariff, never on the room's jauge.
    online = models.BooleanField(
        _("accès en ligne"),
        default=False,
        help_text=_(
            "Diffusion, visite virtuelle ou ressources : sans place en salle ni contrôle à l'entrée."
        ),
    )
    sold_at_box_office = models.BooleanField(_("vendu au guichet"), default=True)
    max_per_order = models.PositiveSmallIntegerField(_("au plus par commande"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_active = models.BooleanField(_("en vente"), default=True)

    class Meta:
        abstract = True

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


class EventPrice(PriceLine):
    """One line of an event's price list: a tariff that each coming date of the event carries.

    A change here reaches every coming date whose tariff follows the list; a tariff changed for one date
    alone (`Tariff.is_exception`) keeps its own values until staff align it again. Past dates keep theirs."""

    event = models.ForeignKey("programming.Event", on_delete=models.CASCADE, related_name="prices")

    class Meta:
        verbose_name = _("tarif de l'évènement")
        verbose_name_plural = _("tarifs de l'évènement")
        ordering = ["position", "-price", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="event_price_positive"),
            models.UniqueConstraint(fields=["event", "name"], name="unique_event_price_name"),
        ]


# What a date's tariff takes from its event's price list.
LIST_FIELDS = (
    "name",
    "name_en",
    "kind",
    "price",
    "currency",
    "vat_rate",
    "eligibility",
    "eligibility_en",
    "sold_online",
    "online",
    "sold_at_box_office",
    "max_per_order",
    "position",
    "is_active",
)


class Tariff(PriceLine):
    performance = models.ForeignKey(
        "programming.Performance", on_delete=models.CASCADE, related_name="tariffs"
    )
    list_price = models.ForeignKey(
        EventPrice,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tariffs",
        verbose_name=_("tarif de l'évènement"),
    )
    # Changed for this date alone: the event's price list no longer writes over it.
    is_exception = models.BooleanField(_("propre à cette date"), default=False)
    sales_open_at = models.DateTimeField(_("vente à partir du"), null=True, blank=True)
    sales_close_at = models.DateTimeField(_("vente jusqu'au"), null=True, blank=True)
    # Sold with a numbered seat (a seating product maps the plan's categories to it): only through the
    # seat map or best available, never as a place without a seat.
    seated = models.BooleanField(_("placement numéroté"), default=False, editable=False)

    class Meta:
        verbose_name = _("tarif")
        verbose_name_plural = _("tarifs")
        ordering = ["position", "-price", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="tariff_price_positive"),
            models.UniqueConstraint(fields=["performance", "name"], name="unique_tariff_name"),
        ]

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
