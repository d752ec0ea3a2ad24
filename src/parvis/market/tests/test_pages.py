"""The market's pages as people use them: apply, the team reviews (per role, never another organizer's
market), the participant's page by its signed link only, the directory showing only those who opted in,
sessions and meetings from the participant's page, a stand booked from the floor plan, leads synced."""

import datetime
import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from parvis.market import badges, sessions
from parvis.market.models import Meeting, Participant, Registration, StandBooking
from parvis.network.models import Role
from parvis.testing import OrganizerFactory, login_staff, staff

from .factories import category, exhibitor, market, participant, stand

pytestmark = pytest.mark.django_db


def test_apply_then_the_team_reviews_and_another_organizer_cannot(client):
    fair = market()
    pro = category(fair, fee="50.00")
    url = reverse("market:apply", args=[fair.organizer.slug, fair.slug, pro.pk])
    bad = client.post(url, {"first_name": "Léa", "email": "pas-un-email"})
    assert bad.status_code == 400 and not Participant.objects.exists()
    page = client.post(
        url,
        {
            "first_name": "Léa",
            "last_name": "Roux",
            "email": "lea@label.example",
            "organisation_name": "Label Roux",
            "role": "Directrice",
            "siret": "73282932000074",
            "billing_address": "1 quai, Lyon",
            "in_directory": "on",
        },
    )
    applicant = Participant.objects.get()
    assert page.status_code == 302 and page["Location"] == applicant.get_absolute_url()
    assert client.get(applicant.get_absolute_url()).status_code == 200
    assert client.get(reverse("market:participant", args=[applicant.code, "faux"])).status_code == 404
    review = reverse("staff:market_application", args=[fair.organizer.slug, fair.slug, applicant.code])
    login_staff(client, staff(fair.organizer, Role.READ_ONLY))
    assert client.get(review).status_code == 200
    assert client.post(review, {"decision": "approve"}).status_code == 403
    login_staff(client, staff(OrganizerFactory(), Role.ADMINISTRATOR))
    assert client.get(review).status_code in (403, 404)
    login_staff(client, staff(fair.organizer, Role.PROGRAMMING))
    assert client.post(review, {"decision": "refuse"}).status_code == 400  # a refusal needs its reason
    assert client.post(review, {"decision": "approve"}).status_code == 302
    assert Participant.objects.get().state == "approved"
    board = client.get(reverse("staff:market_detail", args=[fair.organizer.slug, fair.slug]))
    assert board.status_code == 200 and "Label Roux" not in board.content.decode()  # no longer waiting


def test_the_directory_shows_only_those_who_opted_in_and_their_email_only_if_they_said_so(client):
    fair = market()
    pro = category(fair)
    participant(
        fair, pro, 1, in_directory=True, interests="jeu vidéo", email="visible@a.example", show_email=True
    )
    participant(fair, pro, 2, in_directory=True, interests="jeu vidéo", email="cache@a.example")
    participant(fair, pro, 3, in_directory=False, interests="jeu vidéo")
    page = client.get(
        reverse("market:directory", args=[fair.organizer.slug, fair.slug]), {"q": "jeu"}
    ).content.decode()
    assert "Nom1" in page and "Nom2" in page and "Nom3" not in page
    assert "visible@a.example" in page and "cache@a.example" not in page


def test_from_their_page_a_participant_registers_asks_a_meeting_and_the_other_accepts(client):
    fair = market()
    pro = category(fair)
    ana = participant(fair, pro, 1)
    ben = participant(fair, pro, 2, in_directory=True, last_name="Bernard")
    start = timezone.now() + datetime.timedelta(days=30)
    talk = sessions.session_create(
        actor=None,
        market=fair,
        title="Atelier XR",
        kind="demonstration",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        capacity=1,
    )
    client.post(reverse("market:registration", args=[ana.code, ana.secret, talk.pk]), {"action": "register"})
    assert Registration.objects.get(participant=ana).state == "registered"
    found = client.get(ana.get_absolute_url(), {"q": "bernard"}).content.decode()
    assert "Bernard" in found
    client.post(
        reverse("market:meeting_request", args=[ana.code, ana.secret]),
        {"recipient": ben.pk, "topic": "Tournée"},
    )
    meeting = Meeting.objects.get()
    assert meeting.requester == ana and meeting.state == "pending"
    assert "Tournée" in client.get(ben.get_absolute_url()).content.decode()
    client.post(
        reverse("market:meeting_action", args=[ben.code, ben.secret, meeting.pk]), {"action": "accept"}
    )
    assert Meeting.objects.get().state == "accepted"
    ics = client.get(reverse("market:agenda_ics", args=[ana.code, ana.secret])).content.decode()
    assert "Atelier XR" in ics
    assert (
        client.get(reverse("market:badge", args=[ana.code, ana.secret]))["Content-Type"] == "application/pdf"
    )


def test_an_exhibitor_books_a_free_stand_on_the_plan_with_a_purchase_order(client):
    fair = market()
    category(fair, kind="exhibitor", access=["market"])
    booth = stand(fair, "E5", price="1000.00")
    url = reverse("market:exhibitors", args=[fair.organizer.slug, fair.slug])
    assert "Stand E5, libre" in client.get(url).content.decode()
    page = client.post(
        url + f"?stand={booth.pk}",
        {
            "stand": booth.pk,
            "name": "Atelier Pixel",
            "contact_email": "contact@pixel.example",
            "siret": "73282932000074",
            "billing_address": "Marseille",
            "contact_first_name": "Sam",
            "contact_last_name": "Pixel",
            "purchase_order": "BC-77",
        },
    )
    booking = StandBooking.objects.get()
    assert page.status_code == 302 and booking.purchase_order == "BC-77" and booking.order.total == 1200
    lead = booking.exhibitor.lead
    assert lead is not None and lead.accredited and page["Location"] == lead.get_absolute_url()
    assert "Stand E5 : Atelier Pixel" in client.get(url).content.decode()


def test_lead_scans_sync_idempotently_and_export(client):
    fair = market()
    pro = category(fair)
    studio = exhibitor(fair, 1)
    scanner = participant(fair, pro, 1, exhibitor=studio)
    visitor = participant(fair, pro, 2, share_with_exhibitors=True)
    sync = reverse("market:leads_sync", args=[scanner.code, scanner.secret])
    nonce = uuid.uuid4().hex
    body = {
        "scans": [
            {
                "secret": badges.badge_secret(visitor),
                "nonce": nonce,
                "rating": 3,
                "scanned_at": timezone.now().isoformat(),
            },
            {"secret": "faux", "nonce": "n2"},
        ]
    }
    answer = client.post(sync, json.dumps(body), content_type="application/json").json()["results"]
    assert answer[0]["ok"] and answer[0]["lead"]["name"] == visitor.name and not answer[1]["ok"]
    again = client.post(sync, json.dumps(body), content_type="application/json").json()["results"]
    assert again[0]["ok"] and studio.leads.count() == 1
    csv = client.get(
        reverse("market:leads", args=[scanner.code, scanner.secret]), {"format": "csv"}
    ).content.decode()
    assert visitor.email in csv
    outsider = participant(fair, pro, 3)
    assert client.get(reverse("market:leads", args=[outsider.code, outsider.secret])).status_code == 404


def test_a_company_orders_badges_pays_and_names_its_people_from_the_link_of_the_order(
    client, django_capture_on_commit_callbacks
):
    from django.core import mail

    from parvis.market.models import BadgePack
    from parvis.ticketing.services import checkout

    fair = market()
    pro = category(fair, fee="40.00")
    home = reverse("market:home", args=[fair.organizer.slug, fair.slug])
    page = client.post(
        home,
        {
            "category": pro.pk,
            "quantity": 2,
            "organisation_name": "Réseau Sud",
            "email": "achats@sud.example",
            "provider": "demo",
        },
    )
    pack = BadgePack.objects.get()
    assert page.status_code == 302 and pack.order.total == 80
    naming = client.get(pack.get_absolute_url()).content.decode()
    assert "pas encore payé" in naming
    with django_capture_on_commit_callbacks(execute=True):
        checkout.payment_confirm(payment_id=pack.order.payments.get().pk)
    assert any(pack.get_absolute_url() in m.body for m in mail.outbox)  # the order's e-mail links it
    for n in range(2):
        client.post(
            pack.get_absolute_url(), {"first_name": f"N{n}", "last_name": "Sud", "email": f"{n}@sud.example"}
        )
    assert pack.badges.filter(state="accredited").count() == 2
    full = client.post(
        pack.get_absolute_url(), {"first_name": "X", "last_name": "Sud", "email": "x@sud.example"}
    )
    assert full.status_code == 400 and pack.badges.count() == 2
    assert client.get(reverse("market:pack", args=[pack.code, "faux"])).status_code == 404


def test_a_no_show_is_recorded_by_the_one_who_waited_and_reminders_go_once(
    client, django_capture_on_commit_callbacks
):
    from django.core import mail
    from django.core.management import call_command

    from parvis.market import meetings

    fair = market(days_ahead=1, length=1)
    pro = category(fair)
    ana, ben = participant(fair, pro, 1), participant(fair, pro, 2, auto_accept=True)
    meetings.slots_create(market=fair, day=fair.starts_on, start=datetime.time(9), end=datetime.time(10))
    meetings.tables_create(market=fair, area="Salon", count=1)
    meeting = meetings.request(requester=ana, recipient=ben, topic="Coprod")
    meetings.schedule_market(actor=None, market=fair, seconds=1, notify=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("market_reminders")
        call_command("market_reminders")
    reminders = [m for m in mail.outbox if "votre agenda" in m.subject]
    assert sorted(m.to[0] for m in reminders) == sorted([ana.email, ben.email])
    assert "Coprod" in reminders[0].body
    Meeting.objects.filter(pk=meeting.pk).update(slot=fair.meeting_slots.first())
    type(fair.meeting_slots.first()).objects.filter(pk=meeting.slot_id or 0).update(
        starts_at=timezone.now() - datetime.timedelta(minutes=30),
        ends_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    client.post(
        reverse("market:meeting_action", args=[ana.code, ana.secret, meeting.pk]), {"action": "no_show"}
    )
    assert Meeting.objects.get(pk=meeting.pk).no_show == ben


def test_an_exhibitor_edits_its_public_profile_from_its_contacts_page(client):
    fair = market()
    pro = category(fair)
    studio = exhibitor(fair, 1)
    lead = participant(fair, pro, 1, exhibitor=studio)
    url = reverse("market:leads", args=[lead.code, lead.secret])
    client.post(
        url, {"description": "Outils de captation volumétrique", "categories": "XR", "published": "on"}
    )
    assert (
        "captation volumétrique"
        in client.get(reverse("market:exhibitors", args=[fair.organizer.slug, fair.slug])).content.decode()
    )


def test_the_team_builds_its_market_from_the_board(client):
    from parvis.market.models import Category, MeetingSlot, MeetingTable, Session, Stand, StandOption

    fair = market()
    board = reverse("staff:market_detail", args=[fair.organizer.slug, fair.slug])
    login_staff(client, staff(fair.organizer, Role.BOX_OFFICE))
    assert (
        client.post(board, {"action": "stands"}).status_code == 403
    )  # sells tickets, does not run the market
    login_staff(client, staff(fair.organizer, Role.PROGRAMMING))
    client.post(
        board,
        {
            "action": "category",
            "category-name": "Presse",
            "category-kind": "press",
            "category-colour": "#b91c1c",
            "category-fee": "0",
            "category-vat_rate": "20.00",
            "category-access": ["market", "sessions"],
            "category-open_to_applications": "on",
        },
    )
    assert Category.objects.get(market=fair).access == ["market", "sessions"]
    client.post(
        board,
        {
            "action": "stands",
            "stands-zone": "Pavillon Québec",
            "stands-pavilion": "on",
            "stands-prefix": "Q",
            "stands-count": "14",
            "stands-width": "3",
            "stands-depth": "2",
            "stands-price": "450",
            "stands-badges_included": "2",
        },
    )
    labels = set(Stand.objects.filter(market=fair).values_list("label", flat=True))
    assert len(labels) == 14 and "Q14" in labels
    assert Stand.objects.get(label="Q13").y > Stand.objects.get(label="Q1").y  # a second row
    client.post(
        board, {"action": "option", "option-name": "Prise 16 A", "option-kind": "power", "option-price": "60"}
    )
    assert StandOption.objects.get(market=fair).kind == "power"
    day = fair.starts_on.isoformat()
    client.post(board, {"action": "slots", "slots-day": day, "slots-start": "09:00", "slots-end": "12:00"})
    client.post(board, {"action": "tables", "tables-area": "Salon", "tables-count": "20"})
    assert MeetingSlot.objects.filter(market=fair).count() == 9 and MeetingTable.objects.count() == 20
    client.post(
        board,
        {
            "action": "session",
            "session-title": "Table ronde XR",
            "session-kind": "round_table",
            "session-starts_at": f"{day}T14:00",
            "session-ends_at": f"{day}T15:00",
            "session-capacity": "40",
        },
    )
    session = Session.objects.get()
    assert session.performance.event.title == "Table ronde XR" and session.capacity == 40
    page = client.get(board).content.decode()
    assert "Table ronde XR" in page and "14 stands libres" in page


def test_an_exhibitor_lead_names_its_team_within_the_quota_and_is_asked_for_meetings(client):
    fair = market()
    pro = category(fair)
    category(fair, kind="exhibitor", access=["market"])
    studio = exhibitor(fair, 1, name="Studio Volume")
    lead = participant(fair, pro, 1, exhibitor=studio)
    studio.lead = lead
    studio.save()
    from parvis.market import stands as stand_services

    stand_services.book(stand=stand(fair, "F1", badges_included=2), exhibitor=studio, purchase_order="BC-9")
    url = reverse("market:leads", args=[lead.code, lead.secret])
    data = {
        "action": "staff",
        "staff-first_name": "Noé",
        "staff-last_name": "Volume",
        "staff-email": "noe@v.example",
    }
    client.post(url, data)
    client.post(url, {**data, "staff-email": "autre@v.example"})
    # The lead is one of the stand's two badges: one more is named, the third refused.
    assert sorted(studio.staff.values_list("email", flat=True)) == sorted([lead.email, "noe@v.example"])
    visitor = participant(fair, pro, 2)
    found = client.get(visitor.get_absolute_url(), {"q": "volume"}).content.decode()
    assert "Studio Volume" in found
    client.post(
        reverse("market:meeting_request", args=[visitor.code, visitor.secret]),
        {"exhibitor": studio.pk, "topic": "Démonstration"},
    )
    assert Meeting.objects.get().recipient == lead


def test_a_signed_in_customer_finds_their_accreditation_in_their_account(client):
    from parvis.accounts import customers

    fair = market()
    me = participant(fair, category(fair), 1, email="ana@example.org")
    token = customers.sign_in_link("ana@example.org").rsplit("/", 2)[-2]
    assert client.post(f"/compte/lien/{token}/").status_code == 302
    page = client.get("/compte/").content.decode()
    assert fair.name in page and me.get_absolute_url() in page
