"""The demo's campaigns: the theatre's newsletter subscribers, the key that signs its messages, one
letter already sent (its messages in the development outbox, its results on its page) and one draft for
the marketer to try; a draft of the jazz network's letter for its coordinator."""

from parvis.crm.models import Consent, Purpose
from parvis.crm.services import consent_record, contact_resolve
from parvis.marketing import audience, delivery, services
from parvis.marketing.models import Campaign, SendingDomain
from parvis.programming.models import Event

SUBSCRIBERS = [
    ("Camille", "Durand", "fr"), ("Hugo", "Lefèvre", "fr"), ("Léa", "Garnier", "fr"), ("Noah", "Faure", "fr"),
    ("Inès", "Roux", "fr"), ("Jules", "Blanc", "fr"), ("Chloé", "Girard", "fr"), ("Adam", "Bonnet", "fr"),
    ("Emma", "Lambert", "fr"), ("Louis", "Fontaine", "fr"), ("Sarah", "Mercier", "fr"),
    ("Nathan", "Dupuis", "fr"),
    ("Olivia", "Smith", "en"), ("James", "Brown", "en"), ("Sofia", "Rossi", "en"), ("", "", "fr"),
]  # fmt: skip


def _blocks(events: list[int], *, intro_fr: str, intro_en: str) -> list[dict]:
    return [
        {"type": "text", "fr": f"<p>Bonjour {{{{ prenom | à vous }}}},</p><p>{intro_fr}</p>",
         "en": f"<p>Hello {{{{ first_name | there }}}},</p><p>{intro_en}</p>"},
        {"type": "events", "ids": events},
        {"type": "recommended", "count": 3},
        {"type": "button", "label_fr": "Toute la saison", "label_en": "The whole season",
         "url": "https://theatre-du-parvis.example/saison"},
    ]  # fmt: skip


def demo_campaigns(*, theatre, jazz) -> None:
    if Campaign.objects.filter(organizer=theatre).exists():
        return
    for n, (first, last, language) in enumerate(SUBSCRIBERS):
        contact = contact_resolve(
            organizer_id=theatre.pk,
            email=f"abonne{n + 1}@lettre.example",
            first_name=first,
            last_name=last,
            language=language,
            source="signup",
        )
        consent_record(
            contact=contact,
            purpose=Purpose.ORGANIZER_NEWSLETTER,
            given=True,
            source=Consent.Source.DOUBLE_OPT_IN,
        )
    if not SendingDomain.objects.filter(organizer=theatre).exists():
        services.domain_add(
            campaign_owner={"organizer": theatre}, domain="theatre-du-parvis.example", actor=None
        )
    events = list(
        Event.objects.filter(organizer=theatre, status="published")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    common = {
        "organizer": theatre,
        "from_name": theatre.name,
        "from_email": "lettre@theatre-du-parvis.example",
        "reply_to": "billetterie@theatre-du-parvis.example",
        "purpose": Purpose.ORGANIZER_NEWSLETTER,
    }
    sent = Campaign.objects.create(
        name="Lettre de la saison",
        subject_fr="{{ prenom | Bonjour }}, la saison est lancée",
        subject_en="{{ first_name | Hello }}, the season is on",
        preheader_fr="Deux spectacles à ne pas manquer, et trois choisis pour vous",
        blocks=_blocks(events[:2], intro_fr="La saison s'ouvre : voici nos deux premiers rendez-vous.",
                       intro_en="The season opens: here are our first two evenings."),
        **common,
    )  # fmt: skip
    audience.freeze(sent)
    Campaign.objects.filter(pk=sent.pk).update(state=Campaign.State.SENDING)
    for part in range(sent.parts):
        delivery.part_send(sent, part, quiet_hours=False)
    Campaign.objects.create(
        name="Lettre du mois prochain",
        subject_fr="Le mois prochain au Théâtre du Parvis",
        subject_en="Next month at the Théâtre du Parvis",
        blocks=_blocks(events[2:4], intro_fr="Le mois prochain, deux créations.",
                       intro_en="Next month, two new productions."),
        **common,
    )  # fmt: skip
    Campaign.objects.create(
        network=jazz,
        name="La lettre du festival",
        subject_fr="Le festival commence lundi",
        from_name=jazz.name,
        from_email="festival@jazz-idf.example",
        purpose=Purpose.NETWORK_NEWSLETTER,
        blocks=[{"type": "text", "fr": "<p>Deux semaines de concerts dans 25 clubs.</p>", "en": ""},
                {"type": "recommended", "count": 3}],
    )  # fmt: skip
