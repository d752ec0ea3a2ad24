"""The pressure cap: at most N campaign messages per person per 7 days, per organizer and per network; over
it, deferred until the person is under it again or skipped, as the owner chose; a high-priority campaign
goes anyway; the results say how many; the quiet hours are the owner's (issue 22)."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from parvis.marketing import audience, delivery, pressure
from parvis.marketing.models import Campaign, Recipient, SendingPolicy
from parvis.network.models import NetworkRole, NetworkStaff
from parvis.testing import UserFactory, login_staff, staff

from .factories import campaign, person

pytestmark = pytest.mark.django_db
NO_QUIET_HOURS = {"quiet_from": 0, "quiet_until": 0}


def _send(letter) -> list[str]:
    audience.freeze(letter)
    Campaign.objects.filter(pk=letter.pk).update(state=Campaign.State.SENDING)
    mail.outbox.clear()
    for part in range(letter.parts):
        delivery.part_send(letter, part)
    return sorted(address for m in mail.outbox for address in m.to)


def _sent_before(letter, days_ago: float) -> None:
    Recipient.objects.filter(campaign=letter).update(
        sent_at=timezone.now() - datetime.timedelta(days=days_ago)
    )


def test_over_the_organizers_cap_a_person_is_deferred_until_under_it_again(organizer):
    SendingPolicy.objects.create(organizer=organizer, pressure_cap=2, **NO_QUIET_HOURS)
    person(organizer, "ana@example.org")
    person(organizer, "new@example.org", given=None)
    first, second = campaign(organizer, name="Un"), campaign(organizer, name="Deux")
    assert _send(first) == ["ana@example.org"]
    _sent_before(first, 6)
    assert _send(second) == ["ana@example.org"]
    _sent_before(second, 1)

    third = campaign(organizer, name="Trois")
    assert _send(third) == []  # two in the last 7 days: the cap
    row = Recipient.objects.get(campaign=third)
    assert row.state == Recipient.State.QUEUED and row.error == delivery.PRESSURE_CAP and row.tries == 0
    expected = Recipient.objects.get(campaign=first).sent_at + pressure.WINDOW  # the first leaves the window
    assert abs((row.next_try_at - expected).total_seconds()) < 1
    assert delivery.part_send(third, 0) == row.next_try_at  # the part waits for that time

    # A day later the first message has left the window: the late worker sends it.
    _sent_before(first, 8)
    Recipient.objects.filter(pk=row.pk).update(next_try_at=timezone.now())
    mail.outbox.clear()
    assert delivery.part_send(third, 0) is None
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]
    third.refresh_from_db()
    assert third.state == Campaign.State.SENT


def test_a_skipping_owner_skips_and_a_high_priority_campaign_goes_anyway(organizer, client):
    SendingPolicy.objects.create(
        organizer=organizer, pressure_cap=1, capped=SendingPolicy.Capped.SKIP, **NO_QUIET_HOURS
    )
    person(organizer, "ana@example.org")
    person(organizer, "bob@example.org")
    first = campaign(organizer, name="Un")
    _send(first)
    Recipient.objects.filter(campaign=first, address="bob@example.org").delete()  # Bob received nothing
    assert _send(campaign(organizer, name="Deux")) == ["bob@example.org"]
    skipped = Recipient.objects.get(campaign__name="Deux", address="ana@example.org")
    assert skipped.state == Recipient.State.SKIPPED and skipped.error == delivery.PRESSURE_CAP
    assert _send(campaign(organizer, name="Urgent", priority="high")) == [
        "ana@example.org",
        "bob@example.org",
    ]

    login_staff(client, staff(organizer, "marketing"))
    page = client.get(f"/staff/o/{organizer.slug}/campagnes/{skipped.campaign_id}/").content.decode()
    assert "Plafond d'envois atteint : écartés</th><td>1</td>" in page


def test_a_network_cap_counts_the_messages_of_all_its_members(network, organizer, other_organizer):
    SendingPolicy.objects.create(network=network, pressure_cap=2, **NO_QUIET_HOURS)
    for club in (organizer, other_organizer):
        person(club, "ana@example.org")
    assert _send(campaign(organizer, name="A1")) == ["ana@example.org"]
    assert _send(campaign(other_organizer, name="B1")) == ["ana@example.org"]
    assert (
        _send(campaign(organizer, name="A2")) == []
    )  # the club's own cap (3) is not reached; the network's is
    assert Recipient.objects.get(campaign__name="A2").error == delivery.PRESSURE_CAP


def test_the_owner_sets_the_cap_and_the_quiet_hours(network, organizer, client):
    login_staff(client, staff(organizer, "marketing"))
    url = f"/staff/o/{organizer.slug}/campagnes/regles/"
    assert client.get(url).status_code == 200
    answer = client.post(url, {"pressure_cap": "4", "capped": "skip", "quiet_from": "22", "quiet_until": "9"})
    assert answer.status_code == 302
    policy = SendingPolicy.objects.get(organizer=organizer)
    assert (policy.pressure_cap, policy.capped, policy.quiet_from, policy.quiet_until) == (4, "skip", 22, 9)
    night = timezone.make_aware(datetime.datetime(2026, 12, 7, 23, 30))
    assert delivery.quiet_until(night, policy) == timezone.make_aware(datetime.datetime(2026, 12, 8, 9, 0))
    morning = timezone.make_aware(datetime.datetime(2026, 12, 8, 7, 0))
    assert delivery.quiet_until(morning, policy) == timezone.make_aware(datetime.datetime(2026, 12, 8, 9, 0))
    assert delivery.quiet_until(timezone.make_aware(datetime.datetime(2026, 12, 8, 12, 0)), policy) is None
    assert (
        client.post(
            url, {"pressure_cap": "4", "capped": "skip", "quiet_from": "25", "quiet_until": "9"}
        ).status_code
        == 200
    )

    coordinator = UserFactory()
    NetworkStaff.objects.create(network=network, user=coordinator, role=NetworkRole.COORDINATOR)
    login_staff(client, coordinator)
    client.post(
        f"/staff/r/{network.slug}/campagnes/regles/",
        {"pressure_cap": "5", "capped": "defer", "quiet_from": "21", "quiet_until": "8"},
    )
    assert SendingPolicy.objects.get(network=network).pressure_cap == 5


def test_sending_now_in_the_quiet_hours_says_when_it_will_really_start(organizer, client):
    hour = timezone.localtime().hour
    SendingPolicy.objects.create(organizer=organizer, quiet_from=hour, quiet_until=(hour + 2) % 24)  # now
    login_staff(client, staff(organizer, "marketing"))
    letter = campaign(organizer)
    page = client.post(
        f"/staff/o/{organizer.slug}/campagnes/{letter.pk}/action/",
        {"action": "schedule", "when": ""},
        follow=True,
    ).content.decode()
    assert "les heures creuses la font partir le" in page
    letter.refresh_from_db()
    assert letter.state == Campaign.State.SCHEDULED and not Recipient.objects.filter(campaign=letter).exists()
