"""Reminders before SIBIL's deadline: ten and three days before day 10, to the administrators of each
organizer whose last quarter is not all declared, once per stage, through a real SMTP server; nothing when
everything is declared or on other days."""

import datetime

import pytest
from django.core import mail
from django.test import override_settings

from parvis.core.tests.smtp import Sink
from parvis.declarations import reminders, sibil
from parvis.declarations.models import DeadlineReminder, SibilDeclaration
from parvis.declarations.tasks import send_deadline_reminder, send_deadline_reminders
from parvis.network.models import Role
from parvis.passes.tests.factories import club, concert
from parvis.programming.models import Performance
from parvis.testing import staff
from parvis.ticketing.models import Tariff
from parvis.ticketing.tests.factories import buy

pytestmark = pytest.mark.django_db


def test_the_stages_before_day_ten():
    assert reminders.stage(datetime.date(2027, 1, 1)) == (2026, 4, 10)  # 9 days left: the 10-day stage
    assert reminders.stage(datetime.date(2026, 12, 31)) is None  # the quarter is not over
    assert reminders.stage(datetime.date(2027, 1, 7)) == (2026, 4, 3)
    assert reminders.stage(datetime.date(2027, 1, 10)) == (2026, 4, 3)  # the day itself: still the last
    assert reminders.stage(datetime.date(2027, 1, 11)) is None


def test_administrators_are_reminded_once_of_what_is_left(network):
    organizer = club(network, "club-rappel")
    admin = staff(organizer, Role.ADMINISTRATOR, username="admin@example.org", email="admin@example.org")
    staff(organizer, Role.BOX_OFFICE, username="guichet@example.org", email="guichet@example.org")
    dates = []
    for n in range(2):
        performance = concert(organizer, days=3 + n, price="20.00", genre="jazz", title=f"Concert {n}")
        buy(Tariff.objects.get(performance=performance), 2)
        starts = datetime.datetime(2026, 11, 20 + n, 20, tzinfo=sibil.PARIS)
        Performance.objects.filter(pk=performance.pk).update(starts_at=starts)
        dates.append(performance)
    done = club(network, "club-a-jour")
    declared = concert(done, days=3, genre="jazz")
    Performance.objects.filter(pk=declared.pk).update(
        starts_at=datetime.datetime(2026, 11, 5, 20, tzinfo=sibil.PARIS)
    )
    SibilDeclaration.objects.create(performance=declared, ext_id="PRVX", status="ENREGISTRE", sent={"x": 1})

    assert reminders.reminders_due(datetime.date(2026, 12, 30)) == []
    due = reminders.reminders_due(datetime.date(2027, 1, 2))
    assert due == [(organizer.pk, "2026-4", 10)]
    SibilDeclaration.objects.create(performance=dates[0], ext_id="PRVA", status="REJETE", sent={"x": 1})
    with Sink() as sink, override_settings(**sink.email_settings()):
        send_deadline_reminder.call(organizer_id=organizer.pk, period="2026-4", days_before=10)
        send_deadline_reminder.call(organizer_id=organizer.pk, period="2026-4", days_before=10)  # once
    [message] = sink.messages
    assert message["To"] == admin.email
    assert sink.subjects() == ["SIBIL : 2 représentations à déclarer avant le 10/01/2027"]
    body = message.get_payload(decode=True).decode()
    assert "2 sur 2" in body and "Rejetées par SIBIL, à corriger : 1" in body
    assert "/sibil/?trimestre=2026-4" in body
    assert reminders.reminders_due(datetime.date(2027, 1, 2)) == []  # sent for this stage
    assert reminders.reminders_due(datetime.date(2027, 1, 8)) == [(organizer.pk, "2026-4", 3)]
    assert DeadlineReminder.objects.count() == 1
    mail.outbox.clear()
    assert send_deadline_reminders.call() == len(reminders.reminders_due())  # today's, whatever today is
