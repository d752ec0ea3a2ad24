from django import forms
from django.utils.translation import gettext_lazy as _

from parvis.programming.models import Event

from .models import LIST_FIELDS, EventPrice, PromoCode, Quota, SalesConfig, Tariff


class TariffForm(forms.ModelForm):
    class Meta:
        model = Tariff
        fields = [
            "name",
            "name_en",
            "kind",
            "price",
            "vat_rate",
            "eligibility",
            "eligibility_en",
            "sold_online",
            "sold_at_box_office",
            "online",
            "max_per_order",
            "sales_open_at",
            "sales_close_at",
        ]
        widgets = {
            "sales_open_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "sales_close_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }


class TariffEditForm(TariffForm):
    """One date's tariff, edited (or closed) on its own."""

    class Meta(TariffForm.Meta):
        fields = [*TariffForm.Meta.fields, "is_active"]


class EventPriceForm(forms.ModelForm):
    class Meta:
        model = EventPrice
        fields = [name for name in LIST_FIELDS if name != "currency"]


class QuotaForm(forms.Form):
    name = forms.CharField(label=_("Nom du contingent"), max_length=100)
    capacity = forms.IntegerField(label=_("Places"), min_value=0, max_value=1_000_000)
    channels = forms.ChoiceField(label=_("Canaux"), choices=Quota.Channels.choices)
    tariffs = forms.ModelMultipleChoiceField(
        label=_("Tarifs concernés (aucun : tous)"),
        required=False,
        queryset=Tariff.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, performance, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tariffs"].queryset = Tariff.objects.filter(performance=performance)


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label=_("Jauge totale"), min_value=0, max_value=1_000_000)


class SalesConfigForm(forms.ModelForm):
    class Meta:
        model = SalesConfig
        fields = ["opens_at", "online_close_minutes", "max_per_order"]
        widgets = {"opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}


class CancelPerformanceForm(forms.Form):
    reason = forms.CharField(label=_("Motif (envoyé aux spectateurs)"), max_length=300)
    confirm = forms.BooleanField(label=_("Je confirme : annuler la date et rembourser tous les billets."))


class SlotsForm(forms.Form):
    every_minutes = forms.IntegerField(
        label=_("Un créneau toutes les (minutes)"), min_value=5, max_value=24 * 60, initial=30
    )
    capacity = forms.IntegerField(label=_("Places par créneau"), min_value=1, max_value=100_000)


class PromoCodeForm(forms.ModelForm):
    class Meta:
        model = PromoCode
        fields = ["code", "kind", "value", "reason", "events", "max_uses", "valid_from", "valid_until"]
        widgets = {
            "valid_from": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "valid_until": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "events": forms.CheckboxSelectMultiple,
        }
        help_texts = {"events": _("Aucun coché : tous les évènements.")}

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)

        self.organizer = organizer
        self.fields["events"].queryset = Event.objects.filter(organizer=organizer).order_by("title")
        self.fields["events"].required = False

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split()).upper()
        if (
            PromoCode.objects.filter(organizer=self.organizer, code=code)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise forms.ValidationError(_("Ce code existe déjà."))
        return code

    def clean(self):
        data = super().clean()
        if data.get("kind") == PromoCode.Kind.PERCENT and (data.get("value") or 0) > 100:
            self.add_error("value", _("Un pourcentage ne dépasse pas 100."))
        return data
