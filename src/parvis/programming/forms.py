import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from parvis.network.models import Space, Venue

from .models import Event, PerformanceStatus

WEEKDAYS = [
    (0, _("lundi")),
    (1, _("mardi")),
    (2, _("mercredi")),
    (3, _("jeudi")),
    (4, _("vendredi")),
    (5, _("samedi")),
    (6, _("dimanche")),
]


class EventForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = [
            "title",
            "title_en",
            "subtitle",
            "genre",
            "description",
            "description_en",
            "artists",
            "tags",
            "image",
            "image_alt",
            "age_min",
            "duration_minutes",
            "wheelchair",
            "sign_language",
            "audio_description",
            "easy_read",
            "relaxed",
            "is_free",
            "price_min",
            "price_max",
            "external_ticketing_url",
            "share_with_network",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "description_en": forms.Textarea(attrs={"rows": 4}),
            "artists": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and hasattr(image, "size") and image.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("L'image dépasse 5 Mo."))
        return image


def _parse_times(value: str) -> list[datetime.time]:
    times = []
    for chunk in value.replace(";", ",").split(","):
        chunk = chunk.strip().lower().replace("h", ":")
        if not chunk:
            continue
        if chunk.endswith(":"):
            chunk += "00"
        try:
            times.append(datetime.time.fromisoformat(chunk if len(chunk) > 2 else f"{chunk}:00"))
        except ValueError:
            raise forms.ValidationError(
                _("Heure illisible : « %(value)s ». Exemple : 20:30, 22:00"), params={"value": chunk}
            ) from None
    if not times:
        raise forms.ValidationError(_("Indiquez au moins une heure."))
    return times


class PerformancesForm(forms.Form):
    """One date, or a series: every chosen weekday between two dates, at one or more times."""

    venue = forms.ModelChoiceField(label=_("Lieu"), queryset=Venue.objects.none())
    space = forms.ModelChoiceField(label=_("Salle"), queryset=Space.objects.none(), required=False)
    date_from = forms.DateField(
        label=_("Date (ou première date)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Dernière date (pour une série)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Jours de la série"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    times = forms.CharField(
        label=_("Heure(s)"),
        max_length=200,
        initial="20:30",
        help_text=_("Plusieurs heures séparées par des virgules : 10:00, 14:00"),
    )
    duration_minutes = forms.IntegerField(
        label=_("Durée (minutes)"), min_value=1, max_value=60 * 24, required=False
    )
    capacity = forms.IntegerField(label=_("Jauge"), min_value=0, max_value=1_000_000, required=False)
    status = forms.ChoiceField(
        label=_("État"), choices=PerformanceStatus.choices, initial=PerformanceStatus.PUBLISHED
    )

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = Venue.objects.filter(organizer=organizer)
        self.fields["space"].queryset = Space.objects.filter(venue__organizer=organizer)

    def clean_times(self):
        return _parse_times(self.cleaned_data["times"])

    def clean(self):
        data = super().clean()
        space, venue = data.get("space"), data.get("venue")
        if space and venue and space.venue_id != venue.pk:
            self.add_error("space", _("Cette salle n'est pas dans ce lieu."))
        if data.get("date_to") and data.get("date_from") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("La dernière date doit suivre la première."))
        return data


class PerformanceStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("État"), choices=PerformanceStatus.choices)


class DuplicateDateForm(forms.Form):
    """A copy of a date: same venue, room, length, capacity, tariffs and contingents, another day or hour."""

    day = forms.DateField(label=_("Nouvelle date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Heure"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
