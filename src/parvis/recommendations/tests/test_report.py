"""The « Recommandations » report (issue 23): per person, from their first suggestion and for 30 days, what
they opened and bought, the personal group against the holdout group with Welch's 95 % interval, checked
by hand on six people; per balance setting; shown to the organizer's marketers only."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from parvis.crm.models import Contact
from parvis.network.models import Role
from parvis.programming.models import Genre
from parvis.recommendations import report
from parvis.recommendations.models import Arm, Impression, Surface, Tally
from parvis.testing import OrganizerFactory, VenueFactory, login_staff, staff
from parvis.ticketing.models import Order

from .test_event_page import _buy, _show

pytestmark = pytest.mark.django_db

START = timezone.now() - datetime.timedelta(days=60)


def _bought(show, email: str, days: float):
    """`email` buys a ticket of `show`, paid `days` after START (before it when negative)."""
    before = set(Order.objects.values_list("pk", flat=True))
    _buy(show.tariffs.get(), email)
    Order.objects.exclude(pk__in=before).update(paid_at=START + datetime.timedelta(days=days))


def _shown(organizer, email, arm, events, *, days=0.0, curiosity="0.50", clicked=None):
    contact = Contact.objects.get_or_create(organizer=organizer, email=email)[0]
    return Impression.objects.create(
        organizer=organizer,
        surface=Surface.CAMPAIGN,
        arm=arm,
        version=3,
        curiosity=Decimal(curiosity),
        contact=contact,
        events=[show.event_id for show in events],
        at=START + datetime.timedelta(days=days),
        clicked_event_id=clicked.event_id if clicked else None,
        clicked_at=START if clicked else None,
    )


@pytest.fixture
def six(organizer):
    """Three people got their own suggestions, three the common list. P1 knew the club (V1) before,
    opened B and bought it (a new genre in a new place); P2 bought C in the window and A after it; P3's
    first suggestion was under another balance. H1 bought A, suggested to them."""
    v1, v2 = VenueFactory(organizer=organizer), VenueFactory(organizer=organizer)
    a = _show(organizer, "A", venue=v1, days=90)
    b = _show(organizer, "B", genre=Genre.DANCE, venue=v2, days=90)
    c = _show(organizer, "C", venue=v1, days=90)
    _bought(a, "p1@example.org", -5)
    _bought(b, "p1@example.org", 2)
    _bought(c, "p2@example.org", 5)
    _bought(a, "p2@example.org", 40)  # after the 30 days
    _bought(a, "h1@example.org", 1)
    _shown(organizer, "p1@example.org", Arm.PERSONAL, [b, c], clicked=b)
    _shown(organizer, "p1@example.org", Arm.PERSONAL, [c], days=3)
    _shown(organizer, "p2@example.org", Arm.PERSONAL, [b])
    _shown(organizer, "p3@example.org", Arm.PERSONAL, [c], curiosity="0.80")
    for n in (1, 2, 3):
        _shown(organizer, f"h{n}@example.org", Arm.HOLDOUT, [a])
    Impression.objects.create(  # someone who did not consent: counted, not named, not compared
        organizer=organizer,
        surface=Surface.ACCOUNT,
        arm=Arm.COMMON,
        curiosity=Decimal("0.5"),
        events=[],
        at=START,
    )
    Tally.objects.create(
        organizer=organizer,
        day=timezone.localdate(START),
        version=3,
        curiosity=Decimal("0.5"),
        shown=40,
        clicked=4,
    )
    return {"a": a, "b": b, "c": c}


def test_the_personal_group_against_the_holdout_checked_by_hand(organizer, six):
    figures = report.report(
        {"organizer_id": organizer.pk}, START - datetime.timedelta(days=1), timezone.now()
    )

    assert figures["people"] == {Arm.PERSONAL: 3, Arm.HOLDOUT: 3}
    compared = {row.key: row for row in figures["compared"]}
    tickets = compared["tickets"]  # [1, 1, 0] against [1, 0, 0]
    assert (tickets.personal, tickets.holdout) == pytest.approx((2 / 3, 1 / 3))
    # Welch: s² = 1/3 in each group, se = √(2/9) = 0.4714, 4 degrees of freedom, t(0.975; 4) = 2.7764
    assert (tickets.low, tickets.high) == pytest.approx((1 / 3 - 1.3088, 1 / 3 + 1.3088), abs=1e-3)
    assert not tickets.clear and tickets.relative == pytest.approx(100)
    assert compared["clicked"].difference == pytest.approx(1 / 3)
    assert compared["revenue"].personal == pytest.approx(40 / 3)  # two tickets at 20.00
    assert compared["suggested"].personal == pytest.approx(1 / 3)  # P1's B; P2's C was not suggested
    assert compared["suggested"].holdout == pytest.approx(1 / 3)  # H1's A
    assert compared["new_venues"].personal == pytest.approx(2 / 3)  # V2 for P1, V1 for P2
    assert figures["versions"] == [3]

    by_balance = {str(row["curiosity"]): row for row in figures["by_balance"]}
    assert by_balance["0.50"]["people"] == 2 and by_balance["0.80"]["people"] == 1
    assert by_balance["0.50"]["discovery"] == 1.0  # B: a genre and a place new to P1
    assert by_balance["0.80"]["discovery"] is None  # nothing suggested was bought

    surfaces = {row["surface"]: row for row in figures["surfaces"]}
    assert surfaces["Campagne e-mail"]["shown"] == 7 and surfaces["Campagne e-mail"]["clicks"] == 1
    assert surfaces["Compte du spectateur"]["people"] == 0
    assert figures["pages"][0]["shown"] == 40 and figures["pages"][0]["rate"] == pytest.approx(0.1)


def test_without_both_groups_there_is_nothing_to_compare(organizer, six):
    Impression.objects.filter(arm=Arm.HOLDOUT).delete()

    figures = report.report(
        {"organizer_id": organizer.pk}, START - datetime.timedelta(days=1), timezone.now()
    )

    assert figures["compared"] == [] and figures["people"][Arm.HOLDOUT] == 0


URL = "/staff/o/club-a/campagnes/recommandations/rapport/"


def test_the_marketers_read_it_in_their_language_and_nobody_else(client, organizer, six):
    login_staff(client, staff(organizer, Role.MARKETING))
    start = timezone.localdate(START) - datetime.timedelta(days=1)

    page = client.get(URL, {"du": start.isoformat()}).content.decode()

    assert "Ce que changent les suggestions personnelles" in page
    assert "0,67" in page and "+0,33" in page and "+100,00 %" in page  # tickets per person, French
    assert "33,3 %" in page and "+33,3 pts" in page  # the share who opened a suggestion, the difference
    assert "[-100,0 pts ; +100,0 pts]" in page  # within ±100 points however small the groups
    assert client.get(URL, {"du": "2026-13-45", "au": "x"}).status_code == 200  # junk: the default period

    client.logout()
    login_staff(client, staff(organizer, Role.BOX_OFFICE))
    assert client.get(URL).status_code in (403, 404)
    client.logout()
    login_staff(client, staff(OrganizerFactory(slug="club-b"), Role.ADMINISTRATOR))
    assert client.get(URL).status_code in (403, 404)
