from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from .establishments import siret_valid, uai_valid
from .models import Audience, GroupOffer


class RequestForm(forms.Form):
    audience = forms.ChoiceField(label=_("Votre groupe"), widget=forms.RadioSelect)
    uai = forms.CharField(
        label=_("UAI de l'établissement"),
        required=False,
        max_length=8,
        help_text=_(
            "Le numéro à 7 chiffres et une lettre (ex. 0130001A) ; ou cherchez par le nom ci-dessous."
        ),
    )
    establishment_name = forms.CharField(label=_("Établissement ou structure"), max_length=200)
    siret = forms.CharField(label=_("SIRET (associations, entreprises)"), required=False, max_length=17)
    public_body = forms.BooleanField(label=_("Établissement public (facture par Chorus Pro)"), required=False)
    level = forms.CharField(label=_("Niveau ou âge"), max_length=100, required=False)
    pupils = forms.IntegerField(label=_("Élèves ou participants"), min_value=1, max_value=999)
    adults = forms.IntegerField(label=_("Accompagnateurs"), min_value=0, max_value=99)
    accessibility = forms.CharField(
        label=_("Besoins d'accessibilité"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    dates = forms.MultipleChoiceField(
        label=_("Dates souhaitées (une ou plusieurs)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    wished = forms.CharField(
        label=_("Vos disponibilités"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    leader_name = forms.CharField(label=_("Responsable du groupe (prénom et nom)"), max_length=200)
    leader_email = forms.EmailField(label=_("E-mail"))
    leader_phone = forms.CharField(label=_("Téléphone"), max_length=30, required=False)
    newsletter = forms.BooleanField(
        label=_("Recevoir la programmation pour les groupes (désinscription à chaque envoi)"), required=False
    )

    def __init__(self, *args, offer: GroupOffer, dates, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer = offer
        self.fields["audience"].choices = [(a.value, a.label) for a in Audience if a.value in offer.audiences]
        self.fields["dates"].choices = [
            (str(p.pk), formats.date_format(timezone.localtime(p.starts_at), "l j F Y, H:i")) for p in dates
        ]
        if not offer.on_request:
            del self.fields["wished"]

    def clean_uai(self):
        uai = self.cleaned_data["uai"].strip().upper()
        if uai and not uai_valid(uai):
            raise forms.ValidationError(
                _("Ce n'est pas un UAI valable (7 chiffres et la lettre de contrôle).")
            )
        return uai

    def clean_siret(self):
        siret = self.cleaned_data["siret"].replace(" ", "")
        if siret and not siret_valid(siret):
            raise forms.ValidationError(_("Ce n'est pas un SIRET valable (14 chiffres)."))
        return siret


class OfferForm(forms.ModelForm):
    audiences = forms.MultipleChoiceField(
        label=_("Qui peut réserver"), choices=Audience.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = GroupOffer
        fields = [
            "event", "name", "kind", "description", "audiences", "min_size", "max_size", "adults_free_per",
            "pricing", "price", "vat_rate", "on_request", "needs_guide", "needs_room", "deposit_percent",
            "teaching_pack", "online_visit", "is_active",
        ]  # fmt: skip

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = organizer.events.order_by("title")
        self.fields["online_visit"].queryset = organizer.performances.filter(
            online_content__isnull=False
        ).select_related("event")

    def clean(self):
        data = super().clean()
        if data.get("min_size") and data.get("max_size") and data["min_size"] > data["max_size"]:
            self.add_error("max_size", _("Le maximum est plus petit que le minimum."))
        pack = data.get("teaching_pack")
        if pack and hasattr(pack, "size") and pack.size > 20 * 1024 * 1024:
            self.add_error("teaching_pack", _("Fichier trop lourd : 20 Mo au plus."))
        return data
