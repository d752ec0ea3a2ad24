"""Retention: a dry run first, then anonymisation of prospects and customers past their durations."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from parvis.crm import retention, services
from parvis.crm.models import Contact, Interaction, PrivacyRequest
from parvis.network.models import Role
from parvis.testing import OrganizerFactory, login_staff, staff

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _person(org, email, *, created_years=0.0, order_years=None, visit_years=None):
    contact = services.contact_resolve(organizer_id=org.pk, email=email, first_name=email[:3], last_name="X")
    Contact.objects.filter(pk=contact.pk).update(
        created_at=NOW - datetime.timedelta(days=365 * created_years)
    )
    if order_years is not None:
        Interaction.objects.create(
            organizer=org,
            contact=contact,
            kind="order",
            amount=Decimal(10),
            occurred_at=NOW - datetime.timedelta(days=365 * order_years),
        )
    if visit_years is not None:
        Interaction.objects.create(
            organizer=org,
            contact=contact,
            kind="attendance",
            occurred_at=NOW - datetime.timedelta(days=365 * visit_years),
        )
    return contact


def test_dry_run_lists_who_is_past_retention_and_applying_anonymises_them(capsys):
    org = OrganizerFactory()
    old_customer = _person(org, "old@example.org", created_years=6, order_years=4)
    recent_customer = _person(org, "recent@example.org", created_years=6, order_years=2, visit_years=5)
    old_prospect = _person(org, "prospect@example.org", created_years=4)
    active_prospect = _person(org, "active@example.org", created_years=5, visit_years=1)
    new_prospect = _person(org, "new@example.org", created_years=1)
    report = retention.report(org)
    assert (report["customers"], report["prospects"]) == (1, 1)
    assert {c.pk for c in report["sample"]} == {old_customer.pk, old_prospect.pk}
    call_command("retention")  # a dry run by default
    assert "1 clients et 1 prospects" in capsys.readouterr().out
    assert not Contact.objects.filter(anonymised_at__isnull=False).exists()
    assert retention.apply(org) == 2
    gone = set(Contact.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True))
    assert gone == {old_customer.pk, old_prospect.pk}
    assert not PrivacyRequest.objects.exists()  # the job is not a person's request
    kept = {recent_customer.pk, active_prospect.pk, new_prospect.pk}
    assert set(Contact.objects.filter(anonymised_at__isnull=True).values_list("pk", flat=True)) == kept


def test_durations_are_per_organizer():
    org = OrganizerFactory(retention_customer_years=5)
    _person(org, "old@example.org", created_years=6, order_years=4)
    assert retention.report(org)["customers"] == 0


@pytest.mark.parametrize(("role", "status"), [(Role.ADMINISTRATOR, 302), (Role.MARKETING, 403)])
def test_only_administrators_apply_retention(client, role, status):
    org = OrganizerFactory()
    _person(org, "prospect@example.org", created_years=4)
    login_staff(client, staff(org, role))
    page = client.get(f"/staff/o/{org.slug}/publics/conservation/")
    assert page.status_code == 200 and 'id="retention-prospects">1<' in page.content.decode()
    assert client.post(f"/staff/o/{org.slug}/publics/conservation/", {"confirm": "on"}).status_code == status
    assert Contact.objects.filter(anonymised_at__isnull=False).exists() == (status == 302)
