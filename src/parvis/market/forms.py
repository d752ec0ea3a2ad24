from django import forms
from django.utils.translation import gettext_lazy as _

from parvis.ticketing.providers import providers_without_places

from .accreditation import PROFILE_FIELDS
from .models import Access, Category, Exhibitor, Market, Participant, Session, StandOption

# What the application form asks: the profile, the photo, not yet the automatic acceptance of meetings.
APPLY_FIELDS = [name for name in PROFILE_FIELDS if name != "auto_accept"] + ["proof_file", "photo"]


class ApplyForm(forms.ModelForm):
    class Meta:
        model = Participant
        fields = APPLY_FIELDS
        widgets = {
            "billing_address": forms.Textarea(attrs={"rows": 3}),
            "offers": forms.Textarea(attrs={"rows": 3}),
            "seeks": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, category: Category, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation_name"].required = category.asks_organisation
        self.fields["role"].required = category.asks_role
        self.asks_proof = category.asks_proof
        if category.asks_proof:
            self.fields["proof_url"].help_text = _(
                "Un lien vers votre carte de presse, votre site ou un document ; ou le document lui-même."
            )
        else:
            del self.fields["proof_file"]
        if not category.asks_photo:
            del self.fields["photo"]
        else:
            self.fields["photo"].required = True
            self.fields["photo"].help_text = _("Elle figure sur votre badge. JPEG ou PNG.")
        if category.fee == 0:
            for name in ("siret", "vat_number", "billing_address"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        if self.asks_proof and not data.get("proof_url") and not data.get("proof_file"):
            self.add_error("proof_url", _("Donnez un lien ou joignez un document."))
        return data


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Participant
        fields = [
            "interests",
            "offers",
            "seeks",
            "in_directory",
            "show_email",
            "share_with_exhibitors",
            "accepts_meetings",
            "auto_accept",
        ]
        widgets = {"offers": forms.Textarea(attrs={"rows": 3}), "seeks": forms.Textarea(attrs={"rows": 3})}


class CompleteForm(forms.ModelForm):
    class Meta:
        model = Participant
        fields = ["organisation_name", "role", "proof_url", "proof_file"]


class PayForm(forms.Form):
    provider = forms.ChoiceField(label=_("Paiement"), widget=forms.RadioSelect)

    def __init__(self, *args, price, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(c, p.label) for c, p in providers_without_places(price).items()]


class MeetingRequestForm(forms.Form):
    topic = forms.CharField(label=_("Objet"), max_length=200)
    message = forms.CharField(
        label=_("Message"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ExhibitorForm(forms.ModelForm):
    contact_first_name = forms.CharField(label=_("Prénom du contact"), max_length=100)
    contact_last_name = forms.CharField(label=_("Nom du contact"), max_length=100)
    options = forms.ModelMultipleChoiceField(
        label=_("Options"),
        queryset=StandOption.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    purchase_order = forms.CharField(
        label=_("Bon de commande"),
        max_length=60,
        required=False,
        help_text=_("Avec un bon de commande, vous réglez par virement à réception de la facture."),
    )
    provider = forms.ChoiceField(label=_("Ou payer maintenant"), widget=forms.RadioSelect, required=False)

    class Meta:
        model = Exhibitor
        fields = [
            "name",
            "contact_email",
            "siret",
            "vat_number",
            "billing_address",
            "description",
            "categories",
        ]
        widgets = {
            "billing_address": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, market: Market, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["options"].queryset = market.stand_options.order_by("name")
        self.fields["provider"].choices = [(c, p.label) for c, p in providers_without_places(1).items()]
        for name in ("siret", "billing_address"):
            self.fields[name].required = True

    def clean(self):
        data = super().clean()
        if not data.get("purchase_order") and not data.get("provider"):
            raise forms.ValidationError(_("Indiquez un bon de commande ou choisissez un moyen de paiement."))
        return data


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Décision"),
        choices=[
            ("approve", _("Accepter")),
            ("more_info", _("Demander un complément")),
            ("refuse", _("Refuser")),
        ],
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label=_("Message au candidat"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire pour un refus ou une demande de complément."),
    )


class CategoryForm(forms.ModelForm):
    access = forms.MultipleChoiceField(
        label=_("Donne accès à"), choices=Access.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Category
        fields = [
            "name",
            "kind",
            "colour",
            "fee",
            "vat_rate",
            "access",
            "asks_organisation",
            "asks_role",
            "asks_proof",
            "asks_photo",
            "open_to_applications",
        ]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    kind = forms.ChoiceField(label=_("Type"), choices=Session.Kind.choices)
    starts_at = forms.DateTimeField(
        label=_("Début"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Fin"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=5000)
    description = forms.CharField(
        label=_("Présentation"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Ouverte aux catégories"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Aucune cochée : celles qui donnent accès aux rencontres."),
    )

    def __init__(self, *args, market: Market, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = market.categories.all()


class PackForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Catégorie"), queryset=Category.objects.none())
    quantity = forms.IntegerField(label=_("Nombre de badges"), min_value=1, max_value=50)
    organisation_name = forms.CharField(label=_("Organisation"), max_length=200)
    email = forms.EmailField(label=_("E-mail de la personne qui commande"))
    provider = forms.ChoiceField(label=_("Paiement"), widget=forms.RadioSelect)

    def __init__(self, *args, market: Market, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = market.categories.filter(open_to_applications=True, fee__gt=0)
        self.fields["provider"].choices = [(c, p.label) for c, p in providers_without_places(1).items()]


class NameForm(forms.Form):
    first_name = forms.CharField(label=_("Prénom"), max_length=100)
    last_name = forms.CharField(label=_("Nom"), max_length=100)
    email = forms.EmailField(label=_("E-mail"))
    role = forms.CharField(label=_("Fonction"), max_length=200, required=False)


class ExhibitorProfileForm(forms.ModelForm):
    class Meta:
        model = Exhibitor
        fields = ["logo", "description", "categories", "products", "demo_times", "published"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "products": forms.Textarea(attrs={"rows": 3}),
        }
