"""What the CRM lets the apps above it plug in (docs/adr/0005): the CRM is below the ticketing (an order
resolves its buyer's contact here), so the facts other apps hold about a person reach it through these.

- `personal_data`: an app that keeps personal data tied to a contact (orders, tickets, …) registers a
  `PersonalDataHolder`: its part of the person's access export, its part of an erasure, and the rows that
  move with the contact when two profiles are merged.
- `rule_kinds`: the conditions an app offers the segment builder (`segments` compiles them).
- `contact_notices`: what an app above has to say on a contact's page (its address no longer written to).
"""

from collections.abc import Callable
from dataclasses import dataclass

from parvis.core.registry import Registry


class PersonalDataHolder:
    #: (name, model, field): rows whose `field` points to the contact; they move when contacts are merged
    owned: tuple = ()

    def export(self, contact) -> dict:
        """Sections of the person's access export (JSON-ready values)."""
        return {}

    def erase(self, contact) -> dict:
        """Anonymise what this app holds of the person (in the caller's transaction); what to say in the
        erasure's audit entry (counts, never the person's data). Called before the CRM forgets the
        contact's identifiers: `contact_emails(contact)` still gives every address."""
        return {}

    def about(self, contact) -> list[tuple[str, object]]:
        """The rows about the person, as (model label, ids): their audit entries are pseudonymised at
        the erasure. By default, the `owned` rows."""
        return [
            (model._meta.label_lower, model.objects.filter(**{field: contact}).values_list("pk", flat=True))
            for _, model, field in self.owned
        ]


def contact_emails(contact) -> list[str]:
    """Every address the organizer knows for the person: the main one and each identifier."""
    emails = {contact.email.lower()} if contact.email else set()
    emails.update(contact.identifiers.filter(kind="email").values_list("value", flat=True))
    return sorted(emails)


personal_data: Registry[PersonalDataHolder] = Registry("holders of personal data")


def owned_relations() -> tuple:
    """Every (name, model, field) registered as moving with a contact."""
    return tuple(relation for holder in personal_data for relation in holder.owned)


@dataclass(frozen=True)
class RuleKind:
    """A condition on contacts that an app above the CRM offers the segment builder (tickets of a tariff,
    a valid member card…): registered in its `AppConfig.ready()` as `rule_kinds.register(field, kind)`."""

    label: str
    value_kind: str  # drives the builder's input: "bool", "date", "int", or a kind of its own with `choices`
    condition: Callable  # (organizer, value) -> Q on Contact
    choices: list | None = None


rule_kinds: Registry[RuleKind] = Registry("segment rules")


class ContactNotices:
    """Short sentences an app above the CRM shows on a contact's staff page, about that person."""

    def notices(self, contact) -> list[str]:
        return []


contact_notices: Registry[ContactNotices] = Registry("notices on a contact's page")


def notices_of(contact) -> list[str]:
    return [notice for provider in contact_notices for notice in provider.notices(contact)]
