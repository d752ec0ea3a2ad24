"""The ready-made journeys a venue switches on, their messages written to be changed before starting."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parvis.core.audit import audit_record
from parvis.crm.models import Interaction, Purpose

from .models import Campaign, Journey


def _text(fr: str, en: str) -> dict:
    return {"type": "text", "fr": fr, "en": en}


READY_MADE = {
    "welcome": {
        "name": _("Bienvenue : deux messages après l'inscription à la lettre"),
        "trigger": Journey.Trigger.SIGNUP,
        "messages": [
            ("Bienvenue, {{ prenom | et merci }} !", "Welcome, {{ first_name | and thank you }}!",
             [_text("<p>Bonjour {{ prenom | à vous }}, merci de votre inscription. Voici ce qui arrive.</p>",
                    "<p>Hello {{ first_name | there }}, thank you for signing up. Here is what is coming."
                    "</p>"),
              {"type": "recommended", "count": 3}]),
            ("Trois idées pour votre prochaine sortie", "Three ideas for your next evening out",
             [_text("<p>Et si vous essayiez quelque chose de nouveau ?</p>",
                    "<p>Why not try something new?</p>"),
              {"type": "recommended", "count": 3}]),
        ],
        "steps": [("send", 0), ("wait", 72), ("send", 1)],
    },
    "after_show": {
        "name": _("Après le spectacle : merci, et ce qui pourrait vous plaire"),
        "trigger": Journey.Trigger.ATTENDED,
        "messages": [
            ("Merci d'être venu·e, {{ prenom | }}", "Thank you for coming, {{ first_name | }}",
             [_text("<p>Merci d'être venu·e. Vous aimerez peut-être aussi :</p>",
                    "<p>Thank you for coming. You may also like:</p>"),
              {"type": "recommended", "count": 3}]),
        ],
        "steps": [("wait", 20), ("send", 0)],
    },
    "pass_reminder": {
        "name": _("Rappel de pass : des entrées restent, trois semaines avant sa fin"),
        "trigger": Journey.Trigger.PASS_UNUSED,
        "days": 21,
        "messages": [
            ("Votre pass : il vous reste des entrées", "Your pass: you have entries left",
             [_text("<p>Bonjour {{ prenom | }}, votre pass n'a pas dit son dernier mot.</p>",
                    "<p>Hello {{ first_name | }}, your pass still has something to give.</p>"),
              {"type": "pass_entries"},
              _text("<p>Des idées dans des lieux où vous n'êtes pas encore allé·e :</p>",
                    "<p>Ideas in venues you have not been to yet:</p>"),
              {"type": "recommended", "count": 3}]),
            ("Plus qu'une semaine pour votre pass", "One week left on your pass",
             [_text("<p>Votre pass se termine dans une semaine.</p>",
                    "<p>Your pass ends in one week.</p>"),
              {"type": "pass_entries"}]),
        ],
        "steps": [("send", 0), ("wait", 14 * 24), ("send", 1)],
    },
    "membership_renewal": {
        "name": _("Renouvellement d'adhésion : un mois avant la fin de la carte"),
        "trigger": Journey.Trigger.MEMBERSHIP_ENDING,
        "days": 30,
        "messages": [
            ("Votre carte d'adhérent se termine bientôt", "Your membership card ends soon",
             [_text("<p>Bonjour {{ prenom | }}, merci d'avoir été à nos côtés cette saison.</p>",
                    "<p>Hello {{ first_name | }}, thank you for being with us this season.</p>"),
              {"type": "membership"}]),
            ("Dernier rappel : votre adhésion", "Last reminder: your membership",
             [_text("<p>Votre carte se termine dans quelques jours.</p>",
                    "<p>Your card ends in a few days.</p>"),
              {"type": "membership"}]),
        ],
        "steps": [("send", 0), ("wait", 21 * 24), ("send", 1)],
    },
    "win_back": {
        "name": _("Reconquête : le public à risque, deux messages"),
        "trigger": Journey.Trigger.LAPSED,
        "reentry_days": 180,
        "messages": [
            ("{{ prenom | Vous }}, on vous a gardé une place", "{{ first_name | You }}, we kept you a seat",
             [_text("<p>Cela fait un moment. Voici ce qui pourrait vous faire revenir :</p>",
                    "<p>It has been a while. Here is what might bring you back:</p>"),
              {"type": "recommended", "count": 3}]),
            ("Trois sorties pour revenir", "Three evenings to come back",
             [_text("<p>Toujours pas convaincu·e ? D'autres idées :</p>",
                    "<p>Still not convinced? More ideas:</p>"),
              {"type": "recommended", "count": 3}]),
        ],
        "steps": [("send", 0), ("wait", 14 * 24), ("send", 1)],
    },
    "donor_thanks": {
        "name": _("Merci aux donateurs"),
        "trigger": Journey.Trigger.DONATION,
        "reentry_days": 30,
        "exit_on_purchase": False,
        "messages": [
            ("Merci pour votre don, {{ prenom | }}", "Thank you for your gift, {{ first_name | }}",
             [_text("<p>Votre don nous aide à faire vivre la création, et à la faire voir. Merci.</p>",
                    "<p>Your gift helps us keep creation alive, and seen. Thank you.</p>")]),
        ],
        "steps": [("wait", 2), ("send", 0)],
    },
}  # fmt: skip


def journey_create(*, organizer, key: str, actor) -> Journey:
    """A ready-made journey, stopped, with its messages to read and change before it starts."""
    model = READY_MADE[key]
    with transaction.atomic():
        messages = [
            Campaign.objects.create(
                organizer=organizer,
                name=f"{model['name']} — {n + 1}",
                purpose=Purpose.ORGANIZER_NEWSLETTER,
                subject_fr=subject_fr,
                subject_en=subject_en,
                from_name=organizer.name,
                from_email=organizer.email or "",
                blocks=blocks,
                state=Campaign.State.JOURNEY,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            for n, (subject_fr, subject_en, blocks) in enumerate(model["messages"])
        ]
        steps = [
            {"kind": "send", "campaign": messages[arg].pk}
            if kind == "send"
            else {"kind": "wait", "hours": arg}
            for kind, arg in model["steps"]
        ]
        journey = Journey.objects.create(
            organizer=organizer,
            name=str(model["name"]),
            trigger=model["trigger"],
            days=model.get("days", 0),
            reentry_days=model.get("reentry_days"),
            exit_on_purchase=model.get("exit_on_purchase", True),
            steps=steps,
            template=key,
        )
        audit_record(
            actor=actor,
            action="journey.create",
            instance=journey,
            organizer=organizer,
            after={"name": journey.name},
        )
    return journey


def journey_switch(*, journey: Journey, actor, active: bool) -> Journey:
    """Start (from now: what happened before does not enter) or stop a journey."""
    with transaction.atomic():
        fields = {"active": active}
        if active and not journey.active:
            fields["watermark"] = Interaction.objects.aggregate(last=Max("pk"))["last"] or 0
            fields["scanned_until"] = timezone.now()
        Journey.objects.filter(pk=journey.pk).update(**fields)
        journey.refresh_from_db()
        audit_record(
            actor=actor,
            action="journey.start" if active else "journey.stop",
            instance=journey,
            organizer_id=journey.organizer_id,
        )
    return journey
