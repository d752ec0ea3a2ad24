from django import forms
from django.utils.translation import gettext_lazy as _

from parvis.core.text import of_name

from .models import Contact
from .services import normalise_phone

SIGNUP_VERSION = "2026-12"
# %(of_organizer)s: "du Caveau", "de L'Arbre" (core.text.of_name)
SIGNUP_WORDING = _(
    "J'accepte de recevoir la lettre d'information %(of_organizer)s. Je peux me désinscrire à tout moment."
)


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Votre adresse e-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class CorrectForm(forms.ModelForm):
    phone = forms.CharField(label=_("Téléphone"), max_length=30, required=False)

    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "postal_code", "town", "address", "language"]
        widgets = {"language": forms.Select(choices=[("fr", "Français"), ("en", "English")])}

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if value and not normalise_phone(value):
            raise forms.ValidationError(_("Numéro de téléphone invalide."))
        return value


class SignupForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    first_name = forms.CharField(label=_("Prénom (facultatif)"), max_length=100, required=False)
    consent = forms.BooleanField(label="", required=True)

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = SIGNUP_WORDING % {"of_organizer": of_name(organizer.name)}


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "Je comprends que mes données seront effacées définitivement. Les commandes et billets "
            "sont conservés sans mes coordonnées ; les factures déjà émises le sont telles quelles "
            "(obligation légale)."
        ),
        required=True,
    )
