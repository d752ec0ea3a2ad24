"""An erasure reaches every copy of the person: after it, no text column of any table holds their name,
e-mail or phone, except the legal documents the erasure page names (invoices)."""

import json
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from parvis.core.models import AuditLogEntry
from parvis.crm import privacy
from parvis.crm.models import Contact
from parvis.memberships.services import membership_order_place
from parvis.memberships.tests.factories import level, program
from parvis.ticketing import services, waitlist
from parvis.ticketing.invoicing import invoice_for
from parvis.ticketing.models import Cart, Channel, IdempotencyRecord
from parvis.ticketing.tests.factories import on_sale_performance, tariff

pytestmark = pytest.mark.django_db(transaction=True)

FIRST, LAST = "Zéphyrine", "Quatremare"
EMAIL, PHONE = "zephyrine.quatremare@example.org", "+33687654321"
# Legal documents, kept unchanged (the erasure page says so): the invoice names its buyer.
KEPT = {("ticketing_invoice", "buyer")}


def _buyer(**more) -> services.Buyer:
    return services.Buyer(email=EMAIL, first_name=FIRST, last_name=LAST, language="fr", **more)


def _columns_holding(words: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, word) for every text column of every table where a word appears, case folded."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            for column in columns:
                if (table, column) in KEPT:
                    continue
                quoted = f"{connection.ops.quote_name(table)}.{connection.ops.quote_name(column)}"
                for word in words:
                    cursor.execute(
                        f"SELECT 1 FROM {connection.ops.quote_name(table)} "  # noqa: S608
                        f"WHERE LOWER(CAST({quoted} AS TEXT)) LIKE %s LIMIT 1",
                        [f"%{word.lower()}%"],
                    )
                    if cursor.fetchone():
                        found.append((table, column, word))
    return found


@override_settings(
    TASKS={"default": {"BACKEND": "parvis.core.background.DatabaseBackend"}},
    EMAIL_BACKEND="parvis.core.mail.OutboxEmailBackend",
)
def test_an_erased_person_is_found_in_no_text_column_of_any_table(client):
    performance = on_sale_performance()
    organizer = performance.organizer
    price = tariff(performance, price="20.00")
    # Tickets with the attendees' names (the order's line and the tickets keep them).
    cart = Cart.objects.create(channel=Channel.ONLINE)
    hold = services.cart_add(cart=cart, tariff_id=price.pk, quantity=2, channel=Channel.ONLINE)
    buyer = _buyer(attendee_names={hold.pk: [f"{FIRST} {LAST}", "Paul Quatremare"]})
    [order] = services.checkout_place_orders(cart=cart, buyer=buyer, provider_code="demo")
    order = services.payment_confirm(payment_id=order.payments.get(state="created").pk)
    assert order.items.get().attendee_names[0] == f"{FIRST} {LAST}"
    invoice = invoice_for(order)
    # A member card in her name, a waiting-list entry, an API answer kept for its Idempotency-Key.
    card_order = membership_order_place(
        level=level(program(organizer), persons=2),
        buyer=_buyer(),
        provider_code="demo",
        other_names=["Paul Quatremare"],
    )
    services.payment_confirm(payment_id=card_order.payments.get(state="created").pk)
    full = on_sale_performance(organizer=organizer, capacity=1)
    buy_all = Cart.objects.create(channel=Channel.ONLINE)
    services.cart_add(cart=buy_all, tariff_id=tariff(full).pk, quantity=1, channel=Channel.ONLINE)
    waitlist.join(tariff=full.tariffs.get(), quantity=1, email=EMAIL, first_name=FIRST, last_name=LAST)
    IdempotencyRecord.objects.create(
        scope="api:1",
        key="k1",
        request_hash="h",
        status_code=201,
        response={"code": order.code, "email": EMAIL},
    )
    # Work stored by an earlier version, which passed addresses: it must go too.
    DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {"email": EMAIL}},
        task_path="parvis.crm.tasks.send_privacy_links",
        backend_name="default",
        queue_name="default",
        run_after="9999-01-01T00:00:00Z",
        status="SUCCESSFUL",
        return_value=None,
    )
    # Her phone, corrected through her link (an audit entry with the values before and after).
    contact = Contact.objects.get(email=EMAIL)
    url = f"/mes-donnees/{privacy.self_service_token(contact)}/"
    client.post(
        url,
        {
            "action": "correct",
            "c-first_name": FIRST,
            "c-last_name": LAST,
            "c-phone": PHONE,
            "c-language": "fr",
        },
    )
    assert AuditLogEntry.objects.get(action="crm.correct").after == {"phone": PHONE}
    # She asks for her links (a background task, run by the worker; its e-mail lands in the outbox).
    client.post("/mes-donnees/", {"email": EMAIL})
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    stored = DBTaskResult.objects.filter(task_path="parvis.crm.tasks.send_privacy_links", status="SUCCESSFUL")
    assert stored.count() == 2
    words = [FIRST, LAST, EMAIL, PHONE.removeprefix("+33")]
    assert {(t, c) for t, c, _ in _columns_holding(words)} >= {
        ("core_outboxmessage", "to"),
        ("core_auditlogentry", "after"),
        ("ticketing_orderitem", "attendee_names"),
        ("ticketing_waitingentry", "email"),
        ("memberships_membership", "last_name"),
        ("django_tasks_database_dbtaskresult", "args_kwargs"),
        ("ticketing_idempotencyrecord", "response"),
        ("crm_contact", "phone"),
    }
    mail.outbox.clear()

    done = client.post(url, {"action": "erase", "e-confirm": "on"})
    assert done.status_code == 200 and "Données effacées" in done.content.decode()

    assert _columns_holding(words) == []
    # What happened is kept: the correction and the erasure, by whom and when, without who.
    correction = AuditLogEntry.objects.get(action="crm.correct")
    assert correction.after == {"phone": "[effacé]"} and correction.object_repr == f"contact #{contact.pk}"
    erasure = AuditLogEntry.objects.get(action="crm.erase")
    assert erasure.after["orders"] == 2 and erasure.after["audit_entries"] >= 1
    assert json.loads(json.dumps(erasure.after))  # counts only
    assert not re.search(r"quatremare", erasure.object_repr, re.IGNORECASE)
    # The invoice keeps its buyer, as the law requires.
    invoice.refresh_from_db()
    assert LAST in json.dumps(invoice.buyer, ensure_ascii=False)
