"""B2B meetings: asked, answered (or accepted at once, or expired unanswered — judged when read), placed
in slots at tables by the batch scheduler (no one twice at once, no table twice, sessions and
unavailabilities avoided, nothing placed before moved) or live during the market; the scheduler's own
figures against its greedy baseline and its upper bound; leads scanned, shared only with consent."""

import datetime
import io
import random
import uuid

import openpyxl
import pytest
from django.db import IntegrityError
from django.utils import timezone

from parvis.core.models import AuditLogEntry
from parvis.crm.models import Interaction
from parvis.market import badges, leads, meetings, scheduling, sessions
from parvis.market.accreditation import MarketError
from parvis.market.models import Meeting, MeetingSeat, Unavailability

from .factories import category, exhibitor, market, participant

pytestmark = pytest.mark.django_db


def _slots(fair, day, count):
    start = datetime.datetime.combine(day, datetime.time(9), tzinfo=fair.venue.tzinfo)
    meetings.slots_create(
        market=fair,
        day=day,
        start=datetime.time(9),
        end=(start + datetime.timedelta(minutes=20 * count)).time(),
    )


def test_a_request_is_answered_expires_unanswered_or_is_accepted_at_once_by_those_who_chose_so():
    fair = market()
    pro = category(fair)
    ana, ben, chloe = (participant(fair, pro, n) for n in range(3))
    asked = meetings.request(requester=ana, recipient=ben, topic="Coproduction")
    with pytest.raises(MarketError, match="déjà en cours"):
        meetings.request(requester=ben, recipient=ana, topic="Autre")
    with pytest.raises(MarketError, match="Seule la personne"):
        meetings.answer(meeting=asked, participant=ana, accept=True)
    assert meetings.answer(meeting=asked, participant=ben, accept=True).state == "accepted"
    late = meetings.request(requester=chloe, recipient=ben, topic="Tournée")
    Meeting.objects.filter(pk=late.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(MarketError, match="n'attend plus"):
        meetings.answer(meeting=late, participant=ben, accept=True)
    assert Meeting.objects.get(pk=late.pk).state == "expired"
    chloe.auto_accept = True
    chloe.save()
    assert meetings.request(requester=ana, recipient=chloe, topic="Diffusion").state == "accepted"
    assert Interaction.objects.filter(kind="market", ref=f"meeting:{asked.pk}").count() == 2
    with pytest.raises(MarketError, match="vous-même"):
        meetings.request(requester=ana, recipient=ana, topic="Moi")
    refused = participant(fair, pro, 9, state="applied")
    with pytest.raises(MarketError, match="accrédités"):
        meetings.request(requester=refused, recipient=ana, topic="X")


def test_an_exhibitor_is_asked_through_its_lead():
    fair = market()
    pro = category(fair)
    visitor, lead = participant(fair, pro, 1), participant(fair, pro, 2)
    studio = exhibitor(fair, 1)
    with pytest.raises(MarketError, match="ne reçoit pas"):
        meetings.request(requester=visitor, exhibitor=studio, topic="Démo")
    studio.lead = lead
    studio.save()
    meeting = meetings.request(requester=visitor, exhibitor=studio, topic="Démo")
    assert meeting.recipient == lead and meeting.exhibitor == studio


def test_the_batch_places_accepted_meetings_without_conflict_around_sessions_and_unavailabilities():
    fair = market(length=2)
    for offset in range(2):
        _slots(fair, fair.starts_on + datetime.timedelta(days=offset), 6)
    meetings.tables_create(market=fair, area="Salon", count=3)
    pro = category(fair)
    people = [participant(fair, pro, n, auto_accept=True) for n in range(8)]
    first_slot = fair.meeting_slots.order_by("starts_at").first()
    talk = sessions.session_create(
        actor=None,
        market=fair,
        title="Keynote",
        kind="talk",
        starts_at=first_slot.starts_at,
        ends_at=first_slot.starts_at + datetime.timedelta(minutes=40),
        capacity=100,
    )
    sessions.register(session=talk, participant=people[0])
    Unavailability.objects.create(
        participant=people[1],
        starts_at=first_slot.starts_at,
        ends_at=first_slot.starts_at + datetime.timedelta(days=1),
    )
    chance = random.Random(4)
    pairs = set()
    while len(pairs) < 20:
        a, b = chance.sample(range(8), 2)
        pairs.add((min(a, b), max(a, b)))
    for a, b in sorted(pairs):
        meetings.request(requester=people[a], recipient=people[b], topic=f"{a}-{b}")
    result = meetings.schedule_market(actor=None, market=fair, seconds=2)
    assert result.conflicts == 0 and len(result.placed) <= result.bound
    placed = Meeting.objects.filter(market=fair, slot__isnull=False)
    assert placed.count() == len(result.placed) >= len(result.baseline)
    assert result.gaps <= result.baseline_gaps or len(result.placed) > len(result.baseline)
    seats = list(MeetingSeat.objects.filter(slot__market=fair).values_list("participant_id", "slot_id"))
    assert len(seats) == len(set(seats)) == 2 * placed.count()
    assert len(set(placed.values_list("slot_id", "table_id"))) == placed.count()
    busy_zero = placed.filter(slot__starts_at__lt=talk.performance.ends_at).filter(
        requester=people[0]
    ) | placed.filter(slot__starts_at__lt=talk.performance.ends_at, recipient=people[0])
    assert not busy_zero.exists()
    day_one_end = first_slot.starts_at + datetime.timedelta(days=1)
    assert not MeetingSeat.objects.filter(participant=people[1], slot__starts_at__lt=day_one_end).exists()
    # Placed meetings stay where they are; a new acceptance joins them in the next run.
    before = dict(placed.values_list("pk", "slot_id"))
    extra = participant(fair, pro, 20)
    assert meetings.request(requester=extra, recipient=people[7], topic="Nouveau").state == "accepted"
    meetings.schedule_market(actor=None, market=fair, seconds=1)
    assert all(Meeting.objects.get(pk=pk).slot_id == slot for pk, slot in before.items())
    assert AuditLogEntry.objects.filter(action="market.schedule").count() == 2
    # The database refuses a second meeting for someone already seated in that slot, whoever writes it.
    seat = MeetingSeat.objects.filter(slot__market=fair).first()
    with pytest.raises(IntegrityError):
        MeetingSeat.objects.create(
            meeting_id=seat.meeting_id, participant_id=seat.participant_id, slot_id=seat.slot_id
        )


def test_during_the_market_an_accepted_meeting_takes_the_next_slot_both_have_free():
    fair = market(days_ahead=0, length=2)
    meetings.slots_create(
        market=fair, day=fair.ends_on, start=datetime.time(9), end=datetime.time(10)
    )  # tomorrow morning: after now, whatever the hour of the test
    meetings.tables_create(market=fair, area="Salon", count=2)
    pro = category(fair)
    a, b, c, d, e = (participant(fair, pro, n, auto_accept=True) for n in range(5))
    slots = list(fair.meeting_slots.order_by("starts_at"))
    Unavailability.objects.create(participant=d, starts_at=slots[0].starts_at, ends_at=slots[0].ends_at)
    first = meetings.request(requester=a, recipient=b, topic="1")
    second = meetings.request(requester=c, recipient=b, topic="2")
    third = meetings.request(requester=d, recipient=e, topic="3")
    assert Meeting.objects.get(pk=first.pk).slot == slots[0]
    assert Meeting.objects.get(pk=second.pk).slot == slots[1]  # b is taken at the first
    assert Meeting.objects.get(pk=third.pk).slot == slots[1]  # a table was free at the first, d was not


def test_the_scheduler_beats_its_baseline_and_respects_every_rule_on_a_crowded_market():
    chance = random.Random(7)
    people, slots = 60, 20
    busy = {p: frozenset(chance.sample(range(slots), 3)) for p in range(people)}
    pairs = set()
    while len(pairs) < 240:
        a, b = chance.sample(range(people), 2)
        pairs.add((min(a, b), max(a, b)))
    problem = scheduling.Problem(
        day_of=[s // 10 for s in range(slots)],
        tables=[12] * slots,
        busy=busy,
        meetings=[(i, a, b) for i, (a, b) in enumerate(sorted(pairs))],
        fixed={0: 5},
    )
    result = scheduling.schedule(problem, seconds=3)
    assert result.conflicts == 0 and result.placed[0] == 5
    assert len(result.placed) >= len(result.baseline) and len(result.placed) <= result.bound
    assert result.gaps < result.baseline_gaps
    broken = dict(result.placed)
    other = next(
        m
        for m, s in broken.items()
        if m != 0 and s != 5 and set(problem.meetings[m][1:]) & set(problem.meetings[0][1:])
    )
    broken[other] = 5
    assert scheduling.conflicts(problem, broken) > 0  # the checker itself sees a person twice at once


def test_an_exhibitor_scans_badges_and_sees_details_only_with_consent():
    fair = market()
    pro = category(fair)
    studio = exhibitor(fair, 1)
    sharing = participant(fair, pro, 1, share_with_exhibitors=True, email="partage@pro.example")
    private = participant(fair, pro, 2)
    nonce = uuid.uuid4().hex
    lead = leads.scan(exhibitor=studio, secret=badges.badge_secret(sharing), nonce=nonce, rating=4, tags="VR")
    again = leads.scan(
        exhibitor=studio, secret=badges.badge_secret(sharing), nonce=nonce, note="Rappeler en mars"
    )
    assert again.pk == lead.pk and again.rating == 4 and again.note == "Rappeler en mars"
    leads.scan(exhibitor=studio, secret=badges.badge_secret(private), nonce=uuid.uuid4().hex)
    with pytest.raises(MarketError, match="La note"):
        leads.scan(exhibitor=studio, secret=badges.badge_secret(private), nonce="x" * 10, rating=9)
    with pytest.raises(MarketError, match="pas un badge"):
        leads.scan(exhibitor=studio, secret="nimportequoi", nonce="y" * 10)
    text = leads.export_csv(studio)
    assert "partage@pro.example" in text and "Rappeler en mars" in text
    assert private.email not in text and private.last_name not in text and private.code in text
    sheet = openpyxl.load_workbook(io.BytesIO(leads.export_xlsx(studio))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Badge" and len(rows) == 3


def test_the_team_sees_each_days_meetings_records_and_clears_no_shows_and_exports_the_plan(client):
    import csv as csv_module

    from django.test import Client

    from parvis.network.models import Role
    from parvis.testing import login_staff, staff

    fair = market(days_ahead=1, length=2)
    meetings.slots_create(market=fair, day=fair.starts_on, start=datetime.time(9), end=datetime.time(10))
    meetings.tables_create(market=fair, area="Salon", count=2)
    pro = category(fair)
    a, b, c = (participant(fair, pro, n, auto_accept=True) for n in range(3))
    first = meetings.request(requester=a, recipient=b, topic="Coproduction")
    second = meetings.request(requester=c, recipient=b, topic="Tournée")
    meetings.schedule_market(actor=None, market=fair, seconds=1, notify=False)
    assert Meeting.objects.filter(slot__isnull=False).count() == 2
    url = f"/staff/o/{fair.organizer.slug}/marche/{fair.slug}/rendez-vous/"
    team, reader = Client(), Client()
    login_staff(team, staff(fair.organizer, Role.PROGRAMMING))
    login_staff(reader, staff(fair.organizer, Role.READ_ONLY))
    page = team.get(url + f"?jour={fair.starts_on}").content.decode()
    assert "2 rendez-vous placés ce jour, 0 avec une absence" in page and a.name in page

    # At the tables, b never came to either meeting; the team notes it, then corrects one.
    for meeting in (first, second):
        answer = team.post(url, {"jour": fair.starts_on, "meeting": meeting.pk, "action": "recipient"})
        assert answer.status_code == 302 and answer["Location"].endswith(f"?jour={fair.starts_on}")
    assert set(Meeting.objects.values_list("no_show", flat=True)) == {b.pk}
    page = team.get(url + f"?jour={fair.starts_on}").content.decode()
    assert "2 avec une absence" in page and 'data-testid="meetings-repeated"' in page
    assert reader.post(url, {"meeting": first.pk, "action": "present"}).status_code == 403
    assert reader.get(url).status_code == 200  # reading is allowed
    team.post(url, {"jour": fair.starts_on, "meeting": first.pk, "action": "present"})
    assert Meeting.objects.get(pk=first.pk).no_show_id is None
    assert AuditLogEntry.objects.filter(action="market.no_show_clear").count() == 1
    # The plan of the day for the tables' hosts.
    export = team.get(url + f"?jour={fair.starts_on}&format=csv")
    rows = list(csv_module.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Heure" and len(rows) == 3
    assert [r[-1] for r in rows[1:]].count(b.name) == 1  # the absence left on the second meeting
    # A meeting of another market is not this page's to mark.
    other = market(slug="autre")
    stranger = meetings.request(
        requester=participant(other, category(other), 7, auto_accept=True),
        recipient=participant(other, category(other), 8, auto_accept=True),
        topic="Ailleurs",
    )
    assert team.post(url, {"meeting": stranger.pk, "action": "requester"}).status_code == 404


def test_the_batch_placement_says_it_is_under_way_and_is_asked_once(
    client, django_capture_on_commit_callbacks
):
    from parvis.market.models import Market
    from parvis.network.models import Role
    from parvis.testing import login_staff, staff

    fair = market()
    login_staff(client, staff(fair.organizer, Role.PROGRAMMING))
    url = f"/staff/o/{fair.organizer.slug}/marche/{fair.slug}/"
    page = client.post(url, {"action": "schedule"}, follow=True).content.decode()
    assert (
        "Créez d&#x27;abord les créneaux" in page and Market.objects.get(pk=fair.pk).schedule_asked_at is None
    )
    _slots(fair, fair.starts_on, 3)
    meetings.tables_create(market=fair, area="Salon", count=2)
    pro = category(fair)
    ana, ben = participant(fair, pro, 1), participant(fair, pro, 2, auto_accept=True)
    meetings.request(requester=ana, recipient=ben, topic="Tournée")
    login_staff(client, staff(fair.organizer, Role.PROGRAMMING))
    url = f"/staff/o/{fair.organizer.slug}/marche/{fair.slug}/"
    with django_capture_on_commit_callbacks(execute=False) as asked:
        page = client.post(url, {"action": "schedule"}, follow=True).content.decode()
        again = client.post(url, {"action": "schedule"}, follow=True).content.decode()
    assert len(asked) == 1 and Market.objects.get(pk=fair.pk).schedule_asked_at is not None
    assert 'data-testid="schedule-running"' in page and 'hx-trigger="every 5s"' in page
    assert 'data-testid="schedule" disabled' in page and "déjà en cours" in again
    asked[0]()  # the worker places them
    page = client.get(url).content.decode()
    assert Market.objects.get(pk=fair.pk).schedule_asked_at is None
    assert 'data-testid="last-schedule"' in page and "schedule-running" not in page and "every 5s" not in page
