"""Segments: rules that staff assemble, compiled to one SQL query over the contacts.

A definition is JSON:
    {"op": "and" | "or", "groups": [{"op": "and" | "or", "rules": [rule, ...]}, ...]}
    rule = {"field": "<name>", "value": ..., "not": false}
Every rule becomes a condition on the contact (EXISTS, or IN over an aggregate with HAVING), so that a
segment's count or its members are one statement the database plans as a whole: no contact is loaded
into Python to be filtered.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parvis.programming.models import Genre

from .extensions import rule_kinds
from .models import Consent, Contact, Interaction, Purpose, Segment

RFM_GROUPS = {
    "champions": _("Fidèles enthousiastes"),
    "loyal": _("Fidèles"),
    "new": _("Nouveaux"),
    "at_risk": _("À relancer"),
    "lost": _("Perdus de vue"),
    "other": _("Autres"),
}

# field: (label, kind of value). Kinds drive the builder's inputs and the validation.
FIELDS = {
    "attended_genre": (_("A assisté à un genre"), "genre"),
    "attended_venue": (_("Est venu dans un lieu"), "venue"),
    "attended_event": (_("A assisté à un événement"), "event"),
    "attended_since": (_("Venu depuis le"), "date"),
    "visits_at_least": (_("Nombre de venues au moins"), "int"),
    "visits_at_most": (_("Nombre de venues au plus"), "int"),
    "spend_at_least": (_("Dépense totale au moins (€)"), "money"),
    "last_visit_before": (_("Dernière venue avant le"), "date"),
    "last_visit_after": (_("Dernière venue après le"), "date"),
    "consent": (_("A consenti à"), "purpose"),
    "departement": (_("Département"), "text"),
    "town": (_("Commune"), "text"),
    "age_at_least": (_("Âge au moins"), "int"),
    "age_at_most": (_("Âge au plus"), "int"),
    "tag": (_("Étiquette"), "tag"),
    "in_household": (_("Fait partie d'un foyer"), "bool"),
    "rfm_group": (_("Groupe RFM"), "rfm"),
    "in_segment": (_("Fait partie du segment"), "segment"),
}
CHOICES = {
    "genre": Genre.choices,
    "purpose": Purpose.choices,
    "rfm": list(RFM_GROUPS.items()),
    "bool": [("yes", _("oui"))],
}


def all_fields() -> dict:
    """field: (label, kind of value), the CRM's own and those registered."""
    return {**FIELDS, **{name: (kind.label, kind.value_kind) for name, kind in rule_kinds.items()}}


def all_choices() -> dict:
    return {**CHOICES, **{kind.value_kind: kind.choices for kind in rule_kinds if kind.choices}}


class InvalidDefinition(ValueError):
    pass


def _date(value) -> datetime.datetime:
    try:
        day = datetime.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidDefinition(f"not a date: {value!r}") from None
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidDefinition(f"not a number: {value!r}") from None


def _attendance(organizer) -> "Interaction.objects":
    return Interaction.objects.filter(organizer=organizer, kind=Interaction.Kind.ATTENDANCE)


def _visits_at_least(organizer, value) -> Q:
    n = _int(value)
    # "At least 0" is everyone: a true condition (not an empty Q, whose negation would also be true).
    # "At least n" is "an n-th visit exists" (OFFSET n-1 LIMIT 1): the database looks at the contacts the
    # other rules keep, a few index rows each, instead of counting every visit of every contact.
    if n <= 0:
        return Q(pk__isnull=False)
    return Q(Exists(_attendance(organizer).filter(contact=OuterRef("pk")).order_by()[n - 1 : n]))


def _visits_at_most(organizer, value) -> Q:
    n = _int(value)  # "at most n": no (n+1)-th visit; below zero, nobody
    if n < 0:
        return Q(pk__isnull=True)
    return ~Q(Exists(_attendance(organizer).filter(contact=OuterRef("pk")).order_by()[n : n + 1]))


def _spend_at_least(organizer, value) -> Q:
    try:
        amount = Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        raise InvalidDefinition(f"not an amount: {value!r}") from None
    return Q(pk__in=_net_spend(organizer, amount))


def _last_visit_before(organizer, value) -> Q:  # came, and not since that date
    visits = _attendance(organizer)
    since = visits.filter(contact=OuterRef("pk"), occurred_at__gte=_date(value))
    return Q(Exists(visits.filter(contact=OuterRef("pk")))) & ~Q(Exists(since))


def _consent(organizer, value) -> Q:
    if value not in Purpose.values:
        raise InvalidDefinition(f"unknown purpose {value!r}")
    latest = Consent.objects.filter(contact=OuterRef("pk"), purpose=value, channel="email").order_by(
        "-at", "-pk"
    )
    # The latest answer, read on the contact itself (no second pass over contacts); none is "no".
    given = Coalesce(Subquery(latest.values("given")[:1]), Value(False), output_field=BooleanField())
    return Q(given)


def _departement(organizer, value) -> Q:
    return Q(departement__in=[part.strip().upper() for part in str(value).split(",") if part.strip()])


def _tag(organizer, value) -> Q:
    return Q(Exists(Contact.tags.through.objects.filter(contact=OuterRef("pk"), tag_id=_int(value))))


def _attended(organizer, **lookup) -> Q:
    return Q(Exists(_attendance(organizer).filter(contact=OuterRef("pk"), **lookup)))


# The CRM's own rules: field -> (organizer, value) -> Q on Contact.
_RULES: dict[str, Callable] = {
    "attended_genre": lambda o, v: _attended(o, performance__event__genre=v),
    "attended_venue": lambda o, v: _attended(o, venue_id=_int(v)),
    "attended_event": lambda o, v: _attended(o, performance__event_id=_int(v)),
    "attended_since": lambda o, v: _attended(o, occurred_at__gte=_date(v)),
    "visits_at_least": _visits_at_least,
    "visits_at_most": _visits_at_most,
    "spend_at_least": _spend_at_least,
    "last_visit_before": _last_visit_before,
    "last_visit_after": lambda o, v: _attended(o, occurred_at__gte=_date(v)),
    "consent": _consent,
    "departement": lambda o, v: Q(
        departement__in=[p.strip().upper() for p in str(v).split(",") if p.strip()]
    ),
    "town": lambda o, v: Q(town__iexact=str(v).strip()),
    "age_at_least": lambda o, v: Q(birth_year__lte=timezone.localdate().year - _int(v)),
    "age_at_most": lambda o, v: Q(birth_year__gte=timezone.localdate().year - _int(v)),
    "tag": lambda o, v: Q(
        Exists(Contact.tags.through.objects.filter(contact=OuterRef("pk"), tag_id=_int(v)))
    ),
    "in_household": lambda o, v: Q(household__isnull=False),
    "rfm_group": lambda o, v: Q(rfm_group=v),
}


def _in_segment(organizer, value, seen: frozenset[int]) -> Q:
    segment_id = _int(value)
    if segment_id in seen:
        raise InvalidDefinition("a segment cannot include itself")
    segment = Segment.objects.filter(organizer=organizer, pk=segment_id).first()
    if segment is None:
        raise InvalidDefinition(f"unknown segment {value!r}")
    return Q(pk__in=members(segment, seen=seen | {segment_id}).values("pk"))


def _rule(organizer, rule: dict, seen: frozenset[int]) -> Q:
    field, value = rule.get("field"), rule.get("value")
    if not isinstance(field, str):
        raise InvalidDefinition(f"unknown field {field!r}")
    registered = rule_kinds.get(field)
    if field == "in_segment":
        q = _in_segment(organizer, value, seen)
    elif field in _RULES:
        q = _RULES[field](organizer, value)
    elif registered is not None:  # an app's own facts: tickets of a tariff, a valid member card…
        q = registered.condition(organizer, value)
    else:
        raise InvalidDefinition(f"unknown field {field!r}")
    return ~q if rule.get("not") else q


def _net_spend(organizer, amount: Decimal):
    signed = Case(
        When(kind="refund", then=-F("amount")),
        default=F("amount"),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )
    return (
        Interaction.objects.filter(organizer=organizer, kind__in=["order", "refund"])
        .values("contact")
        .annotate(net=Sum(signed, default=Value(Decimal(0))))
        .filter(net__gte=amount)
        .values("contact")
    )


def compile_definition(organizer, definition: dict, *, seen: frozenset[int] = frozenset()) -> Q:
    """The definition as one condition on contacts."""
    groups = definition.get("groups") or []
    parts = []
    for group in groups:
        rules = [_rule(organizer, rule, seen) for rule in group.get("rules", [])]
        if not rules:
            continue
        combined = rules[0]
        for q in rules[1:]:
            combined = (combined | q) if group.get("op") == "or" else (combined & q)
        parts.append(combined)
    if not parts:
        return Q()
    result = parts[0]
    for q in parts[1:]:
        result = (result | q) if definition.get("op") == "or" else (result & q)
    return result


def contacts_of(organizer, definition: dict, *, seen: frozenset[int] = frozenset()):
    return Contact.objects.filter(
        compile_definition(organizer, definition, seen=seen),
        organizer=organizer,
        merged_into__isnull=True,
        anonymised_at__isnull=True,
    )


def members(segment: Segment, *, seen: frozenset[int] = frozenset()):
    if segment.kind == Segment.Kind.STATIC:
        return segment.members.filter(merged_into__isnull=True, anonymised_at__isnull=True)
    return contacts_of(segment.organizer, segment.definition, seen=seen | {segment.pk})
