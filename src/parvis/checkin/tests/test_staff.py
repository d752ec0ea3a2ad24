"""Staff pages of the door: pairing devices, revoking them, lists with rules, attendance, conflicts; roles."""

import re
import uuid

import pytest

from parvis.checkin import services
from parvis.checkin.models import CheckinList, Device, Gate, Scan
from parvis.core.models import AuditLogEntry
from parvis.network.models import Role
from parvis.testing import OrganizerFactory, login_staff, staff
from parvis.ticketing.tests.factories import on_sale_performance, tariff

from .test_redeem import _redeem, _setup

pytestmark = pytest.mark.django_db


def test_door_manager_pairs_a_device_whose_token_works_once_shown(client):
    performance, order, checkin_list, _device, _token = _setup()
    organizer = performance.organizer
    login_staff(client, staff(organizer, Role.DOOR))
    url = f"/staff/o/{organizer.slug}/controle/"
    assert client.post(url, {"form": "gate", "gate-name": "Porte B"}).status_code == 302
    gate = Gate.objects.get(name="Porte B")
    response = client.post(url, {"form": "device", "device-name": "Téléphone 7", "device-gate": gate.pk})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    token = re.search(r'id="device-token">([^<]+)<', response.content.decode()).group(1)
    assert "#appareil=" + token in response.content.decode()
    device = Device.objects.get(name="Téléphone 7")
    assert device.gate == gate and token not in str(device.token_hash)
    ok = _redeem(client, token, checkin_list, order.tickets.first().secret).json()
    assert ok["result"] == "accepted"
    assert Scan.objects.get(device=device).gate == gate
    assert set(AuditLogEntry.objects.values_list("action", flat=True)) >= {
        "checkin.gate_create",
        "checkin.device_create",
    }
    # The token is not shown again on the page.
    assert token not in client.get(url).content.decode()
    # Revoked: the phone is refused at once.
    assert client.post(f"{url}appareils/{device.pk}/retirer/").status_code == 302
    assert _redeem(client, token, checkin_list, order.tickets.last().secret).status_code == 401
    assert AuditLogEntry.objects.filter(action="checkin.device_revoke").count() == 1


def test_lists_are_created_with_rules_and_tariffs_of_their_dates_only(client):
    performance = on_sale_performance()
    organizer = performance.organizer
    full, youth = tariff(performance, "Plein"), tariff(performance, "Jeune", price="8.00")
    other = on_sale_performance(organizer=organizer)
    foreign_tariff = tariff(other, "Ailleurs")
    login_staff(client, staff(organizer, Role.DOOR))
    url = f"/staff/o/{organizer.slug}/controle/listes/nouvelle/"
    bad = client.post(
        url,
        {
            "name": "Jeunes",
            "performances": [performance.pk],
            "tariffs": [foreign_tariff.pk],
            "opens_minutes_before": 60,
            "slot_tolerance_minutes": 15,
        },
    )
    assert bad.status_code == 200 and not CheckinList.objects.filter(default_for=None).exists()
    assert "Ailleurs" in bad.context["form"].errors["tariffs"][0]
    good = client.post(
        url,
        {
            "name": "Jeunes",
            "performances": [performance.pk],
            "tariffs": [youth.pk],
            "opens_minutes_before": 60,
            "slot_tolerance_minutes": 15,
            "allow_reentry": "on",
        },
    )
    assert good.status_code == 302
    checkin_list = CheckinList.objects.get(default_for=None)
    assert (checkin_list.allow_reentry, checkin_list.opens_minutes_before) == (True, 60)
    assert list(checkin_list.tariffs.all()) == [youth] and full not in checkin_list.tariffs.all()
    edit = client.post(
        f"/staff/o/{organizer.slug}/controle/listes/{checkin_list.pk}/",
        {
            "name": "Jeunes et festival",
            "performances": [performance.pk, other.pk],
            "opens_minutes_before": 30,
            "slot_tolerance_minutes": 15,
        },
    )
    assert edit.status_code == 302
    checkin_list.refresh_from_db()
    assert checkin_list.performance_ids == {performance.pk, other.pk} and not checkin_list.tariffs.exists()
    entry = AuditLogEntry.objects.get(action="checkin.list_change")
    assert entry.before["tariffs"] == [youth.pk] and entry.after["tariffs"] == []


@pytest.mark.parametrize(
    ("role", "home", "manage"),
    [
        (Role.DOOR, 200, 302),
        (Role.ADMINISTRATOR, 200, 302),
        (Role.BOX_OFFICE, 200, 403),
        (Role.PROGRAMMING, 403, 403),
        (Role.MARKETING, 403, 403),
    ],
)
def test_roles_on_the_door_pages(client, role, home, manage):
    performance, _order, checkin_list, device, _token = _setup()
    organizer = performance.organizer
    login_staff(client, staff(organizer, role))
    base = f"/staff/o/{organizer.slug}/controle/"
    assert client.get(base).status_code == home
    assert client.get(f"{base}listes/{checkin_list.pk}/affluence/").status_code == home
    assert client.post(f"{base}appareils/{device.pk}/retirer/").status_code == manage
    assert client.post(base, {"form": "gate", "gate-name": "X"}).status_code == manage
    device.refresh_from_db()
    assert (device.revoked_at is not None) == (manage == 302)


def test_other_organizers_staff_get_404_and_change_nothing(client):
    _performance, _order, checkin_list, device, _token = _setup()
    login_staff(client, staff(OrganizerFactory(), Role.DOOR))
    audited = AuditLogEntry.objects.count()
    base = f"/staff/o/{checkin_list.organizer.slug}/controle/"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}listes/{checkin_list.pk}/affluence/").status_code == 404
    assert client.post(f"{base}appareils/{device.pk}/retirer/").status_code == 404
    device.refresh_from_db()
    assert device.revoked_at is None and AuditLogEntry.objects.count() == audited


def test_attendance_page_refreshes_and_conflicts_are_reviewed(client):
    performance, order, checkin_list, device, token = _setup()
    first, second = order.tickets.order_by("number")
    _redeem(client, token, checkin_list, first.secret)
    _redeem(client, token, checkin_list, first.secret)  # already used
    other, _other_token = services.device_create(organizer=performance.organizer, name="Téléphone 2")
    services.redeem(
        device=other,
        checkin_list=checkin_list,
        secret=first.secret,
        nonce=uuid.uuid4().hex,
        offline_verdict="accepted",
    )
    conflict = Scan.objects.get(conflict=True)
    manager = staff(performance.organizer, Role.DOOR)
    login_staff(client, manager)
    url = f"/staff/o/{performance.organizer.slug}/controle/listes/{checkin_list.pk}/affluence/"
    page = client.get(url)
    html = page.content.decode()
    assert 'hx-trigger="every 10s"' in html
    assert page.context["data"]["entered"] == 1 and page.context["data"]["sold"] == 2
    assert "Déjà utilisé" in html and "Marquer comme vu" in html
    partial = client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and 'id="stat-entered"' in partial.content.decode()
    assert client.post(f"{url.replace('affluence/', '')}conflits/{conflict.pk}/").status_code == 302
    conflict.refresh_from_db()
    assert conflict.reviewed_by == manager and conflict.reviewed_at is not None
    assert AuditLogEntry.objects.filter(action="checkin.conflict_review").count() == 1
