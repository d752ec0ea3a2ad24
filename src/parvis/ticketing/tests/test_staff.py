"""Staff: tariffs and quotas per date; orders (search, cancel, refund a ticket, resend); cancelling a date."""

import pytest
from django.core import mail
from django.urls import reverse

from parvis.core.models import AuditLogEntry
from parvis.network.models import Role
from parvis.testing import login_staff, staff
from parvis.ticketing.models import Order, Quota, Tariff, Ticket

from .factories import buy, on_sale_performance, tariff

pytestmark = pytest.mark.django_db


def _sales_url(performance):
    return reverse("staff:performance_sales", args=[performance.organizer.slug, performance.pk])


def test_programmer_adds_tariffs_a_youth_quota_and_changes_the_capacity(client):
    performance = on_sale_performance(capacity=100)
    login_staff(client, staff(performance.organizer, Role.PROGRAMMING))
    url = _sales_url(performance)
    response = client.post(
        url,
        {
            "form": "tariff",
            "tariff-name": "Plein",
            "tariff-kind": "full",
            "tariff-price": "22.00",
            "tariff-vat_rate": "5.50",
            "tariff-sold_online": "on",
        },
    )
    assert response.status_code == 302
    youth = client.post(
        url,
        {
            "form": "tariff",
            "tariff-name": "Jeune",
            "tariff-kind": "youth",
            "tariff-price": "9.00",
            "tariff-vat_rate": "5.50",
            "tariff-sold_online": "on",
        },
    )
    assert youth.status_code == 302
    young = Tariff.objects.get(name="Jeune")
    client.post(
        url,
        {
            "form": "quota",
            "quota-name": "Jeunes",
            "quota-capacity": "40",
            "quota-channels": "all",
            "quota-tariffs": [young.pk],
        },
    )
    assert list(Quota.objects.get(name="Jeunes").tariffs.all()) == [young]
    client.post(url, {"form": "capacity", "capacity-capacity": "80"})
    assert Quota.objects.get(performance=performance, is_total=True).capacity == 80
    actions = set(AuditLogEntry.objects.values_list("action", flat=True))
    assert {"tariff.create", "quota.create", "quota.capacity"} <= actions
    for entry in AuditLogEntry.objects.filter(action__in=["tariff.create", "quota.create", "quota.capacity"]):
        assert performance.event.title in entry.object_repr  # which show, and which date
        assert f"{performance.local_starts_at:%d/%m/%Y}" in entry.object_repr


def test_capacity_cannot_go_below_places_taken_and_bad_prices_are_refused(client):
    performance = on_sale_performance(capacity=10)
    buy(tariff(performance), 5)
    login_staff(client, staff(performance.organizer, Role.PROGRAMMING))
    response = client.post(_sales_url(performance), {"form": "capacity", "capacity-capacity": "3"})
    assert response.status_code == 400 and "déjà prises" in response.content.decode()
    assert Quota.objects.get(performance=performance, is_total=True).capacity == 10
    response = client.post(
        _sales_url(performance),
        {
            "form": "tariff",
            "tariff-name": "X",
            "tariff-kind": "full",
            "tariff-price": "-5",
            "tariff-vat_rate": "5.50",
        },
    )
    assert response.status_code == 400 and not Tariff.objects.filter(name="X").exists()


@pytest.mark.parametrize(
    "role,can_see,can_change",
    [
        (Role.ADMINISTRATOR, True, True),
        (Role.PROGRAMMING, True, True),
        (Role.BOX_OFFICE, True, False),
        (Role.READ_ONLY, True, False),
        (Role.DOOR, True, False),
        (Role.MARKETING, True, False),
    ],
)
def test_roles_on_the_date_sales_page(client, role, can_see, can_change):
    performance = on_sale_performance()
    login_staff(client, staff(performance.organizer, role))
    assert client.get(_sales_url(performance)).status_code == (200 if can_see else 403)
    response = client.post(
        _sales_url(performance),
        {
            "form": "tariff",
            "tariff-name": "Y",
            "tariff-kind": "full",
            "tariff-price": "5",
            "tariff-vat_rate": "5.50",
        },
    )
    assert Tariff.objects.filter(name="Y").exists() is can_change
    assert response.status_code == (302 if can_change else 403)


def test_other_organizers_staff_see_nothing(client, other_organizer):
    performance = on_sale_performance()
    order = buy(tariff(performance), 1)
    login_staff(client, staff(other_organizer, Role.ADMINISTRATOR))
    assert client.get(_sales_url(performance)).status_code == 404
    slug = performance.organizer.slug
    assert client.get(reverse("staff:order_list", args=[slug])).status_code == 404
    assert client.get(reverse("staff:order_detail", args=[slug, order.code])).status_code == 404
    assert (
        client.post(reverse("staff:order_action", args=[slug, order.code]), {"action": "cancel"}).status_code
        == 404
    )
    # Through their own slug, the order does not exist either.
    own = other_organizer.slug
    assert client.get(reverse("staff:order_detail", args=[own, order.code])).status_code == 404
    order.refresh_from_db()
    assert order.state == "paid"


def test_box_office_searches_refunds_a_ticket_and_resends(client, django_capture_on_commit_callbacks):
    performance = on_sale_performance(capacity=10)
    order = buy(tariff(performance, price="10.00"), 3)
    login_staff(client, staff(performance.organizer, Role.BOX_OFFICE))
    listing = client.get(reverse("staff:order_list", args=[performance.organizer.slug]), {"q": "LIMA"})
    assert [o.code for o in listing.context["page"].object_list] == [order.code]
    ticket = order.tickets.order_by("number").first()
    action = reverse("staff:order_action", args=[performance.organizer.slug, order.code])
    client.post(action, {"action": "refund_ticket", "ticket": ticket.pk, "reason": "malade"})
    order.refresh_from_db()
    assert order.state == "partially_refunded"
    assert Quota.objects.get(performance=performance, is_total=True).used == 2
    assert order.payments.filter(amount=-10).exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(action, {"action": "resend"})
    assert len(mail.outbox) == 1
    client.post(action, {"action": "cancel", "reason": "demande"})
    order.refresh_from_db()
    assert order.state == "refunded" and not Ticket.objects.filter(order=order, state="valid").exists()
    assert Quota.objects.get(performance=performance, is_total=True).used == 0


def test_cancelling_a_date_refunds_everyone_and_tells_them(client, django_capture_on_commit_callbacks):
    performance = on_sale_performance(capacity=10)
    full = tariff(performance)
    paid_a, paid_b, pending = buy(full, 2), buy(full, 1), buy(full, 1, confirm=False)
    login_staff(client, staff(performance.organizer, Role.ADMINISTRATOR))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _sales_url(performance),
            {"form": "cancel", "cancel-reason": "Artiste malade", "cancel-confirm": "on"},
        )
    assert response.status_code == 302
    performance.refresh_from_db()
    assert performance.status == "cancelled"
    states = {o.pk: o.state for o in Order.objects.all()}
    assert states == {paid_a.pk: "refunded", paid_b.pk: "refunded", pending.pk: "cancelled"}
    assert Quota.objects.get(performance=performance, is_total=True).used == 0
    assert len(mail.outbox) == 3 and all("Annulation" in m.subject for m in mail.outbox)


def test_a_programmer_cannot_cancel_a_date(client):
    performance = on_sale_performance()
    login_staff(client, staff(performance.organizer, Role.PROGRAMMING))
    response = client.post(
        _sales_url(performance), {"form": "cancel", "cancel-reason": "x", "cancel-confirm": "on"}
    )
    assert response.status_code == 403
    performance.refresh_from_db()
    assert performance.status == "published"


def test_the_event_price_range_follows_its_tariffs():
    performance = on_sale_performance()
    tariff(performance, "Plein", "25.00")
    tariff(performance, "Jeune", "8.00")
    event = performance.event
    event.refresh_from_db()
    assert (event.price_min, event.price_max, event.is_free) == (8, 25, False)


def test_staff_refund_an_online_ticket_then_the_rest_of_the_order_as_credit_vouchers(
    client, django_capture_on_commit_callbacks
):
    from parvis.ticketing.models import Voucher
    from parvis.ticketing.vouchers import voucher_find

    performance = on_sale_performance(capacity=10)
    order = buy(tariff(performance, price="12.00"), 3)
    login_staff(client, staff(performance.organizer, Role.BOX_OFFICE))
    action = reverse("staff:order_action", args=[performance.organizer.slug, order.code])
    ticket = order.tickets.order_by("number").first()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            action, {"action": "refund_ticket_voucher", "ticket": ticket.pk, "reason": "geste"}, follow=True
        )
    first = Voucher.objects.get()
    assert (first.initial_value, first.balance, first.source, first.order) == (12, 12, "refund", order)
    assert f"bon cadeau {first.code} de 12,00" in response.content.decode()
    (email,) = mail.outbox
    assert email.to == [order.email] and first.code in email.body and "12,00" in email.body
    assert [name for name, _c, _t in email.attachments] == [f"bon-cadeau-{first.code}.pdf"]
    order.refresh_from_db()
    assert order.state == "partially_refunded"
    assert Quota.objects.get(performance=performance, is_total=True).used == 2
    detail = client.get(reverse("staff:order_detail", args=[performance.organizer.slug, order.code]))
    assert 'value="cancel_voucher"' in detail.content.decode()  # the rest can still be cancelled
    # The history says what happened in words, never a bare code.
    assert "Remboursement" in detail.content.decode() and "order.refund" not in detail.content.decode()
    assert "état : Payée → Partiellement remboursée" in detail.content.decode()
    assert "remboursé : 12,00" in detail.content.decode()  # an amount, as money
    assert "paiement : Paiement de démonstration" in detail.content.decode()
    # The money stays with the organizer: nothing goes back to the demo payment.
    assert list(order.payments.filter(amount__lt=0).values_list("provider", "amount")) == [("voucher", -12)]
    # The same ticket again: nothing to refund, no second voucher, nothing in the history.
    refunds_logged = AuditLogEntry.objects.filter(action="order.refund").count()
    client.post(action, {"action": "refund_ticket_voucher", "ticket": ticket.pk})
    client.post(action, {"action": "refund_ticket", "ticket": ticket.pk})
    assert Voucher.objects.count() == 1
    assert AuditLogEntry.objects.filter(action="order.refund").count() == refunds_logged
    with django_capture_on_commit_callbacks(execute=True):
        client.post(action, {"action": "cancel_voucher", "reason": "annulation"})
    order.refresh_from_db()
    assert order.state == "refunded" and Quota.objects.get(performance=performance, is_total=True).used == 0
    second = Voucher.objects.exclude(pk=first.pk).get()
    assert second.initial_value == 24 and voucher_find(organizer_id=order.organizer_id, code=second.code)
    assert len(mail.outbox) == 2
    assert AuditLogEntry.objects.filter(action="voucher.issue").count() == 2


def test_a_refund_as_voucher_is_all_or_nothing_and_needs_the_right_to_change_sales(client):
    from parvis.ticketing.models import Voucher

    performance = on_sale_performance(capacity=10)
    order = buy(tariff(performance, price="0.50"), 1)
    action = reverse("staff:order_action", args=[performance.organizer.slug, order.code])
    login_staff(client, staff(performance.organizer, Role.READ_ONLY))
    assert client.post(action, {"action": "cancel_voucher"}).status_code == 403
    login_staff(client, staff(performance.organizer, Role.ADMINISTRATOR))
    client.post(action, {"action": "cancel_voucher"})  # 0.50: below a voucher's smallest value
    order.refresh_from_db()
    assert order.state == "paid" and not Voucher.objects.exists()
    assert order.tickets.get().state == "valid" and not order.payments.filter(amount__lt=0).exists()


def test_the_buyer_is_told_of_each_refund_staff_make_and_by_which_means(
    client, django_capture_on_commit_callbacks
):
    performance = on_sale_performance(capacity=10)
    order = buy(tariff(performance, price="10.00"), 2)
    order.language = "en"
    order.save(update_fields=["language"])
    login_staff(client, staff(performance.organizer, Role.BOX_OFFICE))
    action = reverse("staff:order_action", args=[performance.organizer.slug, order.code])
    ticket = order.tickets.order_by("number").first()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(action, {"action": "refund_ticket", "ticket": ticket.pk})
    (partial,) = mail.outbox
    assert partial.to == [order.email] and partial.subject.startswith("Refund")
    assert "other tickets stay valid" in partial.body and "10.00" in partial.body
    with django_capture_on_commit_callbacks(execute=True):
        client.post(action, {"action": "refund_ticket", "ticket": ticket.pk})  # already refunded: no notice
        client.post(action, {"action": "cancel"})
    assert len(mail.outbox) == 2 and "is cancelled and refunded" in mail.outbox[1].body


def test_junk_in_the_staff_forms_is_refused_not_a_server_error(client):
    performance = on_sale_performance(capacity=10)
    order = buy(tariff(performance, price="10.00"), 1)
    login_staff(client, staff(performance.organizer, Role.ADMINISTRATOR))
    slug = performance.organizer.slug
    action = reverse("staff:order_action", args=[slug, order.code])
    for junk in ("xxx", "99999999999999999999", "²"):
        assert client.post(action, {"action": "refund_ticket", "ticket": junk}).status_code == 404
        promo = client.post(reverse("staff:promo_codes", args=[slug]), {"deactivate": junk})
        assert promo.status_code == 404
        quota = client.post(
            _sales_url(performance),
            {"form": "quota", "quota-name": "J", "quota-capacity": "4", "quota-channels": "all",
             "quota-tariffs": [junk]},
        )  # fmt: skip
        assert quota.status_code == 400
    assert order.tickets.get().state == "valid" and not Quota.objects.filter(name="J").exists()
