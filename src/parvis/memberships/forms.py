from django import forms
from django.utils.translation import gettext_lazy as _

from parvis.core.money import Money, format_money
from parvis.network.models import Network
from parvis.programming.models import Event, EventStatus
from parvis.ticketing.forms import PayingBuyerForm

from .models import MembershipLevel, MembershipProgram, SubscriptionOffer


class MembershipJoinForm(PayingBuyerForm):
    """A card bought online: its level, its holder (who pays), the other people it names."""

    field_order = ["level"]
    level = forms.ChoiceField(label=_("Formule"), widget=forms.RadioSelect)
    other_names = forms.CharField(
        label=_("Autres personnes sur la carte (duo, famille)"),
        help_text=_("Prénom et nom, un par ligne."),
        required=False,
        max_length=800,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, levels, **kwargs):
        super().__init__(*args, **kwargs)
        self.levels = {str(level.pk): level for level in levels}
        self.fields["level"].choices = [
            (str(level.pk), f"{level.localized_name} — {format_money(Money(level.price, level.currency))}")
            for level in levels
        ]
        self.fields["email"].label = _("E-mail de l'adhérent (la carte y est envoyée)")

    def clean_other_names(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["other_names"].splitlines() if line.strip()]

    def clean(self):
        data = super().clean()
        level = self.levels.get(data.get("level", ""))
        if level is not None:
            data["level"] = level
            if len(data.get("other_names", [])) > level.persons - 1:
                self.add_error(
                    "other_names",
                    _("Cette formule nomme au plus %(limit)s autre(s) personne(s).")
                    % {"limit": level.persons - 1},
                )
        return data


class MemberCardForm(forms.Form):
    """A card given at the cart or the counter: its number and its holder's e-mail."""

    member_code = forms.CharField(label=_("N° d'adhérent"), max_length=12)
    member_email = forms.EmailField(label=_("E-mail de l'adhérent"), max_length=254)


class RenewForm(forms.Form):
    provider = forms.ChoiceField(label=_("Paiement"), widget=forms.RadioSelect)

    def __init__(self, *args, providers: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(code, p.label) for code, p in providers.items()]
        self.fields["provider"].initial = next(iter(providers), None)


class SubscribeForm(PayingBuyerForm):
    """The subscriber (who pays) and the shows chosen (at least the offer's minimum)."""

    field_order = ["performance"]
    performance = forms.MultipleChoiceField(label=_("Vos spectacles"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, choices, minimum: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.minimum = minimum
        self.fields["performance"].choices = choices
        self.fields["email"].label = _("E-mail de l'abonné (les billets y sont envoyés)")

    def clean_performance(self) -> list[int]:
        chosen = [int(pk) for pk in self.cleaned_data["performance"]]
        if len(chosen) < self.minimum:
            raise forms.ValidationError(
                _("Choisissez au moins %(minimum)s spectacles pour vous abonner.") % {"minimum": self.minimum}
            )
        return chosen


class MembershipProgramForm(forms.ModelForm):
    """A new membership programme of this organizer (or of one of its networks)."""

    class Meta:
        model = MembershipProgram
        fields = ["name", "name_en", "description", "description_en", "network", "reminder_days", "on_sale"]

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["network"].queryset = Network.objects.filter(memberships__organizer=organizer)


class MembershipLevelForm(forms.ModelForm):
    """A level of one of this organizer's programmes: price, length, people, and what it gives."""

    class Meta:
        model = MembershipLevel
        fields = [
            "program", "kind", "name", "name_en", "eligibility", "price", "vat_rate", "months", "persons",
            "priority_days", "addon_discount_percent", "free_events", "on_sale",
        ]  # fmt: skip
        widgets = {"free_events": forms.CheckboxSelectMultiple}

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["program"].queryset = MembershipProgram.objects.filter(organizer=organizer)
        self.fields["free_events"].queryset = Event.objects.filter(
            organizer=organizer, status=EventStatus.PUBLISHED
        ).order_by("title")
        self.fields["free_events"].required = False


class SubscriptionOfferForm(forms.ModelForm):
    """A season subscription: its dates, the minimum number of shows, the shows it covers, the exchanges."""

    class Meta:
        model = SubscriptionOffer
        fields = [
            "name", "name_en", "description", "description_en", "season_starts", "season_ends", "min_shows",
            "events", "exchanges", "on_sale",
        ]  # fmt: skip
        widgets = {
            "season_starts": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "season_ends": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "events": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["events"].queryset = Event.objects.filter(
            organizer=organizer, status=EventStatus.PUBLISHED
        ).order_by("title")
        self.fields["events"].required = False

    def clean(self):
        data = super().clean()
        starts, ends = data.get("season_starts"), data.get("season_ends")
        if starts and ends and ends <= starts:
            self.add_error("season_ends", _("La fin de la saison doit suivre son début."))
        return data
