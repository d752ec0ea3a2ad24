"""The blocks a campaign is written with, checked and cleaned before they are kept.

A block is a dict with a `type` and its fields; text is written in French and, optionally, in English (a
contact whose language is English reads the English text where there is one, else the French). Text is
HTML cleaned by nh3 to a few tags: a marketer pastes from anywhere, and what is kept can carry no script,
no style and no tracking pixel of a third party.

Personalisation tokens, in text, subjects and buttons: `{{ prenom }}`, `{{ nom }}` (or `first_name`,
`last_name`), with a fallback after a bar for people the organizer knows no name of:
`{{ prenom | cher public }}`. An unknown token is refused when the campaign is saved, never sent as is.
"""

import html
import re
from dataclasses import dataclass

import nh3
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parvis.core.params import is_digits

TEXT_TAGS = {"p", "br", "strong", "b", "em", "i", "a", "ul", "ol", "li", "h2", "h3"}
TEXT_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto"}

TYPES = {
    "text": gettext_lazy("Texte"),
    "image": gettext_lazy("Image"),
    "button": gettext_lazy("Bouton"),
    "events": gettext_lazy("Spectacles choisis dans l'agenda"),
    "recommended": gettext_lazy("Spectacles recommandés à chacun"),
    "donation": gettext_lazy("Appel au don"),
    "pass_entries": gettext_lazy("Entrées restantes sur le pass de la personne"),
    "membership": gettext_lazy("Fin de la carte d'adhérent de la personne"),
}
MAX_BLOCKS = 40
MAX_EVENTS = 6

FIELDS = {"first_name": "first_name", "prenom": "first_name", "last_name": "last_name", "nom": "last_name"}
TOKEN = re.compile(r"\{\{\s*([a-zA-Z_]+)\s*(?:\|\s*([^}|]*?)\s*)?\}\}")


@dataclass(frozen=True)
class Token:
    field: str  # a Contact attribute
    fallback: str


def tokens_check(text: str) -> None:
    for match in TOKEN.finditer(text):
        if match.group(1).lower() not in FIELDS:
            raise ValidationError(
                _("« %(token)s » n'est pas une donnée connue : utilisez {{ prenom }} ou {{ nom }}."),
                params={"token": match.group(0)},
                code="unknown_token",
            )
    if "{{" in TOKEN.sub("", text):
        raise ValidationError(_("Une accolade double n'est pas refermée."), code="open_token")


def token_of(match: re.Match) -> Token:
    return Token(FIELDS[match.group(1).lower()], (match.group(2) or "").strip())


def clean_html(value: str) -> str:
    return nh3.clean(
        value or "",
        tags=TEXT_TAGS,
        attributes=TEXT_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
    ).strip()


def _url(value, *, required: bool = True) -> str:
    value = (value or "").strip()
    if not value and not required:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError as exc:
        raise ValidationError(
            _("Le lien « %(url)s » n'est pas une adresse web valide."), params={"url": value}
        ) from exc
    return value


def _short(value, limit: int = 120) -> str:
    value = " ".join(str(value or "").split())
    if len(value) > limit:
        raise ValidationError(_("Un texte de bouton tient en %(n)s caractères."), params={"n": limit})
    tokens_check(value)
    return value


def _text(block: dict) -> dict:
    fr, en = clean_html(block.get("fr", "")), clean_html(block.get("en", ""))
    if not fr:
        raise ValidationError(_("Un bloc de texte est vide."), code="empty")
    tokens_check(fr)
    tokens_check(en)
    return {"type": "text", "fr": fr, "en": en}


def _button(block: dict) -> dict:
    label_fr = _short(block.get("label_fr"))
    if not label_fr:
        raise ValidationError(_("Un bouton n'a pas de texte."), code="empty")
    return {
        "type": "button",
        "label_fr": label_fr,
        "label_en": _short(block.get("label_en")),
        "url": _url(block.get("url")),
    }


def _events(block: dict, event_ids: set[int]) -> dict:
    ids = []
    for value in block.get("ids") or []:
        if is_digits(str(value)) and int(value) not in ids:
            ids.append(int(value))
    if not ids:
        raise ValidationError(_("Choisissez au moins un spectacle de l'agenda."), code="empty")
    if len(ids) > MAX_EVENTS:
        raise ValidationError(_("Six spectacles au plus par bloc."), code="too_many")
    if set(ids) - event_ids:
        raise ValidationError(_("Un spectacle choisi n'est plus à l'affiche."), code="unknown_event")
    return {"type": "events", "ids": ids}


def _recommended(block: dict) -> dict:
    count = block.get("count", 3)
    count = int(count) if is_digits(str(count), max_len=2) else 0
    if not 1 <= count <= MAX_EVENTS:
        raise ValidationError(_("Entre un et six spectacles recommandés."), code="count")
    return {"type": "recommended", "count": count}


def _image(block: dict, image_ids: set[int]) -> dict:
    image = block.get("image")
    if not is_digits(str(image or "")) or int(image) not in image_ids:
        raise ValidationError(_("Choisissez le fichier de l'image."), code="no_image")
    alt_fr = " ".join(str(block.get("alt_fr") or "").split())[:300]
    if not alt_fr:
        raise ValidationError(
            _("Décrivez l'image en quelques mots : c'est ce que lisent les lecteurs d'écran."), code="no_alt"
        )
    alt_en = " ".join(str(block.get("alt_en") or "").split())[:300]
    return {
        "type": "image",
        "image": int(image),
        "alt_fr": alt_fr,
        "alt_en": alt_en,
        "url": _url(block.get("url"), required=False),
    }


def _donation(block: dict) -> dict:
    text = _text(block)
    return {**text, "type": "donation", "url": _url(block.get("url"))}


HREF = re.compile(r'href="(https?://[^"]+)"')


def tracked_links(blocks: list[dict]) -> list[str]:
    """The web links of a campaign's blocks, in order, each once: a click on the n-th goes through
    `/m/<token>/l/<n>/`. Worked out from the blocks alone, by the sender and by the redirect alike."""
    links: list[str] = []
    for block in blocks:
        found = []
        for key in ("fr", "en"):
            found += [html.unescape(href) for href in HREF.findall(block.get(key) or "")]
        if block.get("url"):
            found.append(block["url"])
        for url in found:
            if url not in links:
                links.append(url)
    return links


_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def is_domain(value: str) -> bool:
    return bool(_DOMAIN.match(value))


def blocks_clean(blocks, *, event_ids: set[int], image_ids: set[int] = frozenset()) -> list[dict]:
    """The blocks to keep, cleaned; a ValidationError naming the block (its position) that is wrong.
    `event_ids`: the events the campaign may show (its organizer's or network's, on the agenda);
    `image_ids`: the images its owner uploaded."""
    if not isinstance(blocks, list) or not blocks:
        raise ValidationError(_("Une campagne a au moins un bloc."), code="no_block")
    if len(blocks) > MAX_BLOCKS:
        raise ValidationError(_("Quarante blocs au plus."), code="too_many")
    cleaned = []
    for position, block in enumerate(blocks, start=1):
        kind = block.get("type") if isinstance(block, dict) else None
        try:
            if kind == "text":
                cleaned.append(_text(block))
            elif kind == "button":
                cleaned.append(_button(block))
            elif kind == "image":
                cleaned.append(_image(block, image_ids))
            elif kind == "events":
                cleaned.append(_events(block, event_ids))
            elif kind == "recommended":
                cleaned.append(_recommended(block))
            elif kind == "donation":
                cleaned.append(_donation(block))
            elif kind in ("pass_entries", "membership"):  # said only to those who hold one
                cleaned.append({"type": kind})
            else:
                raise ValidationError(_("Type de bloc inconnu."), code="unknown_type")
        except ValidationError as exc:
            raise ValidationError(
                _("Bloc %(n)s : %(error)s"), params={"n": position, "error": " ".join(exc.messages)}
            ) from exc
    return cleaned
