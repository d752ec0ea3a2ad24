import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Fuseau horaire inconnu : %(tz)s"), params={"tz": value}, code="invalid_tz")


class Network(models.Model):
    """A federation, a festival or a consortium of organizers sharing an agenda."""

    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("présentation"), blank=True)
    description_en = models.TextField(_("présentation (anglais)"), blank=True)
    website = models.URLField(_("site web"), blank=True)
    organizers = models.ManyToManyField(
        "Organizer", through="NetworkMembership", related_name="networks", verbose_name=_("membres")
    )
    # Selling on behalf of the venues: the network's structure (its association) is the seller of record of
    # the online orders of the members that ask it to; it keeps a commission and pays the rest back.
    ticket_seller = models.ForeignKey(
        "Organizer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("vend en ligne pour les lieux"),
        help_text=_("La structure du réseau qui encaisse les ventes en ligne des membres qui le demandent."),
    )
    ticket_commission_percent = models.DecimalField(
        _("commission sur ces ventes (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("réseau")
        verbose_name_plural = _("réseaux")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("programming:network_agenda", kwargs={"network_slug": self.slug})

    @property
    def localized_description(self) -> str:
        if translation.get_language() == "en" and self.description_en:
            return self.description_en
        return self.description


class Organizer(models.Model):
    """The legal entity that programmes and sells; data controller for its customers."""

    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    legal_name = models.CharField(_("raison sociale"), max_length=200, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    vat_number = models.CharField(_("n° de TVA intracommunautaire"), max_length=20, blank=True)
    license_numbers = models.CharField(_("licences d'entrepreneur de spectacles"), max_length=200, blank=True)
    address = models.TextField(_("adresse"), blank=True)
    email = models.EmailField(_("e-mail de contact"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    website = models.URLField(_("site web"), blank=True)
    logo = models.ImageField(
        _("logo"),
        upload_to="organizers/",
        blank=True,
        help_text=_("Imprimé sur les billets. PNG ou JPEG, 2 Mo au plus."),
    )
    ticket_layout = models.CharField(
        _("format des billets"),
        max_length=8,
        choices=[("a4", _("A4 : un billet par page")), ("compact", _("Compact : trois billets par page A4"))],
        default="a4",
        help_text=_("Le format des billets envoyés par e-mail ; l'acheteur peut aussi choisir l'autre."),
    )
    description = models.TextField(_("présentation"), blank=True)
    description_en = models.TextField(_("présentation (anglais)"), blank=True)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    self_cancellation_hours = models.PositiveIntegerField(
        _("annulation par l'acheteur jusqu'à (heures avant)"),
        null=True,
        blank=True,
        help_text=_("Vide : les acheteurs ne peuvent pas annuler eux-mêmes."),
    )
    self_cancellation_fee = models.DecimalField(
        _("frais d'annulation par billet"),
        max_digits=7,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    accepts_donations = models.BooleanField(_("propose un don lors de l'achat"), default=False)
    sells_gift_vouchers = models.BooleanField(_("vend des bons cadeaux en ligne"), default=False)
    # Tax receipts for donations (CERFA n° 11580): only for organizations entitled to issue them.
    issues_tax_receipts = models.BooleanField(_("délivre des reçus fiscaux pour les dons"), default=False)
    tax_receipt_status = models.CharField(
        _("qualité de l'organisme (reçus fiscaux)"),
        max_length=300,
        blank=True,
        help_text=_("Par exemple : association loi 1901 d'intérêt général, à caractère culturel."),
    )
    tax_receipt_signatory = models.CharField(
        _("signataire des reçus (nom, qualité)"), max_length=200, blank=True
    )
    # GDPR retention (CNIL guidance: three years after the last contact or purchase), in years.
    retention_prospect_years = models.PositiveSmallIntegerField(
        _("conservation des prospects (années sans contact)"),
        default=3,
        validators=[MinValueValidator(1)],
    )
    retention_customer_years = models.PositiveSmallIntegerField(
        _("conservation des clients (années après le dernier achat)"),
        default=3,
        validators=[MinValueValidator(1)],
    )
    bank_details = models.TextField(
        _("coordonnées bancaires (virements)"),
        blank=True,
        help_text=_("Titulaire, IBAN, BIC : montrés aux acheteurs qui paient par virement."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("programming:organizer", kwargs={"organizer_slug": self.slug})

    @property
    def localized_description(self) -> str:
        if translation.get_language() == "en" and self.description_en:
            return self.description_en
        return self.description


# The version an order records when its buyer accepted an organizer that has written no terms of its own:
# Parvis's general terms (ticketing/_terms_default.html), drawn from the organizer's settings.
DEFAULT_TERMS_VERSION = "parvis-1"


class TermsOfSale(models.Model):
    """One published version of an organizer's terms of sale (CGV). Versions are never changed: a new text
    is a new version, so an order's `terms_version` always names the text its buyer accepted."""

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="terms_versions")
    number = models.PositiveIntegerField()
    text = models.TextField(_("conditions générales de vente"))
    text_en = models.TextField(_("conditions générales de vente (anglais)"), blank=True)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("version des conditions de vente")
        verbose_name_plural = _("versions des conditions de vente")
        ordering = ["organizer", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["organizer", "number"], name="terms_of_sale_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organizer} — {self.version}"

    @property
    def version(self) -> str:
        return f"v{self.number}"

    @property
    def localized_text(self) -> str:
        if translation.get_language() == "en" and self.text_en:
            return self.text_en
        return self.text


class NetworkMembership(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="network_memberships")
    joined_at = models.DateField(_("adhésion le"), auto_now_add=True)
    sold_by_network = models.BooleanField(
        _("ventes en ligne par le réseau"),
        default=False,
        help_text=_(
            "Les commandes en ligne de ce membre sont passées auprès du vendeur du réseau, pour son compte."
        ),
    )

    class Meta:
        verbose_name = _("adhésion au réseau")
        verbose_name_plural = _("adhésions au réseau")
        constraints = [
            models.UniqueConstraint(fields=["network", "organizer"], name="unique_network_member"),
            # One agent at most sells a member's tickets.
            models.UniqueConstraint(
                fields=["organizer"], condition=models.Q(sold_by_network=True), name="one_network_sells_for"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organizer} ∈ {self.network}"


class Venue(models.Model):
    organizer = models.ForeignKey(Organizer, on_delete=models.PROTECT, related_name="venues")
    slug = models.SlugField(_("identifiant"), max_length=80)
    name = models.CharField(_("nom"), max_length=200)
    street = models.CharField(_("adresse"), max_length=200, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    town = models.CharField(_("ville"), max_length=100)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    timezone = models.CharField(
        _("fuseau horaire"), max_length=64, default="Europe/Paris", validators=[validate_timezone]
    )
    capacity = models.PositiveIntegerField(_("jauge"), null=True, blank=True)
    # Each date's own sales settings may say otherwise; 0: a spectator buys online until the date starts
    # (for timed entry, until each slot starts).
    online_close_minutes = models.PositiveIntegerField(
        _("fin des ventes en ligne (minutes avant le début)"),
        default=0,
        validators=[MaxValueValidator(7 * 24 * 60)],
        help_text=_(
            "0 : jusqu'au début (de chaque créneau, pour une entrée horodatée). Ensuite, billets sur place."
        ),
    )
    doors_minutes_before = models.PositiveIntegerField(
        _("ouverture des portes (minutes avant le début)"),
        default=60,
        validators=[MaxValueValidator(24 * 60)],
        help_text=_(
            "Le contrôle d'accès de chaque date ouvre alors, sauf heure d'ouverture propre à la date."
        ),
    )
    accessibility_info = models.TextField(_("informations d'accessibilité"), blank=True)
    wheelchair_accessible = models.BooleanField(_("accessible en fauteuil roulant"), default=False)
    website = models.URLField(_("site web"), blank=True)

    class Meta:
        verbose_name = _("lieu")
        verbose_name_plural = _("lieux")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organizer", "slug"], name="unique_venue_slug")]

    def __str__(self) -> str:
        return f"{self.name} ({self.town})" if self.town else self.name

    def get_absolute_url(self) -> str:
        return reverse(
            "programming:venue", kwargs={"organizer_slug": self.organizer.slug, "venue_slug": self.slug}
        )

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Space(models.Model):
    """A hall or room of a venue."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="spaces")
    name = models.CharField(_("nom"), max_length=200)
    capacity = models.PositiveIntegerField(_("jauge"), null=True, blank=True)

    class Meta:
        verbose_name = _("salle")
        verbose_name_plural = _("salles")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["venue", "name"], name="unique_space_name")]

    def __str__(self) -> str:
        return f"{self.venue.name} — {self.name}"


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administration")
    PROGRAMMING = "programming", _("Programmation")
    BOX_OFFICE = "box_office", _("Billetterie / guichet")
    DOOR = "door", _("Contrôle d'accès")
    MARKETING = "marketing", _("Relations publiques / marketing")
    READ_ONLY = "read_only", _("Lecture seule")
    INSPECTOR = "inspector", _("Contrôle fiscal (lecture seule, chaque consultation journalisée)")


class NetworkRole(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordination du réseau")


class OrganizerStaff(models.Model):
    """One role of one staff member at one organizer. A person may hold several roles."""

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organizer_roles"
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membre de l'équipe")
        verbose_name_plural = _("équipe")
        constraints = [
            models.UniqueConstraint(fields=["organizer", "user", "role"], name="unique_organizer_role"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="organizer_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.organizer}"


class NetworkStaff(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="network_roles")
    role = models.CharField(
        _("rôle"), max_length=20, choices=NetworkRole.choices, default=NetworkRole.COORDINATOR
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coordination du réseau")
        verbose_name_plural = _("coordination du réseau")
        constraints = [
            models.UniqueConstraint(fields=["network", "user", "role"], name="unique_network_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.network}"
