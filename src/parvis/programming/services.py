"""Writes to the programming: events, performances, publication, curation. Each write is audited."""

import datetime
import zoneinfo
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from parvis.core import changes
from parvis.core.audit import audit_record, audited_update, snapshot
from parvis.network.models import Network, Organizer, Space, Venue

from . import extensions
from .models import Event, EventStatus, FeaturedEvent, Festival, Performance, PerformanceStatus

MAX_RECURRING_DATES = 400


def _unique_event_slug(organizer: Organizer, title: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:100] or "evenement"
    slug, n = base, 2
    existing = Event.objects.filter(organizer=organizer)
    if exclude_pk:
        existing = existing.exclude(pk=exclude_pk)
    taken = set(existing.filter(slug__startswith=base).values_list("slug", flat=True))
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def event_create(*, actor, organizer: Organizer, data: dict, request=None) -> Event:
    with transaction.atomic():
        event = Event(organizer=organizer, **data)
        event.slug = data.get("slug") or _unique_event_slug(organizer, event.title)
        event.full_clean()
        event.save()
        audit_record(
            actor=actor,
            action="event.create",
            instance=event,
            after=snapshot(event),
            organizer=organizer,
            request=request,
        )
    return event


def event_update(*, actor, event: Event, data: dict, request=None) -> Event:
    return audited_update(
        actor=actor,
        instance=event,
        data=data,
        action="event.update",
        organizer=event.organizer,
        request=request,
    )


def event_set_status(*, actor, event: Event, status: str, request=None) -> Event:
    if status not in EventStatus.values:
        raise ValidationError(_("État inconnu."))
    if status == EventStatus.PUBLISHED and not event.performances.exists():
        raise ValidationError(_("Ajoutez au moins une date avant de publier."))
    was = event.status
    with transaction.atomic():
        event = event_update(actor=actor, event=event, data={"status": status}, request=request)
        if status == EventStatus.PUBLISHED and was != EventStatus.PUBLISHED:
            for follower in extensions.dates:
                follower.event_published(event, actor=actor, request=request)
    return event


def _aware(day: datetime.date, time: datetime.time, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    # fold=0: an ambiguous local time (the autumn change) is the first of the two; a time that does not
    # exist (the spring change) is normalised forward by the round trip through UTC.
    local = datetime.datetime.combine(day, time, tzinfo=tz)
    return local.astimezone(datetime.UTC).astimezone(tz)


def recurring_dates(
    *,
    date_from: datetime.date,
    date_to: datetime.date,
    weekdays: Iterable[int],
    times: Iterable[datetime.time],
) -> list[tuple[datetime.date, datetime.time]]:
    """Every (day, time) between two dates on the given weekdays (0 = Monday)."""
    if date_to < date_from:
        raise ValidationError(_("La date de fin doit suivre la date de début."))
    weekdays, times = set(weekdays), sorted(set(times))
    if not weekdays:
        raise ValidationError(_("Choisissez au moins un jour de la semaine."))
    if not times:
        raise ValidationError(_("Indiquez au moins une heure."))
    out = []
    day = date_from
    while day <= date_to:
        if day.weekday() in weekdays:
            out.extend((day, t) for t in times)
            if len(out) > MAX_RECURRING_DATES:
                raise ValidationError(
                    _("Trop de dates d'un coup (%(max)d au plus).") % {"max": MAX_RECURRING_DATES}
                )
        day += datetime.timedelta(days=1)
    return out


def performances_create(
    *,
    actor,
    event: Event,
    venue: Venue,
    space: Space | None,
    dates: list[tuple[datetime.date, datetime.time]],
    duration: datetime.timedelta | None = None,
    status: str = PerformanceStatus.PUBLISHED,
    capacity: int | None = None,
    request=None,
) -> list[Performance]:
    """Create performances at local times of the venue; dates already present are skipped."""
    if venue.organizer_id != event.organizer_id:
        raise ValidationError(_("Ce lieu n'appartient pas à la structure."))
    if space is not None and space.venue_id != venue.pk:
        raise ValidationError(_("Cette salle n'est pas dans ce lieu."))
    if not dates:
        raise ValidationError(_("Aucune date à créer."))
    tz = venue.tzinfo
    created = []
    with transaction.atomic():
        existing = set(
            Performance.objects.filter(event=event, venue=venue).values_list("starts_at", flat=True)
        )
        for day, time in dates:
            starts_at = _aware(day, time, tz)
            if starts_at in existing:
                continue
            performance = Performance(
                event=event,
                organizer=event.organizer,
                venue=venue,
                space=space,
                starts_at=starts_at,
                ends_at=(starts_at + duration) if duration else None,
                status=status,
                capacity=capacity if capacity is not None else (space.capacity if space else venue.capacity),
            )
            performance.full_clean(validate_unique=False)
            created.append(performance)
        try:
            Performance.objects.bulk_create(created)
        except IntegrityError:  # a concurrent request created the same date
            raise ValidationError(_("Une de ces dates existe déjà.")) from None
        for performance in created:
            audit_record(
                actor=actor,
                action="performance.create",
                instance=performance,
                after=snapshot(performance),
                organizer=event.organizer,
                request=request,
            )
        if created:
            for follower in extensions.dates:
                follower.dates_created(created, actor=actor, request=request)
    return created


def performance_duplicate(
    *, actor, source: Performance, day: datetime.date, time: datetime.time, request=None
) -> Performance:
    """A new date like `source` (venue, room, length, doors, capacity, note) on another day or hour;
    the apps above copy what they keep per date (its own tariffs, contingents, sales settings)."""
    if source.status == PerformanceStatus.CANCELLED:
        raise ValidationError(_("Une date annulée ne se duplique pas."))
    with transaction.atomic():
        (copy,) = performances_create(
            actor=actor,
            event=source.event,
            venue=source.venue,
            space=source.space,
            dates=[(day, time)],
            duration=(source.ends_at - source.starts_at) if source.ends_at else None,
            status=source.status,
            capacity=source.capacity,
            request=request,
        ) or (None,)
        if copy is None:
            raise ValidationError(_("Cette date existe déjà."))
        if source.doors_at or source.note:
            copy.doors_at = copy.starts_at - (source.starts_at - source.doors_at) if source.doors_at else None
            copy.note = source.note
            copy.save(update_fields=["doors_at", "note"])
        for follower in extensions.dates:
            follower.date_copied(source, [copy], actor=actor, request=request)
    return copy


# What a copy of an event does not take from the original.
_NOT_COPIED = {"id", "organizer", "slug", "status", "search_text", "created_at", "updated_at"}


def event_duplicate(*, actor, event: Event, request=None) -> Event:
    """A draft copy of an event (texts, image, accessibility, price list), without its dates: the same
    show next season, or on tour."""
    with transaction.atomic():
        copy = Event(organizer=event.organizer, status=EventStatus.DRAFT)
        for field in Event._meta.concrete_fields:
            if field.name not in _NOT_COPIED:
                setattr(copy, field.attname, getattr(event, field.attname))
        copy.title = (_("%(title)s (copie)") % {"title": event.title})[:200]
        copy.slug = _unique_event_slug(event.organizer, copy.title)
        copy.full_clean()
        copy.save()
        audit_record(
            actor=actor,
            action="event.duplicate",
            instance=copy,
            after={"from": event.pk, "title": event.title},
            organizer=event.organizer,
            request=request,
        )
        for follower in extensions.dates:
            follower.event_copied(event, copy, actor=actor, request=request)
    return copy


def performance_update(*, actor, performance: Performance, data: dict, request=None) -> Performance:
    with transaction.atomic():
        changes.record(
            "performance.updated",
            organizer_id=performance.organizer_id,
            subject="performance",
            subject_id=performance.pk,
        )
        return audited_update(
            actor=actor,
            instance=performance,
            data=data,
            action="performance.update",
            organizer=performance.organizer,
            request=request,
            validate_unique=False,
        )


def network_feature_event(*, actor, network: Network, event: Event, featured: bool, request=None) -> None:
    if not event.organizer.network_memberships.filter(network=network).exists():
        raise ValidationError(_("Cet évènement n'est pas d'une structure du réseau."))
    with transaction.atomic():
        if featured:
            feature, created = FeaturedEvent.objects.get_or_create(network=network, event=event)
            if created:
                audit_record(
                    actor=actor,
                    action="network.feature",
                    instance=feature,
                    after={"event": event.pk},
                    network=network,
                    request=request,
                )
        else:
            for feature in FeaturedEvent.objects.filter(network=network, event=event):
                audit_record(
                    actor=actor,
                    action="network.unfeature",
                    instance=feature,
                    before={"event": event.pk},
                    network=network,
                    request=request,
                )
                feature.delete()


def festival_set_selection(*, actor, festival: Festival, events: Iterable[Event], request=None) -> None:
    events = list(events)
    members = set(festival.network.memberships.values_list("organizer_id", flat=True))
    if any(e.organizer_id not in members for e in events):
        raise ValidationError(_("Un évènement choisi n'est pas d'une structure du réseau."))
    with transaction.atomic():
        before = sorted(festival.events.values_list("pk", flat=True))
        festival.events.set(events)
        audit_record(
            actor=actor,
            action="festival.selection",
            instance=festival,
            before={"events": before},
            after={"events": sorted(e.pk for e in events)},
            network=festival.network,
            request=request,
        )
