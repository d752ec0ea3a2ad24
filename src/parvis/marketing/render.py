"""From blocks to the message each person receives, fast.

A campaign is compiled once per language: its blocks are written as MJML (responsive e-mail markup), made
into HTML by mrml, its CSS inlined by css-inline, and a plain-text part is written from the same blocks.
What differs from person to person (their name, their unsubscribe links, the shows picked for them) is left
in the compiled text as numbered markers; `personalise` fills them with a join, so 100,000 messages cost
one MJML rendering per language, not one each.
"""

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import css_inline
import mrml
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.safestring import mark_safe

from parvis.programming.models import Event

from .blocks import HREF, TOKEN, Token, clean_html, token_of, tracked_links
from .models import Campaign

MARKER = re.compile(r"PVS(\d+)X")
# Where each tracked link's address starts; each person's message has it replaced by their own
# `/m/<token>` (or, in a preview, by the link's target).
CLICK = "__PVCLICK__"
WHY = "__PVWHY__"  # where a picked show's card says why it was picked (nothing in an events block)
_TRACKED = re.compile(CLICK + r"/([le]/\d+)/")
_INLINER = css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)
_MRML_OPTIONS = mrml.RenderOptions(disable_comments=True, fonts={})


@dataclass(frozen=True)
class Slot:
    kind: str  # "token", "url" (unsubscribe, preferences), "picks" (the shows picked for the person)
    token: Token | None = None
    name: str = ""
    count: int = 0


@dataclass
class Person:
    first_name: str = ""
    last_name: str = ""
    urls: dict[str, str] = field(default_factory=dict)
    picks: list[int] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)  # why each pick, in the message's language
    held: dict[str, tuple[str, str]] = field(default_factory=dict)  # block type → its (HTML, text)


@dataclass
class Message:
    subject: str
    html: str
    text: str


@dataclass
class Compiled:
    language: str
    slots: list[Slot]
    subject: list[str]
    html: list[str]
    text: list[str]
    cards_html: dict[int, str]
    cards_text: dict[int, str]
    targets: dict[str, str]  # "l/0", "e/12" → where the link leads
    picks_count: int = 0  # how many shows to pick for each person (0: no recommendation block)


class _Marks:
    """Numbers the slots as the campaign is written out."""

    def __init__(self):
        self.slots: list[Slot] = []

    def add(self, slot: Slot) -> str:
        self.slots.append(slot)
        return f"PVS{len(self.slots) - 1}X"

    def tokens(self, text: str) -> str:
        return TOKEN.sub(lambda match: self.add(Slot("token", token=token_of(match))), text)


class _Text(HTMLParser):
    """The plain-text part of a block's cleaned HTML (a handful of tags, see `blocks.TEXT_TAGS`)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.href: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag == "a":
            self.href.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag):
        if tag in ("p", "h2", "h3", "ul", "ol"):
            self.out.append("\n\n")
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href:
                self.out.append(f" ({href.removeprefix('mailto:')})")

    def handle_data(self, data):
        self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(value: str) -> str:
    parser = _Text()
    parser.feed(value)
    parser.close()
    lines = [line.strip() for line in "".join(parser.out).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _in(language: str, french: str, english: str) -> str:
    """The English text for an English reader when there is one, else the French."""
    return english if language == "en" and english else french


def _absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.PARVIS_BASE_URL + url


def cards(event_ids, language: str, targets: dict[str, str]) -> tuple[dict[int, str], dict[int, str]]:
    """Each event's card, as HTML (styles inline: it goes in after the inlining) and as text; its link
    goes through the click counter (`targets` learns where it leads)."""
    now = timezone.now()
    events = Event.objects.filter(pk__in=list(event_ids)).select_related("organizer")
    by_id_html, by_id_text = {}, {}
    with translation.override(language):
        for event in events:
            performance = (
                event.performances.filter(starts_at__gte=now)
                .select_related("venue")
                .order_by("starts_at")
                .first()
            )
            targets[f"e/{event.pk}"] = _absolute(event.get_absolute_url())
            context = {
                "event": event,
                "title": event.localized_title,
                "url": f"{CLICK}/e/{event.pk}/",
                "image": _absolute(event.image.url) if event.image else "",
                "when": formats.date_format(timezone.localtime(performance.starts_at), "DATETIME_FORMAT")
                if performance
                else "",
                "venue": performance.venue.name if performance else "",
                "why": WHY,
            }
            by_id_html[event.pk] = render_to_string("marketing/email/card.html", context)
            by_id_text[event.pk] = render_to_string("marketing/email/card.txt", context).strip()
    return by_id_html, by_id_text


def _tracker(campaign: Campaign, targets: dict[str, str]):
    """url → its tracked address (`CLICK/l/<n>/`), `targets` filled as it goes."""
    index = {url: n for n, url in enumerate(tracked_links(campaign.blocks))}

    def tracked(url: str) -> str:
        if url not in index:
            return url
        targets[f"l/{index[url]}"] = url
        return f"{CLICK}/l/{index[url]}/"

    return tracked


def _variant_blocks(campaign: Campaign, variant: str) -> list[dict]:
    """The blocks as `variant` reads them: B's text B in place of the first text block, if it has one."""
    if variant != "b" or not campaign.ab_text_fr:
        return campaign.blocks
    blocks, replaced = [], False
    for block in campaign.blocks:
        if block["type"] == "text" and not replaced:
            # Cleaned when saved, like every block; again here, as it is written outside the blocks.
            block = {**block, "fr": clean_html(campaign.ab_text_fr), "en": clean_html(campaign.ab_text_en)}
            replaced = True
        blocks.append(block)
    return blocks


def _blocks_out(
    campaign: Campaign, blocks: list[dict], language: str, marks: _Marks, cards_html, cards_text, targets
) -> list[dict]:
    out = []
    tracked = _tracker(campaign, targets)
    for block in blocks:
        kind = block["type"]
        item = {"type": kind}
        if kind in ("text", "donation"):
            body = marks.tokens(_in(language, block["fr"], block.get("en", "")))
            body = HREF.sub(lambda m: f'href="{tracked(html.unescape(m.group(1)))}"', body)
            item.update(html=mark_safe(body), text=html_to_text(body))  # noqa: S308 - cleaned by nh3
            item["url"] = tracked(block.get("url", ""))
        elif kind == "button":
            label = marks.tokens(_in(language, block["label_fr"], block.get("label_en", "")))
            item.update(label=label, url=tracked(block["url"]))
        elif kind == "image":
            item.update(
                src=settings.PARVIS_BASE_URL + reverse("marketing:image", args=[block["image"]]),
                alt=_in(language, block["alt_fr"], block.get("alt_en", "")),
                url=tracked(block.get("url", "")),
            )
        elif kind == "events":
            item.update(
                html=mark_safe(  # noqa: S308 - the cards are ours
                    "".join(_why_html(cards_html[i], "") for i in block["ids"] if i in cards_html)
                ),
                text="\n\n".join(_why_text(cards_text[i], "") for i in block["ids"] if i in cards_text),
            )
        elif kind == "recommended":
            item["marker"] = marks.add(Slot("picks", count=block["count"]))
        elif kind in ("pass_entries", "membership"):
            item["marker"] = marks.add(Slot("held", name=kind))
        out.append(item)
    return out


def sender_name(campaign: Campaign) -> str:
    return campaign.network.name if campaign.network_id else campaign.organizer.name


def compile_campaign(campaign: Campaign, language: str, *, shows=(), variant: str = "a") -> Compiled:
    """`shows`: the coming shows the recommendation blocks pick from (`picks.coming_shows`); `variant`:
    the A/B test's version ("b": the campaign's subject B and text B, where it has them)."""
    language = language if language in dict(settings.LANGUAGES) else "fr"
    event_ids = {i for b in campaign.blocks if b["type"] == "events" for i in b["ids"]}
    if any(b["type"] == "recommended" for b in campaign.blocks):
        event_ids |= {show.event_id for show in shows}
    marks = _Marks()
    with translation.override(language):
        targets: dict[str, str] = {}
        cards_html, cards_text = cards(event_ids, language, targets) if event_ids else ({}, {})
        if variant == "b" and campaign.ab_subject_fr:
            subject = marks.tokens(_in(language, campaign.ab_subject_fr, campaign.ab_subject_en))
        else:
            subject = marks.tokens(_in(language, campaign.subject_fr, campaign.subject_en))
        context = {
            "campaign": campaign,
            "language": language,
            "sender": sender_name(campaign),
            "owner": campaign.organizer or campaign.network,
            "address": campaign.organizer.address if campaign.organizer_id else "",
            "preheader": marks.tokens(_in(language, campaign.preheader_fr, campaign.preheader_en)),
            "blocks": _blocks_out(
                campaign, _variant_blocks(campaign, variant), language, marks, cards_html, cards_text, targets
            ),
            "unsubscribe": marks.add(Slot("url", name="unsubscribe")),
            "preferences": marks.add(Slot("url", name="preferences")),
            "opened": marks.add(Slot("url", name="opened")),
            "purpose": campaign.get_purpose_display(),
        }
        source = render_to_string("marketing/email/campaign.mjml", context)
        text = render_to_string("marketing/email/campaign.txt", context)
    page = _INLINER.inline(mrml.to_html(source, render_options=_MRML_OPTIONS).content)
    picks = [slot.count for slot in marks.slots if slot.kind == "picks"]
    return Compiled(
        language=language,
        slots=marks.slots,
        subject=MARKER.split(subject),
        html=MARKER.split(page),
        text=MARKER.split(text),
        cards_html=cards_html,
        cards_text=cards_text,
        targets=targets,
        picks_count=max(picks, default=0),
    )


def _value(slot: Slot, person: Person, compiled: Compiled, *, as_html: bool) -> str:
    if slot.kind == "token":
        value = getattr(person, slot.token.field, "") or slot.token.fallback
        return html.escape(value) if as_html else value
    if slot.kind == "url":
        value = person.urls.get(slot.name, "")
        return html.escape(value) if as_html else value
    if slot.kind == "held":
        fragment_html, fragment_text = person.held.get(slot.name, ("", ""))
        return fragment_html if as_html else fragment_text
    picked = person.picks[: slot.count]
    if as_html:
        return "".join(_why_html(compiled.cards_html.get(i, ""), person.reasons.get(i, "")) for i in picked)
    return "\n\n".join(
        _why_text(compiled.cards_text[i], person.reasons.get(i, ""))
        for i in picked
        if i in compiled.cards_text
    )


def _why_html(card: str, reason: str) -> str:
    said = f'<br><em style="color:#555">{html.escape(reason)}</em>' if reason else ""
    return card.replace(WHY, said)


def _why_text(card: str, reason: str) -> str:
    return card.replace(WHY, f"\n{reason}" if reason else "")


def _fill(parts: list[str], compiled: Compiled, person: Person, *, as_html: bool) -> str:
    out = parts[:]
    for position in range(1, len(out), 2):
        out[position] = _value(compiled.slots[int(out[position])], person, compiled, as_html=as_html)
    return "".join(out)


def _links(value: str, compiled: Compiled, person: Person) -> str:
    click = person.urls.get("click")
    if click:
        return value.replace(CLICK, click)
    return _TRACKED.sub(lambda m: compiled.targets.get(m.group(1), "#"), value)  # a preview: the targets


def personalise(compiled: Compiled, person: Person) -> Message:
    return Message(
        subject=" ".join(_fill(compiled.subject, compiled, person, as_html=False).split()),
        html=_links(_fill(compiled.html, compiled, person, as_html=True), compiled, person),
        text=_links(_fill(compiled.text, compiled, person, as_html=False), compiled, person),
    )
