"""What the campaign tests share: people with or without consent, and a campaign ready to send."""

from parvis.crm.models import Consent, Contact, Purpose
from parvis.crm.services import consent_record
from parvis.marketing.models import Campaign

BLOCKS = [
    {
        "type": "text",
        "fr": "<p>Bonjour {{ prenom | cher public }},</p>",
        "en": "<p>Hello {{ first_name | dear friend }},</p>",
    },
    {
        "type": "button",
        "label_fr": "Voir l'agenda",
        "label_en": "See the agenda",
        "url": "https://club.example/agenda",
    },
]


def person(
    organizer, email, *, first="", last="", language="fr", purpose=Purpose.ORGANIZER_NEWSLETTER, given=True
):
    contact = Contact.objects.create(
        organizer=organizer, email=email, first_name=first, last_name=last, language=language
    )
    if given is not None:
        consent_record(contact=contact, purpose=purpose, given=given, source=Consent.Source.SIGNUP)
    return contact


def campaign(organizer=None, *, network=None, blocks=None, **fields):
    values = {
        "name": "Lettre de décembre",
        "subject_fr": "Décembre au club, {{ prenom | chers amis }}",
        "subject_en": "December at the club, {{ first_name | dear friends }}",
        "preheader_fr": "Trois concerts à ne pas manquer",
        "from_name": "Club A",
        "from_email": "lettre@club.example",
        "reply_to": "bonjour@club.example",
        "blocks": blocks if blocks is not None else BLOCKS,
        "purpose": Purpose.NETWORK_NEWSLETTER if network else Purpose.ORGANIZER_NEWSLETTER,
    }
    values.update(fields)
    return Campaign.objects.create(organizer=organizer, network=network, **values)
