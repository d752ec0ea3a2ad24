"""Addresses the staff exclude from their campaigns: added (one or many, in words when wrong), obeyed by the
owner's campaigns only (and by the network's for a member's), taken back, recorded in the audit log; the
mailboxes' answers (bounces, complaints) shown for the owner's own contacts only and never lifted here."""

import pytest
from django.utils import timezone

from parvis.core.models import AuditLogEntry
from parvis.crm.models import Purpose
from parvis.marketing import audience, delivery
from parvis.marketing.models import Suppression
from parvis.marketing.personal_data import SuppressedAddresses
from parvis.network.models import NetworkRole, NetworkStaff
from parvis.testing import UserFactory, login_staff, staff

from .factories import campaign, person

pytestmark = pytest.mark.django_db


def _url(organizer) -> str:
    return f"/staff/o/{organizer.slug}/campagnes/exclusions/"


def _addresses(letter) -> list[str]:
    return sorted(p.address for p in audience.people(letter))


def test_excluded_addresses_leave_this_organizers_campaigns_only(organizer, other_organizer, client):
    login_staff(client, staff(organizer, "marketing"))
    person(organizer, "ana@example.org")
    person(organizer, "Bob@Example.org")
    person(organizer, "cleo@example.org")
    person(other_organizer, "ana@example.org")
    answer = client.post(
        _url(organizer),
        {"addresses": "ana@example.org;\n BOB@example.org, ana@example.org", "note": "Au téléphone"},
    )
    assert answer.status_code == 302
    rows = Suppression.objects.order_by("address")
    assert [(r.address, r.reason, r.organizer_id, r.detail) for r in rows] == [
        ("ana@example.org", "manual", organizer.pk, "Au téléphone"),
        ("bob@example.org", "manual", organizer.pk, "Au téléphone"),
    ]
    assert _addresses(campaign(organizer)) == ["cleo@example.org"]
    assert _addresses(campaign(other_organizer)) == ["ana@example.org"]  # not theirs to exclude
    entry = AuditLogEntry.objects.get(action="campaign.exclude")
    assert entry.organizer_id == organizer.pk and entry.after["count"] == 2
    # Given again: nothing doubled, and the page says so.
    page = client.post(_url(organizer), {"addresses": "ana@example.org"}, follow=True).content.decode()
    assert "0 adresse(s) exclue(s) ; 1 l&#x27;étai(en)t déjà." in page
    assert Suppression.objects.count() == 2


def test_a_network_campaign_obeys_its_members_exclusions(network, organizer, other_organizer, client):
    person(organizer, "ana@example.org", purpose=Purpose.NETWORK_NEWSLETTER)
    person(other_organizer, "ana@example.org", purpose=Purpose.NETWORK_NEWSLETTER)
    person(other_organizer, "bob@example.org", purpose=Purpose.NETWORK_NEWSLETTER)
    letter = campaign(network=network)
    assert _addresses(letter) == ["ana@example.org", "bob@example.org"]
    login_staff(client, staff(organizer, "administrator"))
    client.post(_url(organizer), {"addresses": "ana@example.org"})
    assert _addresses(letter) == ["bob@example.org"]
    coordinator = UserFactory()
    NetworkStaff.objects.create(network=network, user=coordinator, role=NetworkRole.COORDINATOR)
    login_staff(client, coordinator)
    client.post(f"/staff/r/{network.slug}/campagnes/exclusions/", {"addresses": "bob@example.org"})
    assert Suppression.objects.get(address="bob@example.org").network == network
    assert _addresses(letter) == []
    person(organizer, "bob@example.org")
    assert _addresses(campaign(organizer)) == ["bob@example.org"]  # the network's exclusion is its own


def test_wrong_addresses_are_refused_in_words_and_nothing_is_excluded(organizer, client):
    login_staff(client, staff(organizer, "marketing"))
    page = client.post(_url(organizer), {"addresses": "ana@example.org, pas-une-adresse"}).content.decode()
    assert "Ces adresses ne sont pas valides : pas-une-adresse." in page
    assert "ana@example.org, pas-une-adresse" in page  # what was typed is kept
    assert not Suppression.objects.exists()
    page = client.post(_url(organizer), {"addresses": " ,; "}).content.decode()
    assert "Indiquez au moins une adresse." in page
    many = "\n".join(f"p{n}@example.org" for n in range(501))
    assert "500 adresses au plus" in client.post(_url(organizer), {"addresses": many}).content.decode()
    assert not Suppression.objects.exists()


def test_an_exclusion_is_taken_back_but_a_mailboxs_answer_stays(organizer, other_organizer, client):
    login_staff(client, staff(organizer, "marketing"))
    person(organizer, "ana@example.org")
    person(organizer, "gone@example.org")
    person(other_organizer, "elsewhere@example.org")
    client.post(_url(organizer), {"addresses": "ana@example.org"})
    delivery.suppress("gone@example.org", Suppression.Reason.HARD_BOUNCE, "550 no such user", bounce_code=550)
    delivery.suppress("elsewhere@example.org", Suppression.Reason.COMPLAINT, "feedback report")
    theirs = Suppression.objects.create(
        address="x@example.org", reason="manual", organizer=other_organizer, at=timezone.now()
    )
    page = client.get(_url(organizer)).content.decode()
    assert "ana@example.org" in page and "gone@example.org" in page and "550 no such user" in page
    assert "elsewhere@example.org" not in page and "x@example.org" not in page  # another organizer's
    bounce = Suppression.objects.get(address="gone@example.org")
    assert client.post(_url(organizer), {"remove": bounce.pk}).status_code == 404
    assert client.post(_url(organizer), {"remove": theirs.pk}).status_code == 404
    mine = Suppression.objects.get(address="ana@example.org")
    page = client.post(_url(organizer), {"remove": mine.pk}, follow=True).content.decode()
    assert "ana@example.org peut de nouveau recevoir vos campagnes." in page
    assert not Suppression.objects.filter(pk=mine.pk).exists()
    assert Suppression.objects.filter(pk__in=[bounce.pk, theirs.pk]).count() == 2
    assert AuditLogEntry.objects.filter(action="campaign.unexclude", organizer_id=organizer.pk).count() == 1
    assert _addresses(campaign(organizer)) == ["ana@example.org"]


@pytest.mark.parametrize("role, status", [("box_office", 403), ("read_only", 403), ("marketing", 200)])
def test_who_may_see_and_change_the_exclusions(organizer, other_organizer, client, role, status):
    login_staff(client, staff(organizer, role))
    assert client.get(_url(organizer)).status_code == status
    assert client.post(_url(organizer), {"addresses": "ana@example.org"}).status_code in (status, 302)
    assert Suppression.objects.exists() is (status == 200)
    assert client.get(_url(other_organizer)).status_code == 404


def test_the_contact_page_shows_its_organizers_exclusions_only(organizer, other_organizer):
    ana = person(organizer, "ana@example.org")
    Suppression.objects.create(
        address="ana@example.org", reason="manual", organizer=other_organizer, at=timezone.now()
    )
    assert SuppressedAddresses().notices(ana) == []
    delivery.suppress("ana@example.org", Suppression.Reason.COMPLAINT, "feedback report")
    assert len(SuppressedAddresses().notices(ana)) == 1
