"""The weekly digest: asked for from the sales board, sent once a week to those who may still see the
figures, with the week's sales against the week before and the dates at risk."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from parvis.analytics.models import DigestSubscription
from parvis.network.models import OrganizerStaff, Role
from parvis.testing import login_staff, staff
from parvis.ticketing.models import Ticket
from parvis.ticketing.tests.factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def test_a_director_asks_for_the_digest_gets_it_once_a_week_and_stops_it(client, organizer):
    performance = on_sale_performance(organizer=organizer, title="Nuit bleue")
    full = tariff(performance, price="20.00")
    buy(full, 3)
    buy(full, 1)
    yesterday = timezone.now() - datetime.timedelta(days=1)
    Ticket.objects.filter(performance=performance).update(issued_at=yesterday)
    director = staff(organizer, Role.READ_ONLY, email="direction@example.org")
    login_staff(client, director)
    url = reverse("staff:analytics_sales", args=[organizer.slug])
    assert "Recevoir le résumé chaque semaine" in client.get(url).content.decode()
    assert client.post(url, {"digest": "on"}).status_code == 302
    assert DigestSubscription.objects.filter(user=director, organizer=organizer).exists()
    mail.outbox.clear()
    call_command("analytics", "digest", verbosity=0)
    [digest] = mail.outbox
    assert digest.to == ["direction@example.org"] and organizer.name in digest.subject
    assert "4 billets nets, 80,00 €" in digest.body and "les 7 jours d'avant : 0 billets" in digest.body
    call_command("analytics", "digest", verbosity=0)
    assert len(mail.outbox) == 1  # once a week
    DigestSubscription.objects.update(last_sent_on=timezone.localdate() - datetime.timedelta(days=7))
    OrganizerStaff.objects.filter(user=director).delete()  # no longer on the team: nothing sent
    call_command("analytics", "digest", verbosity=0)
    assert len(mail.outbox) == 1
    login_staff(client, staff(organizer, Role.ADMINISTRATOR))
    client.post(url, {"digest": "on"})
    assert client.post(url, {"digest": "off"}).status_code == 302
    assert not DigestSubscription.objects.exclude(user=director).exists()
