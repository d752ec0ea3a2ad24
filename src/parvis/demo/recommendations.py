"""The demo's recommendations: regulars of the theatre who chose the same shows, then every organizer's
and every network's model trained, so that each event page shows « Vous aimerez aussi » and says why."""

from django.utils import timezone

from parvis.network.models import Network, Organizer
from parvis.recommendations.models import Training
from parvis.recommendations.training import train_network, train_organizer
from parvis.ticketing import services as sales
from parvis.ticketing.models import Cart, Order, Tariff


def demo_recommendations(*, theatre) -> None:
    if Training.objects.exists():
        return
    if not Order.objects.filter(email__endswith="@habitues.example").exists():
        _regulars(theatre)
    for organizer in Organizer.objects.order_by("pk"):
        train_organizer(organizer)
    for network in Network.objects.order_by("pk"):
        train_network(network)


def _regulars(theatre) -> None:
    """Four regulars took the first two coming shows, three others the second and the third: the first's
    page suggests the second, « Le public de … l'a aussi choisi »."""
    tariffs = list(
        Tariff.objects.filter(
            performance__organizer=theatre,
            performance__starts_at__gt=timezone.now(),
            performance__status="published",
            kind="full",
            is_active=True,
        )
        .select_related("performance")
        .order_by("performance__event_id", "performance__starts_at")
    )
    first_of_each: dict[int, Tariff] = {}
    for tariff in tariffs:
        first_of_each.setdefault(tariff.performance.event_id, tariff)
    shows = list(first_of_each.values())[:3]
    if len(shows) < 3:
        return
    groups = [(range(4), shows[0:2]), (range(4, 7), shows[1:3])]
    for people, pair in groups:
        for n in people:
            cart = Cart.objects.create()
            for tariff in pair:
                sales.cart_add(cart=cart, tariff_id=tariff.pk, quantity=1)
            buyer = sales.Buyer(
                email=f"habitue{n + 1}@habitues.example", first_name="Habitué", last_name=str(n + 1)
            )
            for order in sales.checkout_place_orders(cart=cart, buyer=buyer, provider_code="demo"):
                sales.payment_confirm(
                    payment_id=order.payments.get().pk, reference=f"demo-habitue-{order.pk}"
                )
