"""What a venue declares, kept as it was declared. The daily revenue statement (bordereau de recettes,
arrêté du 8 mars 1993) of a performance: numbered per organizer, dated, its figures by tariff, chained to
the previous one by a hash like the till journal, never changed afterwards (a correction is a new
statement that supersedes the old)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyStatement(models.Model):
    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="+")
    performance = models.ForeignKey("programming.Performance", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("n°"))
    issued_at = models.DateTimeField(_("établi le"))
    # [{"tariff", "unit_price", "issued", "numbers", "exonerated", "cancelled", "revenue", "scanned",
    #   "pass_share"}] and the totals: strings for amounts, exact decimals.
    lines = models.JSONField(default=list)
    totals = models.JSONField(default=dict)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("bordereau de recettes")
        verbose_name_plural = _("bordereaux de recettes")
        ordering = ["organizer", "number"]
        constraints = [
            models.UniqueConstraint(fields=["organizer", "number"], name="unique_statement_number"),
        ]

    def __str__(self) -> str:
        return f"{self.organizer_id} n° {self.number}"


class SibilAccount(models.Model):
    """The organizer's SIBIL login (its declarant account at the Ministry). The password is written here by
    an administrator and never shown again."""

    organizer = models.OneToOneField(
        "network.Organizer", on_delete=models.CASCADE, related_name="sibil_account"
    )
    username = models.CharField(_("identifiant SIBIL"), max_length=200)
    password = models.CharField(_("mot de passe SIBIL"), max_length=200)
    updated_at = models.DateTimeField(auto_now=True)
    # The last run of a quarter's sending (a background task): when asked, when done, what happened.
    run_asked_at = models.DateTimeField(null=True, blank=True)
    run_done_at = models.DateTimeField(null=True, blank=True)
    run_summary = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.organizer_id}: {self.username}"


class SibilDomain(models.Model):
    """A performance domain as SIBIL lists it (`GET /domaine-representations`): its numeric id is SIBIL's,
    fetched and kept, never written by hand."""

    id = models.PositiveIntegerField(primary_key=True)
    label = models.CharField(_("domaine"), max_length=200)
    active = models.BooleanField(default=True)
    fetched_at = models.DateTimeField()

    # The show's criteria this domain asks for (`GET /spectacles/configChamps`), as SIBIL words them:
    # [{"field": "critere2", "short": "Metteur en scène", "long": "…", "rule": "OBLIGATOIRE"}].
    criteria = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label

    def criteria_asked(self) -> list[dict]:
        """The criteria beyond the first (the show's title, which Parvis fills) this domain asks for."""
        return [c for c in self.criteria if c.get("field") in SHOW_CRITERIA and c.get("short")]


SHOW_CRITERIA = ("critere2", "critere3", "critere4")


def criterion_required(criterion: dict) -> bool:
    """SIBIL states each criterion's rule in words (`regleChamp`); one that says it is mandatory blocks the
    sending until it is filled, the others are sent when given."""
    return "oblig" in str(criterion.get("rule", "")).lower()


class SibilPlaceType(models.Model):
    """A venue type as SIBIL lists it (`GET /lieux/types`: a code and its words), fetched and kept."""

    code = models.CharField(max_length=60, primary_key=True)
    label = models.CharField(_("type de lieu"), max_length=200)
    active = models.BooleanField(default=True)
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class SibilVenue(models.Model):
    """What SIBIL needs to know of a venue beyond its address: its type in SIBIL's list, chosen once."""

    venue = models.OneToOneField("network.Venue", on_delete=models.CASCADE, related_name="sibil")
    place_type = models.ForeignKey(
        SibilPlaceType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type de lieu")
    )
    sibil_id = models.BigIntegerField(null=True, blank=True)  # the venue in SIBIL's list, once it has it

    def __str__(self) -> str:
        return f"{self.venue_id} → {self.place_type_id}"


class SibilShow(models.Model):
    """The show's criteria its SIBIL domain asks for beyond its title (e.g. the director, the company),
    written once per event by staff: {"critere2": "…", "critere3": "…"}."""

    event = models.OneToOneField("programming.Event", on_delete=models.CASCADE, related_name="sibil")
    criteria = models.JSONField(default=dict, blank=True)
    sibil_id = models.BigIntegerField(null=True, blank=True)  # the show in SIBIL's list, once it has it

    def __str__(self) -> str:
        return f"{self.event_id}: {self.criteria}"


class SibilFestival(models.Model):
    """A network's festival as SIBIL knows it, once a declaration has made it known."""

    festival = models.OneToOneField("programming.Festival", on_delete=models.CASCADE, related_name="sibil")
    sibil_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.festival_id} → {self.sibil_id}"


class GenreDomain(models.Model):
    """Which SIBIL domain an organizer's genre declares as: chosen once by staff."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    genre = models.CharField(max_length=20)
    domain = models.ForeignKey(SibilDomain, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organizer", "genre"], name="unique_genre_domain")]

    def __str__(self) -> str:
        return f"{self.organizer_id} {self.genre} → {self.domain_id}"


class SibilDeclaration(models.Model):
    """A performance as declared to SIBIL: its external id (made once, never changed: SIBIL refuses a new id
    for the same show and time, and the same id updates), SIBIL's id and status, and what was sent."""

    class Status(models.TextChoices):
        NOT_SENT = "", _("Pas encore envoyée")
        DRAFT = "BROUILLON", _("Brouillon")
        RECORDED = "ENREGISTRE", _("Enregistrée")
        CLOSED = "CLOTURE", _("Clôturée")
        REJECTED = "REJETE", _("Rejetée")
        CANCELLED = "ANNULE", _("Annulée")

    performance = models.OneToOneField(
        "programming.Performance", on_delete=models.PROTECT, related_name="sibil_declaration"
    )
    ext_id = models.CharField(max_length=16, unique=True)
    sibil_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    error = models.TextField(blank=True)
    sent = models.JSONField(default=dict, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.ext_id} ({self.status or '-'})"


class TaxBody(models.TextChoices):
    """Who collects the taxe sur les spectacles (CIBS L452-14 and following) for a show, by the genre lists
    of décret 2004-117 art. 1: the Centre national de la musique (variétés) or the Association pour le
    soutien du théâtre privé (art dramatique, lyrique, chorégraphique). Circus is on neither list and
    classical concerts are taxed by neither: never guessed, staff decide."""

    UNDECIDED = "", _("À décider")
    CNM = "cnm", _("CNM (variétés, jazz, musiques actuelles)")
    ASTP = "astp", _("ASTP (théâtre, danse, art lyrique)")
    NONE = "none", _("Aucun (hors champ de la taxe)")


class EventTax(models.Model):
    """The tax body of an event, as staff confirmed it (an event without a row: only proposed)."""

    event = models.OneToOneField("programming.Event", on_delete=models.CASCADE, related_name="show_tax")
    body = models.CharField(_("organisme"), max_length=4, choices=TaxBody.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.event_id}: {self.body or '?'}"


class OrganizerTax(models.Model):
    """What the ASTP exemption depends on: a public body or a subsidised company is exempt for its own
    performances, unless one is given under a contract with a private, unsubsidised producer."""

    organizer = models.OneToOneField("network.Organizer", on_delete=models.CASCADE, related_name="show_tax")
    subsidised = models.BooleanField(_("structure publique ou compagnie subventionnée"), default=False)

    def __str__(self) -> str:
        return f"{self.organizer_id}: {'subsidised' if self.subsidised else '-'}"


class PerformanceTax(models.Model):
    """What a performance's tax needs beyond its tickets: the contract with a private producer (no ASTP
    exemption), the cession contract's amount excluding VAT (the base of a free performance, taxed by the
    seller) and the organizer's share in a co-production (100 % unless split)."""

    performance = models.OneToOneField(
        "programming.Performance", on_delete=models.CASCADE, related_name="show_tax"
    )
    private_contract = models.BooleanField(
        _("donnée sous contrat avec un producteur privé non subventionné"), default=False
    )
    cession_amount = models.DecimalField(
        _("montant HT du contrat de cession"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    share = models.DecimalField(
        _("part de la taxe (coproduction), en %"), max_digits=5, decimal_places=2, default=100
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(share__gt=0, share__lte=100), name="performance_tax_share_range"
            ),
            models.CheckConstraint(
                condition=models.Q(cession_amount__gte=0) | models.Q(cession_amount__isnull=True),
                name="performance_tax_cession_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.performance_id}: {self.share} %"


class AccountMapping(models.Model):
    """The organizer's own account for a kind of line or a means of payment in the accounting feed (its
    chart of accounts), over Parvis's default."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40)
    number = models.CharField(_("compte"), max_length=20)
    label = models.CharField(_("libellé"), max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organizer", "key"], name="unique_account_mapping")]

    def __str__(self) -> str:
        return f"{self.organizer_id} {self.key} → {self.number}"


class PerformanceRights(models.Model):
    """What the authors' societies ask beyond the tickets, typed by staff: the bar's and the catering's
    takings of the evening (VAT included, by rate) and the expenses of the performance (SACEM)."""

    performance = models.OneToOneField(
        "programming.Performance", on_delete=models.CASCADE, related_name="rights"
    )
    # {"bar": [[rate, amount]], "catering": [[rate, amount]]}: strings, exact decimals.
    takings = models.JSONField(default=dict, blank=True)
    expenses = models.DecimalField(
        _("dépenses du spectacle (HT)"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    def __str__(self) -> str:
        return f"{self.performance_id}"


class Territory(models.TextChoices):
    METROPOLE = "metropole", _("France métropolitaine")
    CORSE = "corse", _("Corse")
    DOM = "dom", _("Guadeloupe, Martinique, La Réunion")
    NO_VAT = "no_vat", _("Guyane, Mayotte (pas de TVA)")


class VenueTax(models.Model):
    """Where a venue is, for its VAT rates (CGI 297 for Corsica, 296 and 296 bis for the overseas
    departments)."""

    venue = models.OneToOneField("network.Venue", on_delete=models.CASCADE, related_name="tax")
    territory = models.CharField(
        _("territoire"), max_length=10, choices=Territory.choices, default=Territory.METROPOLE
    )

    def __str__(self) -> str:
        return f"{self.venue_id}: {self.territory}"


class EventVat(models.Model):
    """What an event's ticket VAT depends on beyond its genre (CGI 278-0 bis, 281 quater): a new creation
    (or a classic newly staged) is at 2.1 % for its first 140 performances counted nationally, unless food
    or drink is served during the show; a ticket that includes a drink is at the normal rate."""

    event = models.OneToOneField("programming.Event", on_delete=models.CASCADE, related_name="vat")
    new_creation = models.BooleanField(
        _("création (ou œuvre classique nouvellement mise en scène)"), default=False
    )
    played_elsewhere = models.PositiveIntegerField(_("représentations déjà données ailleurs"), default=0)
    drinks_served = models.BooleanField(
        _("boissons ou restauration servies pendant le spectacle"), default=False
    )
    drink_included = models.BooleanField(_("le billet comprend une consommation"), default=False)

    def __str__(self) -> str:
        return f"{self.event_id}"


class DeadlineReminder(models.Model):
    """A reminder sent to an organizer's administrators before a declaration's deadline: once per
    declaration, period and stage (days before)."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)  # "sibil"
    period = models.CharField(max_length=10)  # "2026-4"
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organizer", "kind", "period", "days_before"], name="unique_deadline_reminder"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organizer_id} {self.kind} {self.period} J-{self.days_before}"


class SelfBillingInvoice(models.Model):
    """A member's monthly invoice to the network's seller for what the settlement gives it (its tickets
    sold on its behalf, its pass entries and shares), made by the seller in the member's name
    (autofacturation, CGI 289-I-2): numbered per member, never changed. When the month's settlement changes
    afterwards (a ticket of that month refunded later), a correcting document follows, in the same series:
    a credit note (avoir) for less, a corrective invoice for more, referring to the month's invoice
    (`corrects`)."""

    network = models.ForeignKey("network.Network", on_delete=models.PROTECT, related_name="+")
    seller = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="+")
    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=7)  # "2026-11"
    number = models.CharField(_("n°"), max_length=40)
    issued_at = models.DateTimeField(auto_now_add=True)
    # [[rate, excl, vat, incl]] and per kind {"ticket": …, "entry": …}: strings, exact decimals.
    lines = models.JSONField(default=list)
    kinds = models.JSONField(default=dict)
    total_excl = models.DecimalField(max_digits=12, decimal_places=2)
    total_vat = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "seller", "organizer", "period"],
                condition=models.Q(corrects__isnull=True),
                name="unique_self_billing_period",
            ),
            models.UniqueConstraint(fields=["organizer", "number"], name="unique_self_billing_number"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_credit_note(self) -> bool:
        return self.corrects_id is not None and self.total < 0


class SelfBillingPayment(models.Model):
    """The network's seller paying a member's self-billed invoice (or taking back a credit note, a negative
    amount): the member's VAT on it falls due on that day (encaissement, CGI 269-2-c). Several payments may
    settle one document; together never more than its total."""

    invoice = models.ForeignKey(SelfBillingInvoice, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(_("payé le"))
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paid_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="self_billing_payment_not_0")
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.amount} ({self.paid_on})"
