"""The demo's campaigns: the theatre's newsletter subscribers, the key that signs its messages, one
letter already sent (its messages in the development outbox, its results on its page) and one draft for
the marketer to try; a draft of the jazz network's letter for its coordinator; the theatre's welcome
journey started, three new subscribers in it (their first message sent, the second due in 72 h), and
the after-show journey ready to read, stopped, and a journey written by hand (before the show)."""

from parvis.crm.models import Consent, Interaction, Purpose
from parvis.crm.services import consent_record, contact_resolve, interaction_record
from parvis.marketing import audience, delivery, journey_edit, journey_templates, journeys, services
from parvis.marketing.models import Campaign, Journey, SendingDomain
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
        ab_percent=20,
        ab_text_fr="<p>Deux créations, et des places encore libres aux premières.</p>",
        ab_text_en="<p>Two new productions, with seats still free at the openings.</p>",
        **common,
    )  # fmt: skip
    # An address the box office was asked by phone to stop writing to (the "Adresses exclues" page).
    services.suppressions_add(
        campaign_owner={"organizer": theatre},
        addresses=["abonne3@lettre.example"],
        note="Demande faite au guichet",
        actor=None,
    )
    _demo_journeys(theatre)
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


def _demo_journeys(theatre) -> None:
    welcome = journey_templates.journey_create(organizer=theatre, key="welcome", actor=None)
    journey_templates.journey_switch(journey=welcome, actor=None, active=True)
    journey_templates.journey_create(organizer=theatre, key="after_show", actor=None)
    _before_the_show(theatre)
    for n, first in enumerate(("Manon", "Yanis", "Zoé")):
        contact = contact_resolve(
            organizer_id=theatre.pk, email=f"nouveau{n + 1}@lettre.example", first_name=first, source="signup"
        )
        consent_record(
            contact=contact,
            purpose=Purpose.ORGANIZER_NEWSLETTER,
            given=True,
            source=Consent.Source.DOUBLE_OPT_IN,
        )
        interaction_record(contact=contact, organizer_id=theatre.pk, kind=Interaction.Kind.SIGNUP)
    journeys.intake(welcome)
    journeys.advance(welcome)
    for message in Campaign.objects.filter(pk__in=journeys.message_ids(welcome)):
        delivery.part_send(message, 0, quiet_hours=False)


def _before_the_show(theatre) -> None:
    """A journey written by hand, stopped: three days before, then on the day, to ticket holders."""
    journey = journey_edit.journey_save(
        journey=Journey(
            organizer=theatre,
            name="Avant le spectacle : infos pratiques",
            trigger=Journey.Trigger.BEFORE_PERFORMANCE,
            days=3,
            exit_on_purchase=False,
        ),
        actor=None,
    )
    texts = [
        ("Votre spectacle dans trois jours", "Your show in three days",
         "<p>Bonjour {{ prenom | }}, l'accès, le vestiaire et le bar : tout est prêt pour vous.</p>",
         "<p>Hello {{ first_name | }}, access, cloakroom and bar: all is ready for you.</p>"),
        ("C'est ce soir !", "It is tonight!",
         "<p>Les portes ouvrent 45 minutes avant. À tout à l'heure.</p>",
         "<p>Doors open 45 minutes before. See you soon.</p>"),
    ]  # fmt: skip
    for n, (subject_fr, subject_en, fr, en) in enumerate(texts):
        if n:
            journey_edit.step_add(journey=journey, step={"kind": "until", "hours": -6}, actor=None)
        step = journey_edit.step_add(journey=journey, step={"kind": "send"}, actor=None)
        Campaign.objects.filter(pk=step["campaign"]).update(
            subject_fr=subject_fr, subject_en=subject_en, blocks=[{"type": "text", "fr": fr, "en": en}]
        )
