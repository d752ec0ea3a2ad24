"""Probable duplicates with score and reasons, merges that keep every history, and undoing a wrong merge."""

import pytest

from parvis.core.models import AuditLogEntry
from parvis.crm import dedupe, selectors, services
from parvis.crm.models import Contact, DuplicateCandidate, Household, Interaction, Tag
from parvis.network.models import Role
from parvis.testing import OrganizerFactory, login_staff, staff
from parvis.ticketing.tests.factories import buy, buyer, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _contact(organizer, email, first="", last="", postcode="", phone=""):
    contact = services.contact_resolve(
        organizer_id=organizer.pk,
        email=email,
        first_name=first,
        last_name=last,
        postal_code=postcode,
        phone=phone,
    )
    return contact


def _pairs(organizer):
    return {
        (frozenset({c.first.email, c.second.email}), tuple(sorted(c.reasons)))
        for c in DuplicateCandidate.objects.filter(organizer=organizer)
    }


def test_suggestions_find_typos_and_second_addresses_not_strangers():
    org = OrganizerFactory()
    _contact(org, "ana.lima@gmail.com", "Ana", "Lima", "75011")
    _contact(org, "ana.lima@gmial.com", "Ana", "Lima", "75011")  # a typo in the domain
    _contact(org, "leo.dupont@example.org", "Léo", "Dupont", "13001", phone="0612345678")
    _contact(org, "leo@work.example", "Leo", "Dupont", "13002")  # same name, another address and town
    _contact(org, "sam@example.org", "Samir", "Martin", "69003")
    _contact(org, "jeanne@example.org", "Jeanne", "Martin", "69003")  # same family name and postcode
    other = OrganizerFactory()
    _contact(other, "ana.lima@gmail.com", "Ana", "Lima", "75011")  # another controller: never compared
    assert dedupe.duplicates_refresh(org) == 2
    found = {frozenset(emails): reasons for emails, reasons in _pairs(org)}
    assert set(found[frozenset({"ana.lima@gmail.com", "ana.lima@gmial.com"})]) == {
        "same_name",
        "same_postcode",
        "same_email_name",
    }
    assert "same_name" in found[frozenset({"leo.dupont@example.org", "leo@work.example"})]
    assert frozenset({"sam@example.org", "jeanne@example.org"}) not in found
    assert not DuplicateCandidate.objects.filter(organizer=other).exists()


def test_a_dismissed_pair_is_not_suggested_again():
    org = OrganizerFactory()
    _contact(org, "ana@a.example", "Ana", "Lima", "75011")
    _contact(org, "ana@b.example", "Ana", "Lima", "75011")
    dedupe.duplicates_refresh(org)
    dedupe.dismiss(candidate=DuplicateCandidate.objects.get(), actor=None)
    dedupe.duplicates_refresh(org)
    assert DuplicateCandidate.objects.get().dismissed_at is not None


def test_merge_keeps_every_history_and_undo_restores_both_exactly():
    performance = on_sale_performance()
    org = performance.organizer
    first = buy(tariff(performance, price="10.00"), 1)
    survivor = first.contact
    cart_order = _second_order(performance, "ana.lima@gmial.com")
    merged = cart_order.contact
    household = Household.objects.create(organizer=org, name="Lima")
    Contact.objects.filter(pk=merged.pk).update(phone="+33612345678", household=household)
    merged.refresh_from_db()
    tag = Tag.objects.create(organizer=org, name="Abonnée")
    merged.tags.add(tag)
    services.consent_record(contact=merged, purpose="organizer_newsletter", given=True, source="signup")
    before_survivor = set(survivor.interactions.values_list("pk", flat=True))
    before_merged = set(merged.interactions.values_list("pk", flat=True))

    merge = dedupe.contacts_merge(survivor=survivor, merged=merged, actor=None)
    survivor.refresh_from_db()
    assert survivor.phone == "+33612345678" and survivor.household == household and tag in survivor.tags.all()
    assert set(survivor.orders.values_list("pk", flat=True)) == {first.pk, cart_order.pk}
    assert selectors.can_message(survivor, "organizer_newsletter")
    assert selectors.totals(survivor)["spend"] == 25
    assert Contact.objects.get(pk=merged.pk).merged_into == survivor
    # A touchpoint with the merged address now lands on the survivor.
    assert services.contact_resolve(organizer_id=org.pk, email="ana.lima@gmial.com") == survivor
    assert survivor.interactions.filter(kind=Interaction.Kind.MERGE).count() == 1

    restored = dedupe.merge_undo(merge=merge, actor=None)
    survivor.refresh_from_db()
    assert restored.merged_into is None and restored.pk == merged.pk
    assert set(survivor.orders.values_list("pk", flat=True)) == {first.pk}
    assert set(restored.orders.values_list("pk", flat=True)) == {cart_order.pk}
    assert set(survivor.interactions.values_list("pk", flat=True)) == before_survivor
    assert set(restored.interactions.values_list("pk", flat=True)) == before_merged | set(
        restored.interactions.filter(kind="consent").values_list("pk", flat=True)
    )
    assert survivor.phone == "" and survivor.household is None and tag not in survivor.tags.all()
    assert not selectors.can_message(survivor, "organizer_newsletter")
    assert selectors.can_message(restored, "organizer_newsletter")
    assert services.contact_resolve(organizer_id=org.pk, email="ana.lima@gmial.com") == restored
    assert {"crm.merge", "crm.merge_undo"} <= set(AuditLogEntry.objects.values_list("action", flat=True))
    with pytest.raises(ValueError):
        dedupe.merge_undo(merge=merge, actor=None)


def _second_order(performance, email):
    from parvis.ticketing import services as sales
    from parvis.ticketing.models import Cart

    cart = Cart.objects.create()
    sales.cart_add(cart=cart, tariff_id=tariff(performance, name="Réduit", price="15.00").pk, quantity=1)
    order = sales.checkout_place_orders(cart=cart, buyer=buyer(email=email), provider_code="demo")[0]
    return sales.payment_confirm(payment_id=order.payments.get().pk)


def test_contacts_of_two_organizers_are_never_merged():
    a = _contact(OrganizerFactory(), "ana@example.org", "Ana", "Lima")
    b = _contact(OrganizerFactory(), "ana@example.org", "Ana", "Lima")
    with pytest.raises(ValueError):
        dedupe.contacts_merge(survivor=a, merged=b)


@pytest.mark.parametrize(("role", "allowed"), [(Role.MARKETING, True), (Role.READ_ONLY, False)])
def test_staff_merge_from_the_suggestions_and_undo_from_the_profile(client, role, allowed):
    org = OrganizerFactory()
    a = _contact(org, "ana@a.example", "Ana", "Lima", "75011")
    b = _contact(org, "ana@b.example", "Ana", "Lima", "75011")
    login_staff(client, staff(org, role))
    url = f"/staff/o/{org.slug}/publics/doublons/"
    refresh = client.post(url, {"action": "refresh"})
    assert refresh.status_code == (302 if allowed else 403)
    if not allowed:
        dedupe.duplicates_refresh(org)
    page = client.get(url)
    assert page.status_code == 200 and "même nom" in page.content.decode()
    candidate = DuplicateCandidate.objects.get()
    response = client.post(url, {"action": "keep_second", "candidate": candidate.pk})
    assert response.status_code == (302 if allowed else 403)
    a.refresh_from_db()
    assert (a.merged_into == b) is allowed
    if allowed:
        merge = b.merges_received.get()
        assert "Annuler la fusion" in client.get(f"/staff/o/{org.slug}/publics/{b.pk}/").content.decode()
        client.post(f"/staff/o/{org.slug}/publics/fusions/{merge.pk}/annuler/")
        a.refresh_from_db()
        assert a.merged_into is None
