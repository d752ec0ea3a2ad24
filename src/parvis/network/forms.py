from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Role


class StaffAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices)


class OrganizerSettingsForm(forms.ModelForm):
    class Meta:
        from .models import Organizer

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
            "description",
            "description_en",
            "retention_prospect_years",
            "retention_customer_years",
            "accepts_donations",
            "sells_gift_vouchers",
            "issues_tax_receipts",
            "tax_receipt_status",
            "tax_receipt_signatory",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "description_en": forms.Textarea(attrs={"rows": 4}),
        }


class VenueForm(forms.ModelForm):
    class Meta:
        from .models import Venue

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
            "wheelchair_accessible",
            "accessibility_info",
            "website",
        ]
        widgets = {"accessibility_info": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organizer = organizer

    def clean_slug(self):
        from .models import Venue

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
