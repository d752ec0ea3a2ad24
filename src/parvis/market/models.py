"""The professional market of a festival or a biennale (docs/adr/0015).

- `Market`: its dates, its meeting slots' length, how long a meeting request waits for an answer.
- `Category` of accreditation (professional, press, artist, speaker, exhibitor staff, student): its fee,
  what it opens (market days, round tables, showcases, the public programme), the proof asked.
- `Participant`: one accreditation, from the application to the badge: who, for which organisation
  (the CRM's), the review, the fee's order, what they show in the directory and share with exhibitors.
- `BadgePack`: a company buys N badges and names the people later.
- `Zone` (an area or a pavilion), `Stand`, `StandOption`, `Exhibitor`, `StandBooking`: the floor plan
  and who has which stand — one active booking per stand, by a unique constraint.
- `Session`: a round table, a demonstration or a talk, a date of the public agenda (`Performance`) with
  its capacity taken by `Registration`s, a waiting list behind.
- `MeetingSlot`, `MeetingTable`, `Meeting`: B2B meetings, requested, answered, then placed in a slot at a
  table. `MeetingSeat` (participant, slot) is unique: nobody is placed twice at once, whoever places.
- `Unavailability`: when a participant cannot meet.
- `Lead`: an exhibitor's scan of a visitor's badge, rated, tagged, noted.
"""

import secrets
import string

from django.conf import settings
from django.core.signing import Signer
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from parvis.core import files

CODE_ALPHABET = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Une couleur s'écrit #RRVVBB."))


class Market(models.Model):
    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="markets")
    slug = models.SlugField(_("identifiant"), max_length=80)
    name = models.CharField(_("nom"), max_length=200)
    venue = models.ForeignKey(
        "network.Venue", on_delete=models.PROTECT, related_name="markets", verbose_name=_("lieu")
    )
    starts_on = models.DateField(_("du"))
    ends_on = models.DateField(_("au"))
    description = models.TextField(_("présentation"), max_length=5000, blank=True)
    applications_open = models.BooleanField(_("accréditations ouvertes"), default=True)
    meeting_minutes = models.PositiveSmallIntegerField(_("durée d'un rendez-vous (minutes)"), default=20)
    request_hours = models.PositiveSmallIntegerField(
        _("délai de réponse à une demande de rendez-vous (heures)"), default=72
    )
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    # The meetings' batch placement asked of the worker and not finished yet (None: none under way).
    schedule_asked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("marché professionnel")
        verbose_name_plural = _("marchés professionnels")
        constraints = [models.UniqueConstraint(fields=["organizer", "slug"], name="unique_market_slug")]

    def __str__(self) -> str:
        return self.name


class Access(models.TextChoices):
    MARKET = "market", _("Journées du marché")
    SESSIONS = "sessions", _("Tables rondes et rencontres")
    SHOWCASES = "showcases", _("Showcases")
    PUBLIC = "public", _("Programme public")


class Category(models.Model):
    class Kind(models.TextChoices):
        PROFESSIONAL = "professional", _("Professionnel")
        PRESS = "press", _("Presse")
        ARTIST = "artist", _("Artiste")
        SPEAKER = "speaker", _("Intervenant")
        EXHIBITOR = "exhibitor", _("Équipe d'exposant")
        STUDENT = "student", _("Étudiant")

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("nom"), max_length=100)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    colour = models.CharField(_("couleur du badge"), max_length=7, default="#1d4ed8", validators=[colour])
    fee = models.DecimalField(
        _("droit d'accréditation TTC"),
        max_digits=9,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    vat_rate = models.DecimalField(_("taux de TVA"), max_digits=4, decimal_places=2, default="20.00")
    access = models.JSONField(_("donne accès à"), default=list)
    asks_organisation = models.BooleanField(_("organisation demandée"), default=True)
    asks_role = models.BooleanField(_("fonction demandée"), default=True)
    asks_proof = models.BooleanField(_("justificatif demandé (lien ou document)"), default=False)
    asks_photo = models.BooleanField(_("photo demandée"), default=False)
    open_to_applications = models.BooleanField(_("ouverte aux candidatures"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("catégorie d'accréditation")
        verbose_name_plural = _("catégories d'accréditation")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    def gives(self, access: str) -> bool:
        return access in self.access

    @property
    def access_labels(self) -> list[str]:
        return [str(Access(a).label) for a in self.access if a in Access.values]


class BadgePack(models.Model):
    """N badges bought at once by a company, named later by its contact (`code` opens the naming page)."""

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="badge_packs")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="badge_packs")
    organisation_name = models.CharField(_("organisation"), max_length=200)
    contact_email = models.EmailField(_("e-mail du contact"))
    quantity = models.PositiveSmallIntegerField(_("nombre de badges"), validators=[MinValueValidator(1)])
    code = models.CharField(max_length=12, unique=True, default=new_code)
    order = models.ForeignKey(
        "ticketing.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="badge_packs"
    )
    paid = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lot de badges")
        verbose_name_plural = _("lots de badges")

    def __str__(self) -> str:
        return f"{self.organisation_name} × {self.quantity}"

    def get_absolute_url(self) -> str:
        return reverse("market:pack", args=[self.code, self.secret])

    @property
    def secret(self) -> str:
        """What opens the pack's naming page (sent with the order only)."""
        return Signer(salt="parvis.market.pack").sign(self.code).rpartition(":")[2]


def proof_path(instance, filename: str) -> str:
    return files.random_path("market/proofs", filename)


def photo_path(instance, filename: str) -> str:
    return files.random_path("market/photos", filename)


class Participant(models.Model):
    class State(models.TextChoices):
        APPLIED = "applied", _("Candidature reçue")
        MORE_INFO = "more_info", _("Complément demandé")
        APPROVED = "approved", _("Acceptée, à payer")
        ACCREDITED = "accredited", _("Accrédité")
        REFUSED = "refused", _("Refusée")
        CANCELLED = "cancelled", _("Annulée")

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="participants")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="participants")
    code = models.CharField(max_length=12, unique=True, default=new_code)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accreditations",
    )
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="accreditations"
    )
    organisation = models.ForeignKey(
        "crm.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="accreditations"
    )
    pack = models.ForeignKey(
        BadgePack, null=True, blank=True, on_delete=models.PROTECT, related_name="badges"
    )
    # Exhibitor staff: the exhibitor whose stand's badges this one counts in.
    exhibitor = models.ForeignKey(
        "Exhibitor", null=True, blank=True, on_delete=models.SET_NULL, related_name="staff"
    )
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    role = models.CharField(_("fonction"), max_length=200, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    vat_number = models.CharField(_("n° de TVA intracommunautaire"), max_length=20, blank=True)
    billing_address = models.TextField(_("adresse de facturation"), max_length=500, blank=True)
    proof_url = models.URLField(_("justificatif (lien)"), blank=True)
    proof_file = models.FileField(
        _("justificatif (document)"),
        upload_to=proof_path,
        storage=files.private_storage,
        max_length=200,
        blank=True,
        validators=[files.validate_document],
        help_text=_("PDF, JPEG ou PNG, 5 Mo au plus : seule l'équipe du marché le lit."),
    )
    # A person's face: kept in the private storage like the proof, shown to the team through a view that
    # checks their role, and printed on the badge.
    photo = models.ImageField(
        _("photo"), upload_to=photo_path, storage=files.private_storage, max_length=200, blank=True
    )
    interests = models.CharField(_("centres d'intérêt"), max_length=300, blank=True)
    offers = models.TextField(_("ce que je propose"), max_length=1000, blank=True)
    seeks = models.TextField(_("ce que je cherche"), max_length=1000, blank=True)
    in_directory = models.BooleanField(_("figurer dans l'annuaire des participants"), default=False)
    show_email = models.BooleanField(_("montrer mon e-mail dans l'annuaire"), default=False)
    share_with_exhibitors = models.BooleanField(
        _("transmettre mes coordonnées aux exposants qui scannent mon badge"), default=False
    )
    accepts_meetings = models.BooleanField(_("recevoir des demandes de rendez-vous"), default=True)
    auto_accept = models.BooleanField(_("accepter automatiquement les rendez-vous"), default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.APPLIED)
    staff_message = models.TextField(_("message de l'équipe"), max_length=2000, blank=True)
    order = models.ForeignKey(
        "ticketing.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="accreditations"
    )
    badge_version = models.PositiveIntegerField(default=1)
    # The market day whose agenda was last sent as a reminder (the evening before), once per day.
    reminded_for = models.DateField(null=True, blank=True)
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        indexes = [
            models.Index(fields=["market", "state"]),
            models.Index(
                fields=["market", "last_name"],
                condition=Q(in_directory=True, state="accredited"),
                name="market_directory",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("market:participant", args=[self.code, self.secret])

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def accredited(self) -> bool:
        return self.state == self.State.ACCREDITED

    @property
    def secret(self) -> str:
        """What opens the participant's own page without an account (sent by e-mail only)."""
        return Signer(salt="parvis.market.participant").sign(self.code).rpartition(":")[2]


class Unavailability(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="unavailabilities")
    starts_at = models.DateTimeField(_("de"))
    ends_at = models.DateTimeField(_("à"))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="unavail_order")
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.starts_at:%Y-%m-%d %H:%M}"


class Zone(models.Model):
    class Kind(models.TextChoices):
        AREA = "area", _("Espace")
        PAVILION = "pavilion", _("Pavillon")

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(_("nom"), max_length=100)
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices, default=Kind.AREA)
    colour = models.CharField(_("couleur"), max_length=7, default="#e5e7eb", validators=[colour])

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")

    def __str__(self) -> str:
        return self.name


class Stand(models.Model):
    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="stands")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="stands")
    label = models.CharField(_("numéro"), max_length=20)
    # On the floor plan's grid, in metres from its top left corner.
    x = models.PositiveSmallIntegerField(default=0)
    y = models.PositiveSmallIntegerField(default=0)
    width = models.PositiveSmallIntegerField(_("largeur (m)"), default=3, validators=[MinValueValidator(1)])
    depth = models.PositiveSmallIntegerField(
        _("profondeur (m)"), default=3, validators=[MinValueValidator(1)]
    )
    price = models.DecimalField(
        _("prix HT"), max_digits=9, decimal_places=2, validators=[MinValueValidator(0)]
    )
    badges_included = models.PositiveSmallIntegerField(_("badges exposant inclus"), default=2)

    class Meta:
        verbose_name = _("stand")
        verbose_name_plural = _("stands")
        constraints = [models.UniqueConstraint(fields=["market", "label"], name="unique_stand_label")]
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label

    @property
    def area(self) -> int:
        return self.width * self.depth


class StandOption(models.Model):
    class Kind(models.TextChoices):
        POWER = "power", _("Électricité")
        FURNITURE = "furniture", _("Mobilier")
        BADGE = "badge", _("Badge exposant supplémentaire")
        OTHER = "other", _("Autre")

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="stand_options")
    name = models.CharField(_("nom"), max_length=100)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.OTHER)
    price = models.DecimalField(
        _("prix HT"), max_digits=9, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("option de stand")
        verbose_name_plural = _("options de stand")

    def __str__(self) -> str:
        return self.name


class Exhibitor(models.Model):
    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="exhibitors")
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=120)
    organisation = models.ForeignKey(
        "crm.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="exhibitors"
    )
    # Who answers for the exhibitor: the meetings asked of the exhibitor are theirs.
    lead = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="exhibitors_led"
    )
    pavilion = models.ForeignKey(
        Zone,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exhibitors",
        limit_choices_to={"kind": Zone.Kind.PAVILION},
        verbose_name=_("pavillon"),
    )
    logo = models.ImageField(_("logo"), upload_to="market/logos/%Y/", blank=True)
    description = models.TextField(_("présentation"), max_length=3000, blank=True)
    categories = models.CharField(_("domaines"), max_length=300, blank=True)
    products = models.TextField(_("produits et projets"), max_length=3000, blank=True)
    demo_times = models.CharField(_("démonstrations"), max_length=300, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    vat_number = models.CharField(_("n° de TVA intracommunautaire"), max_length=20, blank=True)
    billing_address = models.TextField(_("adresse de facturation"), max_length=500, blank=True)
    contact_email = models.EmailField(_("e-mail"))
    published = models.BooleanField(_("visible sur la page des exposants"), default=True)

    class Meta:
        verbose_name = _("exposant")
        verbose_name_plural = _("exposants")
        constraints = [models.UniqueConstraint(fields=["market", "slug"], name="unique_exhibitor_slug")]

    def __str__(self) -> str:
        return self.name


class StandBooking(models.Model):
    class State(models.TextChoices):
        ORDERED = "ordered", _("Réservé, à payer")
        PAID = "paid", _("Payé")
        CANCELLED = "cancelled", _("Annulé")

    ACTIVE = (State.ORDERED, State.PAID)

    stand = models.ForeignKey(Stand, on_delete=models.PROTECT, related_name="bookings")
    exhibitor = models.ForeignKey(Exhibitor, on_delete=models.PROTECT, related_name="stand_bookings")
    state = models.CharField(max_length=10, choices=State.choices, default=State.ORDERED)
    options = models.ManyToManyField(StandOption, blank=True, related_name="bookings")
    price_excl_vat = models.DecimalField(max_digits=10, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=4, decimal_places=2, default="20.00")
    purchase_order = models.CharField(_("bon de commande"), max_length=60, blank=True)
    order = models.ForeignKey(
        "ticketing.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="stand_bookings"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("réservation de stand")
        verbose_name_plural = _("réservations de stand")
        constraints = [
            # One stand is never booked twice: the second insert fails, whoever races.
            models.UniqueConstraint(
                fields=["stand"], condition=Q(state__in=["ordered", "paid"]), name="one_booking_per_stand"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stand_id} → {self.exhibitor_id}"


class Session(models.Model):
    class Kind(models.TextChoices):
        ROUND_TABLE = "round_table", _("Table ronde")
        DEMONSTRATION = "demonstration", _("Démonstration")
        TALK = "talk", _("Conférence")
        SHOWCASE = "showcase", _("Showcase")

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="sessions")
    # Its date in the public agenda (iCal, JSON-LD, the network's agenda), made with the session.
    performance = models.OneToOneField(
        "programming.Performance", on_delete=models.PROTECT, related_name="market_session"
    )
    kind = models.CharField(_("type"), max_length=14, choices=Kind.choices, default=Kind.ROUND_TABLE)
    capacity = models.PositiveIntegerField(_("places"), validators=[MinValueValidator(1)])
    taken = models.PositiveIntegerField(default=0)
    categories = models.ManyToManyField(
        Category, blank=True, related_name="sessions", verbose_name=_("ouverte aux catégories")
    )
    speakers = models.ManyToManyField(
        Participant, blank=True, related_name="talks", verbose_name=_("intervenants")
    )

    class Meta:
        verbose_name = _("rencontre")
        verbose_name_plural = _("rencontres")
        constraints = [
            models.CheckConstraint(condition=Q(taken__lte=models.F("capacity")), name="session_not_over")
        ]

    def __str__(self) -> str:
        return str(self.performance.event.title)

    def get_absolute_url(self) -> str:
        return reverse("market:session", args=[self.market.organizer.slug, self.market.slug, self.pk])


class Registration(models.Model):
    class State(models.TextChoices):
        REGISTERED = "registered", _("Inscrit")
        WAITING = "waiting", _("Liste d'attente")
        CANCELLED = "cancelled", _("Annulé")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="registrations")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="registrations")
    state = models.CharField(max_length=10, choices=State.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    registered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "participant"], name="unique_registration")]
        indexes = [models.Index(fields=["session", "state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.participant_id} @ {self.session_id}: {self.state}"


class MeetingSlot(models.Model):
    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="meeting_slots")
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.UniqueConstraint(fields=["market", "starts_at"], name="unique_meeting_slot")]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}"


class MeetingTable(models.Model):
    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="meeting_tables")
    area = models.CharField(_("espace"), max_length=100)
    number = models.PositiveSmallIntegerField(_("table"))

    class Meta:
        ordering = ["area", "number"]
        constraints = [
            models.UniqueConstraint(fields=["market", "area", "number"], name="unique_meeting_table")
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.number}"


class Meeting(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("En attente de réponse")
        ACCEPTED = "accepted", _("Acceptée")
        DECLINED = "declined", _("Déclinée")
        EXPIRED = "expired", _("Sans réponse")
        CANCELLED = "cancelled", _("Annulée")

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="meetings")
    requester = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="meetings_asked")
    recipient = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="meetings_received")
    exhibitor = models.ForeignKey(
        Exhibitor, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings"
    )
    topic = models.CharField(_("objet"), max_length=200)
    message = models.TextField(_("message"), max_length=2000, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    slot = models.ForeignKey(
        MeetingSlot, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings"
    )
    table = models.ForeignKey(
        MeetingTable, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings"
    )
    no_show = models.ForeignKey(
        Participant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("absent"),
    )

    class Meta:
        verbose_name = _("rendez-vous")
        verbose_name_plural = _("rendez-vous")
        constraints = [
            models.UniqueConstraint(fields=["slot", "table"], name="one_meeting_per_table"),
            models.CheckConstraint(condition=~Q(requester=models.F("recipient")), name="meeting_two_people"),
        ]
        indexes = [models.Index(fields=["market", "state"])]

    def __str__(self) -> str:
        return f"{self.requester_id} ↔ {self.recipient_id}"


class MeetingSeat(models.Model):
    """A participant's place in a slot: one per participant and slot, whatever places the meetings."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="seats")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="meeting_seats")
    slot = models.ForeignKey(MeetingSlot, on_delete=models.CASCADE, related_name="seats")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["participant", "slot"], name="one_meeting_at_once")]

    def __str__(self) -> str:
        return f"{self.participant_id} @ {self.slot_id}"


class Lead(models.Model):
    exhibitor = models.ForeignKey(Exhibitor, on_delete=models.CASCADE, related_name="leads")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="leads")
    scanned_by = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads_scanned"
    )
    nonce = models.CharField(max_length=64)
    rating = models.PositiveSmallIntegerField(
        _("intérêt"), default=0, validators=[MinValueValidator(0), MaxValueValidator(5)]
    )
    tags = models.CharField(_("étiquettes"), max_length=200, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    scanned_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact d'exposant")
        verbose_name_plural = _("contacts d'exposant")
        constraints = [
            models.UniqueConstraint(fields=["exhibitor", "participant"], name="one_lead_per_visitor"),
            models.CheckConstraint(condition=Q(rating__lte=5), name="lead_rating"),
        ]

    def __str__(self) -> str:
        return f"{self.exhibitor_id} ← {self.participant_id}"
