"""The online proof of the recommendations (issue 23): every suggestion shown is kept with the model's
version, the balance and the person's group (named only with their consent); a click on a suggestion
marks it; a stable share of the people who consented get the common list (the holdout group)."""

import re

import pytest
from django.core import mail
from django.utils import timezone

from parvis.crm.models import Consent, Contact, Purpose
from parvis.crm.privacy import contact_erase, personal_data
from parvis.crm.services import consent_record
from parvis.marketing.models import Campaign
from parvis.marketing.tests.factories import campaign, person
from parvis.marketing.tests.test_results import _links, _send
from parvis.recommendations import personal, tracking
from parvis.recommendations.models import Arm, Impression, Policy, Surface, Tally, Training

from .test_personal import _ids, season  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _agree(contact, *purposes):
    for purpose in purposes:
        consent_record(contact=contact, purpose=purpose, given=True, source=Consent.Source.SELF_SERVICE)


def test_the_holdout_is_a_stable_share_of_the_people_and_differs_per_organizer():
    ids = range(1, 20_001)
    held = [n for n in ids if tracking.in_holdout(7, n, 10)]

    assert 1_800 < len(held) < 2_200
    assert held == [n for n in ids if tracking.in_holdout(7, n, 10)]  # the same people each time
    assert set(held) != {n for n in ids if tracking.in_holdout(8, n, 10)}
    assert not any(tracking.in_holdout(7, n, 0) for n in ids)
    assert set(held) <= {n for n in ids if tracking.in_holdout(7, n, 30)}  # a larger share keeps them


@pytest.fixture
def audience(organizer, season):  # noqa: F811
    """Ana (her history, consents to suggestions and to the measure of her clicks), Bob (no consent to
    suggestions), and people who consented with no history, enough to have some in a 50 % holdout."""
    Policy.objects.create(organizer=organizer, holdout_percent=50)
    _agree(season["ana"], Purpose.ORGANIZER_NEWSLETTER, Purpose.EMAIL_TRACKING)
    _agree(season["bob"], Purpose.ORGANIZER_NEWSLETTER, Purpose.EMAIL_TRACKING)
    others = []
    while len({tracking.in_holdout(organizer.pk, c.pk, 50) for c in others}) < 2 or len(others) < 4:
        contact = person(organizer, f"c{len(others)}@example.org")
        _agree(contact, Purpose.RECOMMENDATIONS)
        others.append(contact)
    return others


def test_a_campaign_keeps_what_each_person_was_shown_and_the_click_on_a_suggestion(
    organizer,
    season,  # noqa: F811
    audience,
    client,
):
    letter = campaign(organizer, blocks=[{"type": "recommended", "count": 3}])
    version = Training.objects.get(organizer=organizer).version

    pages = _send(letter)

    assert len(pages) == 2 + len(audience)
    rows = {i.contact_id: i for i in Impression.objects.filter(surface=Surface.CAMPAIGN)}
    unnamed = rows.pop(None)  # Bob: counted, nobody named, no way back to his message
    assert (unnamed.arm, unnamed.ref, Impression.objects.filter(contact=None).count()) == (Arm.COMMON, "", 1)
    assert set(rows) == {season["ana"].pk, *(c.pk for c in audience)}
    common = [
        c.event_id
        for c in personal.Picker(organizer.pk, _ids(season, "jazz1", "jazz2", "jazz3", "dance")).popular(3)
    ]
    for contact_id, row in rows.items():
        held = tracking.in_holdout(organizer.pk, contact_id, 50)
        assert row.arm == (Arm.HOLDOUT if held else Arm.PERSONAL)
        assert (row.version, str(row.curiosity), row.organizer_id) == (version, "0.50", organizer.pk)
        assert row.ref.startswith("recipient:") and len(row.events) == 3
        if held or contact_id != season["ana"].pk:
            assert row.events == common  # no history, or held out: the common list
    ana = rows[season["ana"].pk]
    if ana.arm == Arm.PERSONAL:
        assert season["jazz1"].event_id not in ana.events  # hers already

    # Ana opens one of her suggestions: marked once; a link of the message that was not one does not.
    links = {int(link.rstrip("/").rsplit("/", 1)[1]): link for link in _links(pages["ana@example.org"])}
    picked = ana.events[1]
    assert client.get(links[picked]).status_code == 302
    client.get(links[ana.events[0]])
    ana.refresh_from_db()
    assert (ana.clicked_event_id, ana.clicked_at is not None) == (picked, True)
    bob_links = _links(pages["bob@example.org"])
    client.get(bob_links[0])
    unnamed.refresh_from_db()
    assert unnamed.clicked_at is None  # not his name, not his click


def test_without_consent_to_the_measure_of_clicks_a_click_is_not_tied_to_the_suggestion(
    organizer,
    season,  # noqa: F811
    audience,
    client,
):
    letter = campaign(organizer, blocks=[{"type": "recommended", "count": 2}])
    pages = _send(letter)
    shown = Impression.objects.get(contact=audience[0])

    link = _links(pages[audience[0].email])[0]
    assert client.get(link).status_code == 302

    shown.refresh_from_db()
    assert shown.clicked_at is None  # consented to suggestions, not to the measure of their clicks


def test_the_account_page_and_the_event_pages_count_what_they_show_and_what_is_opened(
    organizer,
    season,  # noqa: F811
    client,
):
    from parvis.accounts.tests.test_network_account import _sign_in

    _sign_in(client, "ana@example.org")
    page = client.get("/compte/recommandations/").content.decode()
    shown = Impression.objects.get(surface=Surface.ACCOUNT)
    assert (shown.contact_id, shown.arm) == (season["ana"].pk, Arm.PERSONAL)
    hrefs = re.findall(r'href="(/o/[^"]+\?suggestion=[^"]+)"', page)
    assert len(hrefs) == len(shown.events)

    client.get(hrefs[0].replace("suggestion=", "suggestion=x"))  # forged: nothing
    shown.refresh_from_db()
    assert shown.clicked_at is None
    target = client.get(hrefs[0])
    assert target.status_code == 200
    shown.refresh_from_db()
    assert shown.clicked_event_id == shown.events[0]

    # « Vous aimerez aussi »: counted per day, and a click from it where it came from.
    jazz1 = season["jazz1"].event
    answer = client.get(jazz1.get_absolute_url())
    also = re.findall(r'href="([^"]+\?suggestion=page)"', answer.content.decode())
    assert also
    client.get(jazz1.get_absolute_url())
    client.get(also[0])
    tally = Tally.objects.get(organizer=organizer)
    assert tally.day == timezone.localdate() and tally.clicked == 1
    assert tally.shown >= 2  # the two views of Jazz 1, and the page reached if it has its own list


def test_what_a_person_was_shown_is_in_their_export_and_loses_their_name_at_the_erasure(
    organizer,
    season,  # noqa: F811
    audience,
):
    letter = campaign(organizer, blocks=[{"type": "recommended", "count": 2}])
    _send(letter)
    ana = season["ana"]
    exported = personal_data(ana)["recommendations_shown"]
    assert len(exported) == 1 and exported[0]["where"] == "campaign" and len(exported[0]["shows"]) == 2

    contact_erase(contact=ana)

    assert not Impression.objects.filter(contact_id=ana.pk).exists()
    assert Impression.objects.filter(contact=None, ref="").count() == 2  # Bob's, and Ana's without her
    assert Contact.objects.get(pk=ana.pk).anonymised_at is not None
    assert Campaign.objects.filter(pk=letter.pk).exists() and len(mail.outbox) >= 2
