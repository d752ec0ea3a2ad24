"""Campaigns: what a marketer writes, who it goes to (one row each, frozen at send), and the domains it is
signed for."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from parvis.core.ownership import one_owner
from parvis.crm.models import Purpose

# What a campaign may be sent for: each needs the recipient's consent to that purpose.
CAMPAIGN_PURPOSES = (Purpose.ORGANIZER_NEWSLETTER, Purpose.NETWORK_NEWSLETTER, Purpose.PARTNER_OFFERS)


class SendingDomain(models.Model):
    """A domain the campaigns are sent from, with the DKIM key Parvis made for it. The private key is kept
    sealed (`core.keyvault`); the administrator publishes the public half in the domain's DNS."""

    organizer = models.ForeignKey(
        "network.Organizer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    network = models.ForeignKey(
        "network.Network", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    domain = models.CharField(_("domaine"), max_length=253)
    selector = models.CharField(_("sélecteur"), max_length=63)
    private_key = models.BinaryField(editable=False)
    public_key = models.TextField(editable=False)  # base64 DER, as the DNS record carries it
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    check_result = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("domaine d'envoi")
        verbose_name_plural = _("domaines d'envoi")
        constraints = [
            models.UniqueConstraint(fields=["domain", "selector"], name="unique_domain_selector"),
            one_owner("sending_domain_one_owner"),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def dns_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def dns_value(self) -> str:
        return f"v=DKIM1; k=rsa; p={self.public_key}"


class SendingPolicy(models.Model):
    """How much an organizer (or a network) writes to a person: the pressure cap and the quiet hours."""

    class Capped(models.TextChoices):
        DEFER = "defer", _("reporter l'envoi à la personne jusqu'à ce qu'elle repasse sous le plafond")
        SKIP = "skip", _("ne pas lui envoyer cette campagne")

    organizer = models.OneToOneField(
        "network.Organizer", null=True, blank=True, on_delete=models.CASCADE, related_name="sending_policy"
    )
    network = models.OneToOneField(
        "network.Network", null=True, blank=True, on_delete=models.CASCADE, related_name="sending_policy"
    )
    pressure_cap = models.PositiveSmallIntegerField(
        _("au plus, par personne et par 7 jours"),
        default=3,
        help_text=_("Messages de campagne, toutes campagnes confondues ; 0 : pas de plafond."),
    )
    capped = models.CharField(_("au-delà"), max_length=5, choices=Capped.choices, default=Capped.DEFER)
    quiet_from = models.PositiveSmallIntegerField(
        _("rien ne part à partir de (heure)"), default=21, validators=[MaxValueValidator(23)]
    )
    quiet_until = models.PositiveSmallIntegerField(
        _("jusqu'à (heure)"),
        default=8,
        validators=[MaxValueValidator(23)],
        help_text=_("Les mêmes heures : pas d'heures creuses."),
    )

    class Meta:
        verbose_name = _("règles d'envoi")
        verbose_name_plural = _("règles d'envoi")
        constraints = [
            one_owner("sending_policy_one_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.organizer or self.network}"


PRESSURE_WINDOW_DAYS = 7


class Campaign(models.Model):
    """One message written once and sent to each person of an audience, personalised, in their language."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SCHEDULED = "scheduled", _("Programmée")
        SENDING = "sending", _("En cours d'envoi")
        SENT = "sent", _("Envoyée")
        CANCELLED = "cancelled", _("Annulée")
        JOURNEY = "journey", _("Message d'un parcours")  # sent one person at a time, never finished

    organizer = models.ForeignKey(
        "network.Organizer", null=True, blank=True, on_delete=models.CASCADE, related_name="campaigns"
    )
    network = models.ForeignKey(
        "network.Network", null=True, blank=True, on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(_("nom interne"), max_length=150)
    purpose = models.CharField(
        _("finalité"),
        max_length=25,
        choices=[(p.value, p.label) for p in CAMPAIGN_PURPOSES],
        default=Purpose.ORGANIZER_NEWSLETTER,
    )
    subject_fr = models.CharField(_("objet"), max_length=200)
    subject_en = models.CharField(_("objet (anglais)"), max_length=200, blank=True)
    preheader_fr = models.CharField(_("texte d'aperçu"), max_length=200, blank=True)
    preheader_en = models.CharField(_("texte d'aperçu (anglais)"), max_length=200, blank=True)
    from_name = models.CharField(_("nom de l'expéditeur"), max_length=100)
    from_email = models.EmailField(_("adresse de l'expéditeur"))
    reply_to = models.EmailField(_("adresse de réponse"), blank=True)
    # The content: a list of blocks (`marketing.blocks`), each with its French and English text.
    blocks = models.JSONField(default=list, blank=True)
    include_segments = models.ManyToManyField(
        "crm.Segment", blank=True, related_name="+", verbose_name=_("segments visés")
    )
    exclude_segments = models.ManyToManyField(
        "crm.Segment", blank=True, related_name="+", verbose_name=_("segments exclus")
    )
    one_per_household = models.BooleanField(_("un seul envoi par foyer"), default=False)
    holdout_percent = models.PositiveSmallIntegerField(
        _("groupe témoin (%)"),
        default=0,
        validators=[MaxValueValidator(50)],
        help_text=_("Une part du public qui ne reçoit pas la campagne : ses achats servent de comparaison."),
    )
    attribution_days = models.PositiveSmallIntegerField(
        _("achats comptés pendant (jours)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Après l'envoi, ou après le clic."),
    )
    # A/B test of the subject: a sample gets A or B; after `ab_hours` the better one goes to the rest.
    ab_percent = models.PositiveSmallIntegerField(
        _("test A/B : part du public testée (%)"),
        default=0,
        validators=[MaxValueValidator(50)],
        help_text=_(
            "0 : pas de test. La moitié reçoit la version A, l'autre la version B (objet, texte ou les "
            "deux) ; le reste, la meilleure."
        ),
    )
    ab_subject_fr = models.CharField(_("objet B"), max_length=200, blank=True)
    ab_subject_en = models.CharField(_("objet B (anglais)"), max_length=200, blank=True)
    # Content B: the first text block as the sample's B half reads it (the rest of the message alike).
    ab_text_fr = models.TextField(
        _("texte B"),
        blank=True,
        help_text=_("Remplace le premier bloc de texte pour la moitié B ; vide : le même texte pour tous."),
    )
    ab_text_en = models.TextField(_("texte B (anglais)"), blank=True)
    ab_hours = models.PositiveSmallIntegerField(
        _("durée du test (heures)"), default=4, validators=[MinValueValidator(1), MaxValueValidator(72)]
    )
    ab_metric = models.CharField(
        _("gagnant désigné par"),
        max_length=6,
        choices=[("clicks", _("les clics")), ("sales", _("les ventes"))],
        default="clicks",
    )
    ab_winner = models.CharField(max_length=1, blank=True)
    ab_note = models.CharField(max_length=300, blank=True)
    priority = models.CharField(
        _("priorité"),
        max_length=6,
        choices=[
            ("normal", _("normale : soumise au plafond d'envois")),
            ("high", _("haute : part même au-delà du plafond")),
        ],
        default="normal",
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    send_at = models.DateTimeField(_("envoi le"), null=True, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)  # the audience written, one row per person
    finished_at = models.DateTimeField(null=True, blank=True)
    parts = models.PositiveSmallIntegerField(default=1)  # senders working side by side
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campagne")
        verbose_name_plural = _("campagnes")
        ordering = ["-created_at"]
        constraints = [
            one_owner("campaign_one_owner"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        return self.state in (self.State.DRAFT, self.State.SCHEDULED, self.State.JOURNEY)


class Recipient(models.Model):
    """One person of a campaign's audience: the send log. Unique per (campaign, contact) and per
    (campaign, address): a campaign writes to nobody twice. `part` says which sender owns the row;
    `claim` which run of it is sending it."""

    class State(models.TextChoices):
        QUEUED = "queued", _("En attente")
        SENDING = "sending", _("En cours")
        PENDING = "pending", _("Remis au relais, confirmation en cours")
        SENT = "sent", _("Remis")
        BOUNCED = "bounced", _("Refusé (adresse invalide)")
        FAILED = "failed", _("Échec après plusieurs essais")
        SKIPPED = "skipped", _("Écarté avant l'envoi")
        HOLDOUT = "holdout", _("Groupe témoin (non envoyé)")
        WAITING = "waiting", _("Attend le résultat du test A/B")

    # No index of its own: the unique constraints and the queue's index begin with it (each index is
    # written again at each of a message's two marks).
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="recipients", db_index=False
    )
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    address = models.CharField(max_length=254)
    language = models.CharField(max_length=8, default="fr")
    part = models.PositiveSmallIntegerField(default=0)
    variant = models.CharField(max_length=1, default="a")  # the A/B test's subject it gets
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    claim = models.CharField(max_length=32, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("destinataire")
        verbose_name_plural = _("destinataires")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "contact"], name="recipient_once_per_contact"),
            models.UniqueConstraint(fields=["campaign", "address"], name="recipient_once_per_address"),
        ]
        indexes = [
            models.Index(fields=["campaign", "part", "state", "id"], name="recipient_queue"),
            # The pressure cap: what each address received lately.
            models.Index(fields=["address", "sent_at"], name="recipient_pressure"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.contact_id}"


class Suppression(models.Model):
    """An address no campaign may write to: its mailbox refused for good, its owner complained, or the
    staff removed it. (A person who unsubscribed has withdrawn a consent: that is the consent ledger.)"""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", _("Adresse invalide (refus définitif)")
        COMPLAINT = "complaint", _("Signalé comme indésirable")
        MANUAL = "manual", _("Retirée par l'équipe")

    address = models.CharField(max_length=254)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()
    # Whose exclusion it is: an organizer's or a network's, by its staff (`MANUAL`); neither, a mailbox's
    # answer, which holds for every sender (a bounce, a complaint).
    organizer = models.ForeignKey(
        "network.Organizer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    network = models.ForeignKey(
        "network.Network", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("adresse exclue")
        verbose_name_plural = _("adresses exclues")
        indexes = [models.Index(fields=["address"], name="suppression_address")]
        constraints = [
            models.UniqueConstraint(
                fields=["address"],
                condition=Q(organizer__isnull=True, network__isnull=True),
                name="suppression_address_everyone",
            ),
            models.UniqueConstraint(
                fields=["address", "organizer"],
                condition=Q(organizer__isnull=False),
                name="suppression_address_organizer",
            ),
            models.UniqueConstraint(
                fields=["address", "network"],
                condition=Q(network__isnull=False),
                name="suppression_address_network",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.reason})"


class Click(models.Model):
    """A click on a campaign's link. Everyone's counts in the campaign's total; the person is kept only if
    they consented to the measure of their clicks (`Purpose.EMAIL_TRACKING`), as the CNIL asks."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="clicks")
    recipient = models.ForeignKey(
        Recipient, null=True, blank=True, on_delete=models.SET_NULL, related_name="clicks"
    )
    link = models.CharField(max_length=20)  # "l3": the campaign's 4th link; "e12": event 12's page
    variant = models.CharField(max_length=1, default="a")  # counted per variant, named or not
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("clic")
        verbose_name_plural = _("clics")
        indexes = [models.Index(fields=["campaign", "at"], name="click_by_campaign")]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.link}"


class Open(models.Model):
    """A message's images loaded: an aggregate indicator only (a mail app that loads every image, such as
    Apple's Mail Privacy Protection, or a scanner, opens everything; those are flagged `machine`). The
    person is kept only with their consent to the measure, as for clicks."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="opens")
    recipient = models.ForeignKey(
        Recipient, null=True, blank=True, on_delete=models.SET_NULL, related_name="opens"
    )
    variant = models.CharField(max_length=1, default="a")
    machine = models.BooleanField(default=False)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("ouverture")
        verbose_name_plural = _("ouvertures")
        indexes = [models.Index(fields=["campaign", "at"], name="open_by_campaign")]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.at:%Y-%m-%d}"


class CampaignImage(models.Model):
    """An image a marketer uploaded for the campaigns, served by Parvis itself (`/m/image/<id>/`): the
    messages' images load from the venue's own address, never a third party's."""

    organizer = models.ForeignKey(
        "network.Organizer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    network = models.ForeignKey(
        "network.Network", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    image = models.ImageField(_("image"), upload_to="campaigns/%Y/")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("image de campagne")
        verbose_name_plural = _("images de campagne")
        constraints = [one_owner("campaign_image_one_owner")]

    def __str__(self) -> str:
        return self.image.name


class Journey(models.Model):
    """An automated journey: people enter on a trigger (read from their timeline), then go through steps:
    wait, send a message (a campaign of the journey, to them alone), exit."""

    class Trigger(models.TextChoices):
        # Read from the timeline as they happen:
        SIGNUP = "signup", _("Inscription à la lettre (confirmée)")
        ORDER_PAID = "order", _("Commande payée")
        ATTENDED = "attendance", _("Venue à une représentation (contrôle à l'entrée)")
        FIRST_VISIT = "first_visit", _("Première venue")
        DONATION = "donation", _("Don")
        # Found when their time comes (N days before or after a date):
        BEFORE_PERFORMANCE = "before", _("N jours avant une représentation (détenteurs de billets)")
        AFTER_PERFORMANCE = "after", _("N jours après une représentation (détenteurs de billets)")
        MISSED = "missed", _("Représentation manquée (billet non contrôlé), N jours après")
        PASS_UNUSED = "pass_unused", _("Pass avec des entrées non utilisées, N jours avant sa fin")
        MEMBERSHIP_ENDING = "membership_end", _("Adhésion qui se termine dans N jours")
        SUBSCRIPTION_RENEWAL = "renewal", _("Réabonnement : N jours avant la fin de la saison")
        LAPSED = "lapsed", _("Public à risque (groupe RFM « à risque »)")
        ABANDONED_CART = "abandoned", _("Commande abandonnée, N jours après (avec consentement)")

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="journeys")
    name = models.CharField(_("nom"), max_length=150)
    trigger = models.CharField(_("déclencheur"), max_length=14, choices=Trigger.choices)
    # The N of a dated trigger (days before or after its date).
    days = models.PositiveSmallIntegerField(_("nombre de jours"), default=0)
    # Entry: once ever (null), or again once N days have passed since the person last entered.
    reentry_days = models.PositiveSmallIntegerField(_("à nouveau après (jours)"), null=True, blank=True)
    # [{"kind": "wait", "hours": 24}, {"kind": "send", "campaign": 12}, …]; the end of the list ends it.
    steps = models.JSONField(default=list)
    exit_on_purchase = models.BooleanField(_("sortir dès un achat"), default=True)
    active = models.BooleanField(_("en marche"), default=False)
    template = models.CharField(max_length=20, blank=True)  # the ready-made journey it came from
    # The timeline read so far: the last `crm.Interaction` id whose trigger was taken in.
    watermark = models.BigIntegerField(default=0)
    # The dated triggers found so far: every date due up to this moment was taken in.
    scanned_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("parcours")
        verbose_name_plural = _("parcours")

    def __str__(self) -> str:
        return self.name


class JourneyEntry(models.Model):
    """One person in a journey: at which step, due when. Entered once per journey (unique)."""

    class State(models.TextChoices):
        ACTIVE = "active", _("En cours")
        DONE = "done", _("Parcours terminé")
        CONVERTED = "converted", _("Sorti par un achat")
        LEFT = "left", _("Sorti par une condition")

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="entries")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    # What brought the person in when they may enter again ("" when a journey is entered once): the
    # trigger's own key ("i:<timeline id>", "perf:<id>", "pass:<id>"…), so an occasion enters only once.
    occasion = models.CharField(max_length=40, default="", blank=True)
    # The date a dated trigger is about (waits "until N hours before the performance" count from it).
    performance = models.ForeignKey(
        "programming.Performance", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    step = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    entered_at = models.DateTimeField()
    due_at = models.DateTimeField()

    class Meta:
        verbose_name = _("personne dans un parcours")
        verbose_name_plural = _("personnes dans un parcours")
        constraints = [
            models.UniqueConstraint(fields=["journey", "contact", "occasion"], name="journey_entered_once")
        ]
        indexes = [models.Index(fields=["journey", "state", "due_at"], name="journey_due")]

    def __str__(self) -> str:
        return f"{self.journey_id}:{self.contact_id}"
