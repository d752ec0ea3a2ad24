from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from parvis.core.text import fold


class Genre(models.TextChoices):
    JAZZ = "jazz", _("Jazz")
    MUSIC = "music", _("Musique")
    CLASSICAL = "classical", _("Musique classique")
    THEATRE = "theatre", _("Théâtre")
    DANCE = "dance", _("Danse")
    CIRCUS = "circus", _("Cirque")
    EXHIBITION = "exhibition", _("Exposition")
    DIGITAL_ARTS = "digital_arts", _("Arts numériques")
    YOUNG_AUDIENCE = "young_audience", _("Jeune public")
    TALK = "talk", _("Rencontre, conférence")
    SCREENING = "screening", _("Cinéma, projection")
    OTHER = "other", _("Autre")


# schema.org type per genre, for the JSON-LD of event pages.
SCHEMA_TYPES = {
    Genre.JAZZ: "MusicEvent",
    Genre.MUSIC: "MusicEvent",
    Genre.CLASSICAL: "MusicEvent",
    Genre.THEATRE: "TheaterEvent",
    Genre.DANCE: "DanceEvent",
    Genre.CIRCUS: "TheaterEvent",
    Genre.EXHIBITION: "ExhibitionEvent",
    Genre.DIGITAL_ARTS: "ExhibitionEvent",
    Genre.YOUNG_AUDIENCE: "ChildrensEvent",
    Genre.TALK: "EducationEvent",
    Genre.SCREENING: "ScreeningEvent",
    Genre.OTHER: "Event",
}


class Accessibility(models.TextChoices):
    WHEELCHAIR = "wheelchair", _("Accessible en fauteuil roulant")
    SIGN_LANGUAGE = "sign_language", _("Langue des signes française (LSF)")
    AUDIO_DESCRIPTION = "audio_description", _("Audiodescription")
    EASY_READ = "easy_read", _("Facile à lire et à comprendre (FALC)")
    RELAXED = "relaxed", _("Représentation relax")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publié")


class Event(models.Model):
    """What is programmed: a concert, a play, an exhibition. Dated occurrences are Performances."""

    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="events")
    slug = models.SlugField(_("identifiant"), max_length=120)
    title = models.CharField(_("titre"), max_length=200)
    title_en = models.CharField(_("titre (anglais)"), max_length=200, blank=True)
    subtitle = models.CharField(_("sous-titre"), max_length=200, blank=True)
    description = models.TextField(_("description"), max_length=20000, blank=True)
    description_en = models.TextField(_("description (anglais)"), max_length=20000, blank=True)
    genre = models.CharField(_("genre"), max_length=20, choices=Genre.choices, default=Genre.OTHER)
    tags = models.CharField(
        _("mots-clés"), max_length=300, blank=True, help_text=_("Séparés par des virgules.")
    )
    artists = models.CharField(
        _("artistes"),
        max_length=500,
        blank=True,
        help_text=_("Un nom par ligne ou séparés par des virgules."),
    )
    image = models.ImageField(_("image"), upload_to="events/%Y/", blank=True)
    image_alt = models.CharField(_("description de l'image"), max_length=300, blank=True)
    age_min = models.PositiveSmallIntegerField(_("âge conseillé à partir de"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("durée (minutes)"), null=True, blank=True)
    wheelchair = models.BooleanField(Accessibility.WHEELCHAIR.label, default=False)
    sign_language = models.BooleanField(Accessibility.SIGN_LANGUAGE.label, default=False)
    audio_description = models.BooleanField(Accessibility.AUDIO_DESCRIPTION.label, default=False)
    easy_read = models.BooleanField(Accessibility.EASY_READ.label, default=False)
    relaxed = models.BooleanField(Accessibility.RELAXED.label, default=False)
    external_ticketing_url = models.URLField(
        _("billetterie externe"), blank=True, help_text=_("Pour un évènement vendu ailleurs.")
    )
    # Until tariffs exist (ticketing), the programmer states the price range shown in the agenda.
    is_free = models.BooleanField(_("gratuit"), default=False)
    price_min = models.DecimalField(
        _("prix à partir de"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    price_max = models.DecimalField(_("prix jusqu'à"), max_digits=9, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    status = models.CharField(
        _("état"), max_length=10, choices=EventStatus.choices, default=EventStatus.DRAFT
    )
    share_with_network = models.BooleanField(
        _("publier dans l'agenda du réseau"),
        default=True,
        help_text=_("L'évènement apparaît dans l'agenda commun des réseaux dont la structure est membre."),
    )
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("évènement")
        verbose_name_plural = _("évènements")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["organizer", "slug"], name="unique_event_slug"),
            models.CheckConstraint(condition=Q(status__in=EventStatus.values), name="event_status_valid"),
            models.CheckConstraint(condition=Q(genre__in=Genre.values), name="event_genre_valid"),
            models.CheckConstraint(
                condition=Q(price_min__isnull=True)
                | Q(price_max__isnull=True)
                | Q(price_min__lte=models.F("price_max")),
                name="event_price_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(price_min__isnull=True) | Q(price_min__gte=0), name="event_price_min_positive"
            ),
        ]
        indexes = [models.Index(fields=["status", "genre"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.search_text = fold(
            " ".join(
                [self.title, self.title_en, self.subtitle, self.artists, self.tags, self.get_genre_display()]
            )
        )
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "programming:event", kwargs={"organizer_slug": self.organizer.slug, "event_slug": self.slug}
        )

    def clean(self):
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise ValidationError({"price_max": _("Le prix maximum doit être supérieur au prix minimum.")})

    @property
    def localized_title(self) -> str:
        if translation.get_language() == "en" and self.title_en:
            return self.title_en
        return self.title

    @property
    def localized_description(self) -> str:
        if translation.get_language() == "en" and self.description_en:
            return self.description_en
        return self.description

    @property
    def artist_list(self) -> list[str]:
        return [a.strip() for a in self.artists.replace("\n", ",").split(",") if a.strip()]

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]

    @property
    def accessibility_features(self) -> list[Accessibility]:
        return [a for a in Accessibility if getattr(self, a.value)]

    @property
    def schema_type(self) -> str:
        return SCHEMA_TYPES.get(self.genre, "Event")


class PerformanceStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publiée")
    CANCELLED = "cancelled", _("Annulée")
    POSTPONED = "postponed", _("Reportée")
    SOLD_OUT = "sold_out", _("Complet")


# Performances that the public sees (cancelled and postponed ones are shown, with their status).
PUBLIC_PERFORMANCE_STATUSES = [
    PerformanceStatus.PUBLISHED,
    PerformanceStatus.CANCELLED,
    PerformanceStatus.POSTPONED,
    PerformanceStatus.SOLD_OUT,
]


class Performance(models.Model):
    """One dated occurrence of an event (a concert night, a play's performance, an exhibition's day)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="performances")
    # Denormalised from the event for tenant scoping and fast agenda queries.
    organizer = models.ForeignKey("network.Organizer", on_delete=models.PROTECT, related_name="performances")
    venue = models.ForeignKey("network.Venue", on_delete=models.PROTECT, related_name="performances")
    space = models.ForeignKey(
        "network.Space", on_delete=models.SET_NULL, null=True, blank=True, related_name="performances"
    )
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"), null=True, blank=True)
    doors_at = models.DateTimeField(_("ouverture des portes"), null=True, blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=PerformanceStatus.choices, default=PerformanceStatus.PUBLISHED
    )
    capacity = models.PositiveIntegerField(_("jauge"), null=True, blank=True)
    note = models.CharField(
        _("précision"), max_length=200, blank=True, help_text=_("Ex. : « Avant-première »")
    )

    class Meta:
        verbose_name = _("séance")
        verbose_name_plural = _("séances")
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "venue", "starts_at"], name="unique_performance_time"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="performance_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PerformanceStatus.values), name="performance_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["organizer", "starts_at"]),
            models.Index(fields=["venue", "starts_at"]),
        ]

    def __str__(self) -> str:
        local = self.starts_at.astimezone(self.venue.tzinfo)
        return f"{self.event.title} — {local:%d/%m/%Y %H:%M}"

    def save(self, *args, **kwargs):
        self.organizer_id = self.event.organizer_id
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.ends_at and self.starts_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("La fin doit être après le début.")
        if self.venue_id and self.event_id and self.venue.organizer_id != self.event.organizer_id:
            errors["venue"] = _("Ce lieu n'appartient pas à la structure.")
        if self.space_id and self.space.venue_id != self.venue_id:
            errors["space"] = _("Cette salle n'est pas dans ce lieu.")
        if errors:
            raise ValidationError(errors)

    @property
    def local_starts_at(self):
        return self.starts_at.astimezone(self.venue.tzinfo)

    @property
    def local_ends_at(self):
        return self.ends_at.astimezone(self.venue.tzinfo) if self.ends_at else None

    @property
    def is_bookable_status(self) -> bool:
        return self.status == PerformanceStatus.PUBLISHED


class Festival(models.Model):
    """A network's curated selection, e.g. "Festival 2026: 180 concerts in 25 venues"."""

    network = models.ForeignKey("network.Network", on_delete=models.CASCADE, related_name="festivals")
    slug = models.SlugField(_("identifiant"), max_length=80)
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("présentation"), blank=True)
    starts_on = models.DateField(_("du"))
    ends_on = models.DateField(_("au"))
    events = models.ManyToManyField(Event, blank=True, related_name="festivals", verbose_name=_("sélection"))

    class Meta:
        verbose_name = _("festival")
        verbose_name_plural = _("festivals")
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["network", "slug"], name="unique_festival_slug"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="festival_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse(
            "programming:festival", kwargs={"network_slug": self.network.slug, "festival_slug": self.slug}
        )


class FeaturedEvent(models.Model):
    """An event that a network's coordinators put forward on the network agenda."""

    network = models.ForeignKey("network.Network", on_delete=models.CASCADE, related_name="featured")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="featured_in")
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("évènement à la une")
        verbose_name_plural = _("évènements à la une")
        ordering = ["position", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["network", "event"], name="unique_featured_event")]

    def __str__(self) -> str:
        return f"{self.event} ★ {self.network}"
