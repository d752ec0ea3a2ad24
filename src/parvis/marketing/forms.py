"""The campaign editor's forms: the campaign's fields, its blocks (posted as numbered fields, so that
the page works without JavaScript and keeps what was typed when something is wrong), test and schedule."""

import datetime
import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parvis.core.params import is_digits
from parvis.crm.models import Purpose, Segment

from . import blocks as blocks_mod
from .models import Campaign, CampaignImage, SendingPolicy

BLOCK_FIELDS = ("fr", "en", "label_fr", "label_en", "url", "count", "image", "alt_fr", "alt_en")
IMAGE_MAX_BYTES = 5 * 1024 * 1024


class CampaignForm(forms.ModelForm):
    include_segments = forms.ModelMultipleChoiceField(
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Segments visés (aucun : tous les inscrits)"),
    )
    exclude_segments = forms.ModelMultipleChoiceField(
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Segments exclus"),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "purpose",
            "subject_fr",
            "subject_en",
            "preheader_fr",
            "preheader_en",
            "from_name",
            "from_email",
            "reply_to",
            "include_segments",
            "exclude_segments",
            "one_per_household",
            "priority",
            "holdout_percent",
            "attribution_days",
            "ab_percent",
            "ab_subject_fr",
            "ab_subject_en",
            "ab_text_fr",
            "ab_text_en",
            "ab_hours",
            "ab_metric",
        ]
        help_texts = {
            "subject_fr": _("Personnalisable : {{ prenom | à défaut }}, {{ nom }}."),
            "subject_en": _("Pour les contacts anglophones ; vide : l'objet en français."),
            "preheader_fr": _("La ligne que les messageries montrent après l'objet."),
        }

    def __init__(self, *args, organizer=None, network=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizer is not None:
            segments = Segment.objects.filter(organizer=organizer).order_by("name")
            self.fields["include_segments"].queryset = segments
            self.fields["exclude_segments"].queryset = segments
            allowed = (Purpose.ORGANIZER_NEWSLETTER, Purpose.PARTNER_OFFERS)
        else:  # a network's campaign reaches whoever consented to the network: no organizer's segments
            del self.fields["include_segments"]
            del self.fields["exclude_segments"]
            allowed = (Purpose.NETWORK_NEWSLETTER, Purpose.PARTNER_OFFERS)
        self.fields["purpose"].choices = [(p.value, p.label) for p in allowed]

    def clean(self):
        data = super().clean()
        if data.get("ab_percent") and not data.get("ab_subject_fr") and not data.get("ab_text_fr"):
            self.add_error(
                "ab_subject_fr",
                _("Un test A/B compare deux versions : écrivez l'objet B, le texte B, ou les deux."),
            )
        for name in ("ab_text_fr", "ab_text_en"):
            if data.get(name):
                data[name] = blocks_mod.clean_html(data[name])
        for name in (
            "subject_fr",
            "subject_en",
            "preheader_fr",
            "preheader_en",
            "ab_subject_fr",
            "ab_subject_en",
            "ab_text_fr",
            "ab_text_en",
        ):
            try:
                blocks_mod.tokens_check(data.get(name) or "")
            except ValidationError as exc:
                self.add_error(name, exc)
        include, exclude = data.get("include_segments") or [], data.get("exclude_segments") or []
        if set(include) & set(exclude):
            self.add_error("exclude_segments", _("Un segment ne peut être à la fois visé et exclu."))
        return data


def blocks_from_post(post) -> list[dict]:
    """The blocks as the page posted them (`block-<n>-<field>`), in their order, untouched: checked by
    `blocks.blocks_clean` when saved, shown again as typed when something is wrong."""
    count = post.get("blocks", "")
    count = min(int(count), blocks_mod.MAX_BLOCKS + 1) if is_digits(count, max_len=3) else 0
    found = []
    for n in range(count):
        kind = post.get(f"block-{n}-type", "")
        if kind not in blocks_mod.TYPES:
            continue
        block = {"type": kind}
        for name in BLOCK_FIELDS:
            if f"block-{n}-{name}" in post:
                block[name] = post.get(f"block-{n}-{name}", "")
        if kind == "events":
            block["ids"] = [v for v in post.getlist(f"block-{n}-ids") if is_digits(v)]
        found.append(block)
    return found


def images_from_post(files, blocks: list[dict], *, owner: dict) -> str:
    """Keep the image files posted for image blocks (`block-<n>-file`), each checked by Pillow and for its
    size; the block then names the image. What is wrong, in words ("" when all went well)."""
    for n, block in enumerate(blocks):
        upload = files.get(f"block-{n}-file")
        if block["type"] != "image" or upload is None:
            continue
        if upload.size > IMAGE_MAX_BYTES:
            return str(_("L'image dépasse 5 Mo."))
        try:
            forms.ImageField().clean(upload)
        except ValidationError:
            return str(_("Ce fichier n'est pas une image (JPEG, PNG, GIF ou WebP)."))
        block["image"] = str(CampaignImage.objects.create(image=upload, **owner).pk)
    return ""


def block_action(blocks: list[dict], action: str) -> list[dict]:
    """add:<type>, up:<n>, down:<n>, remove:<n>: the blocks after the button pressed."""
    verb, _sep, arg = action.partition(":")
    blocks = list(blocks)
    if verb == "add" and arg in blocks_mod.TYPES and len(blocks) < blocks_mod.MAX_BLOCKS:
        blocks.append({"type": arg, **({"count": 3} if arg == "recommended" else {})})
        return blocks
    if not is_digits(arg, max_len=3) or int(arg) >= len(blocks):
        return blocks
    n = int(arg)
    if verb == "remove":
        del blocks[n]
    elif verb == "up" and n > 0:
        blocks[n - 1], blocks[n] = blocks[n], blocks[n - 1]
    elif verb == "down" and n < len(blocks) - 1:
        blocks[n + 1], blocks[n] = blocks[n], blocks[n + 1]
    return blocks


class PolicyForm(forms.ModelForm):
    class Meta:
        model = SendingPolicy
        fields = ["pressure_cap", "capped", "quiet_from", "quiet_until"]
        widgets = {"capped": forms.RadioSelect}


class TestForm(forms.Form):
    addresses = forms.CharField(
        label=_("Adresses de l'équipe"),
        help_text=_("Séparées par des virgules ; seules les adresses de l'équipe sont acceptées."),
        max_length=1000,
    )
    language = forms.ChoiceField(label=_("Langue"), choices=[("fr", "Français"), ("en", "English")])

    def clean_addresses(self):
        addresses = [a.strip().lower() for a in self.cleaned_data["addresses"].split(",") if a.strip()]
        if not addresses:
            raise ValidationError(_("Indiquez au moins une adresse."))
        if len(addresses) > 10:
            raise ValidationError(_("Dix adresses au plus."))
        for address in addresses:
            forms.EmailField().clean(address)
        return addresses


class ScheduleForm(forms.Form):
    when = forms.DateTimeField(
        label=_("Envoyer le"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        start, end = settings.PARVIS_CAMPAIGN_QUIET_HOURS
        if start != end:
            self.fields["when"].help_text = _(
                "Vide : maintenant. Heure de Paris ; rien ne part entre %(start)s h et %(end)s h : un envoi "
                "tombant dans ces heures part à %(end)s h."
            ) % {"start": start, "end": end}
        else:
            self.fields["when"].help_text = _("Vide : maintenant. Heure de Paris.")

    def clean_when(self):
        when = self.cleaned_data.get("when")
        if when is not None and when < timezone.now() - datetime.timedelta(minutes=5):
            raise ValidationError(_("Cette date est passée."))
        return when


class ExclusionForm(forms.Form):
    """Addresses the staff exclude from their campaigns (a person who asked by phone, a shared mailbox)."""

    addresses = forms.CharField(
        label=_("Adresses à exclure"),
        help_text=_(
            "Une ou plusieurs, séparées par des retours à la ligne, des virgules ou des points-virgules "
            "(500 au plus)."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=60000,
    )
    note = forms.CharField(label=_("Motif (pour l'équipe)"), max_length=300, required=False)

    def clean_addresses(self):
        words = re.split(r"[\s,;]+", self.cleaned_data["addresses"])
        addresses = list(dict.fromkeys(word.strip().lower() for word in words if word.strip()))
        if not addresses:
            raise ValidationError(_("Indiquez au moins une adresse."))
        if len(addresses) > 500:
            raise ValidationError(_("500 adresses au plus à la fois."))
        wrong = [address for address in addresses if not _is_email(address)]
        if wrong:
            raise ValidationError(
                _("Ces adresses ne sont pas valides : %(addresses)s.") % {"addresses": ", ".join(wrong[:5])}
            )
        return addresses


def _is_email(address: str) -> bool:
    try:
        forms.EmailField().clean(address)
    except ValidationError:
        return False
    return True
