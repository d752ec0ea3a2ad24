import uuid

from django import forms
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from parvis.core.money import Money, format_money
from parvis.core.text import of_names

from .providers import enabled_providers
from .services import Buyer

# Consent wordings and their version, recorded with each order (the CRM issue turns them into a ledger).
CONSENTS = {
    # %(of_organizer)s: "du Caveau", "de L'Arbre" (core.text.of_names)
    "organizer_newsletter": ("2026-12", _("Je souhaite recevoir la lettre d'information %(of_organizer)s.")),
    "network_newsletter": (
        "2026-11",
        _("Je souhaite recevoir la lettre d'information du réseau %(network)s."),
    ),
    "network_sharing": (
        "2026-12",
        _(
            "J'accepte que le réseau %(network)s relie mes venues dans ses lieux (mes coordonnées ne sont "
            "pas transmises aux autres lieux) : un seul compte pour mes billets du réseau, ses statistiques "
            "de fréquentation et des suggestions de spectacles."
        ),
    ),
}


def terms_links(sellers) -> str:
    """The help text of a terms box: a link to each seller's terms of sale, opened beside the order."""
    links = format_html_join(
        ", ",
        '<a href="{}" target="_blank" rel="noopener">{}<span class="visually-hidden"> ({})</span></a>',
        (
            (reverse("ticketing:terms_of_sale", args=[o.slug]), o.name, _("nouvelle fenêtre"))
            for o in sorted(sellers, key=lambda o: o.name)
        ),
    )
    return format_html("{} {}", _("Conditions de vente :"), links) if sellers else ""


class CheckoutForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    first_name = forms.CharField(
        label=_("Prénom"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Nom"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    postal_code = forms.CharField(
        label=_("Code postal (facultatif)"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    organizer_newsletter = forms.BooleanField(required=False)
    network_newsletter = forms.BooleanField(required=False)
    network_sharing = forms.BooleanField(required=False)
    terms = forms.BooleanField(
        label=_("J'accepte les conditions générales de vente."),
        error_messages={"required": _("Vous devez accepter les conditions générales de vente.")},
    )
    provider = forms.ChoiceField(label=_("Paiement"), widget=forms.RadioSelect, required=False)
    voucher = forms.CharField(
        label=_("Bon cadeau"),
        help_text=_("Son solde paie la commande ; le moyen de paiement choisi paie le reste, s'il en reste."),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    idempotency_key = forms.CharField(
        widget=forms.HiddenInput, max_length=64, initial=lambda: uuid.uuid4().hex
    )

    def __init__(
        self,
        *args,
        organizer_names: list[str] = (),
        network_names: str = "",
        total=None,
        products=(),
        donation_organizers=(),
        sellers=(),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["terms"].help_text = terms_links(sellers)
        self.product_fields, self.donation_fields = [], []
        for product in products:
            name = f"product-{product.organizer_id}-{product.pk}"
            self.fields[name] = forms.TypedChoiceField(
                label=f"{product.localized_name} ({format_money(Money(product.price, product.currency))})",
                required=False,
                coerce=int,
                choices=[(n, n) for n in range(product.max_per_order + 1)],
                initial=0,
            )
            self.product_fields.append(name)
        for organizer in donation_organizers:
            name = f"donation-{organizer.pk}"
            self.fields[name] = forms.DecimalField(
                label=_("Je soutiens %(organizer)s par un don de (€)") % {"organizer": organizer.name},
                required=False,
                min_value=1,
                max_value=10000,
                decimal_places=2,
            )
            self.donation_fields.append(name)
        self.receipt_organizers = {o.pk for o in donation_organizers if o.issues_tax_receipts}
        if self.receipt_organizers:
            self.fields["postal_address"] = forms.CharField(
                label=_("Adresse postale (pour le reçu fiscal de votre don)"),
                max_length=300,
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
            )
            self.donation_fields.append("postal_address")
        providers = enabled_providers()
        if total:  # a paid cart cannot use the "free" provider
            providers = {k: v for k, v in providers.items() if k != "free"}
        else:
            providers = {k: v for k, v in providers.items() if k == "free"} or providers
        self.fields["provider"].choices = [(code, p.label) for code, p in providers.items()]
        if len(providers) == 1:
            self.fields["provider"].initial = next(iter(providers))
        self.fields["organizer_newsletter"].label = CONSENTS["organizer_newsletter"][1] % {
            "of_organizer": of_names(organizer_names)
        }
        for purpose in ("network_newsletter", "network_sharing"):
            if network_names:
                self.fields[purpose].label = CONSENTS[purpose][1] % {"network": network_names}
            else:
                del self.fields[purpose]

    def clean(self):
        data = super().clean()
        if not data.get("voucher", "").strip() and not data.get("provider"):
            self.add_error("provider", _("Choisissez un moyen de paiement."))
        receipt_donation = any(data.get(f"donation-{pk}") for pk in getattr(self, "receipt_organizers", ()))
        if receipt_donation and not data.get("postal_address", "").strip():
            self.add_error("postal_address", _("Indiquez votre adresse : elle figure sur le reçu fiscal."))
        return data

    @property
    def product_boundfields(self):
        return [self[name] for name in self.product_fields]

    @property
    def donation_boundfields(self):
        return [self[name] for name in self.donation_fields]


def extras_from(cleaned_data: dict) -> tuple[dict, dict]:
    """({organizer id: [(product id, quantity)]}, {organizer id: donation}) from a valid CheckoutForm."""
    extras: dict[int, list] = {}
    donations: dict[int, object] = {}
    for name, value in cleaned_data.items():
        if name.startswith("product-") and value:
            _prefix, organizer_id, product_id = name.split("-")
            extras.setdefault(int(organizer_id), []).append((int(product_id), int(value)))
        elif name.startswith("donation-") and value:
            donations[int(name.split("-")[1])] = value
    return extras, donations


class PayingBuyerForm(forms.Form):
    """Who pays for an order without places (a voucher, a pass) and how: name, e-mail, terms, provider."""

    email = forms.EmailField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
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

    def __init__(self, *args, providers: dict, sellers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["terms"].help_text = terms_links(sellers)
        self.fields["provider"].choices = [(code, p.label) for code, p in providers.items()]
        if len(providers) == 1:
            self.fields["provider"].initial = next(iter(providers))

    def buyer(self):
        """Who pays, in the language of the page they paid from (once the form is valid)."""

        data = self.cleaned_data
        return Buyer(
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            language=translation.get_language() or "fr",
            terms_accepted=True,
        )


class VoucherBuyForm(PayingBuyerForm):
    """A gift voucher bought online: its value, for whom, who pays and how."""

    field_order = ["value", "recipient"]
    value = forms.DecimalField(
        label=_("Montant (€)"), min_value=1, max_value=2000, decimal_places=2, initial=30,
        widget=forms.NumberInput(attrs={"step": "1", "inputmode": "decimal"}),
    )  # fmt: skip
    recipient = forms.CharField(
        label=_("Pour (facultatif, écrit sur le bon)"), max_length=150, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Votre e-mail (le bon y est envoyé)")


class WaitlistForm(forms.Form):
    """Joining a sold-out date's waiting list (the tariff is read by the view, with the date)."""

    email = forms.EmailField(
        label=_("E-mail"), max_length=254, error_messages={"invalid": _("Adresse e-mail invalide.")}
    )
    first_name = forms.CharField(label=_("Prénom"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=100, required=False)
    quantity = forms.IntegerField(
        label=_("Places"),
        min_value=1,
        max_value=6,
        required=False,
        error_messages={
            "invalid": _("Le nombre de billets doit être un entier positif."),
            "min_value": _("Le nombre de billets doit être un entier positif."),
            "max_value": _("Six places au plus sur une liste d'attente."),
        },
    )
