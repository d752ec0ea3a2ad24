"""Buying a card, its page and PDF (signed QR), the door, renewal reminders and one-click renewal."""

import datetime
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pypdfium2
import pytest
import zxingcpp
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from parvis import testing
from parvis.checkin import services as door
from parvis.checkin.models import CheckinList, Scan
from parvis.memberships.models import Membership
from parvis.memberships.services import membership_cancel, renewal_reminders_due
from parvis.memberships.tasks import send_renewal_reminder
from parvis.memberships.tests.factories import level, member, program
from parvis.ticketing import services as sales
from parvis.ticketing import signing
from parvis.ticketing.errors import SaleError
from parvis.ticketing.models import OrderState
from parvis.ticketing.tests.factories import on_sale_performance

pytestmark = pytest.mark.django_db


def _pdf_text(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(data)
    return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def _qr_of(data: bytes) -> str:
    image = pypdfium2.PdfDocument(data).get_page(0).render(scale=3).to_pil()
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)[0].text


def test_joining_online_pays_then_activates_the_card_and_mails_it(
    client, organizer, django_capture_on_commit_callbacks
):
    lvl = level(program(organizer), name="Duo", kind="duo", persons=2, price="50.00")
    page = client.get(f"/adhesion/{lvl.program_id}/")
    assert page.status_code == 200 and "Duo" in page.content.decode()
    response = client.post(
        f"/adhesion/{lvl.program_id}/",
        {
            "level": lvl.pk,
            "first_name": "Ana",
            "last_name": "Lima",
            "email": "ana@example.org",
            "other_names": "Léa Lima\n",
            "terms": "on",
            "provider": "demo",
        },
    )
    assert response.status_code == 302
    card = Membership.objects.get()
    assert card.state == Membership.State.PENDING and card.other_names == ["Léa Lima"]
    order = card.order
    assert order.total == lvl.price and order.extras.get().kind == "membership"
    with django_capture_on_commit_callbacks(execute=True):
        sales.payment_confirm(payment_id=order.payments.get(state="created").pk)
    card.refresh_from_db()
    assert card.state == Membership.State.ACTIVE
    assert card.valid_until.date() == card.valid_from.replace(year=card.valid_from.year + 1).date()
    [message] = mail.outbox
    assert card.code in message.body and card.get_absolute_url() in message.body
    [(name, pdf, kind)] = [a for a in message.attachments if a[0].startswith("carte-adherent")]
    assert kind == "application/pdf" and card.code in _pdf_text(pdf) and "Léa Lima" in _pdf_text(pdf)


def test_the_join_form_refuses_too_many_names_and_unknown_levels(client, organizer):
    lvl = level(program(organizer))
    base = {"first_name": "A", "last_name": "B", "email": "a@example.org", "terms": "on", "provider": "demo"}
    too_many = client.post(f"/adhesion/{lvl.program_id}/", {**base, "level": lvl.pk, "other_names": "C D"})
    assert too_many.status_code == 400 and "au plus 0" in too_many.content.decode()
    unknown = client.post(f"/adhesion/{lvl.program_id}/", {**base, "level": 999})
    assert unknown.status_code == 400
    assert not Membership.objects.exists()
    lvl.program.on_sale = False
    lvl.program.save()
    assert client.get(f"/adhesion/{lvl.program_id}/").status_code == 404


def test_the_card_page_shows_the_signed_qr_and_the_pdf_carries_it(client, organizer):
    card = member(level(program(organizer)))
    page = client.get(card.get_absolute_url())
    assert page.status_code == 200 and "<svg" in page.content.decode() and card.code in page.content.decode()
    assert client.get(card.get_absolute_url().replace(card.secret, "x" * 32)).status_code == 404
    pdf = client.get(card.get_absolute_url() + "carte.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    secret = _qr_of(pdf.content)
    claims = signing.verify_card(secret, signing.public_keys_of(organizer))
    assert claims.membership_id == card.pk and claims.persons == 1
    with pytest.raises(signing.InvalidSecret):  # a card is not a ticket
        signing.verify_secret(secret, signing.public_keys_of(organizer))


def test_the_card_page_makes_the_browser_buy_as_a_member(client, organizer):
    performance = on_sale_performance(organizer=organizer)
    from parvis.ticketing.tests.factories import tariff

    members = tariff(performance, name="Adhérent", price="6.00", kind="member")
    refused = client.post(f"/billets/{performance.pk}/", {f"q-{members.pk}": "1"})
    assert refused.status_code == 409
    card = member(level(program(organizer)))
    client.get(card.get_absolute_url())
    page = client.get(f"/billets/{performance.pk}/")
    assert 'data-testid="member-benefits"' in page.content.decode()
    assert client.post(f"/billets/{performance.pk}/", {f"q-{members.pk}": "1"}).status_code == 302
    cart = client.get("/panier/")
    assert card.code in cart.content.decode()


def _door(organizer, *, admit=True, reentry=False):
    performance = on_sale_performance(organizer=organizer, days=1)
    type(performance).objects.filter(pk=performance.pk).update(
        starts_at=timezone.now() + datetime.timedelta(minutes=30)
    )
    checkin_list = CheckinList.objects.create(
        organizer=organizer, name="Musée", admit_members=admit, allow_reentry=reentry
    )
    checkin_list.performances.add(performance)
    device, token = door.device_create(organizer=organizer, name="Accueil")
    return checkin_list, device, token


def _scan(client, token, checkin_list, secret, **extra):
    return client.post(
        "/api/v1/checkin/redeem",
        {"list": checkin_list.pk, "secret": secret, "nonce": uuid.uuid4().hex, **extra},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    ).json()


def test_the_door_admits_a_duo_card_twice_then_refuses_it(client, organizer):
    from parvis.memberships.pdf import card_pdf

    card = member(level(program(organizer), persons=2, kind="duo"), other_names=["Léa Lima"])
    checkin_list, _device, token = _door(organizer)
    secret = _qr_of(card_pdf(card))
    first = _scan(client, token, checkin_list, secret)
    assert first["result"] == "accepted" and first["member"]["code"] == card.code
    assert first["member"]["name"] == "Ana Lima, Léa Lima" and first["ticket"] is None
    assert _scan(client, token, checkin_list, secret)["result"] == "accepted"
    third = _scan(client, token, checkin_list, secret)
    assert third["result"] == "refused" and third["reason"] == "member_used"
    assert Scan.objects.filter(membership=card, accepted=True).count() == 2


def test_the_door_refuses_cards_where_they_give_no_entry(client, organizer, other_organizer):
    from parvis.memberships.pdf import card_pdf, card_secret

    card = member(level(program(organizer)))
    secret = card_secret(card)
    closed, _d, closed_token = _door(organizer, admit=False)
    assert _scan(client, closed_token, closed, secret)["reason"] == "member_card_refused"
    elsewhere, _d, other_token = _door(other_organizer)
    assert _scan(client, other_token, elsewhere, secret)["reason"] == "member_elsewhere"
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    checkin_list, _d, token = _door(organizer)
    assert _scan(client, token, checkin_list, forged)["reason"] == "invalid"
    membership_cancel(membership=card)
    assert _scan(client, token, checkin_list, _qr_of(card_pdf(card)))["reason"] == "member_expired"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_six_doors_scan_one_duo_card_at_once_two_people_enter():
    from parvis.memberships.pdf import card_secret

    organizer = testing.OrganizerFactory(slug="musee-course")
    card = member(level(program(organizer), persons=2, kind="duo"))
    checkin_list, _device, _token = _door(organizer)
    secret = card_secret(card)
    devices = [door.device_create(organizer=organizer, name=f"Porte {i}")[0] for i in range(6)]
    barrier = threading.Barrier(6)

    def scan(i):
        try:
            barrier.wait(timeout=10)
            verdict = door.redeem(
                device=devices[i], checkin_list=checkin_list, secret=secret, nonce=uuid.uuid4().hex
            )
            return "accepted" if verdict.accepted else verdict.reason
        finally:
            connections.close_all()

    with ThreadPoolExecutor(6) as pool:
        outcomes = Counter(pool.map(scan, range(6)))
    assert outcomes == Counter({"accepted": 2, "member_used": 4}), outcomes


def test_reminders_go_once_before_the_end_with_a_one_click_renewal(client, organizer):
    lvl = level(program(organizer, reminder_days=30), price="30.00")
    card = member(lvl)
    assert renewal_reminders_due() == []  # a year left: nothing to say
    ends = timezone.now() + datetime.timedelta(days=20)
    Membership.objects.filter(pk=card.pk).update(valid_until=ends)
    assert renewal_reminders_due() == [card.pk]
    mail.outbox.clear()
    send_renewal_reminder.call(membership_id=card.pk)
    send_renewal_reminder.call(membership_id=card.pk)  # a second run sends nothing
    [reminder] = mail.outbox
    renew_url = card.get_absolute_url() + "renouveler/"
    assert renew_url in reminder.body and renewal_reminders_due() == []
    page = client.get(renew_url)
    assert page.status_code == 200
    response = client.post(renew_url, {"provider": "demo"})
    assert response.status_code == 302
    renewal = Membership.objects.get(renewed_from=card)
    assert renewal.state == Membership.State.PENDING and renewal.valid_from == ends  # no day is lost
    sales.payment_confirm(payment_id=renewal.order.payments.get(state="created").pk)
    renewal.refresh_from_db()
    assert renewal.state == Membership.State.ACTIVE and renewal.level == lvl
    assert renewal.valid_until.date() == (ends + datetime.timedelta(days=365)).date()
    again = client.post(renew_url, {"provider": "demo"})  # the same link twice: one renewal
    assert again.status_code == 302 and Membership.objects.filter(renewed_from=card).count() == 1


def test_renewal_is_refused_far_from_the_end_and_after_a_renewal(organizer):
    from parvis.memberships.services import membership_renew

    card = member(level(program(organizer)))
    with pytest.raises(SaleError) as refused:
        membership_renew(membership=card, provider_code="demo")
    assert refused.value.code == "membership_renewed"


def test_refunding_a_membership_order_cancels_the_card(organizer):
    card = member(level(program(organizer), price="30.00"))
    sales.order_cancel(order=card.order, reason="changed mind")
    card.refresh_from_db()
    card.order.refresh_from_db()
    assert card.state == Membership.State.CANCELLED and card.order.state == OrderState.REFUNDED
    assert card.order.payments.filter(amount__lt=0).exists() or card.order.payments.filter(state="refunded")


def test_forgetting_the_card_in_this_browser_never_redirects_elsewhere(client, organizer):
    card = member(level(program(organizer)))
    client.get(card.get_absolute_url())
    assert client.session.get("parvis_membership") == card.pk
    response = client.post("/adhesion/oublier/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "parvis_membership" not in client.session
