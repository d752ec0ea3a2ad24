"""Group and school bookings: what a venue offers groups, who asks, and each booking from the request to
the paid invoice.

- `GroupOffer`: a guided tour, a workshop, a school performance of an event: who may book, sizes, free
  accompanying adults, the price (per person or per group), the teaching pack, a guide or not.
- `Establishment`: a school (by its UAI, from the Éducation nationale's directory, imported), an
  association or a company (by SIRET).
- `GroupBooking`: the request (preferred dates), then the staff's answer (a date confirmed, another
  proposed, or a refusal); a confirmed booking holds its places in the date's quotas like a sale
  (`places`, `quota_ids`); the quote, the arrival (how many came), the invoice adjusted to them, paid
  by bank transfer after the visit.
"""

import secrets
import string

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from parvis.core.text import fold
from parvis.ticketing.models import VAT_RATES


class Audience(models.TextChoices):
    SCHOOL = "school", _("Établissements scolaires")
    ASSOCIATION = "association", _("Associations")
    COMPANY = "company", _("Entreprises, comités d'entreprise")
    SOCIAL = "social", _("Structures du champ social")


class OfferKind(models.TextChoices):
    GUIDED_TOUR = "guided_tour", _("Visite guidée")
    WORKSHOP = "workshop", _("Atelier")
    SCHOOL_PERFORMANCE = "school_performance", _("Représentation scolaire")
    OTHER = "other", _("Autre")


class Pricing(models.TextChoices):
    PER_PERSON = "per_person", _("Par personne")
    PER_GROUP = "per_group", _("Par groupe")


class GroupOffer(models.Model):
    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="group_offers")
    event = models.ForeignKey(
        "programming.Event",
        on_delete=models.CASCADE,
        related_name="group_offers",
        verbose_name=_("évènement"),
    )
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(
        _("type"), max_length=20, choices=OfferKind.choices, default=OfferKind.GUIDED_TOUR
    )
    description = models.TextField(_("présentation"), max_length=5000, blank=True)
    audiences = models.JSONField(_("qui peut réserver"), default=list)
    min_size = models.PositiveSmallIntegerField(_("élèves ou participants, au moins"), default=5)
    max_size = models.PositiveSmallIntegerField(_("au plus"), default=35)
    adults_free_per = models.PositiveSmallIntegerField(
        _("un accompagnateur gratuit par"),
        default=8,
        help_text=_("Nombre d'élèves ou de participants par accompagnateur gratuit (0 : aucun)."),
    )
    pricing = models.CharField(_("tarif"), max_length=12, choices=Pricing.choices, default=Pricing.PER_PERSON)
    price = models.DecimalField(
        _("prix TTC"), max_digits=9, decimal_places=2, validators=[MinValueValidator(0)]
    )
    vat_rate = models.DecimalField(
        _("taux de TVA"), max_digits=4, decimal_places=2, choices=VAT_RATES, default="5.50"
    )
    on_request = models.BooleanField(
        _("sur demande"),
        default=False,
        help_text=_("Sans dates proposées : le groupe indique ses disponibilités, l'équipe fixe la date."),
    )
    needs_guide = models.BooleanField(_("avec un guide ou un médiateur"), default=True)
    needs_room = models.BooleanField(
        _("avec une salle"),
        default=False,
        help_text=_("Un atelier : une salle du lieu, pour un groupe à la fois."),
    )
    deposit_percent = models.PositiveSmallIntegerField(_("acompte (%)"), default=0)
    teaching_pack = models.FileField(_("dossier pédagogique (PDF)"), upload_to="groups/%Y/", blank=True)
    online_visit = models.ForeignKey(
        "programming.Performance",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("visite en ligne préparatoire"),
        help_text=_("Une date en ligne (visite virtuelle) : chaque groupe confirmé reçoit son lien."),
    )
    is_active = models.BooleanField(_("proposée"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("offre pour les groupes")
        verbose_name_plural = _("offres pour les groupes")
        ordering = ["event__title", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("groups:request", args=[self.pk])


class Guide(models.Model):
    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="guides")
    name = models.CharField(_("nom"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("guide ou médiateur")
        verbose_name_plural = _("guides et médiateurs")

    def __str__(self) -> str:
        return self.name


class Establishment(models.Model):
    class Kind(models.TextChoices):
        ECOLE = "ecole", _("École")
        COLLEGE = "college", _("Collège")
        LYCEE = "lycee", _("Lycée")
        OTHER_SCHOOL = "other_school", _("Autre établissement scolaire")
        ASSOCIATION = "association", _("Association")
        COMPANY = "company", _("Entreprise")
        SOCIAL = "social", _("Structure sociale")

    uai = models.CharField(_("UAI"), max_length=8, null=True, blank=True, unique=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    public = models.BooleanField(_("public"), default=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    town = models.CharField(_("commune"), max_length=100, blank=True)
    # Name and town folded (lower case, no accents): SQLite compares only ASCII letters without case, so
    # "lycée" would not find "LYCÉE" in the name itself.
    search = models.CharField(max_length=310, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["postcode"], name="establishment_postcode")]

    def __str__(self) -> str:
        return f"{self.name} ({self.town})" if self.town else self.name

    def save(self, *args, **kwargs):
        self.search = self.folded(self.name, self.town)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search"}
        super().save(*args, **kwargs)

    @staticmethod
    def folded(name: str, town: str) -> str:
        return fold(f"{name} {town}")[:310]


def _code() -> str:
    return "G" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(7))


def _secret() -> str:
    return secrets.token_urlsafe(24)


class BookingState(models.TextChoices):
    REQUESTED = "requested", _("Demandée")
    PROPOSED = "proposed", _("Autre date proposée")
    CONFIRMED = "confirmed", _("Confirmée")
    REFUSED = "refused", _("Refusée")
    CANCELLED = "cancelled", _("Annulée")
    VISITED = "visited", _("Venue")
    INVOICED = "invoiced", _("Facturée")
    PAID = "paid", _("Payée")
    NO_SHOW = "no_show", _("Pas venue")


# The states in which a booking holds places in its date's quotas.
HOLDING = (BookingState.CONFIRMED, BookingState.VISITED, BookingState.INVOICED, BookingState.PAID)


class GroupBooking(models.Model):
    organizer = models.ForeignKey(
        "network.Organizer", on_delete=models.PROTECT, related_name="group_bookings"
    )
    offer = models.ForeignKey(GroupOffer, on_delete=models.PROTECT, related_name="bookings")
    code = models.CharField(max_length=8, unique=True, default=_code)
    secret = models.CharField(max_length=64, default=_secret, editable=False)
    state = models.CharField(_("état"), max_length=10, choices=BookingState.choices, default="requested")
    establishment = models.ForeignKey(
        Establishment, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    establishment_name = models.CharField(_("établissement ou structure"), max_length=200)
    audience = models.CharField(_("type de groupe"), max_length=12, choices=Audience.choices)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    public_body = models.BooleanField(_("établissement public"), default=False)
    level = models.CharField(_("niveau ou âge"), max_length=100, blank=True)
    pupils = models.PositiveSmallIntegerField(_("élèves ou participants"))
    adults = models.PositiveSmallIntegerField(_("accompagnateurs"))
    accessibility = models.CharField(_("besoins d'accessibilité"), max_length=500, blank=True)
    preferred = models.ManyToManyField(
        "programming.Performance", blank=True, related_name="+", verbose_name=_("dates souhaitées")
    )
    wished = models.CharField(_("disponibilités"), max_length=500, blank=True)
    leader_name = models.CharField(_("responsable du groupe"), max_length=200)
    leader_email = models.EmailField(_("e-mail"))
    leader_phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    newsletter = models.BooleanField(_("recevoir la programmation pour les groupes"), default=False)
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    performance = models.ForeignKey(
        "programming.Performance",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="group_bookings",
    )
    slot = models.ForeignKey(
        "ticketing.Quota", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    places = models.PositiveSmallIntegerField(default=0)  # held in `quota_ids`
    quota_ids = models.JSONField(default=list, blank=True)
    guide = models.ForeignKey(
        Guide, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    room = models.ForeignKey(
        "network.Space",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("salle"),
    )
    online_access = models.ForeignKey(
        "online.OnlineAccess", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(_("message au groupe"), max_length=1000, blank=True)
    purchase_order = models.CharField(_("bon de commande"), max_length=60, blank=True)
    chorus_service = models.CharField(_("Chorus Pro : code service"), max_length=100, blank=True)
    chorus_commitment = models.CharField(_("Chorus Pro : n° d'engagement"), max_length=50, blank=True)
    pass_culture = models.CharField(
        _("Pass Culture, part collective : n° d'offre"), max_length=50, blank=True
    )
    deposit_received = models.DecimalField(_("acompte reçu"), max_digits=10, decimal_places=2, default=0)
    final_pupils = models.PositiveSmallIntegerField(_("élèves venus"), null=True, blank=True)
    final_adults = models.PositiveSmallIntegerField(_("accompagnateurs venus"), null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    quote_number = models.PositiveIntegerField(null=True, blank=True)
    quoted_at = models.DateTimeField(null=True, blank=True)
    quote_total = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    invoice_number = models.PositiveIntegerField(null=True, blank=True)
    invoiced_at = models.DateTimeField(null=True, blank=True)
    invoice_total = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("réservation de groupe")
        verbose_name_plural = _("réservations de groupes")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organizer", "quote_number"],
                condition=Q(quote_number__isnull=False),
                name="group_quote_once",
            ),
            models.UniqueConstraint(
                fields=["organizer", "invoice_number"],
                condition=Q(invoice_number__isnull=False),
                name="group_invoice_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.establishment_name}"

    def get_absolute_url(self) -> str:
        return reverse("groups:booking", args=[self.code, self.secret])

    @property
    def quote_code(self) -> str:
        return f"DV-{self.organizer_id}-{self.quote_number:05d}" if self.quote_number else ""

    @property
    def invoice_code(self) -> str:
        return f"FG-{self.organizer_id}-{self.invoice_number:05d}" if self.invoice_number else ""


class GroupNumbers(models.Model):
    """Each organizer's quote and invoice series for groups: continuous, one number per document."""

    organizer = models.OneToOneField("network.Organizer", on_delete=models.CASCADE, related_name="+")
    last_quote = models.PositiveIntegerField(default=0)
    last_invoice = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.organizer_id}: {self.last_quote}/{self.last_invoice}"
