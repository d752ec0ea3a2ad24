"""Numbered seats: a hall's seat plan (versioned), and the seats of a date, claimed once.

A plan belongs to a hall (`network.Space`) and never changes once a date is put on sale with it: editing a
plan in use makes a new version. A seat's neighbours are not read from its number (French halls often
number odd on one side and even on the other) but from its place: its row, its block between two aisles
(`block`), and its position in that block (`position`, left to right as the audience faces the stage).

`SeatClaim` is what makes a seat never held or sold twice: one row per seat of a date that someone holds,
bought or that the venue keeps, and a partial unique index on (date, seat) over the live states. Two
buyers who ask for the same seat at the same moment both try to insert; the database lets one in."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SeatPlan(models.Model):
    class Source(models.TextChoices):
        GENERATOR = "generator", _("Générateur")
        PRETIX = "pretix", _("Import pretix (JSON)")
        CSV = "csv", _("Import CSV")
        EDITOR = "editor", _("Modifié dans l'éditeur")

    space = models.ForeignKey("network.Space", on_delete=models.CASCADE, related_name="seat_plans")
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(_("nom"), max_length=200)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.GENERATOR)
    stage_x = models.FloatField(default=0)  # the stage's centre, where the seats face
    stage_y = models.FloatField(default=0)
    width = models.FloatField(default=0)
    height = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("plan de salle")
        verbose_name_plural = _("plans de salle")
        constraints = [models.UniqueConstraint(fields=["space", "version"], name="unique_plan_version")]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class SeatCategory(models.Model):
    """A price zone of a plan (« Catégorie 1 », « Balcon »): each date maps it to its tariffs."""

    plan = models.ForeignKey(SeatPlan, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("nom"), max_length=100)
    colour = models.CharField(_("couleur"), max_length=7, default="#1f77b4")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("catégorie de places")
        verbose_name_plural = _("catégories de places")
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "name"], name="unique_seat_category")]

    def __str__(self) -> str:
        return self.name


class Seat(models.Model):
    plan = models.ForeignKey(SeatPlan, on_delete=models.CASCADE, related_name="seats")
    guid = models.CharField(max_length=64)  # stable within the plan's versions (pretix's seat_guid)
    zone = models.CharField(_("zone"), max_length=100, blank=True)
    row = models.CharField(_("rang"), max_length=20)
    number = models.CharField(_("place"), max_length=20)
    row_index = models.PositiveSmallIntegerField(default=0)  # rows of a zone, front to back
    block = models.PositiveSmallIntegerField(default=0)  # between two aisles, left to right
    position = models.PositiveSmallIntegerField(default=0)  # in its block, left to right
    x = models.FloatField(default=0)
    y = models.FloatField(default=0)
    category = models.ForeignKey(SeatCategory, on_delete=models.PROTECT, related_name="seats")
    wheelchair = models.BooleanField(_("emplacement fauteuil roulant"), default=False)
    companion = models.BooleanField(_("place accompagnateur"), default=False)
    restricted = models.BooleanField(_("visibilité réduite"), default=False)
    note = models.CharField(_("remarque affichée avant l'achat"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        constraints = [
            models.UniqueConstraint(fields=["plan", "guid"], name="unique_seat_guid"),
            models.UniqueConstraint(
                fields=["plan", "zone", "row", "block", "position"], name="unique_seat_place"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        where = f"{self.zone}, " if self.zone else ""
        return str(_("%(where)srang %(row)s, place %(number)s")) % {
            "where": where,
            "row": self.row,
            "number": self.number,
        }


class StandingArea(models.Model):
    """Standing places inside a seated plan (a pit, a promenade): a capacity, no seat numbers."""

    plan = models.ForeignKey(SeatPlan, on_delete=models.CASCADE, related_name="standing_areas")
    name = models.CharField(_("nom"), max_length=100)
    category = models.ForeignKey(SeatCategory, on_delete=models.PROTECT, related_name="standing_areas")
    capacity = models.PositiveIntegerField(_("jauge"))

    def __str__(self) -> str:
        return self.name


class ClaimState(models.TextChoices):
    HELD = "held", _("Réservée")  # in a cart or a pending order, until `expires_at`
    SOLD = "sold", _("Vendue")
    KEPT = "kept", _("Gardée")  # house seats, technical blocks: the venue's, until staff release them
    RELEASED = "released", _("Libérée")


LIVE = [ClaimState.HELD, ClaimState.SOLD, ClaimState.KEPT]


class SeatClaim(models.Model):
    """A seat of a date taken by someone: held (with a cart's hold, until it expires), sold (a ticket), or
    kept by the venue. A held claim past its expiry counts as free: the next buyer takes it over in the
    same transaction as their own claim (a conditional UPDATE), without a worker."""

    class Kept(models.TextChoices):
        TECHNICAL = "technical", _("Technique (régie, caméra)")
        HOUSE = "house", _("Places de la maison (presse, artistes)")
        BOX_OFFICE = "box_office", _("Réservée au guichet")
        RENEWAL = "renewal", _("Renouvellement d'abonnement")

    performance = models.ForeignKey("programming.Performance", on_delete=models.CASCADE, related_name="+")
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="claims")
    state = models.CharField(max_length=10, choices=ClaimState.choices)
    hold = models.ForeignKey(
        "ticketing.Hold", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.OneToOneField(
        "ticketing.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="seat_claim"
    )
    kept = models.CharField(max_length=12, choices=Kept.choices, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(auto_now_add=True)
    token = models.CharField(max_length=16, blank=True)  # the claim's call, to count what it got

    class Meta:
        verbose_name = _("place attribuée")
        verbose_name_plural = _("places attribuées")
        constraints = [
            # THE guarantee: one live claim per seat and date, whatever the code above does.
            models.UniqueConstraint(
                fields=["performance", "seat"], condition=Q(state__in=LIVE), name="seat_claimed_once"
            ),
        ]
        indexes = [models.Index(fields=["performance", "state"], name="seat_claim_performance")]

    def __str__(self) -> str:
        return f"{self.performance_id}/{self.seat_id}: {self.state}"


class SeatedPerformance(models.Model):
    """A date sold with numbered seats: the plan version it was put on sale with, and per category the
    tariffs that sell it."""

    performance = models.OneToOneField(
        "programming.Performance", on_delete=models.CASCADE, related_name="seating", primary_key=True
    )
    plan = models.ForeignKey(SeatPlan, on_delete=models.PROTECT, related_name="performances")
    refuse_single_gaps = models.BooleanField(_("refuser un choix qui laisse une place isolée"), default=True)

    def __str__(self) -> str:
        return f"{self.performance_id} → {self.plan}"


class CategoryTariff(models.Model):
    seated = models.ForeignKey(SeatedPerformance, on_delete=models.CASCADE, related_name="category_tariffs")
    category = models.ForeignKey(SeatCategory, on_delete=models.CASCADE, related_name="+")
    tariff = models.ForeignKey("ticketing.Tariff", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["seated", "tariff"], name="unique_category_tariff")]

    def __str__(self) -> str:
        return f"{self.category_id} → {self.tariff_id}"


class SeatQuality(models.Model):
    """A seat's quality for a date, 0 to 100 (best available prefers the higher): by default from its
    distance to the stage's centre, painted over by staff."""

    performance = models.ForeignKey("programming.Performance", on_delete=models.CASCADE, related_name="+")
    seat = models.ForeignKey(Seat, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["performance", "seat"], name="unique_seat_quality")]

    def __str__(self) -> str:
        return f"{self.seat_id}: {self.score}"


class StandingSale(models.Model):
    """A date's standing places of one category of its plan (a pit): sold by that category's tariffs,
    counted by their own quota (the areas' capacity), without seats."""

    seated = models.ForeignKey(SeatedPerformance, on_delete=models.CASCADE, related_name="standing_sales")
    category = models.ForeignKey(SeatCategory, on_delete=models.CASCADE, related_name="+")
    quota = models.OneToOneField("ticketing.Quota", on_delete=models.CASCADE, related_name="standing_sale")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["seated", "category"], name="unique_standing_sale")]

    def __str__(self) -> str:
        return f"{self.seated_id}: {self.category_id}"
