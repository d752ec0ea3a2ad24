"""The audit log: every staff write records who, when, what, before and after."""

import datetime
import decimal
import uuid
from typing import Any

from django.db import models, transaction
from django.db.models.fields.files import FieldFile

from .compiled import insert
from .models import AuditLogEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def snapshot(instance: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The concrete field values of one row, as JSON-friendly data (foreign keys as ids)."""
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude:
            continue
        data[field.attname] = _jsonable(getattr(instance, field.attname))
    return data


def audit_record(
    *,
    actor,
    action: str,
    instance: models.Model,
    before: dict | None = None,
    after: dict | None = None,
    organizer=None,
    organizer_id=None,
    network=None,
    request=None,
    label: str = "",
) -> AuditLogEntry:
    actor_label = ""
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_label = actor.get_username()
    else:
        actor = None
    return insert(
        AuditLogEntry(
            actor=actor,
            actor_label=actor_label or "système",
            organizer_id=organizer_id if organizer is None else organizer.pk,
            network=network,
            action=action,
            object_type=instance._meta.label_lower,
            object_id=str(instance.pk),
            object_repr=(label or str(instance))[:200],
            before=before,
            after=after,
            ip_address=(request.META.get("REMOTE_ADDR") if request is not None else None),
        )
    )


def audited_update(
    *,
    actor,
    instance: models.Model,
    data: dict,
    action: str,
    organizer=None,
    request=None,
    validate_unique: bool = True,
):
    """Set fields, validate, save and record before/after in one transaction. Nothing is written on error."""

    with transaction.atomic():
        before = snapshot(instance)
        for name, value in data.items():
            setattr(instance, name, value)
        instance.full_clean(validate_unique=validate_unique)
        instance.save()
        audit_record(
            actor=actor,
            action=action,
            instance=instance,
            before=before,
            after=snapshot(instance),
            organizer=organizer,
            request=request,
        )
    return instance
