"""The counter: cash drawers, till sessions, and the till journal that cannot be altered.

The journal (art. 286 I 3° bis CGI, NF525 principles) is append-only: every operation is a new entry with a
gapless sequence number per organizer and chain, its amounts per VAT rate and per payment method, the
perpetual grand totals, and a SHA-256 hash chaining it to the previous entry, signed with the organizer's
Ed25519 key. The database refuses UPDATE and DELETE on entries and closures (triggers, see migration 0002).
Corrections are new entries. Training operations go to their own chain and never mix with real figures.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Chain(models.TextChoices):
    LIVE = "live", _("Réel")
    TRAINING = "training", _("Formation")


class CashDrawer(models.Model):
    """A till (cash drawer) at a venue."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="cash_drawers")
    venue = models.ForeignKey(
        "network.Venue", null=True, blank=True, on_delete=models.PROTECT, related_name="cash_drawers"
    )
    name = models.CharField(_("nom"), max_length=100)
    is_active = models.BooleanField(_("en service"), default=True)

    class Meta:
        verbose_name = _("caisse")
        verbose_name_plural = _("caisses")
        constraints = [models.UniqueConstraint(fields=["organizer", "name"], name="unique_drawer_name")]

    def __str__(self) -> str:
        return self.name


class TillSession(models.Model):
    """One staff member at one drawer, from the opening float to the closing count."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="till_sessions")
    drawer = models.ForeignKey(CashDrawer, on_delete=models.PROTECT, related_name="sessions")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="till_sessions"
    )
    training = models.BooleanField(_("mode formation"), default=False)
    opened_at = models.DateTimeField(_("ouverte le"), auto_now_add=True)
    opening_float = models.DecimalField(_("fonds de caisse"), max_digits=10, decimal_places=2)
    closed_at = models.DateTimeField(_("fermée le"), null=True, blank=True)
    expected_cash = models.DecimalField(_("espèces attendues"), max_digits=10, decimal_places=2, null=True)
    counted_cash = models.DecimalField(_("espèces comptées"), max_digits=10, decimal_places=2, null=True)
    discrepancy = models.DecimalField(_("écart"), max_digits=10, decimal_places=2, null=True)
    closing_note = models.CharField(_("commentaire"), max_length=300, blank=True)
    # The counter's basket: places held while the sale is being made (same capacity as online sales).
    cart = models.OneToOneField("ticketing.Cart", null=True, on_delete=models.SET_NULL, related_name="+")
    # Add-ons in the sale being made: {product id: quantity} (no capacity to hold for them).
    basket_extras = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("session de caisse")
        verbose_name_plural = _("sessions de caisse")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["drawer"], condition=Q(closed_at__isnull=True), name="one_open_session_per_drawer"
            ),
            models.UniqueConstraint(
                fields=["staff", "organizer"],
                condition=Q(closed_at__isnull=True),
                name="one_open_session_per_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drawer} — {self.opened_at:%Y-%m-%d %H:%M}"

    @property
    def chain(self) -> str:
        return Chain.TRAINING if self.training else Chain.LIVE

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class EntryKind(models.TextChoices):
    SALE = "sale", _("Vente")
    REFUND = "refund", _("Remboursement")
    CANCELLATION = "cancellation", _("Annulation")
    EXCHANGE = "exchange", _("Échange")
    REPRINT = "reprint", _("Réimpression (duplicata)")
    CORRECTION = "correction", _("Correction")
    CASH_IN = "cash_in", _("Apport d'espèces")
    CASH_OUT = "cash_out", _("Retrait d'espèces")
    SESSION_OPEN = "session_open", _("Ouverture de caisse")
    SESSION_CLOSE = "session_close", _("Fermeture de caisse")
    CLOSURE = "closure", _("Clôture")
    ARCHIVE = "archive", _("Archivage")
    TECHNICAL = "technical", _("Événement technique")


class JournalHead(models.Model):
    """Where each chain ends. Locked while an entry is appended, so numbers have no gap and no double.

    Only a cache: `verify` trusts the entries, and compares this head with them to catch a removed tail."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="+")
    chain = models.CharField(max_length=10, choices=Chain.choices)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    grand_total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    grand_total_abs = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    closure_seq = models.PositiveBigIntegerField(default=0)
    closure_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organizer", "chain"], name="unique_journal_head")]

    def __str__(self) -> str:
        return f"{self.chain} #{self.last_seq}"


class JournalEntry(models.Model):
    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="+")
    chain = models.CharField(_("chaîne"), max_length=10, choices=Chain.choices)
    seq = models.PositiveBigIntegerField(_("n°"))
    at = models.DateTimeField(_("horodatage"))
    kind = models.CharField(_("opération"), max_length=15, choices=EntryKind.choices)
    staff_id = models.BigIntegerField(null=True)
    staff_name = models.CharField(_("opérateur"), max_length=200, blank=True)
    session = models.ForeignKey(TillSession, null=True, on_delete=models.PROTECT, related_name="entries")
    order_code = models.CharField(_("commande"), max_length=12, blank=True)
    # {"5.50": {"ht": "…", "tva": "…", "ttc": "…"}} and {"cash": "…"}: strings, exact decimals.
    vat = models.JSONField(default=dict)
    methods = models.JSONField(default=dict)
    total = models.DecimalField(_("total TTC"), max_digits=12, decimal_places=2)
    grand_total = models.DecimalField(_("grand total perpétuel"), max_digits=14, decimal_places=2)
    grand_total_abs = models.DecimalField(max_digits=14, decimal_places=2)
    detail = models.JSONField(default=dict)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    key_id = models.BigIntegerField()
    signature = models.CharField(max_length=128)

    class Meta:
        verbose_name = _("écriture du journal de caisse")
        verbose_name_plural = _("journal de caisse")
        ordering = ["organizer", "chain", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["organizer", "chain", "seq"], name="unique_journal_seq"),
        ]
        indexes = [models.Index(fields=["organizer", "chain", "at"])]

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq} {self.kind} {self.total}"


class ClosureKind(models.TextChoices):
    DAY = "day", _("Clôture journalière (Z)")
    MONTH = "month", _("Clôture mensuelle")
    YEAR = "year", _("Clôture annuelle")


class Closure(models.Model):
    """Totals of a day, a month or a year, chained to the previous closure like the entries."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="+")
    chain = models.CharField(max_length=10, choices=Chain.choices)
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=5, choices=ClosureKind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    first_entry = models.PositiveBigIntegerField(null=True)
    last_entry = models.PositiveBigIntegerField(null=True)
    entries = models.PositiveIntegerField(default=0)
    vat = models.JSONField(default=dict)
    methods = models.JSONField(default=dict)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    grand_total = models.DecimalField(max_digits=14, decimal_places=2)
    grand_total_abs = models.DecimalField(max_digits=14, decimal_places=2)
    at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    key_id = models.BigIntegerField()
    signature = models.CharField(max_length=128)

    class Meta:
        verbose_name = _("clôture")
        verbose_name_plural = _("clôtures")
        ordering = ["organizer", "chain", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["organizer", "chain", "seq"], name="unique_closure_seq"),
            models.UniqueConstraint(
                fields=["organizer", "chain", "kind", "period_start"], name="unique_closure_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start}"


class Reprint(models.Model):
    """A ticket printed again at the counter: the copy says DUPLICATA and its number."""

    ticket = models.ForeignKey("ticketing.Ticket", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(auto_now_add=True)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "number"], name="unique_reprint_number")]

    def __str__(self) -> str:
        return f"{self.ticket} DUPLICATA {self.number}"
