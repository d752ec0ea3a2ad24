"""Online access: what a date's online tickets open (a stream, an on-demand visit, resources to download),
the personal links that open it, and who watched, on how many devices at once.

- `OnlineContent`: one per date sold online; where the content is hosted (an embed or a link: Parvis does
  not host video), when access opens and closes, how many devices one link may use at once.
- `OnlineAccess`: one person's right to the content, from a valid ticket (or a member card): a signed link
  that staff can revoke, and that a refund ends at once.
- `Viewing`: one device watching, from its first page to its last heartbeat (the page polls every 30 s).
  The devices watching now are those seen within `LIVE_SECONDS`: a closed tab frees its place by itself.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ContentKind(models.TextChoices):
    LIVE = "live", _("Diffusion en direct")
    ON_DEMAND = "on_demand", _("À la demande (vidéo, visite virtuelle)")
    RESOURCES = "resources", _("Ressources à télécharger")


class OnlineContent(models.Model):
    performance = models.OneToOneField(
        "programming.Performance", on_delete=models.CASCADE, related_name="online_content"
    )
    kind = models.CharField(_("type"), max_length=10, choices=ContentKind.choices, default=ContentKind.LIVE)
    embed_url = models.URLField(
        _("adresse du lecteur à intégrer"),
        max_length=500,
        blank=True,
        help_text=_("L'adresse « embed » que donne l'hébergeur (https://…), montrée dans la page d'accès."),
    )
    link_url = models.URLField(
        _("lien vers le contenu"),
        max_length=500,
        blank=True,
        help_text=_("Si le contenu ne s'intègre pas : un lien ouvert depuis la page d'accès."),
    )
    preview_url = models.URLField(
        _("bande-annonce publique"),
        max_length=500,
        blank=True,
        help_text=_("Un extrait libre d'accès, proposé sur la page de vente (lien)."),
    )
    instructions = models.TextField(_("mot aux spectateurs"), max_length=3000, blank=True)
    opens_minutes_before = models.PositiveIntegerField(_("ouverture (minutes avant le début)"), default=30)
    closes_hours_after = models.PositiveIntegerField(
        _("fermeture (heures après la fin)"),
        default=2,
        help_text=_("Le temps de revoir la diffusion après la fin."),
    )
    on_demand_days = models.PositiveSmallIntegerField(
        _("jours d'accès à la demande"),
        null=True,
        blank=True,
        help_text=_("À la demande : l'accès dure ce nombre de jours à partir de la première ouverture."),
    )
    max_devices = models.PositiveSmallIntegerField(_("appareils en même temps"), default=2)
    ticket_holders = models.BooleanField(
        _("ouvert aussi aux billets en salle"),
        default=False,
        help_text=_("Les spectateurs de la salle reçoivent aussi le lien (pour revoir la représentation)."),
    )
    members = models.BooleanField(
        _("ouvert aux adhérents"),
        default=False,
        help_text=_("Une carte d'adhérent valable de l'organisateur donne l'accès, sans billet."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contenu en ligne")
        verbose_name_plural = _("contenus en ligne")

    def __str__(self) -> str:
        return str(self.performance)

    def clean(self):
        # The access page allows framing the player's origin alone, and only over HTTPS.
        if self.embed_url and not self.embed_url.startswith("https://"):
            raise ValidationError({"embed_url": _("Le lecteur doit être servi en HTTPS (https://…).")})
        if self.kind == ContentKind.ON_DEMAND and not self.on_demand_days:
            raise ValidationError(
                {"on_demand_days": _("À la demande : indiquez combien de jours dure l'accès.")}
            )
        if self.max_devices < 1:
            raise ValidationError({"max_devices": _("Au moins un appareil.")})


class OnlineResource(models.Model):
    """A file given with the content (a teaching pack, a programme), downloaded through the access link."""

    content = models.ForeignKey(OnlineContent, on_delete=models.CASCADE, related_name="resources")
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(_("fichier"), upload_to="online/%Y/")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class OnlineAccess(models.Model):
    content = models.ForeignKey(OnlineContent, on_delete=models.CASCADE, related_name="accesses")
    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="+")
    ticket = models.OneToOneField(
        "ticketing.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="online_access"
    )
    membership = models.ForeignKey(
        "memberships.Membership", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("nom"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # Part of the signed link: a new link (after a revocation) makes the old one useless.
    version = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("accès en ligne")
        verbose_name_plural = _("accès en ligne")
        constraints = [
            models.UniqueConstraint(
                fields=["content", "membership"],
                condition=Q(membership__isnull=False),
                name="online_access_one_per_card",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email or f"#{self.pk}"


class Viewing(models.Model):
    access = models.ForeignKey(OnlineAccess, on_delete=models.CASCADE, related_name="viewings")
    device = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)  # stopped on this device by the viewer
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["access", "device"], name="viewing_of_device")]

    def __str__(self) -> str:
        return f"{self.access_id}/{self.device}"
