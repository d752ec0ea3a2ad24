from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CashDrawer

# The wording read to (or shown to) the customer at the counter, recorded with each consent.
COUNTER_CONSENT_WORDING = {
    "organizer_newsletter": _("J'accepte de recevoir la lettre d'information de la structure."),
    "network_newsletter": _("J'accepte de recevoir la lettre d'information du réseau."),
}


class SessionOpenForm(forms.Form):
    drawer = forms.ModelChoiceField(label=_("Caisse"), queryset=CashDrawer.objects.none(), empty_label=None)
    opening_float = forms.DecimalField(
        label=_("Fonds de caisse (€)"), min_value=0, max_digits=10, decimal_places=2, initial=0
    )
    training = forms.BooleanField(
        label=_("Mode formation (rien n'est vendu, les opérations vont dans un journal séparé)"),
        required=False,
    )

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["drawer"].queryset = CashDrawer.objects.filter(organizer=organizer, is_active=True)


class DrawerForm(forms.Form):
    name = forms.CharField(label=_("Nom de la caisse"), max_length=100)


class CashMoveForm(forms.Form):
    direction = forms.ChoiceField(
        label=_("Mouvement"), choices=[("in", _("Apport d'espèces")), ("out", _("Retrait d'espèces"))]
    )
    amount = forms.DecimalField(label=_("Montant (€)"), min_value=0.01, max_digits=10, decimal_places=2)
    reason = forms.CharField(label=_("Motif"), max_length=300)


class SessionCloseForm(forms.Form):
    counted_cash = forms.DecimalField(
        label=_("Espèces comptées dans le tiroir (€)"), min_value=0, max_digits=10, decimal_places=2
    )
    note = forms.CharField(label=_("Commentaire (écart…)"), max_length=300, required=False)
