"""The demo's online access: the museum's virtual visit (on demand, seven days from the first opening, its
visit booklet to download, open to the friends of the museum with their card), and a theatre evening also
streamed live (an online tariff beside the room's), three viewers' tickets already bought."""

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from parvis.online.models import ContentKind, OnlineContent, OnlineResource
from parvis.programming.models import Genre, Performance
from parvis.ticketing import services as sales
from parvis.ticketing.models import Cart

from .base import add_event, new_performance, one_page_pdf, paris_at

VISIT_DAYS = 120  # on sale that long


def demo_online(*, museum, theatre, today: datetime.date) -> None:
    if OnlineContent.objects.filter(performance__organizer__in=[museum, theatre]).exists():
        return
    _virtual_visit(museum, today)
    _stream(theatre)


def _virtual_visit(museum, today) -> None:
    event, _created = add_event(
        museum,
        "Lumières du Nord, la visite virtuelle",
        slug="lumieres-du-nord-visite-virtuelle",
        genre=Genre.EXHIBITION,
        is_free=False,
        price_min=Decimal("6"),
        price_max=Decimal("6"),
        description="L'exposition commentée par sa commissaire, salle par salle, depuis chez vous ou en "
        "classe. Accès pendant sept jours ; livret de visite à télécharger.",
    )
    venue = museum.venues.first()
    start = paris_at(today - datetime.timedelta(days=1), 9)  # open at any hour of the demo's first day
    performance = new_performance(event, venue, start, 60)
    performance.status = "published"
    performance.save()
    visit = sales.tariff_create(
        actor=None,
        performance=performance,
        name="Visite virtuelle",
        name_en="Virtual visit",
        price=Decimal("6.00"),
        online=True,
        sales_close_at=start + datetime.timedelta(days=VISIT_DAYS),
    )
    content = OnlineContent.objects.create(
        performance=performance,
        kind=ContentKind.ON_DEMAND,
        on_demand_days=7,
        max_devices=2,
        members=True,
        instructions="La visite se regarde sur un ordinateur, une tablette ou un vidéoprojecteur en classe. "
        "Le livret reprend les œuvres commentées et propose des questions pour les élèves.",
    )
    resource = OnlineResource(content=content, title="Livret de visite (PDF)")
    resource.file.save("livret-lumieres-du-nord.pdf", ContentFile(_booklet()), save=True)
    _buy(visit, "nora.benali@public.example", "Nora", "Benali", 1)


def _booklet() -> bytes:
    return one_page_pdf(
        "Lumières du Nord — livret de visite",
        (
            "Salle 1 : la lumière d'hiver. Qu'est-ce qui éclaire la scène ?",
            "Salle 2 : les intérieurs. Où le peintre s'est-il placé ?",
            "Salle 3 : les nuits d'été. Quelle heure est-il dans le tableau ?",
        ),
    )


def _stream(theatre) -> None:
    evening = (
        Performance.objects.filter(
            organizer=theatre, event__status="published", status="published", starts_at__gt=timezone.now()
        )
        .exclude(space__name="Grande salle")  # the seated hall sells seats
        .order_by("starts_at")
        .first()
    )
    if evening is None:
        return
    stream = sales.tariff_create(
        actor=None,
        performance=evening,
        name="Diffusion en direct",
        name_en="Live stream",
        price=Decimal("8.00"),
        online=True,
    )
    OnlineContent.objects.create(
        performance=evening,
        kind=ContentKind.LIVE,
        max_devices=2,
        closes_hours_after=48,
        instructions="La captation sera en ligne ici à l'ouverture, trente minutes avant le lever de "
        "rideau ; elle reste visible deux jours.",
    )
    _buy(stream, "yanis.morel@public.example", "Yanis", "Morel", 2)
    _buy(stream, "claire.dumas@public.example", "Claire", "Dumas", 1)


def _buy(tariff, email: str, first: str, last: str, quantity: int):
    cart = Cart.objects.create()
    sales.cart_add(cart=cart, tariff_id=tariff.pk, quantity=quantity)
    buyer = sales.Buyer(email=email, first_name=first, last_name=last)
    order = None
    for order in sales.checkout_place_orders(cart=cart, buyer=buyer, provider_code="demo"):
        sales.payment_confirm(payment_id=order.payments.get().pk, reference=f"demo-online-{order.pk}")
    return order
