"""Staff forms of the door: gates, devices, check-in lists."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from parvis.programming.models import Performance
from parvis.ticketing.models import Tariff

from . import extensions
from .models import CheckinList, Gate


class GateForm(forms.Form):
    name = forms.CharField(label=_("Nom de la porte"), max_length=100)


class DeviceForm(forms.Form):
    name = forms.CharField(
        label=_("Nom de l'appareil"), max_length=100, help_text=_("Par exemple : Téléphone 1.")
    )
    gate = forms.ModelChoiceField(label=_("Porte"), queryset=Gate.objects.none(), required=False)

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gate"].queryset = Gate.objects.filter(organizer=organizer).order_by("name")


class PerformanceChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return (
            f"{obj.event.title} — {date_format(timezone.localtime(obj.starts_at), 'SHORT_DATETIME_FORMAT')}"
        )


class TariffChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        day = date_format(timezone.localtime(obj.performance.starts_at), "SHORT_DATE_FORMAT")
        return f"{obj.name} ({obj.performance.event.title}, {day})"


class CheckinListForm(forms.ModelForm):
    performances = PerformanceChoice(
        label=_("Dates"),
        queryset=Performance.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    areas = forms.MultipleChoiceField(
        label=_("Badges admis"),
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Les badges du marché professionnel dont la catégorie ouvre cet espace ce jour-là."),
    )
    tariffs = TariffChoice(
        label=_("Tarifs admis"),
        queryset=Tariff.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Aucun coché : tous les tarifs."),
    )

    class Meta:
        model = CheckinList
        fields = [
            "name",
            "allow_reentry",
            "opens_minutes_before",
            "slot_tolerance_minutes",
            "include_pending",
            "admit_members",
            "areas",
        ]

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)
        since = timezone.now() - datetime.timedelta(days=1)
        upcoming = Performance.objects.filter(organizer=organizer, starts_at__gte=since)
        if self.instance.pk:  # keep the list's past dates choosable
            upcoming = upcoming | Performance.objects.filter(checkin_lists=self.instance)
        self.fields["performances"].queryset = (
            upcoming.distinct().select_related("event").order_by("starts_at")
        )
        self.fields["tariffs"].queryset = (
            Tariff.objects.filter(performance__in=self.fields["performances"].queryset)
            .select_related("performance__event")
            .order_by("performance__starts_at", "name")
        )
        if self.instance.pk:
            self.initial["performances"] = list(self.instance.performances.values_list("pk", flat=True))
            self.initial["tariffs"] = list(self.instance.tariffs.values_list("pk", flat=True))
        self.fields["areas"].choices = extensions.area_choices(organizer.pk)
        if not self.fields["areas"].choices:
            del self.fields["areas"]
            self.Meta = type("Meta", (CheckinListForm.Meta,), {"fields": CheckinListForm.Meta.fields[:-1]})
        self.order_fields(["name", "performances", "tariffs"])

    def clean(self):
        data = super().clean()
        performances, tariffs = data.get("performances"), data.get("tariffs")
        if not performances and not data.get("areas") and "performances" not in self.errors:
            self.add_error(
                "performances", _("Choisissez au moins une date (ou un espace ouvert aux badges).")
            )
        if performances is not None and tariffs:
            outside = [t for t in tariffs if t.performance not in performances]
            if outside:
                self.add_error(
                    "tariffs",
                    _("Ces tarifs ne sont pas ceux des dates choisies : %(names)s")
                    % {"names": ", ".join(t.name for t in outside)},
                )
        return data
