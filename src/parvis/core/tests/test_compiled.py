"""Statements the ORM writes once per process (`core.compiled`): the same rows and instances as the ORM
gives, one statement per call, and the shapes it must refuse."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db.models import Count, F, Sum
from django.utils import timezone

from parvis.core.audit import audit_record
from parvis.core.compiled import MAX_COMPILED_ROWS, CompiledQuery, insert, insert_many
from parvis.core.models import AuditLogEntry
from parvis.crm.models import Contact, Interaction
from parvis.ticketing.models import Cart, Hold, Order, Payment, Quota, SalesConfig, SigningKey, Tariff
from parvis.ticketing.signing import signing_key_for_id
from parvis.ticketing.tests import factories

pytestmark = pytest.mark.django_db


def _counting(build):
    calls = []

    def counted(*values):
        calls.append(values)
        return build(*values)

    return counted, calls


def test_a_read_gives_the_instances_of_its_queryset_and_builds_it_only_to_compile(django_assert_num_queries):
    performance = factories.on_sale_performance()
    SalesConfig.objects.create(performance=performance, max_per_order=4)
    full, reduced = factories.tariff(performance), factories.tariff(performance, "Réduit", "12.00")
    build, calls = _counting(
        lambda ids: Tariff.objects.select_related("performance__event", "performance__sales").filter(
            pk__in=ids
        )
    )
    read = CompiledQuery(Tariff, build)

    first = {t.pk: t for t in read([full.pk, reduced.pk])}
    compiled_with = len(calls)
    with django_assert_num_queries(1):
        again = {t.pk: t for t in read([reduced.pk, full.pk, reduced.pk])}  # duplicates are dropped
        assert again[reduced.pk].price == Decimal("12.00")
        assert again[full.pk].performance.event.title == performance.event.title  # joined, no query
        assert again[full.pk].performance.sales.max_per_order == 4
        assert again[full.pk]._state.adding is False
    assert len(calls) == compiled_with  # the queryset is not built again
    assert set(first) == {full.pk, reduced.pk}
    assert [t.name for t in read([reduced.pk])] == ["Réduit"]  # another shape: one element
    assert read([]) == []


def test_a_missing_reverse_one_to_one_reads_as_missing_without_a_query(django_assert_num_queries):
    tariff = factories.tariff(factories.on_sale_performance())
    read = CompiledQuery(Tariff, lambda pk: Tariff.objects.select_related("performance__sales").filter(pk=pk))
    [found] = read(tariff.pk)
    with django_assert_num_queries(0), pytest.raises(SalesConfig.DoesNotExist):
        found.performance.sales  # noqa: B018


def test_strings_datetimes_slices_and_prefetches_are_bound_like_the_orm_binds_them(organizer):
    performance = factories.on_sale_performance(organizer=organizer)
    tariff = factories.tariff(performance)
    cart = Cart.objects.create()
    now = timezone.now()
    soon = Hold.objects.create(
        cart=cart,
        performance=performance,
        tariff=tariff,
        quantity=1,
        expires_at=now + datetime.timedelta(minutes=5),
    )
    Hold.objects.create(
        cart=cart,
        performance=performance,
        tariff=tariff,
        quantity=2,
        expires_at=now - datetime.timedelta(minutes=5),
    )
    live = CompiledQuery(
        Hold,
        lambda state, at: (
            Hold.objects.filter(state=state, expires_at__gt=at).prefetch_related("quotas").order_by("id")
        ),
    )
    assert [h.pk for h in live("active", now)] == [soon.pk]
    assert [h.pk for h in live("active", now - datetime.timedelta(hours=1))] == list(
        Hold.objects.order_by("id").values_list("pk", flat=True)
    )
    assert live("released", now - datetime.timedelta(hours=1)) == []
    assert list(live("active", now)[0].quotas.all()) == []

    Contact.objects.create(organizer=organizer, last_name="Zola", email="z@example.org")
    Contact.objects.create(organizer=organizer, last_name="Zola", email="y@example.org")
    first_zola = CompiledQuery(
        Contact,
        lambda organizer_id, name: Contact.objects.filter(organizer_id=organizer_id, last_name=name)[:1],
    )
    assert [c.email for c in first_zola(organizer.pk, "Zola")] == ["z@example.org"]
    assert first_zola(organizer.pk, "Hugo") == []


def test_shapes_that_cannot_be_compiled_are_refused():
    quota_of = CompiledQuery(Quota, lambda pk, _unused: Quota.objects.filter(pk=pk))
    with pytest.raises(ValueError, match="do not reach"):
        quota_of(1, 2)
    frozen_time = CompiledQuery(
        Hold, lambda pk: Hold.objects.filter(pk=pk, expires_at__gt=timezone.now())
    )  # the time would be frozen into the statement
    with pytest.raises(ValueError, match="something else"):
        frozen_time(1)
    with pytest.raises(TypeError, match="boolean"):
        CompiledQuery(Tariff, lambda active: Tariff.objects.filter(is_active=active))(True)
    with pytest.raises(TypeError, match="unsupported argument type Decimal"):
        CompiledQuery(Tariff, lambda price: Tariff.objects.filter(price=price))(Decimal("20"))
    with pytest.raises(TypeError, match="plain model querysets"):
        CompiledQuery(Tariff, lambda pk: Tariff.objects.filter(pk=pk).values("pk"))(1)
    with pytest.raises(TypeError, match="plain model querysets"):  # flat rows
        CompiledQuery(Tariff, lambda pk: Tariff.objects.filter(pk=pk).values_list("pk", flat=True))(1)
    with pytest.raises(TypeError, match="plain model querysets"):  # columns in another order
        CompiledQuery(
            Tariff, lambda pk: Tariff.objects.filter(pk=pk).annotate(n=Count("pk")).values_list("n", "pk")
        )(1)


def test_an_insert_writes_the_row_save_would_write_in_one_statement(organizer, django_assert_num_queries):
    performance = factories.on_sale_performance(organizer=organizer)
    contact = Contact.objects.create(organizer=organizer, last_name="Sand")
    with django_assert_num_queries(1):
        interaction = insert(
            Interaction(
                organizer_id=organizer.pk,
                contact=contact,
                kind="order",
                occurred_at=timezone.now(),
                amount=Decimal("12.50"),
                performance=performance,
            )
        )
    assert interaction.pk and interaction._state.adding is False
    stored = Interaction.objects.get(pk=interaction.pk)
    assert (stored.amount, stored.kind, stored.summary, stored.performance_id) == (
        Decimal("12.50"),
        "order",
        "",
        performance.pk,
    )
    second = insert(
        Interaction(organizer=organizer, contact=contact, kind="note", occurred_at=timezone.now())
    )
    assert second.pk > interaction.pk

    entry = audit_record(
        actor=None,
        action="test.json",
        instance=contact,
        organizer=organizer,
        after={"total": "12.50", "n": [1]},
    )
    stored = AuditLogEntry.objects.get(pk=entry.pk)
    assert (stored.after, stored.before, stored.actor_label) == (
        {"total": "12.50", "n": [1]},
        None,
        "système",
    )
    assert stored.created_at is not None and stored.created_at == entry.created_at


def test_an_insert_leaves_models_with_their_own_saving_to_the_orm(organizer):
    contact = insert(Contact(organizer=organizer, first_name="Éloïse", last_name="Durand"))
    assert Contact.objects.get(pk=contact.pk).name_key  # Contact.save() computes it
    key = signing_key_for_id(organizer.pk)
    signing_key_for_id(organizer.pk)  # now kept by this process
    replacement = insert(
        SigningKey(organizer=organizer, private_key=key.private_key, public_key=bytes(32))
    )  # a receiver clears the kept keys
    SigningKey.objects.filter(pk=key.pk).update(retired_at=timezone.now())
    assert signing_key_for_id(organizer.pk).pk == replacement.pk
    order = factories.buy(factories.tariff(factories.on_sale_performance(organizer=organizer)))
    with pytest.raises(ValueError, match="F\\(\\) expressions"):  # an expression: the ORM's own insert
        insert(Payment(order=order, provider="demo", amount=F("amount"), currency="EUR"))


def test_uuids_are_bound_as_the_database_stores_them(organizer):
    paid = factories.buy(factories.tariff(factories.on_sale_performance(organizer=organizer)))
    of_checkout = CompiledQuery(Order, lambda checkout: Order.objects.filter(checkout=checkout))
    assert [o.pk for o in of_checkout(paid.checkout)] == [paid.pk]
    assert of_checkout(uuid.uuid4()) == []


def test_insert_many_writes_the_rows_bulk_create_would_write_in_one_statement(
    organizer, django_assert_num_queries
):
    contact = Contact.objects.create(organizer=organizer, last_name="Sand")
    at = timezone.now()
    for count in (1, 3, 3):  # the statement for three rows, written once and run again
        rows = [
            Interaction(
                organizer=organizer, contact=contact, kind="note", occurred_at=at, summary=f"{count}-{n}"
            )
            for n in range(count)
        ]
        with django_assert_num_queries(1):
            inserted = insert_many(rows)
        assert inserted == rows and all(not row._state.adding for row in rows)
        stored = {i.pk: i.summary for i in Interaction.objects.filter(pk__in=[row.pk for row in rows])}
        assert stored == {row.pk: row.summary for row in rows}  # each id read back onto its own row
    assert insert_many([]) == []


def test_insert_many_hands_other_rows_to_bulk_create(organizer):
    contact = Contact.objects.create(organizer=organizer, last_name="Sand")
    many = insert_many(
        Interaction(organizer=organizer, contact=contact, kind="note", occurred_at=timezone.now())
        for _ in range(MAX_COMPILED_ROWS + 1)
    )
    assert len({row.pk for row in many}) == MAX_COMPILED_ROWS + 1 == Interaction.objects.count()
    order = factories.buy(factories.tariff(factories.on_sale_performance(organizer=organizer)))
    with pytest.raises(ValueError, match="F\\(\\) expressions"):  # an expression: the ORM's own insert
        insert_many([Payment(order=order, provider="demo", amount=F("amount"), currency="EUR")] * 2)


def test_a_related_row_saved_after_it_was_assigned_gives_its_id_and_an_unsaved_one_an_error(organizer):
    contact = Contact(organizer=organizer, last_name="Sand")
    early = Interaction(organizer=organizer, contact=contact, kind="note", occurred_at=timezone.now())
    with pytest.raises(ValueError, match="unsaved related object 'contact'"):
        insert(early)
    with pytest.raises(ValueError, match="unsaved related object 'contact'"):
        insert_many([early, early])
    contact.save()
    assert insert(early).contact_id == contact.pk
    assert Interaction.objects.get(pk=early.pk).contact_id == contact.pk


def test_a_values_list_gives_the_rows_of_its_queryset_converted(organizer):
    performance = factories.on_sale_performance(organizer=organizer)
    full, reduced = factories.tariff(performance), factories.tariff(performance, "Réduit", "12.00")
    cart = Cart.objects.create()
    for tariff, quantity in ((full, 2), (reduced, 3), (full, 4)):
        Hold.objects.create(
            cart=cart, performance=performance, tariff=tariff, quantity=quantity, expires_at=timezone.now()
        )

    def build(performance_id):
        return (
            Hold.objects.filter(performance_id=performance_id)
            .values("tariff_id")
            .annotate(n=Sum("quantity"))
            .values_list("tariff_id", "n")
            .order_by("tariff_id")
        )

    rows = CompiledQuery(Hold, build)
    assert rows(performance.pk) == list(build(performance.pk)) == [(full.pk, 6), (reduced.pk, 3)]
    prices = CompiledQuery(Tariff, lambda pk: Tariff.objects.filter(pk=pk).values_list("price", "name"))
    assert prices(reduced.pk) == [(Decimal("12.00"), "Réduit")]  # converted as the ORM converts them
    assert rows(0) == []
