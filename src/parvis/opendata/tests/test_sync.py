"""The incremental sync API: a first full read, then only what changed, in order, deletions and
anonymisations included; scopes, tenants, bad cursors and the rate limit."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from parvis.analytics import rollups
from parvis.checkin import services as door
from parvis.checkin.models import CheckinList
from parvis.core import changes
from parvis.core.models import Change
from parvis.crm import importer
from parvis.crm.dedupe import contacts_merge
from parvis.crm.models import Contact, Purpose
from parvis.crm.privacy import contact_erase
from parvis.crm.services import consent_record, contact_resolve, interaction_record
from parvis.opendata.api import sync_token_create
from parvis.ticketing import services
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _get(client, token, resource, cursor="", **params):
    query = {"cursor": cursor, **params}
    return client.get(f"/api/v1/sync/{resource}", query, headers={"Authorization": f"Bearer {token}"})


def _all(client, token, resource, cursor=""):
    """Every page until has_more is false: the records, and the cursor to keep."""
    records = []
    while True:
        body = _get(client, token, resource, cursor, limit=2).json()
        records += body["records"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return records, cursor


def test_a_first_sync_reads_everything_then_only_what_changed(
    client, organizer, other_organizer, django_assert_max_num_queries
):
    token = sync_token_create(organizer=organizer, name="bi", scopes=["orders", "tickets", "contacts"])
    performance = on_sale_performance(organizer=organizer)
    full = tariff(performance, price="20.00")
    first, second, third = (buy(full, 1) for _ in range(3))
    buy(tariff(on_sale_performance(organizer=other_organizer), price="9.00"), 1)  # another organizer's
    records, cursor = _all(client, token, "orders")
    assert [r["data"]["code"] for r in records] == [first.code, second.code, third.code]
    assert {r["op"] for r in records} == {"upsert"}
    assert _all(client, token, "orders", cursor) == ([], cursor)  # nothing new: the same cursor
    services.tickets_refund(tickets=[second.tickets.get()])
    fourth = buy(full, 2)
    records, cursor = _all(client, token, "orders", cursor)
    assert [(r["data"]["code"], r["data"]["state"]) for r in records] == [
        (second.code, "refunded"),
        (fourth.code, "paid"),
    ]
    for _ in range(20):
        buy(full, 1)
    with django_assert_max_num_queries(12):  # a page of 100 orders: no query per order
        assert len(_get(client, token, "orders", limit=100).json()["records"]) == 24
    tickets, _ = _all(client, token, "tickets")
    assert len(tickets) == 25 and {t["data"]["state"] for t in tickets} == {"valid", "refunded"}


def test_contacts_come_with_their_anonymisation_and_merges(client, organizer):
    token = sync_token_create(organizer=organizer, name="bi", scopes=["contacts", "consents"])
    performance = on_sale_performance(organizer=organizer)
    buy(tariff(performance, price="20.00"), 1)
    contact_resolve(organizer_id=organizer.pk, email="bo@example.org", first_name="Bo")
    ana, bo = Contact.objects.order_by("pk")
    records, cursor = _all(client, token, "contacts")
    assert [r["data"]["email"] for r in records] == ["ana@example.org", "bo@example.org"]
    consent_record(contact=ana, purpose=Purpose.ORGANIZER_NEWSLETTER, given=True, source="self_service")
    contact_erase(contact=ana)
    dup = Contact.objects.create(organizer=organizer, email="bo2@example.org", first_name="Bo")
    contacts_merge(survivor=bo, merged=dup)
    records, cursor = _all(client, token, "contacts", cursor)
    ops = [(r["id"], r["op"]) for r in records]
    assert (ana.pk, "anonymise") in ops and (dup.pk, "delete") in ops
    erased = next(r for r in records if r["id"] == ana.pk)
    assert "email" not in erased["data"] and erased["data"]["anonymised"] is True
    consents, _ = _all(client, token, "consents")
    assert [(c["data"]["contact_id"], c["data"]["given"]) for c in consents] == [(ana.pk, True)]


def test_scopes_tenants_cursors_and_the_rate_limit(client, organizer, settings):
    token = sync_token_create(organizer=organizer, name="bi", scopes=["orders"])
    assert _get(client, token, "contacts").json()["code"] == "scope_missing"
    assert _get(client, "sy_nope_nope", "orders").status_code == 401
    answer = _get(client, token, "orders", "x.1")
    assert answer.status_code == 400 and answer.json()["code"] == "bad_cursor"
    assert _get(client, token, "nothing").status_code == 422
    settings.PARVIS_SYNC_REQUESTS_PER_MIN = 2
    codes = [_get(client, token, "orders").status_code for _ in range(3)]
    assert codes[:1] == [200] and codes[-1] == 429


def test_the_command_makes_a_token_with_its_scopes(organizer, capsys):
    call_command("synctoken", "create", organizer=organizer.slug, scopes="orders,checkins")
    token = capsys.readouterr().out.strip()
    assert token.startswith("sy_")


def test_interactions_come_added_deleted_and_moved_by_a_merge(client, organizer):
    token = sync_token_create(organizer=organizer, name="bi", scopes=["interactions"])
    buy(tariff(on_sale_performance(organizer=organizer), price="20.00"), 1)
    ana = Contact.objects.get()
    records, cursor = _all(client, token, "interactions")
    assert {r["data"]["kind"] for r in records} >= {"order"} and {r["op"] for r in records} == {"upsert"}
    assert all(r["data"]["contact_id"] == ana.pk for r in records)
    note = interaction_record(contact=ana, organizer_id=organizer.pk, kind="note", summary="Aime le jazz")
    dup = Contact.objects.create(organizer=organizer, email="ana2@example.org", first_name="Ana")
    moved = interaction_record(contact=dup, organizer_id=organizer.pk, kind="note", summary="Rappeler")
    records, cursor = _all(client, token, "interactions", cursor)
    assert [r["id"] for r in records] == [note.pk, moved.pk]
    contacts_merge(survivor=ana, merged=dup)
    records, cursor = _all(client, token, "interactions", cursor)
    again = {r["id"]: r for r in records}
    assert again[moved.pk]["data"]["contact_id"] == ana.pk  # moved to the survivor
    contact_erase(contact=ana)  # its notes are deleted
    records, cursor = _all(client, token, "interactions", cursor)
    assert {(r["id"], r["op"]) for r in records} >= {(note.pk, "delete"), (moved.pk, "delete")}
    assert _all(client, token, "interactions", cursor) == ([], cursor)


def test_contacts_and_consents_of_an_import_come_through_the_feed(client, organizer):
    token = sync_token_create(organizer=organizer, name="bi", scopes=["contacts", "consents", "interactions"])
    cursors = {name: _all(client, token, name)[1] for name in ("contacts", "consents", "interactions")}
    raw = "Prénom;Nom;Courriel;Newsletter\r\nHélène;Dupré;helene@example.org;oui\r\n".encode()
    importer.run(importer.job_create(organizer=organizer, actor=None, filename="f.csv", raw=raw))
    contacts, _ = _all(client, token, "contacts", cursors["contacts"])
    assert [c["data"]["email"] for c in contacts] == ["helene@example.org"]
    consents, _ = _all(client, token, "consents", cursors["consents"])
    assert [(c["data"]["purpose"], c["data"]["given"]) for c in consents] == [("organizer_newsletter", True)]
    timeline, _ = _all(client, token, "interactions", cursors["interactions"])
    assert {t["data"]["kind"] for t in timeline} == {"import", "consent"}
    raw = b"Courriel;CP\r\nhelene@example.org;75011\r\n"  # completed by a second file
    importer.run(importer.job_create(organizer=organizer, actor=None, filename="g.csv", raw=raw))
    contacts, _ = _all(client, token, "contacts", cursors["contacts"])
    assert contacts[-1]["data"]["postal_code"] == "75011"


def test_a_sales_and_an_entrys_touchpoints_come_through_their_own_changes(client, organizer):
    token = sync_token_create(organizer=organizer, name="bi", scopes=["interactions"])
    _records, cursor = _all(client, token, "interactions")
    order = buy(tariff(on_sale_performance(organizer=organizer), price="20.00"), 1)
    assert not Change.objects.filter(topic="interaction.added").exists()  # the sale's change stands for it
    ticket = order.tickets.get()
    starts = timezone.now() + datetime.timedelta(minutes=30)  # doors open
    type(ticket.performance).objects.filter(pk=ticket.performance_id).update(starts_at=starts)
    door_list = CheckinList.objects.create(organizer=organizer, name="Soirée")
    door_list.performances.add(ticket.performance)
    device, _token = door.device_create(organizer=organizer, name="Téléphone")
    assert door.redeem(device=device, checkin_list=door_list, nonce="n1", secret=ticket.secret).accepted
    records, cursor = _all(client, token, "interactions", cursor)
    latest = {r["id"]: r["data"] for r in records}  # upserts by id: one read twice is harmless
    assert sorted((d["kind"], d["contact_id"]) for d in latest.values()) == [
        ("attendance", order.contact_id),
        ("order", order.contact_id),
    ]
    assert not Change.objects.filter(topic="interaction.added").exists()


def test_a_cursor_from_before_a_purge_is_refused_and_a_new_sync_reads_everything(client, organizer):
    token = sync_token_create(organizer=organizer, name="bi", scopes=["orders"])
    performance = on_sale_performance(organizer=organizer)
    first = buy(tariff(performance, price="20.00"), 1)
    _records, old = _all(client, token, "orders")
    second = buy(tariff(performance, name="Réduit", price="10.00"), 1)
    rollups.settle()  # every follower has read the feed
    assert changes.purge(keep_days=30) == 0  # nothing old enough
    Change.objects.update(at=timezone.now() - datetime.timedelta(days=31))
    call_command("analytics", "purge", verbosity=0)
    assert not Change.objects.filter(seq__lte=changes.purged()).exists() and changes.purged() > 0
    answer = _get(client, token, "orders", old)
    assert answer.status_code == 410 and answer.json()["code"] == "cursor_expired"
    records, cursor = _all(client, token, "orders")
    assert [r["data"]["code"] for r in records] == [first.code, second.code]
    third = buy(tariff(performance, name="Jeune", price="8.00"), 1)
    records, _cursor = _all(client, token, "orders", cursor)
    assert [r["data"]["code"] for r in records] == [third.code]


def test_a_purge_keeps_what_a_follower_has_not_read(organizer):
    buy(tariff(on_sale_performance(organizer=organizer), price="20.00"), 1)
    changes.head()
    Change.objects.update(at=timezone.now() - datetime.timedelta(days=31))
    changes.reset("slow-follower", 0)  # a follower that has read nothing yet
    assert changes.purge(keep_days=30) == 0 and Change.objects.exists()
