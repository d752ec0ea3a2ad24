"""The audit log in the staff's words: field names, choices, amounts, dates and codes as people read them.

The audit log keeps raw values (ids, codes, ISO dates) for precision; this module says them. A field is
named by its model's `verbose_name` (the entry's `object_type` is the model's label); the values a model
cannot describe (means of payment, states of an order, a figure an action adds such as "dates") come
from the `AuditWords` that apps register in their `AppConfig.ready()` (docs/adr/0005).
"""

import datetime
import decimal

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .money import Money, format_money
from .registry import Registry


class AuditWords:
    """What an app says of the keys and values its audit entries carry, where its models cannot."""

    fields: dict = {}
    # Codes said as words wherever they appear as a value or as a key (e.g. means of payment).
    codes: dict = {}

    def value(self, name: str, value, entry) -> str | None:
        """A value in words, or None to let the generic reading say it."""
        return None


words: Registry[AuditWords] = Registry("words of the audit log")

# Keys that actions add beside the model's fields.
GENERIC_FIELDS = {
    "dates": gettext_lazy("dates concernées"),
    "from": gettext_lazy("copie de"),
    "slots": gettext_lazy("créneaux"),
    "every_minutes": gettext_lazy("durée d'un créneau (minutes)"),
    "tariffs": gettext_lazy("tarifs"),
    "reason": gettext_lazy("motif"),
    "total": gettext_lazy("total"),
    "methods": gettext_lazy("règlement"),
    "entry": gettext_lazy("écriture du journal de caisse n°"),
    "role": gettext_lazy("rôle"),
    "email": gettext_lazy("e-mail"),
}
MONEY_FIELDS = {"price", "total", "refunded", "fee_per_ticket", "amount", "value", "balance"}
# Dictionaries of amounts (e.g. by means of payment).
MONEY_MAPS = {"methods", "counted", "expected", "difference"}


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(object_type: str, name: str):
    model = _model(object_type)
    if model is None:
        return None
    try:
        field = model._meta.get_field(name.removesuffix("_id"))
    except FieldDoesNotExist:
        return None
    return None if field.auto_created and not field.concrete else field  # not a reverse relation


def object_type_label(object_type: str) -> str:
    model = _model(object_type)
    return str(model._meta.verbose_name).capitalize() if model else object_type


def field_label(object_type: str, name: str) -> str:
    for said in words:
        if name in said.fields:
            return str(said.fields[name])
    field = _field(object_type, name)
    if field is not None and not field.auto_created:
        return str(field.verbose_name)
    return str(GENERIC_FIELDS.get(name, name.replace("_", " ")))


def _code(value: str) -> str | None:
    for said in words:
        if value in said.codes:
            return str(said.codes[value])
    return None


def _when(value: str) -> str | None:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if timezone.is_aware(moment):
        return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
    if len(value) == 10:
        return formats.date_format(moment.date(), "SHORT_DATE_FORMAT")
    return None


def value_text(entry, name: str, value) -> str:
    """One value of an entry, said."""
    if value is None or value == "":
        return "—"
    for said in words:
        text = said.value(name, value, entry)
        if text is not None:
            return text
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, list):
        return ", ".join(value_text(entry, name, v) for v in value) or "—"
    if isinstance(value, dict):
        return " ; ".join(
            f"{_code(str(k)) or field_label(entry.object_type, str(k))} : "
            f"{value_text(entry, 'amount' if name in MONEY_MAPS else str(k), v)}"
            for k, v in value.items()
        )
    field = _field(entry.object_type, name)
    choices = dict(field.flatchoices) if field is not None and field.choices else {}
    if choices:
        key = decimal.Decimal(value) if isinstance(field, models.DecimalField) else value
        if key in choices:
            return str(choices[key])
    if isinstance(value, str):
        known = _code(value)
        if known is not None:
            return known
        when = _when(value) if len(value) >= 10 and value[4:5] == "-" else None
        if when is not None:
            return when
        if name in MONEY_FIELDS:
            currency = (entry.after or {}).get("currency") or (entry.before or {}).get("currency") or "EUR"
            try:
                return format_money(Money(decimal.Decimal(value), currency))
            except (decimal.InvalidOperation, ValueError):
                return value
    return str(value)


def entry_changes(entry, *, skip_empty: bool = False) -> list[tuple[str, str, str]]:
    """What an entry changed, in words: (field, before, after); `skip_empty` leaves out what became empty."""
    return [
        (
            field_label(entry.object_type, name),
            value_text(entry, name, before),
            value_text(entry, name, after),
        )
        for name, before, after in entry.changed_fields()
        if not (skip_empty and after in (None, "", []))
    ]


def changes_text(entry) -> str:
    """An entry's changes on one line (the CSV export)."""
    return " | ".join(
        f"{label} : {before} → {after}" if before != "—" else f"{label} : {after}"
        for label, before, after in entry_changes(entry)
    )
