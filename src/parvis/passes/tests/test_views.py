"""The holder's pages: buy a pass, book from its page or from a performance page, cancel; the order page."""

import pytest
from django.core import mail
from django.urls import reverse

from parvis.passes.models import PassEntry, PassHolding
from parvis.passes.services import pass_book
from parvis.ticketing.models import Order
from parvis.ticketing.pdf import order_tickets_pdf

from .factories import bought_pass, club, concert, pass_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(network, organizer):
    clubs = [club(network, "alpha", "Paris"), club(network, "beta", "Montreuil")]
    product = pass_product(organizer, network, cancel_hours=24, max_per_venue=1)
    return clubs, product


def test_buying_a_pass_online(client, setup, django_capture_on_commit_callbacks):
    _clubs, product = setup
    page = client.get(reverse("passes:buy", args=[product.pk]))
    assert page.status_code == 200 and "Pass 3 concerts" in page.content.decode()
    data = {
        "email": "ana@example.org",
        "first_name": "Ana",
        "last_name": "Lima",
        "terms": "on",
        "provider": "demo",
    }
    response = client.post(reverse("passes:buy", args=[product.pk]), data)
    order = Order.objects.get()
    assert response.status_code == 302 and response.url == f"/paiement/demo/{order.checkout}/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {"action": "pay"})
    holding = PassHolding.objects.get()
    assert holding.state == "active"
    (message,) = mail.outbox
    assert holding.get_absolute_url() in message.body and holding.code in message.body
    order_page = client.get(order.get_absolute_url()).content.decode()
    assert holding.get_absolute_url() in order_page


def test_the_buy_form_reports_errors_and_creates_nothing(client, setup):
    _clubs, product = setup
    response = client.post(
        reverse("passes:buy", args=[product.pk]), {"email": "not-an-email", "provider": "demo"}
    )
    assert response.status_code == 400 and not Order.objects.exists()
    assert client.get(reverse("passes:buy", args=[999])).status_code == 404


def test_the_holder_page_books_a_suggestion_and_cancels_it(client, setup):
    clubs, product = setup
    holding = bought_pass(product)
    first = concert(clubs[0], days=4)
    second = concert(clubs[1], days=5)
    url = holding.get_absolute_url()
    page = client.get(url).content.decode()
    assert "3 entrées restantes" in page and first.event.title in page and second.event.title in page
    response = client.post(url, {"action": "book", "performance": first.pk})
    assert response.status_code == 302
    holding.refresh_from_db()
    assert holding.entries_used == 1
    again = client.get(url).content.decode()
    assert "2 entrées restantes" in again
    # At most one per venue: the same club is refused with the reason.
    other_date = concert(clubs[0], days=6)
    follow = client.post(url, {"action": "book", "performance": other_date.pk}, follow=True).content.decode()
    assert "au plus 1 entrée(s) par lieu" in follow
    entry = PassEntry.objects.get()
    client.post(url, {"action": "cancel", "entry": entry.pk})
    holding.refresh_from_db()
    assert holding.entries_used == 0


def test_a_wrong_secret_is_not_found(client, setup):
    holding = bought_pass(setup[1])
    assert client.get(reverse("passes:holding", args=[holding.code, "x" * 32])).status_code == 404
    assert (
        client.post(reverse("passes:holding", args=[holding.code, "nope"]), {"action": "book"}).status_code
        == 404
    )


def test_use_my_pass_on_a_performance_page(client, setup):
    clubs, product = setup
    holding = bought_pass(product)
    performance = concert(clubs[0])
    page = client.get(reverse("ticketing:performance", args=[performance.pk])).content.decode()
    assert "J'ai un pass" in page  # a stranger can give a pass's code
    # Code and e-mail, wrong then right.
    wrong = client.post(
        reverse("passes:use", args=[performance.pk]),
        {"code": holding.code, "email": "bo@example.org"},
        follow=True,
    )
    assert "Pass introuvable" in wrong.content.decode() and not PassEntry.objects.exists()
    right = client.post(
        reverse("passes:use", args=[performance.pk]),
        {"code": holding.code.lower(), "email": "ana@example.org"},
    )
    assert right.status_code == 302 and right.url == holding.get_absolute_url()
    assert PassEntry.objects.get().performance == performance
    # Now remembered in this browser: another eligible date offers a one-click booking.
    other = concert(clubs[1])
    page = client.get(reverse("ticketing:performance", args=[other.pk])).content.decode()
    assert "Réserver avec mon pass" in page and "2 entrées restantes" in page
    client.post(reverse("passes:use", args=[other.pk]), {"holding": holding.pk})
    assert PassEntry.objects.count() == 2


def test_someone_elses_pass_cannot_be_used_by_its_id(client, setup):
    clubs, product = setup
    holding = bought_pass(product)
    response = client.post(
        reverse("passes:use", args=[concert(clubs[0]).pk]), {"holding": holding.pk}, follow=True
    )
    assert "Pass introuvable" in response.content.decode() and not PassEntry.objects.exists()


def test_the_ticket_pdf_says_it_was_booked_with_the_pass(setup):
    clubs, product = setup
    holding = bought_pass(product)
    entry = pass_book(holding=holding, performance_id=concert(clubs[0]).pk)
    import pypdfium2

    pdf = pypdfium2.PdfDocument(order_tickets_pdf(entry.ticket.order))
    text = pdf[0].get_textpage().get_text_range()
    assert f"Pass {holding.code}" in text and "Compris dans le pass" in text
