"""Recommendations: each training of a model (per organizer, later per network) and the neighbours it
found for each event, which the event pages read; the balance each owner sets between familiar and new."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.core.ownership import one_owner


class Owned(models.Model):
    """Of an organizer or of a network: exactly one (`one_owner` among each model's constraints)."""

    organizer = models.ForeignKey(
        "network.Organizer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    network = models.ForeignKey(
        "network.Network", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        abstract = True


class Training(Owned):
    """One training of an owner's model: its version is what each impression and click is logged with.
    The latest one of an owner is the one served."""

    version = models.PositiveIntegerField()
    trained_at = models.DateTimeField()
    events = models.PositiveIntegerField(default=0)
    people = models.PositiveIntegerField(default=0)
    signals = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    params = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("entraînement des recommandations")
        verbose_name_plural = _("entraînements des recommandations")
        constraints = [
            one_owner("reco_training_one_owner"),
            models.UniqueConstraint(fields=["organizer", "version"], name="reco_training_version_organizer"),
            models.UniqueConstraint(fields=["network", "version"], name="reco_training_version_network"),
        ]

    def __str__(self):
        return f"v{self.version} ({self.trained_at:%Y-%m-%d %H:%M})"


class Neighbour(models.Model):
    """For an event, another event people who liked it also liked, or that is like it (the cold start):
    its rank among the event's neighbours and why."""

    class Reason(models.TextChoices):
        TOGETHER = "together", _("Le même public")
        ALIKE = "alike", _("Un spectacle proche")

    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="neighbours")
    event = models.ForeignKey("programming.Event", on_delete=models.CASCADE, related_name="+")
    neighbour = models.ForeignKey("programming.Event", on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    reason = models.CharField(max_length=10, choices=Reason.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["training", "event", "rank"], name="reco_neighbour_rank"),
        ]

    def __str__(self):
        return f"{self.event_id} → {self.neighbour_id} (#{self.rank})"


def default_holdout() -> int:
    return settings.PARVIS_RECO_HOLDOUT_PERCENT


class Policy(models.Model):
    """An owner's settings: the balance from familiar (0) to discovery (1), and how far a suggestion may
    be from the show a person looks at."""

    organizer = models.OneToOneField(
        "network.Organizer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    network = models.OneToOneField(
        "network.Network", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    curiosity = models.DecimalField(
        _("équilibre entre le familier (0) et la découverte (1)"),
        max_digits=3,
        decimal_places=2,
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    reach_km = models.PositiveIntegerField(
        _("distance maximale (km)"),
        default=60,
        help_text=_("Au-delà, une date n'est proposée que dans le même département."),
    )
    holdout_percent = models.PositiveSmallIntegerField(
        _("groupe témoin (%)"),
        default=default_holdout,
        validators=[MaxValueValidator(50)],
        help_text=_(
            "Part des personnes consentantes qui reçoivent la sélection commune au lieu de la leur, "
            "pour mesurer ce que changent les recommandations."
        ),
    )

    class Meta:
        verbose_name = _("réglage des recommandations")
        verbose_name_plural = _("réglages des recommandations")
        constraints = [one_owner("reco_policy_one_owner")]

    def __str__(self):
        return f"{self.organizer or self.network}: {self.curiosity}"


class Forgotten(models.Model):
    """What a person asked the recommendations to forget: one show of their history (`event`), or all of
    it up to `at` (`event` empty: "start again"). Their purchases themselves are untouched."""

    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        "programming.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["contact", "at"], name="reco_forgotten_contact")]

    def __str__(self):
        return f"{self.contact_id}: {self.event_id or 'all'}"


class Arm(models.TextChoices):
    """What a person was shown: their own picks, the common list (no consent), or the common list though
    they consented (the holdout group the uplift is measured against)."""

    PERSONAL = "personal", _("Personnalisées")
    COMMON = "common", _("Sélection commune (sans consentement)")
    HOLDOUT = "holdout", _("Groupe témoin")


class Surface(models.TextChoices):
    """Where suggestions reach a person by name (the event pages' lists are counted per day: `Tally`)."""

    ACCOUNT = "account", _("Compte du spectateur")
    CAMPAIGN = "campaign", _("Campagne e-mail")
    COUNTER = "counter", _("Guichet")
    PASS = "pass", _("Page d'un pass")


class Impression(Owned):
    """Suggestions shown once to one person: which shows, from which training, under which balance, in
    which group. The person is kept only if they consented to personalised recommendations (the common
    list is counted without a name). Its owner is the model's: an organizer's, or a network's (a pass's
    page). `clicked_event`: the first suggestion they opened from it."""

    surface = models.CharField(max_length=12, choices=Surface.choices)
    ref = models.CharField(max_length=40, blank=True)  # "recipient:12": a campaign message
    arm = models.CharField(max_length=10, choices=Arm.choices)
    version = models.PositiveIntegerField(null=True, blank=True)  # the Training's
    curiosity = models.DecimalField(max_digits=3, decimal_places=2)
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    events = models.JSONField(default=list)  # event ids, in the order shown
    at = models.DateTimeField()
    clicked_event = models.ForeignKey(
        "programming.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("affichage de recommandations")
        verbose_name_plural = _("affichages de recommandations")
        constraints = [one_owner("reco_impression_one_owner")]
        indexes = [
            models.Index(fields=["organizer", "at"], name="reco_impression_owner_at"),
            models.Index(fields=["surface", "ref"], name="reco_impression_ref"),
            models.Index(fields=["contact", "at"], name="reco_impression_contact"),
        ]

    def __str__(self):
        return f"{self.surface} {self.arm} {self.at:%Y-%m-%d}"


class Tally(Owned):
    """The event pages' « Vous aimerez aussi » (the organizer's list, or the network's list of its other
    members' shows), counted per day (the same for all, no one named): how often shown, how often one of
    its shows was opened from it."""

    day = models.DateField()
    version = models.PositiveIntegerField()
    curiosity = models.DecimalField(max_digits=3, decimal_places=2)
    shown = models.PositiveIntegerField(default=0)
    clicked = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            one_owner("reco_tally_one_owner"),
            models.UniqueConstraint(
                fields=["organizer", "day", "version", "curiosity"], name="reco_tally_day"
            ),
            models.UniqueConstraint(
                fields=["network", "day", "version", "curiosity"], name="reco_tally_network_day"
            ),
        ]

    def __str__(self):
        return f"{self.organizer_id or self.network_id} {self.day}: {self.clicked}/{self.shown}"
