"""Audience relations: one profile per person and organizer, every touchpoint, the consent ledger.

Each organizer is the controller of its own contacts: a person who buys from two venues has two contacts,
one per organizer, and nothing crosses between them unless the person consented to share with the network.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.core.text import fold


class Household(models.Model):
    """People living together: one mailing per home."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="households")
    name = models.CharField(_("nom"), max_length=200)

    class Meta:
        verbose_name = _("foyer")
        verbose_name_plural = _("foyers")

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """A company, school, association or sponsor, linked to people with a role."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Entreprise")
        SCHOOL = "school", _("Établissement scolaire")
        ASSOCIATION = "association", _("Association")
        SPONSOR = "sponsor", _("Mécène")
        OTHER = "other", _("Autre")

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="organisations")
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices, default=Kind.OTHER)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="contact_tags")
    name = models.CharField(_("nom"), max_length=60)

    class Meta:
        verbose_name = _("étiquette")
        verbose_name_plural = _("étiquettes")
        constraints = [models.UniqueConstraint(fields=["organizer", "name"], name="unique_tag_name")]

    def __str__(self) -> str:
        return self.name


def name_key(first_name: str, last_name: str) -> str:
    """The folded full name when both parts are known ("" otherwise: half a name matches too many people)."""
    if not first_name.strip() or not last_name.strip():
        return ""
    return fold(f"{first_name} {last_name}")[:201]


class Contact(models.Model):
    """One person as one organizer knows them."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="contacts")
    first_name = models.CharField(_("prénom"), max_length=100, blank=True)
    last_name = models.CharField(_("nom"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail principal"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True, help_text=_("Format international."))
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    departement = models.CharField(_("département"), max_length=3, blank=True, db_index=True)
    town = models.CharField(_("commune"), max_length=100, blank=True)
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    language = models.CharField(_("langue"), max_length=8, default="fr")
    birth_year = models.PositiveSmallIntegerField(_("année de naissance"), null=True, blank=True)
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts", verbose_name=_("étiquettes"))
    custom_fields = models.JSONField(_("champs personnalisés"), default=dict, blank=True)
    # Folded "first last" (no accents, lower case), for search and duplicate blocking in any database.
    name_key = models.CharField(max_length=201, blank=True, editable=False)
    source = models.CharField(_("origine"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Totals kept up to date by the touchpoints (segments and RFM read them without scanning history).
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_contacts"
    )
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # RFM scores (1–5 each, refreshed nightly by crm.rfm) and the named group they put the person in.
    rfm_recency = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_frequency = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_monetary = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_group = models.CharField(_("groupe RFM"), max_length=12, blank=True, db_index=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["organizer", "last_name", "first_name"]),
            models.Index(fields=["organizer", "-last_seen_at"]),
            models.Index(fields=["organizer", "name_key"]),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        self.name_key = name_key(self.first_name, self.last_name)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or _("Contact n° %(pk)s") % {"pk": self.pk}

    @property
    def is_active(self) -> bool:
        return self.merged_into_id is None and self.anonymised_at is None


class Identifier(models.Model):
    """A normalised e-mail or phone that points to exactly one contact of an organizer.

    Identity resolution looks these up; the unique constraint is what keeps two touchpoints arriving at
    once from creating two contacts for the same address.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Téléphone")
        # A pass's code, on the contacts its entries booked at each organizer: the pass is nominative, so
        # they are one person, its holder (crm.network_profiles links them by it when no address is proven).
        PASS = "pass", _("Pass")

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    value = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the person proved they hold it (a sign-in link or a confirmation link opened from that mailbox):
    # only a proven address links the person's contacts across a network (crm.network_profiles).
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organizer", "kind", "value"], name="unique_contact_identifier")
        ]
        # One address across organizers: the person's own page, a proof of the address (network profiles).
        indexes = [models.Index(fields=["kind", "value"], name="identifier_kind_value")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class Affiliation(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="affiliations")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="affiliations")
    role = models.CharField(_("rôle"), max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "organisation"], name="unique_affiliation")]

    def __str__(self) -> str:
        return f"{self.contact_id} @ {self.organisation_id}"


class Interaction(models.Model):
    """One touchpoint in a contact's timeline: an order, an entry at the door, an e-mail, a note…"""

    class Kind(models.TextChoices):
        ORDER = "order", _("Commande")
        PAYMENT = "payment", _("Paiement")
        REFUND = "refund", _("Remboursement")
        ATTENDANCE = "attendance", _("Venue")
        EMAIL_SENT = "email_sent", _("E-mail envoyé")
        EMAIL_OPENED = "email_opened", _("E-mail ouvert")
        EMAIL_CLICKED = "email_clicked", _("Lien cliqué")
        CONSENT = "consent", _("Consentement")
        DONATION = "donation", _("Don")
        MEMBERSHIP = "membership", _("Adhésion")
        SIGNUP = "signup", _("Inscription")
        IMPORT = "import", _("Import")
        NOTE = "note", _("Note")
        MERGE = "merge", _("Fusion")
        ONLINE = "online", _("Accès en ligne")
        GROUP = "group", _("Visite de groupe")
        MARKET = "market", _("Marché professionnel")

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    occurred_at = models.DateTimeField(db_index=False)
    summary = models.CharField(max_length=300, blank=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    # What it is about, for links and totals: "order:<code>", "ticket:<id>", "scan:<id>"…
    ref = models.CharField(max_length=60, blank=True)
    venue = models.ForeignKey(
        "network.Venue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    performance = models.ForeignKey(
        "programming.Performance", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(fields=["contact", "-occurred_at"], name="interaction_timeline"),
            # Segments: who came to these dates, and whether a contact came N times, from the index alone.
            models.Index(
                fields=["organizer", "performance", "contact"],
                condition=models.Q(kind="attendance"),
                name="attendance_by_performance",
            ),
            models.Index(
                fields=["organizer", "contact"],
                condition=models.Q(kind="attendance"),
                name="attendance_by_contact",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.contact_id} {self.occurred_at:%Y-%m-%d}"


class Purpose(models.TextChoices):
    ORGANIZER_NEWSLETTER = "organizer_newsletter", _("Lettre d'information de la structure")
    NETWORK_NEWSLETTER = "network_newsletter", _("Lettre d'information du réseau")
    NETWORK_SHARING = "network_sharing", _("Partage du profil avec le réseau")
    PARTNER_OFFERS = "partner_offers", _("Offres des partenaires")
    RECOMMENDATIONS = "recommendations", _("Recommandations personnalisées")
    EMAIL_TRACKING = "email_tracking", _("Mesure de mes clics dans les e-mails, à mon nom")
    SMS = "sms", _("SMS")
    MARKET_DIRECTORY = "market_directory", _("Figurer dans l'annuaire d'un marché professionnel")
    MARKET_LEADS = "market_leads", _("Coordonnées transmises aux exposants qui scannent mon badge")


class Consent(models.Model):
    """The consent ledger: rows are only added, never changed. The latest row per purpose is the state."""

    class Source(models.TextChoices):
        CHECKOUT = "checkout", _("Formulaire de commande")
        SIGNUP = "signup", _("Inscription à la lettre")
        DOUBLE_OPT_IN = "double_opt_in", _("Confirmation par e-mail")
        SELF_SERVICE = "self_service", _("Espace personnel")
        STAFF = "staff", _("Équipe")
        IMPORT = "import", _("Import")
        BOX_OFFICE = "box_office", _("Guichet")
        UNSUBSCRIBE = "unsubscribe", _("Lien de désinscription")

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("finalité"), max_length=25, choices=Purpose.choices)
    channel = models.CharField(_("canal"), max_length=10, default="email")
    given = models.BooleanField(_("donné"))
    at = models.DateTimeField(_("le"))
    source = models.CharField(_("comment"), max_length=15, choices=Source.choices)
    wording = models.TextField(_("texte présenté"), blank=True)
    version = models.CharField(_("version du texte"), max_length=40, blank=True)
    proof = models.JSONField(_("preuve"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("consentement")
        verbose_name_plural = _("consentements")
        indexes = [models.Index(fields=["contact", "purpose", "channel", "-at"], name="consent_state")]

    def __str__(self) -> str:
        return f"{self.purpose} {'+' if self.given else '-'} {self.contact_id}"


class PrivacyRequest(models.Model):
    """The register of GDPR requests (access, rectification, erasure, objection) and their deadline."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("Accès")
        RECTIFICATION = "rectification", _("Rectification")
        ERASURE = "erasure", _("Effacement")
        OBJECTION = "objection", _("Opposition")

    class Channel(models.TextChoices):
        SELF_SERVICE = "self_service", _("Libre-service")
        STAFF = "staff", _("Saisie par l'équipe")

    organizer = models.ForeignKey(
        "network.Organizer", on_delete=models.CASCADE, related_name="privacy_requests"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="privacy_requests"
    )
    kind = models.CharField(_("demande"), max_length=15, choices=Kind.choices)
    channel = models.CharField(_("reçue par"), max_length=15, choices=Channel.choices)
    received_at = models.DateTimeField(_("reçue le"))
    due_at = models.DateTimeField(_("à traiter avant"))
    completed_at = models.DateTimeField(_("traitée le"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("demande RGPD")
        verbose_name_plural = _("demandes RGPD")
        indexes = [models.Index(fields=["organizer", "completed_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.contact_id}"


class DuplicateCandidate(models.Model):
    """Two contacts that are probably one person, with a score and the reasons, for a human to decide."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)
    found_at = models.DateTimeField(auto_now=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="unique_duplicate_pair"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="duplicate_pair_ordered"
            ),
        ]
        indexes = [models.Index(fields=["organizer", "-score"])]

    def __str__(self) -> str:
        return f"{self.first_id}~{self.second_id} ({self.score})"


class Merge(models.Model):
    """A merge of one contact into another, with what moved, so that a wrong merge can be undone."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    survivor = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="merges_received")
    merged = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="merges_given")
    moved = models.JSONField(default=dict)  # {"orders": [ids], "interactions": [...], ..., "fields": {...}}
    merged_at = models.DateTimeField(auto_now_add=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("fusion")
        verbose_name_plural = _("fusions")

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"


class ImportJob(models.Model):
    """A contacts file imported from another system: its mapping, its progress and its bad rows.

    The file is kept in the database, so that a task worker on another machine can read it.
    """

    class State(models.TextChoices):
        MAPPING = "mapping", _("À paramétrer")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    organizer = models.ForeignKey(
        "network.Organizer", on_delete=models.CASCADE, related_name="contact_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)  # {column index (str): field}
    state = models.CharField(max_length=10, choices=State.choices, default=State.MAPPING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)  # [{"row": n, "column": "...", "value": "...", "reason": "..."}]
    failure = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import de contacts")
        verbose_name_plural = _("imports de contacts")

    def __str__(self) -> str:
        return self.filename


class ImportMapping(models.Model):
    """The mapping chosen for a file layout (its headers), offered again next time."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    signature = models.CharField(max_length=64)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organizer", "signature"], name="unique_import_mapping")
        ]

    def __str__(self) -> str:
        return self.signature


class Segment(models.Model):
    """A saved audience: dynamic (rules, evaluated by one SQL query each time) or static (a fixed list)."""

    class Kind(models.TextChoices):
        DYNAMIC = "dynamic", _("Dynamique")
        STATIC = "static", _("Liste fixe")

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(_("nom"), max_length=150)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.DYNAMIC)
    definition = models.JSONField(default=dict, blank=True)
    members = models.ManyToManyField(Contact, blank=True, related_name="static_segments")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        constraints = [models.UniqueConstraint(fields=["organizer", "name"], name="unique_segment_name")]

    def __str__(self) -> str:
        return self.name


class NetworkProfile(models.Model):
    """One person across the organizers of a network, as far as they consented at each: the contacts it
    links (`NetworkLink`) are those whose person gave « Partage du profil avec le réseau » at that organizer
    and proved the address. `digest` is a keyed hash of that address, with a key of the network's own
    derived from the key-encryption key: the table holds no readable e-mail, and a copy of the database
    alone cannot tell whose it is."""

    network = models.ForeignKey("network.Network", on_delete=models.CASCADE, related_name="profiles")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("profil réseau")
        verbose_name_plural = _("profils réseau")
        constraints = [models.UniqueConstraint(fields=["network", "digest"], name="unique_network_profile")]

    def __str__(self) -> str:
        return f"{self.network_id}:{self.pk}"


class NetworkLink(models.Model):
    """A contact of an organizer of the network, in a profile while its person consents there."""

    profile = models.ForeignKey(NetworkProfile, on_delete=models.CASCADE, related_name="links")
    network = models.ForeignKey("network.Network", on_delete=models.CASCADE, related_name="+")
    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="network_links")
    linked_at = models.DateTimeField()

    class Meta:
        verbose_name = _("lien de profil réseau")
        verbose_name_plural = _("liens de profil réseau")
        constraints = [models.UniqueConstraint(fields=["network", "contact"], name="unique_network_link")]
        indexes = [models.Index(fields=["network", "organizer"])]

    def __str__(self) -> str:
        return f"{self.profile_id}:{self.contact_id}"


class AddressAlias(models.Model):
    """A second address of a person, as they answered a suggestion in their account (issue 33): a contact
    at another organizer with their name and phone but another address. The person confirms by opening a
    link sent to that address (both addresses are then proven), or says it is not them. A confirmed alias
    links the contacts holding it to the profile of the main address; the account lists what it bought."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Lien envoyé")
        CONFIRMED = "confirmed", _("Confirmée")
        REFUSED = "refused", _("Ce n'est pas moi")

    main = models.CharField(_("adresse du compte"), max_length=254)
    address = models.CharField(_("autre adresse"), max_length=254)
    state = models.CharField(max_length=10, choices=State.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("autre adresse")
        verbose_name_plural = _("autres adresses")
        constraints = [
            models.UniqueConstraint(fields=["main", "address"], name="unique_address_alias"),
            # One person's address: it belongs to one account at most.
            models.UniqueConstraint(
                fields=["address"], condition=models.Q(state="confirmed"), name="one_confirmed_alias"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address} → {self.main}"
