"""The door scanner in Chromium on a phone: manual entry online, then offline, then synchronised."""

import io

import pytest
from django.conf import settings

from parvis.checkin.models import Presence, Scan
from parvis.conftest import CHROMIUM
from parvis.network.models import Role
from parvis.testing import staff
from parvis.ticketing import services as sales
from parvis.ticketing.tests.factories import buy, tariff
from parvis.web.tests.conftest import PHONE, axe_violations, go_offline, staff_login

from .test_redeem import _setup, _soon

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def door(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="fr-FR",
        timezone_id="Europe/Paris",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield context, page
    context.close()


def _enter(page, text):
    page.fill("#manual", text)
    page.press("#manual", "Enter")
    page.wait_for_selector("#verdict:not([hidden])")
    verdict = page.eval_on_selector("#verdict", "el => [el.dataset.result, el.dataset.reason]")
    offline = page.is_visible("#verdict-offline")
    page.click("#verdict-close")
    page.wait_for_selector("#verdict", state="hidden")
    return (*verdict, offline)


def test_scanner_online_then_offline_then_synchronised(door):
    context, page = door
    performance, order, checkin_list, device, token = _setup(days=10)
    more = buy(tariff(performance, name="Réduit", price="12.00"), 3)
    _soon(performance)  # the evening has come
    first, second = order.tickets.order_by("number")
    third, fourth, fifth = more.tickets.order_by("number")

    page.goto(f"/porte/#appareil={token}")
    page.get_by_role("button", name="Soirée").click()
    page.wait_for_selector("#screen-scan:not([hidden])")
    assert "appareil" not in page.url  # the token left the address bar
    assert page.inner_text("#door-online") == "En ligne"
    assert axe_violations(page) == []

    assert _enter(page, first.secret) == ("accepted", "", False)
    assert _enter(page, first.secret)[:2] == ("refused", "already_used")
    assert "Porte A" in Scan.objects.filter(reason="already_used").get().gate.name
    assert _enter(page, "n'importe quoi de très long " * 5)[:2] == ("refused", "malformed")

    # Manual search by name, then let the chosen ticket in.
    page.fill("#manual", str(second.number))
    page.press("#manual", "Enter")
    page.get_by_role("button", name="Faire entrer").first.click()
    page.wait_for_selector("#verdict[data-result=accepted]")
    page.click("#verdict-close")
    assert Presence.objects.filter(ticket=second).exists()

    page.evaluate("navigator.serviceWorker.ready")
    # The network drops. Meanwhile the box office refunds a ticket the phone still has as valid.
    sales.tickets_refund(tickets=[fifth])
    go_offline(page)
    assert _enter(page, third.secret) == ("accepted", "", True)
    assert _enter(page, third.secret)[:2] == ("refused", "already_used")
    assert _enter(page, first.secret)[:2] == ("refused", "already_used")  # learnt online
    forged = third.secret[:-4] + ("AAAA" if not third.secret.endswith("AAAA") else "BBBB")
    assert _enter(page, forged)[:2] == ("refused", "invalid")
    assert _enter(page, fifth.secret) == ("accepted", "", True)  # it cannot know yet
    page.wait_for_selector("#door-pending[data-count='5']")
    assert page.inner_text("#door-online") == "Hors ligne"
    assert not Scan.objects.filter(offline=True).exists()

    # The phone reloads while offline: the scanner reopens and nothing recorded is lost.
    page.reload()
    page.wait_for_selector("#screen-scan:not([hidden])")
    page.wait_for_selector("#door-pending[data-count='5']")
    assert _enter(page, third.secret)[:2] == ("refused", "already_used")

    context.set_offline(False)
    page.wait_for_selector("#door-pending[data-count='0']", timeout=15_000)
    offline_scans = Scan.objects.filter(offline=True)
    assert offline_scans.count() == 6
    assert Presence.objects.filter(ticket=third).exists()
    assert not Presence.objects.filter(ticket=fifth).exists()
    flagged = Scan.objects.get(conflict=True)
    assert (flagged.ticket, flagged.reason) == (fifth, "refunded")
    assert "conflit" in page.inner_text("#scan-note")
    assert not Presence.objects.filter(ticket=fourth).exists()

    # The list came back with the sync: offline again, the revoked ticket is now refused on the phone.
    go_offline(page)
    assert _enter(page, fifth.secret)[:2] == ("refused", "refunded")
    assert _enter(page, fourth.secret) == ("accepted", "", True)
    context.set_offline(False)


def test_door_manager_pairs_a_phone_and_follows_attendance_accessibly(door, browser, live_server):
    context, phone = door
    performance, order, checkin_list, _device, _token = _setup()
    manager = staff(performance.organizer, Role.DOOR, username="porte@club.example")
    desk = browser.new_context(base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris")
    page = desk.new_page()
    page.set_default_timeout(10_000)
    try:
        staff_login(page, manager)
        page.get_by_role("link", name="Contrôle d'accès").click()
        assert axe_violations(page) == []
        page.get_by_label("Nom de l'appareil").fill("Téléphone du hall")
        page.get_by_role("button", name="Créer l'appareil").click()
        link = page.get_by_role("link", name="Lien d'appairage").get_attribute("href")
        assert axe_violations(page) == []
        # The phone opens the pairing link and scans.
        phone.goto(link.replace(settings.PARVIS_BASE_URL, ""))
        phone.get_by_role("button", name="Soirée").click()
        assert _enter(phone, order.tickets.first().secret)[0] == "accepted"
        page.goto(f"/staff/o/{performance.organizer.slug}/controle/listes/{checkin_list.pk}/affluence/")
        assert page.inner_text("#stat-entered") == "1 / 2"
        assert axe_violations(page) == []
        _enter(phone, order.tickets.last().secret)
        page.locator("#stat-entered", has_text="2 / 2").wait_for(timeout=15_000)  # refreshed by htmx
    finally:
        desk.close()


def _y4m_of_qr(text: str, path) -> None:
    """A still video (YUV4MPEG2, 4:2:0) of a QR code, for Chromium's fake camera."""
    import segno
    from PIL import Image

    qr = segno.make(text, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=6, border=4)
    buffer.seek(0)
    code = Image.open(buffer).convert("L")
    frame = Image.new("L", (640, 480), 255)
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    y = frame.tobytes()
    chroma = bytes([128]) * (320 * 240)
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(10):
            out.write(b"FRAME\n" + y + chroma + chroma)


def test_the_camera_reads_a_ticket_qr_and_lets_it_in(browser, live_server, tmp_path):
    performance, order, checkin_list, _device, token = _setup()
    ticket = order.tickets.first()
    video = tmp_path / "qr.y4m"
    _y4m_of_qr(ticket.secret, video)
    camera_browser = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera_browser.new_context(base_url=live_server.url, viewport=PHONE, locale="fr-FR")
        context.grant_permissions(["camera"])
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"/porte/#appareil={token}")
        page.get_by_role("button", name="Soirée").click()
        page.get_by_role("button", name="Scanner avec la caméra").click()
        page.wait_for_selector("#verdict[data-result=accepted]")
        assert Presence.objects.filter(ticket=ticket).exists()
    finally:
        camera_browser.close()


def test_member_cards_at_a_door_online_and_offline(door):
    from parvis.checkin.models import CheckinList
    from parvis.checkin.services import device_create
    from parvis.memberships.pdf import card_secret
    from parvis.memberships.services import membership_cancel
    from parvis.memberships.tests.factories import level, member, program

    context, page = door
    performance, _order, _list, _device, _token = _setup(days=10)
    _soon(performance)
    organizer = performance.organizer
    museum = CheckinList.objects.create(organizer=organizer, name="Accueil", admit_members=True)
    museum.performances.add(performance)
    _device2, token = device_create(organizer=organizer, name="Accueil 1")
    friends = program(organizer)
    duo = member(level(friends, persons=2, kind="duo"), other_names=["Léa Lima"])
    gone = member(level(friends, name="Solo"), email="gone@example.org")
    membership_cancel(membership=gone)

    page.goto(f"/porte/#appareil={token}")
    page.get_by_role("button", name="Accueil").click()
    page.wait_for_selector("#screen-scan:not([hidden])")
    assert _enter(page, card_secret(duo)) == ("accepted", "", False)
    page.evaluate("navigator.serviceWorker.ready")
    go_offline(page)
    assert _enter(page, card_secret(duo)) == ("accepted", "", True)  # the second person of the duo
    assert _enter(page, card_secret(duo))[:2] == ("refused", "member_used")
    assert _enter(page, card_secret(gone))[:2] == ("refused", "member_expired")  # cancelled: the list says so
    context.set_offline(False)
    page.wait_for_selector("#door-pending[data-count='0']", timeout=15_000)
    accepted = Scan.objects.filter(membership=duo, accepted=True)
    assert accepted.count() == 2 and accepted.filter(offline=True).count() == 1
    assert not Scan.objects.filter(conflict=True).exists()
