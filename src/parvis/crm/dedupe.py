"""Probable duplicates (same person, different e-mails or typos), merges, and undoing a wrong merge.

Suggestions never compare every pair: contacts are grouped by blocking keys computed in SQL (same phone,
same folded full name, same last name and postcode, same e-mail local part, same household), and only
pairs inside a group are scored. A score says how sure; the reasons say why, for the person who decides.
"""

import difflib
from collections import defaultdict
from itertools import combinations

from django.db import transaction
from django.db.models import Case, Count, Q, Value, When
from django.db.models.functions import Concat, Lower, StrIndex, Substr
from django.utils import timezone

from parvis.core import changes
from parvis.core.audit import audit_record
from parvis.core.text import fold

from . import extensions, network_profiles, services
from .models import (
    Affiliation,
    Consent,
    Contact,
    DuplicateCandidate,
    Identifier,
    Interaction,
    Merge,
    PrivacyRequest,
)

MAX_BLOCK = 30  # a block this big ("Martin" in Paris) says nothing about two people being one
MIN_SCORE = 40  # the same full name alone (45) is worth a look; different names never are
FILLABLE = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "postal_code",
    "departement",
    "town",
    "address",
    "birth_year",
    "household_id",
)


def _similar(a: str, b: str) -> float:
    a, b = fold(a), fold(b)
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def _score(a: dict, b: dict) -> tuple[int, list[str]]:
    reasons, score = [], 0
    name = _similar(f"{a['first_name']} {a['last_name']}", f"{b['first_name']} {b['last_name']}")
    if name >= 0.999:
        score += 45
        reasons.append("same_name")
    elif name >= 0.85:
        score += 30
        reasons.append("similar_name")
    if a["phone"] and a["phone"] == b["phone"]:
        score += 45
        reasons.append("same_phone")
    if a["postal_code"] and a["postal_code"] == b["postal_code"]:
        score += 15
        reasons.append("same_postcode")
    if a["household_id"] and a["household_id"] == b["household_id"]:
        score += 10
        reasons.append("same_household")
    local_a, _, domain_a = a["email"].partition("@")
    local_b, _, domain_b = b["email"].partition("@")
    if local_a and local_a == local_b:
        score += 30
        reasons.append("same_email_name")
    elif local_a and local_b and _similar(a["email"], b["email"]) >= 0.9:
        score += 25
        reasons.append("similar_email")
    if name < 0.5 and "same_phone" not in reasons:  # different names: a household or a shared address
        score = min(score, 30)
    return min(score, 100), reasons


def _blocks(contacts) -> list[list[int]]:
    blocks = []
    for key in ("phone", "email_local", "name_key", "last_postcode"):
        keyed = (
            contacts.exclude(**{key: ""})
            .values(key)
            .annotate(n=Count("pk"))
            .filter(n__gt=1, n__lte=MAX_BLOCK)
        )
        values = [row[key] for row in keyed]
        if not values:
            continue
        groups = defaultdict(list)
        for pk, value in contacts.filter(**{f"{key}__in": values}).values_list("pk", key):
            groups[value].append(pk)
        blocks.extend(groups.values())
    households = (
        contacts.exclude(household=None)
        .values("household")
        .annotate(n=Count("pk"))
        .filter(n__gt=1, n__lte=MAX_BLOCK)
    )
    for row in households:
        blocks.append(list(contacts.filter(household=row["household"]).values_list("pk", flat=True)))
    return blocks


def duplicates_refresh(organizer) -> int:
    """Find the probable duplicates of an organizer's contacts; returns how many pairs are suggested."""
    contacts = Contact.objects.filter(
        organizer=organizer, merged_into__isnull=True, anonymised_at__isnull=True
    ).annotate(
        email_local=Case(
            When(email="", then=Value("")),
            default=Lower(Substr("email", 1, StrIndex("email", Value("@")) - 1)),
        ),
        last_postcode=Case(
            When(Q(postal_code="") | Q(last_name=""), then=Value("")),
            default=Concat(Lower("last_name"), Value("|"), "postal_code"),
        ),
    )
    pairs = set()
    for block in _blocks(contacts):
        pairs.update(tuple(sorted(p)) for p in combinations(block, 2))
    fields = ("pk", "first_name", "last_name", "email", "phone", "postal_code", "household_id")
    rows = {
        r["pk"]: r for r in Contact.objects.filter(pk__in={p for pair in pairs for p in pair}).values(*fields)
    }
    dismissed = set(
        DuplicateCandidate.objects.filter(organizer=organizer, dismissed_at__isnull=False).values_list(
            "first_id", "second_id"
        )
    )
    found = []
    for first, second in pairs:
        if (first, second) in dismissed:
            continue
        score, reasons = _score(rows[first], rows[second])
        if score >= MIN_SCORE:
            found.append(
                DuplicateCandidate(
                    organizer=organizer, first_id=first, second_id=second, score=score, reasons=reasons
                )
            )
    # One upsert per batch (a pair found again gets its new score), not one round trip per pair.
    DuplicateCandidate.objects.bulk_create(
        found,
        batch_size=5000,
        update_conflicts=True,
        unique_fields=["first", "second"],
        update_fields=["score", "reasons", "found_at"],
    )
    return len(found)


def dismiss(*, candidate: DuplicateCandidate, actor) -> None:
    DuplicateCandidate.objects.filter(pk=candidate.pk).update(dismissed_at=timezone.now(), dismissed_by=actor)


# What belongs to a contact and moves with a merge: model, field (the apps above add theirs: its orders…).
_OWN = (
    ("interactions", Interaction, "contact"),
    ("consents", Consent, "contact"),
    ("identifiers", Identifier, "contact"),
    ("affiliations", Affiliation, "contact"),
    ("privacy_requests", PrivacyRequest, "contact"),
)


def _owned() -> tuple:
    return extensions.owned_relations() + _OWN


def contacts_merge(*, survivor: Contact, merged: Contact, actor=None) -> Merge:
    """Everything of `merged` moves to `survivor`, which keeps its own values and gains the missing ones."""
    if survivor.pk == merged.pk or survivor.organizer_id != merged.organizer_id:
        raise ValueError("a contact is merged into another contact of the same organizer")
    with transaction.atomic():
        survivor = Contact.objects.select_for_update().get(pk=survivor.pk)
        merged = Contact.objects.select_for_update().get(pk=merged.pk)
        if not (survivor.is_active and merged.is_active):
            raise ValueError("only active contacts are merged")
        moved = {}
        for name, model, field in _owned():
            ids = list(model.objects.filter(**{field: merged}).values_list("pk", flat=True))
            if name == "affiliations":  # the survivor may already belong to the same organisation
                taken = set(survivor.affiliations.values_list("organisation_id", flat=True))
                ids = list(
                    model.objects.filter(pk__in=ids)
                    .exclude(organisation_id__in=taken)
                    .values_list("pk", flat=True)
                )
            model.objects.filter(pk__in=ids).update(**{field: survivor})
            moved[name] = ids
        filled = {}
        for field in FILLABLE:
            if not getattr(survivor, field) and getattr(merged, field):
                filled[field] = getattr(merged, field)
                setattr(survivor, field, getattr(merged, field))
        survivor.save()
        new_tags = list(merged.tags.exclude(pk__in=survivor.tags.all()).values_list("pk", flat=True))
        survivor.tags.add(*new_tags)
        moved["fields"], moved["tags"] = filled, new_tags
        Contact.objects.filter(pk=merged.pk).update(merged_into=survivor)
        changes.record(
            "contact.merged", organizer_id=merged.organizer_id, subject="contact", subject_id=merged.pk
        )
        DuplicateCandidate.objects.filter(
            first__in=[survivor, merged], second__in=[survivor, merged]
        ).delete()
        merge = Merge.objects.create(
            organizer_id=survivor.organizer_id,
            survivor=survivor,
            merged=merged,
            moved=moved,
            merged_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        services.interaction_record(
            contact=survivor,
            organizer_id=survivor.organizer_id,
            kind=Interaction.Kind.MERGE,
            summary=merged.display_name,
            ref=f"merge:{merge.pk}",
            author=actor,
        )
        audit_record(
            actor=actor,
            action="crm.merge",
            instance=survivor,
            organizer_id=survivor.organizer_id,
            after={"merged": merged.pk, "moved": {k: len(v) for k, v in moved.items()}},
        )
        network_profiles.contact_unlink(merged)
        network_profiles.contact_sync(survivor)  # with the consents and addresses it gained
    return merge


def merge_undo(*, merge: Merge, actor=None) -> Contact:
    """Give back to the merged contact what was moved, and take back what the survivor gained from it.

    What happened to the survivor after the merge (a new order, say) stays with the survivor.
    """
    with transaction.atomic():
        merge = Merge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone_at:
            raise ValueError("this merge was already undone")
        survivor, merged = merge.survivor, merge.merged
        for name, model, field in _owned():
            model.objects.filter(pk__in=merge.moved.get(name, []), **{field: survivor}).update(
                **{field: merged}
            )
        fields = merge.moved.get("fields", {})
        for field, value in fields.items():
            if getattr(survivor, field) == value:
                setattr(survivor, field, "" if field not in ("birth_year", "household_id") else None)
        survivor.save()
        survivor.tags.remove(*merge.moved.get("tags", []))
        Contact.objects.filter(pk=merged.pk).update(merged_into=None)
        for contact in (survivor, merged):  # both changed: their orders, fields and rollups
            changes.record(
                "contact.updated", organizer_id=contact.organizer_id, subject="contact", subject_id=contact.pk
            )
        services.interactions_delete(
            Interaction.objects.filter(contact=survivor, kind=Interaction.Kind.MERGE, ref=f"merge:{merge.pk}")
        )
        Merge.objects.filter(pk=merge.pk).update(
            undone_at=timezone.now(), undone_by=actor if getattr(actor, "is_authenticated", False) else None
        )
        audit_record(
            actor=actor,
            action="crm.merge_undo",
            instance=survivor,
            organizer_id=survivor.organizer_id,
            after={"restored": merged.pk},
        )
        network_profiles.contact_sync(survivor)
        network_profiles.contact_sync(merged)
    merged.refresh_from_db()
    return merged
