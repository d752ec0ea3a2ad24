from django import forms
from django.utils.translation import gettext_lazy as _


class PassBuyForm(forms.Form):
    """Who buys the pass (its holder) and how they pay."""

    email = forms.EmailField(
        label=_("E-mail du titulaire (le pass et les billets y sont envoyés)"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )  # fmt: skip
    first_name = forms.CharField(
        label=_("Prénom"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Nom"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    terms = forms.BooleanField(
        label=_("J'accepte les conditions générales de vente."),
        error_messages={"required": _("Vous devez accepter les conditions générales de vente.")},
    )
    provider = forms.ChoiceField(label=_("Paiement"), widget=forms.RadioSelect)

    def __init__(self, *args, providers: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(code, p.label) for code, p in providers.items()]
        if len(providers) == 1:
            self.fields["provider"].initial = next(iter(providers))


class PassFindForm(forms.Form):
    """A pass found by its code and its holder's e-mail (from a performance page or the counter)."""

    code = forms.CharField(label=_("Code du pass"), max_length=12)
    email = forms.EmailField(label=_("E-mail du titulaire"), max_length=254)
