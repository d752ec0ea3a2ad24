"""Writing a journey by hand: its trigger and entry rule, then its steps one at a time.

A step is added at the end at any time (whoever is still in the journey goes on to it). Removing or
moving a step renumbers the ones after it, so it waits until nobody is in the journey: the people in it
are at a step by its place in the list. Each change is checked under the journey's lock, which the
intake takes too, so nobody enters in between."""

from django.db import transaction
from django.utils.translation import gettext as _

from parvis.core.audit import audit_record
from parvis.crm.models import Purpose

from .journey_forms import MAX_STEPS
from .models import Campaign, Journey, JourneyEntry


class JourneyLocked(Exception):
    """The change would move people to another step: refused while someone is in the journey."""


def journey_save(*, journey: Journey, actor) -> Journey:
    created = journey.pk is None
    with transaction.atomic():
        journey.save()
        audit_record(
            actor=actor,
            action="journey.create" if created else "journey.update",
            instance=journey,
            organizer_id=journey.organizer_id,
            after={
                "name": journey.name,
                "trigger": journey.trigger,
                "days": journey.days,
                "reentry_days": journey.reentry_days,
                "exit_on_purchase": journey.exit_on_purchase,
            },
        )
    return journey


def _message(journey: Journey, actor, number: int) -> Campaign:
    """A new message of the journey, to be written before the journey starts."""
    organizer = journey.organizer
    return Campaign.objects.create(
        organizer=organizer,
        name=f"{journey.name} — {number}",
        purpose=Purpose.ORGANIZER_NEWSLETTER,
        subject_fr=_("Un message de %(name)s") % {"name": organizer.name},
        from_name=organizer.name,
        from_email=organizer.email or "",
        blocks=[
            {"type": "text", "fr": "<p>Bonjour {{ prenom | }},</p>", "en": "<p>Hello {{ first_name | }},</p>"}
        ],
        state=Campaign.State.JOURNEY,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def step_add(*, journey: Journey, step: dict, actor) -> dict:
    with transaction.atomic():
        journey = Journey.objects.select_for_update().get(pk=journey.pk)
        if len(journey.steps) >= MAX_STEPS:
            raise JourneyLocked(_("Trente étapes au plus."))
        if step["kind"] == "send":
            sends = sum(1 for s in journey.steps if s["kind"] == "send")
            step = {"kind": "send", "campaign": _message(journey, actor, sends + 1).pk}
        Journey.objects.filter(pk=journey.pk).update(steps=[*journey.steps, step])
        _audit(journey, actor, "add", len(journey.steps), step)
    return step


def step_remove(*, journey: Journey, index: int, actor) -> None:
    with transaction.atomic():
        journey = _unoccupied(journey)
        steps = list(journey.steps)
        if not 0 <= index < len(steps):
            return
        removed = steps.pop(index)
        Journey.objects.filter(pk=journey.pk).update(steps=steps)
        _audit(journey, actor, "remove", index, removed)


def step_move(*, journey: Journey, index: int, up: bool, actor) -> None:
    with transaction.atomic():
        journey = _unoccupied(journey)
        steps = list(journey.steps)
        other = index - 1 if up else index + 1
        if not (0 <= index < len(steps) and 0 <= other < len(steps)):
            return
        steps[index], steps[other] = steps[other], steps[index]
        Journey.objects.filter(pk=journey.pk).update(steps=steps)
        _audit(journey, actor, "move", index, steps[other])


def _unoccupied(journey: Journey) -> Journey:
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    if JourneyEntry.objects.filter(journey=journey, state=JourneyEntry.State.ACTIVE).exists():
        raise JourneyLocked(
            _(
                "Des personnes sont dans ce parcours : on ne peut qu'ajouter des étapes à la fin. Arrêtez-le "
                "et attendez qu'elles en sortent, ou créez un nouveau parcours."
            )
        )
    return journey


def _audit(journey: Journey, actor, change: str, index: int, step: dict) -> None:
    audit_record(
        actor=actor,
        action="journey.steps",
        instance=journey,
        organizer_id=journey.organizer_id,
        after={"change": change, "position": index + 1, "step": step},
    )
