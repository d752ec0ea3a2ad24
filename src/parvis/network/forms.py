from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Organizer, Role, Venue


class StaffAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices)


class OrganizerSettingsForm(forms.ModelForm):
    class Meta:
        model = Organizer
        fields = [
            "name",
            "legal_name",
            "siret",
            "vat_number",
            "license_numbers",
            "address",
            "email",
            "phone",
            "website",
            "logo",
            "ticket_layout",
            "description",
            "description_en",
            "retention_prospect_years",
            "retention_customer_years",
            "accepts_donations",
            "sells_gift_vouchers",
            "issues_tax_receipts",
            "tax_receipt_status",
            "tax_receipt_signatory",
            "self_cancellation_hours",
            "self_cancellation_fee",
            "bank_details",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "description_en": forms.Textarea(attrs={"rows": 4}),
            "bank_details": forms.Textarea(attrs={"rows": 3}),
        }

    terms_of_sale = forms.CharField(
        label=_("Conditions générales de vente"),
        required=False,
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Montrées aux acheteurs, qui les acceptent à chaque commande. Vide : les conditions générales "
            "de Parvis, tirées de ces réglages. Chaque changement en fait une nouvelle version ; chaque "
            "commande garde celle que l'acheteur a acceptée."
        ),
    )
    terms_of_sale_en = forms.CharField(
        label=_("Conditions générales de vente (anglais)"),
        required=False,
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["self_cancellation_fee"].required = False  # empty: no fee
        self.fields["ticket_layout"].required = False  # empty: as before
        current = self.instance.terms_versions.first() if self.instance.pk else None
        if current is not None:
            self.fields["terms_of_sale"].initial = current.text
            self.fields["terms_of_sale_en"].initial = current.text_en

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and getattr(logo, "size", 0) > 2 * 1024 * 1024:
            raise forms.ValidationError(_("Le logo dépasse 2 Mo."))
        return logo

    def clean_ticket_layout(self):
        return self.cleaned_data.get("ticket_layout") or self.instance.ticket_layout or "a4"

    def clean_self_cancellation_fee(self):
        return self.cleaned_data["self_cancellation_fee"] or Decimal(0)

    def clean(self):
        data = super().clean()
        if data.get("terms_of_sale_en", "").strip() and not data.get("terms_of_sale", "").strip():
            self.add_error("terms_of_sale", _("Écrivez d'abord les conditions en français."))
        if data.get("self_cancellation_fee") and data.get("self_cancellation_hours") is None:
            self.add_error(
                "self_cancellation_hours",
                _("Des frais d'annulation sans délai d'annulation : indiquez jusqu'à quand on peut annuler."),
            )
        return data

    GROUPS = (
        (
            _("Identité et mentions légales"),
            ["name", "legal_name", "siret", "vat_number", "license_numbers", "address", "email", "phone",
             "website", "description", "description_en"],
        ),
        (
            pgettext_lazy("settings section", "Vente"),
            ["self_cancellation_hours", "self_cancellation_fee", "bank_details", "sells_gift_vouchers",
             "terms_of_sale", "terms_of_sale_en"],
        ),
        (_("Billets"), ["logo", "ticket_layout"]),
        (
            _("Dons et reçus fiscaux"),
            ["accepts_donations", "issues_tax_receipts", "tax_receipt_status", "tax_receipt_signatory"],
        ),
        (_("Données personnelles"), ["retention_prospect_years", "retention_customer_years"]),
    )  # fmt: skip

    def groups(self):
        """The fields in the page's sections, as (legend, bound fields)."""
        return [(legend, [self[name] for name in names]) for legend, names in self.GROUPS]

    def terms(self) -> tuple[str, str]:
        return self.cleaned_data["terms_of_sale"], self.cleaned_data["terms_of_sale_en"]


class VenueForm(forms.ModelForm):
    class Meta:
        model = Venue
        fields = [
            "name",
            "slug",
            "street",
            "postcode",
            "town",
            "country",
            "latitude",
            "longitude",
            "timezone",
            "capacity",
            "online_close_minutes",
            "doors_minutes_before",
            "wheelchair_accessible",
            "accessibility_info",
            "website",
        ]
        widgets = {"accessibility_info": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organizer = organizer
        self.fields["online_close_minutes"].required = False  # empty: until the start
        self.fields["doors_minutes_before"].required = False

    def clean_online_close_minutes(self):
        return self.cleaned_data.get("online_close_minutes") or 0

    def clean_doors_minutes_before(self):
        value = self.cleaned_data.get("doors_minutes_before")
        return 60 if value is None else value

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        clash = Venue.objects.filter(organizer=self.instance.organizer, slug=slug).exclude(
            pk=self.instance.pk
        )
        if clash.exists():
            raise forms.ValidationError(_("Un autre lieu de la structure a déjà cet identifiant."))
        return slug


class SpaceForm(forms.Form):
    name = forms.CharField(label=_("Nom de la salle"), max_length=200)
    capacity = forms.IntegerField(label=_("Jauge"), min_value=0, max_value=1_000_000, required=False)
