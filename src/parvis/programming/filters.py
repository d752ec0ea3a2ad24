"""Agenda filters, parsed and validated once for the pages, the widget and the API."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parvis.core.params import MAX_ID

from .models import Accessibility, Genre

MAX_QUERY_LENGTH = 100


class When:
    TODAY = "today"
    WEEKEND = "weekend"
    WEEK = "week"
    CHOICES = [
        ("", _("Toutes les dates")),
        (TODAY, _("Aujourd'hui")),
        (WEEKEND, _("Ce week-end")),
        (WEEK, _("Sept prochains jours")),
    ]


class AgendaFilterForm(forms.Form):
    q = forms.CharField(label=_("Rechercher"), required=False, max_length=MAX_QUERY_LENGTH)
    when = forms.ChoiceField(label=_("Quand"), choices=When.CHOICES, required=False)
    date_from = forms.DateField(label=_("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    genre = forms.MultipleChoiceField(
        label=_("Genre"), choices=Genre.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    venue = forms.IntegerField(
        label=_("Lieu"), required=False, min_value=1, max_value=MAX_ID, widget=forms.Select
    )
    town = forms.CharField(label=_("Ville"), required=False, max_length=100, widget=forms.Select)
    free = forms.BooleanField(label=_("Gratuit uniquement"), required=False)
    price_max = forms.DecimalField(
        label=_("Prix maximum (€)"), required=False, min_value=Decimal(0), max_digits=9, decimal_places=2
    )
    access = forms.MultipleChoiceField(
        label=_("Accessibilité"),
        choices=Accessibility.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("La date de fin doit suivre la date de début."))
        return data


@dataclass(frozen=True)
class AgendaFilters:
    q: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    genres: tuple[str, ...] = ()
    venue_id: int | None = None
    town: str = ""
    free: bool = False
    price_max: Decimal | None = None
    access: tuple[str, ...] = ()
    errors: dict = field(default_factory=dict)

    @property
    def is_filtered(self) -> bool:
        return any(
            [
                self.q,
                self.date_from,
                self.date_to,
                self.genres,
                self.venue_id,
                self.town,
                self.free,
                self.price_max is not None,
                self.access,
            ]
        )

    @property
    def panel_count(self) -> int:
        """How many criteria of the filters panel are set (the search box is outside it)."""
        dates = bool(self.date_from or self.date_to)
        return (
            sum(bool(x) for x in [dates, self.venue_id, self.town, self.free, self.price_max is not None])
            + len(self.genres)
            + len(self.access)
        )


def date_range_for(when: str, today: datetime.date) -> tuple[datetime.date | None, datetime.date | None]:
    if when == When.TODAY:
        return today, today
    if when == When.WEEK:
        return today, today + datetime.timedelta(days=6)
    if when == When.WEEKEND:
        weekday = today.weekday()  # Monday 0 … Sunday 6
        if weekday >= 5:
            saturday = today - datetime.timedelta(days=weekday - 5)
            return today, saturday + datetime.timedelta(days=1)
        friday = today + datetime.timedelta(days=4 - weekday)
        return friday, friday + datetime.timedelta(days=2)
    return None, None


def parse_agenda_filters(data) -> tuple[AgendaFilters, AgendaFilterForm]:
    """Valid values are applied; invalid ones are reported in the form and ignored (nothing crashes)."""
    form = AgendaFilterForm(data)
    form.is_valid()
    cleaned = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if k not in form.errors}
    date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
    if "date_to" in form.errors:
        date_to = None
    if cleaned.get("when"):
        date_from, date_to = date_range_for(cleaned["when"], timezone.localdate())
    filters = AgendaFilters(
        q=(cleaned.get("q") or "").strip(),
        date_from=date_from,
        date_to=date_to,
        genres=tuple(cleaned.get("genre") or ()),
        venue_id=cleaned.get("venue"),
        town=(cleaned.get("town") or "").strip(),
        free=bool(cleaned.get("free")),
        price_max=cleaned.get("price_max"),
        access=tuple(cleaned.get("access") or ()),
        errors=dict(form.errors),
    )
    return filters, form
