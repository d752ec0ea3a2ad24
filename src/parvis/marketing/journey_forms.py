"""The journey editor's forms: the journey's trigger and entry rule, and one step added at a time (a form
that works without JavaScript: the fields of the other kinds are left empty)."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from parvis.crm.models import Purpose, Segment, Tag
from parvis.network.models import OrganizerStaff
from parvis.network.permissions import ROLE_PERMS, Perm

from .models import Journey

MAX_HOURS = 24 * 366
MAX_STEPS = 30
# Who may be told about people: the roles that read the organizer's contacts.
READERS = [role for role, perms in ROLE_PERMS.items() if Perm.CRM_VIEW in perms]


class JourneyForm(forms.ModelForm):
    class Meta:
        model = Journey
        fields = ["name", "trigger", "days", "reentry_days", "exit_on_purchase"]
        help_texts = {
            "days": _("Pour les déclencheurs datés : combien de jours avant ou après la date."),
            "reentry_days": _(
                "Vide : une personne n'entre qu'une fois. Un nombre : elle peut entrer à nouveau quand ce "
                "nombre de jours a passé depuis sa dernière entrée (jamais pendant qu'elle y est)."
            ),
        }

    def clean_days(self):
        days = self.cleaned_data["days"]
        if days > 366:
            raise forms.ValidationError(_("Un an au plus."), code="too_far")
        return days


class StepForm(forms.Form):
    KINDS = [
        ("wait", _("Attendre N heures")),
        ("until", _("Attendre jusqu'à N heures avant (-) ou après (+) la représentation de la personne")),
        ("send", _("Envoyer un message (nouveau, à écrire ensuite)")),
        ("check", _("Condition")),
        ("tag", _("Ajouter ou retirer une étiquette")),
        ("notify", _("Prévenir un membre de l'équipe par e-mail")),
        ("exit", _("Sortir du parcours")),
    ]
    TESTS = [
        ("segment", _("est dans le segment")),
        ("tag", _("a l'étiquette")),
        ("consent", _("a donné son consentement pour")),
        ("bought", _("a acheté depuis son entrée")),
    ]
    kind = forms.ChoiceField(label=_("Étape"), choices=KINDS)
    hours = forms.IntegerField(label=_("Heures"), required=False, min_value=-MAX_HOURS, max_value=MAX_HOURS)
    test = forms.ChoiceField(label=_("Condition : la personne…"), choices=TESTS, required=False)
    negate = forms.BooleanField(label=_("Inverser (la personne n'est pas…, n'a pas…)"), required=False)
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.none(), required=False)
    tag = forms.ModelChoiceField(label=_("Étiquette"), queryset=Tag.objects.none(), required=False)
    purpose = forms.ChoiceField(label=_("Consentement"), choices=Purpose.choices, required=False)
    otherwise = forms.ChoiceField(
        label=_("Sinon"),
        choices=[("exit", _("la personne sort du parcours")), ("skip", _("elle passe l'étape suivante"))],
        required=False,
    )
    remove = forms.BooleanField(label=_("Retirer l'étiquette (au lieu de l'ajouter)"), required=False)
    user = forms.ModelChoiceField(label=_("Membre de l'équipe"), queryset=None, required=False)

    def __init__(self, *args, organizer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.filter(organizer=organizer).order_by("name")
        self.fields["tag"].queryset = Tag.objects.filter(organizer=organizer).order_by("name")
        self.fields["user"].queryset = (
            get_user_model()
            .objects.filter(
                is_active=True,
                pk__in=OrganizerStaff.objects.filter(organizer=organizer, role__in=READERS).values("user_id"),
            )
            .exclude(email="")
            .order_by("email")
        )
        self.fields["user"].label_from_instance = lambda user: user.get_full_name() or user.email

    def _need(self, data: dict, name: str):
        if data.get(name) in (None, ""):
            self.add_error(name, forms.ValidationError(_("Ce champ est obligatoire."), code="required"))
        return data.get(name)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in ("wait", "until"):
            hours = self._need(data, "hours")
            if kind == "wait" and hours is not None and hours < 1:
                self.add_error("hours", forms.ValidationError(_("Une heure au moins."), code="min"))
        elif kind == "check":
            test = self._need(data, "test")
            needed = {"segment": "segment", "tag": "tag", "consent": "purpose"}.get(test)
            if needed:
                self._need(data, needed)
        elif kind == "tag":
            self._need(data, "tag")
        elif kind == "notify":
            self._need(data, "user")
        return data

    def step(self) -> dict:
        """The step as the journey keeps it (`send` gets its message's id from the service)."""
        data = self.cleaned_data
        kind = data["kind"]
        if kind in ("wait", "until"):
            return {"kind": kind, "hours": data["hours"]}
        if kind == "check":
            test = data["test"]
            arg = {
                "segment": data["segment"].pk if data["segment"] else None,
                "tag": data["tag"].pk if data["tag"] else None,
                "consent": data["purpose"],
            }.get(test)
            return {
                "kind": "check",
                "test": test,
                "arg": arg,
                "negate": data["negate"],
                "otherwise": data["otherwise"] or "exit",
            }
        if kind == "tag":
            return {"kind": "tag", "tag": data["tag"].pk, "remove": data["remove"]}
        if kind == "notify":
            return {"kind": "notify", "user": data["user"].pk}
        return {"kind": kind}
