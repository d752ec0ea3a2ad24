"""The rollups the dashboards read: exact, rebuilt from the sales and the door by `rollups.recompute`."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    """How a ticket was obtained, as the sales dashboard tells it apart."""

    ONLINE = "online", _("En ligne")
    BOX_OFFICE = "box_office", _("Guichet")
    API = "api", _("Partenaire (API)")
    PASS = "pass", _("Pass")
    SUBSCRIPTION = "subscription", _("Abonnement")
    INVITATION = "invitation", _("Invitation")


class SalesDay(models.Model):
    """Tickets of one performance, tariff and source, sold (issued) and given back (refunded, exchanged)
    on one local day, with their amounts TTC."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    performance = models.ForeignKey("programming.Performance", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    source = models.CharField(max_length=12, choices=Source.choices)
    tariff = models.ForeignKey("ticketing.Tariff", on_delete=models.CASCADE, related_name="+")
    sold = models.PositiveIntegerField(default=0)
    sold_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    returned = models.PositiveIntegerField(default=0)
    returned_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["performance", "day", "source", "tariff"], name="unique_sales_day"
            )
        ]
        indexes = [models.Index(fields=["organizer", "day"], name="sales_day_organizer_day")]

    def __str__(self) -> str:
        return f"{self.performance_id} {self.day} {self.source}: +{self.sold} −{self.returned}"


class PerformanceFigures(models.Model):
    """What a performance holds now: valid tickets, their amount, and how many came in."""

    performance = models.OneToOneField(
        "programming.Performance", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    sold = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    scanned = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.performance_id}: {self.sold} ({self.scanned} in)"


class AudienceMonth(models.Model):
    """What one person (a contact of the organizer) held for the performances of one venue in one month
    (by the performance's local date): how many dates, tickets and their amount TTC. Valid tickets only."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    venue = models.ForeignKey("network.Venue", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # its first day
    visits = models.PositiveIntegerField(default=0)  # dates (performances)
    tickets = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # The person's first month at the organizer (`first`) and at this venue (`first_here`); on those
    # rows, whether they came again the next season (September to August), there or anywhere.
    first = models.BooleanField(default=False)
    first_here = models.BooleanField(default=False)
    back = models.BooleanField(default=False)
    back_here = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "venue", "month"], name="unique_audience_month")
        ]
        indexes = [models.Index(fields=["organizer", "month"], name="audience_organizer_month")]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.venue_id} {self.month}: {self.visits}"


class FirstVisit(models.Model):
    """A person's first valid ticket at the organizer (by when it was issued): when, for which date, and
    whether it was a pass's entry; the network's circulation reads it."""

    contact = models.OneToOneField(
        "crm.Contact", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    performance = models.ForeignKey("programming.Performance", on_delete=models.CASCADE, related_name="+")
    with_pass = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.at:%Y-%m-%d}"


class ConsentState(models.Model):
    """A person's current answer for one purpose (the latest row of the consent ledger, any channel)."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="consent_states")
    purpose = models.CharField(max_length=25)
    given = models.BooleanField()
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "purpose"], name="unique_consent_state")]
        indexes = [models.Index(fields=["organizer", "purpose", "given"], name="consent_state_purpose")]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.purpose}: {self.given}"


class DigestSubscription(models.Model):
    """A staff member who asked for the weekly digest of an organizer's figures by e-mail."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organizer = models.ForeignKey("network.Organizer", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organizer"], name="one_digest_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.organizer_id}"


class Route(models.Model):
    """One person of a network (a `crm.NetworkProfile` with live links): the members where they are linked,
    the members in the order of their first visit at each (a "p" after a member whose first visit was a
    pass's entry), and whether they carry a network pass. The circulation board counts the routes alike in
    one grouped read. Ids without foreign keys: the profiles are rebuilt in bulk by `crm.network_profiles`,
    and a route whose profile is gone is dropped when it is computed again."""

    profile_id = models.BigIntegerField(primary_key=True)
    network = models.ForeignKey("network.Network", on_delete=models.CASCADE, related_name="+")
    venues = models.TextField()  # "3,7,12": the members where linked, ascending
    path = models.TextField()  # "12p,3": the members by first visit, "p" for a pass's entry
    with_pass = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.profile_id}: {self.path or self.venues}"


class RouteContact(models.Model):
    """A contact counted in a route, and whether its first visit is the route's first visit at its member
    (the circulation board counts the festival's first visits from these)."""

    contact_id = models.BigIntegerField()
    network = models.ForeignKey("network.Network", on_delete=models.CASCADE, related_name="+")
    profile_id = models.BigIntegerField(db_index=True)
    first_here = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact_id", "network"], name="unique_route_contact")]

    def __str__(self) -> str:
        return f"{self.contact_id} → {self.profile_id}"


class KeptBoard(models.Model):
    """A board's figures for one owner, period, filters and language, as computed at `computed_at`
    (`analytics.kept`): served at once, computed again in the background once they are old."""

    key = models.CharField(max_length=300, unique=True)
    data = models.BinaryField()
    computed_at = models.DateTimeField()
    read_at = models.DateTimeField()
    refresh_asked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key} ({self.computed_at:%Y-%m-%d %H:%M})"
