"""« Mes recommandations » in the customer account (issue 23): what each venue suggests and why, what it
rests on, a show removed or everything forgotten, the consent turned off or on by the person, and nobody
acting on another person's profile."""

import pytest

from parvis.accounts.tests.test_network_account import _sign_in
from parvis.crm.dedupe import contacts_merge
from parvis.crm.models import Contact, Purpose
from parvis.crm.privacy import contact_erase, personal_data
from parvis.crm.selectors import consent_state
from parvis.recommendations.models import Forgotten
from parvis.recommendations.services import history_forget

from .test_personal import season  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_a_person_sees_why_removes_a_show_and_turns_it_off(client, organizer, season):  # noqa: F811
    ana = season["ana"]
    _sign_in(client, "ana@example.org")

    page = client.get("/compte/recommandations/").content.decode()

    assert "Parce que vous avez aimé « Jazz" in page and "Jazz 2" in page
    based_on = page.split('data-testid="based-on"')[1].split("</ul>")[0]
    assert "Jazz 1" in based_on and "Jazz passé" in based_on

    answer = client.post(
        "/compte/recommandations/changer/",
        {"contact": ana.pk, "event": season["jazz1"].event_id, "action": "forget"},
    )
    assert answer.status_code == 302
    assert Forgotten.objects.filter(contact=ana, event_id=season["jazz1"].event_id).exists()
    based_on = client.get("/compte/recommandations/").content.decode().split('data-testid="based-on"')[1]
    assert "Jazz 1" not in based_on.split("</ul>")[0]

    client.post("/compte/recommandations/changer/", {"contact": ana.pk, "action": "forget"})
    assert Forgotten.objects.filter(contact=ana, event=None).exists()

    client.post("/compte/recommandations/changer/", {"contact": ana.pk, "action": "off"})
    state = consent_state(ana, Purpose.RECOMMENDATIONS)
    assert state.given is False and state.source == "self_service" and state.proof["url"]
    page = client.get("/compte/recommandations/").content.decode()
    assert "Vous n&#x27;avez pas accepté" in page or "Vous n'avez pas accepté" in page
    assert "Parce que" not in page


def test_nobody_acts_on_another_persons_profile(client, organizer, season):  # noqa: F811
    bob = season["bob"]
    _sign_in(client, "ana@example.org")

    answer = client.post("/compte/recommandations/changer/", {"contact": bob.pk, "action": "on"}, follow=True)

    assert "ne correspond à aucun de vos profils" in answer.content.decode()
    assert consent_state(bob, Purpose.RECOMMENDATIONS) is None
    assert not Forgotten.objects.exists()
    assert (
        client.post("/compte/recommandations/changer/", {"contact": "１２", "action": "on"}).status_code
        == 302
    )


def test_signed_out_the_page_leads_to_signing_in(client):
    assert client.get("/compte/recommandations/").url == "/compte/"
    assert Contact.objects.count() == 0


def test_what_a_person_asked_to_forget_is_exported_moved_at_a_merge_and_erased(organizer, season):  # noqa: F811
    ana = season["ana"]
    history_forget(contact=ana, event_id=season["jazz1"].event_id)
    assert personal_data(ana)["recommendations_forgotten"][0]["show"] == "Jazz 1"

    twin = Contact.objects.create(organizer=organizer, email="ana.l@example.org", first_name="Ana")
    history_forget(contact=twin, event_id=None)
    contacts_merge(survivor=ana, merged=twin)
    assert Forgotten.objects.filter(contact=ana).count() == 2

    contact_erase(contact=ana)
    assert not Forgotten.objects.exists()
