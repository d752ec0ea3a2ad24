from django import forms
from django.utils.translation import gettext_lazy as _

from parvis.network.models import Network, Organizer
from parvis.programming.models import Festival, Genre
from parvis.ticketing.forms import PayingBuyerForm
from parvis.ticketing.models import TariffKind

from .models import PassProduct


class PassBuyForm(PayingBuyerForm):
    """Who buys the pass (its holder) and how they pay."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("E-mail du titulaire (le pass et les billets y sont envoyés)")


class PassFindForm(forms.Form):
    """A pass found by its code and its holder's e-mail (from a performance page or the counter)."""

    code = forms.CharField(label=_("Code du pass"), max_length=12)
    email = forms.EmailField(label=_("E-mail du titulaire"), max_length=254)


class PassProductForm(forms.ModelForm):
    """A new pass: what it includes, its rules, and how its revenue is split between the venues."""

    genres = forms.MultipleChoiceField(
        label=_("Genres"), required=False, widget=forms.CheckboxSelectMultiple, help_text=_("Aucun : tous.")
    )
    tariff_kinds = forms.MultipleChoiceField(
        label=_("Tarifs remplacés"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Aucun : plein tarif."),
    )

    class Meta:
        model = PassProduct
        fields = [
            "name", "name_en", "description", "network", "price", "vat_rate", "entries",
            "valid_from", "valid_until", "organizers", "festival", "genres", "tariff_kinds",
            "max_per_venue", "min_venues", "overlap_rule", "cancel_hours",
            "split_rule", "fixed_amount", "unused_rule", "commission_percent", "on_sale",
        ]  # fmt: skip
        widgets = {
            "valid_from": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "valid_until": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "organizers": forms.CheckboxSelectMultiple,
        }
        help_texts = {"organizers": _("Aucune cochée : toutes les structures du réseau.")}

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)

        networks = Network.objects.filter(memberships__organizer=organizer)
        self.fields["network"].queryset = networks
        self.fields["organizers"].queryset = (
            Organizer.objects.filter(network_memberships__network__in=networks).distinct().order_by("name")
        )
        self.fields["organizers"].required = False
        self.fields["festival"].queryset = Festival.objects.filter(network__in=networks)
        self.fields["genres"].choices = Genre.choices
        self.fields["tariff_kinds"].choices = TariffKind.choices

    def clean(self):
        data = super().clean()
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] <= data["valid_from"]:
            self.add_error("valid_until", _("La fin de validité doit suivre son début."))
        if data.get("split_rule") == "fixed" and data.get("fixed_amount") is None:
            self.add_error("fixed_amount", _("Indiquez le montant reversé par entrée."))
        festival, network = data.get("festival"), data.get("network")
        if festival is not None and festival.network_id != getattr(network, "pk", None):
            self.add_error("festival", _("Ce festival n'est pas celui du réseau choisi."))
        return data
