"""A campaign's message: responsive HTML from MJML with its CSS inline and nothing loaded from a third
party, a plain-text part from the same blocks, event cards picked from the agenda, and for each person
shows the recommendations pick for them (tested in recommendations/tests/test_personal.py) (issue 22)."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from parvis.marketing import audience, blocks, delivery, render
from parvis.marketing.models import Campaign
from parvis.passes.models import PassHolding
from parvis.passes.tests.factories import bought_pass, pass_product
from parvis.programming.models import Genre
from parvis.testing import PerformanceFactory

from .factories import campaign, person

pytestmark = pytest.mark.django_db


def _show(organizer, title, genre, days):
    return PerformanceFactory(
        event__organizer=organizer,
        event__title=title,
        event__genre=genre,
        starts_at=timezone.now() + datetime.timedelta(days=days),
    )


def test_the_message_is_responsive_inline_styled_and_loads_nothing_from_elsewhere(organizer):
    concert = _show(organizer, "Nuit du jazz", Genre.JAZZ, 5)
    letter = campaign(
        organizer,
        blocks=[
            {
                "type": "text",
                "fr": "<p>Bonjour {{ prenom | à vous }} <strong>&amp;</strong> bienvenue</p>",
                "en": "",
            },
            {"type": "events", "ids": [concert.event_id]},
            {"type": "donation", "fr": "<p>Soutenez-nous</p>", "en": "", "url": "https://club.example/don"},
        ],
    )
    compiled = render.compile_campaign(letter, "en")
    message = render.personalise(
        compiled,
        render.Person(first_name="<Zoé>", urls={"unsubscribe": "https://u/1", "preferences": "https://p/1"}),
    )
    html = message.html
    assert '<html lang="en"' in html and 'name="viewport"' in html
    assert "@media" in html  # the columns stack on a phone
    assert "googleapis" not in html and "<link" not in html
    assert "Bonjour &lt;Zoé&gt;" in html  # a name is text, never markup
    assert "Nuit du jazz" in html and concert.venue.name in html
    assert 'href="https://u/1"' in html and 'href="https://p/1"' in html
    assert "Make a donation" in html and "You receive this message because you agreed to" in html
    text = message.text
    assert "Bonjour <Zoé> & bienvenue" in text
    assert "Nuit du jazz" in text and "https://club.example/don" in text
    assert "https://u/1" in text
    assert message.subject == "December at the club, <Zoé>"


@pytest.mark.parametrize(
    "block, error",
    [
        ({"type": "text", "fr": "<script>x</script>"}, "vide"),
        ({"type": "text", "fr": "Bonjour {{ age }}"}, "n'est pas une donnée connue"),
        ({"type": "text", "fr": "Bonjour {{ prenom"}, "pas refermée"),
        ({"type": "button", "label_fr": "Go", "url": "javascript:alert(1)"}, "adresse web valide"),
        ({"type": "events", "ids": ["999"]}, "plus à l'affiche"),
        ({"type": "recommended", "count": "9"}, "Entre un et six"),
        ({"type": "video"}, "inconnu"),
    ],
)
def test_a_wrong_block_is_refused_in_words_naming_it(block, error):
    with pytest.raises(ValidationError) as refused:
        blocks.blocks_clean([{"type": "text", "fr": "<p>ok</p>"}, block], event_ids={1})
    message = " ".join(refused.value.messages)
    assert message.startswith("Bloc 2") and error in message


def test_text_keeps_links_and_emphasis_and_drops_the_rest():
    [cleaned] = blocks.blocks_clean(
        [
            {
                "type": "text",
                "fr": '<p onclick="x">Voir <a href="https://a.example" style="c">ici</a><img src="https://t.example/p.gif"></p>',
            }
        ],
        event_ids=set(),
    )
    assert cleaned["fr"] == '<p>Voir <a href="https://a.example" rel="noopener">ici</a></p>'


def test_a_pass_holder_reads_their_entries_left_and_the_others_read_nothing(organizer):
    product = pass_product(organizer)
    holding = bought_pass(product, email="ana@example.org")
    PassHolding.objects.filter(pk=holding.pk).update(entries_used=1)
    person(organizer, "ana@example.org", first="Ana")
    person(organizer, "bob@example.org", first="Bob")
    letter = campaign(organizer, blocks=[{"type": "text", "fr": "<p>Bonjour</p>"}, {"type": "pass_entries"}])
    audience.freeze(letter)
    Campaign.objects.filter(pk=letter.pk).update(state=Campaign.State.SENDING)
    mail.outbox.clear()
    delivery.part_send(letter, 0)
    pages = {m.to[0]: (m.alternatives[0][0], m.body) for m in mail.outbox}
    html, text = pages["ana@example.org"]
    assert "Il vous reste 2 entrées sur votre Pass 3 concerts" in html and "Réserver avec mon pass" in html
    assert "Il vous reste 2 entrées sur votre Pass 3 concerts" in text and holding.code in text
    assert "Il vous reste" not in pages["bob@example.org"][0] + pages["bob@example.org"][1]
