import re
from decimal import Decimal

from django import template
from django.utils import formats, translation
from django.utils.html import format_html

from parvis.core.money import Money, format_money
from parvis.core.text import of_name

register = template.Library()


@register.filter
def money(amount, currency="EUR"):
    if amount is None or amount == "":
        return ""
    return format_money(Money(Decimal(amount), currency))


@register.filter
def localtime_in(value, tz):
    """A datetime shown in a venue's time zone."""
    return value.astimezone(tz) if value else value


@register.simple_tag
def local_date(value, fmt="l j F Y, H:i"):
    """A date with its weekday, formatted per language: "vendredi 27 novembre 2026, 20:30"."""
    return formats.date_format(value, fmt, use_l10n=True)


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs):
    """The current query string with some parameters replaced (pagination links keep the filters)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode() if params else "?"


@register.simple_tag
def current_language():
    return translation.get_language()


@register.filter
def make_list_range(value):
    """range(value) for templates: {% for n in 5|make_list_range %} → 0..4."""
    try:
        return range(int(value))
    except (TypeError, ValueError):
        return range(0)


@register.filter(name="of_name")
def of_name_filter(name: str) -> str:
    """{{ organizer.name|of_name }}: "du Caveau", "de L'Arbre" in French (core.text.of_name)."""
    return of_name(name)


@register.simple_tag
def colour_dot(colour: str, size: int = 14):
    """A category's colour as a dot: an SVG `fill` (a presentation attribute), which the pages' Content
    Security Policy allows where it refuses an inline `style`. Decorative: the name beside it says."""
    colour = colour if re.fullmatch(r"#[0-9A-Fa-f]{3,8}", colour or "") else "#888888"
    half = size / 2
    return format_html(
        '<svg class="dot" width="{}" height="{}" viewBox="0 0 {} {}" aria-hidden="true" focusable="false">'
        '<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="#222" stroke-width="1"/></svg>',
        size, size, size, size, half, half, half - 1, colour,
    )  # fmt: skip
