"""Passes plugged into the ticketing core (docs/adr/0005): the passes an order bought become valid once it
is paid; refunding it cancels only passes with no entry booked; a refunded ticket booked with a pass gives
its entry back; the tickets page of a date offers the passes this browser holds."""

from parvis.programming.extensions import OffersOnSale
from parvis.ticketing.extensions import LineKind, TicketPageExtension
from parvis.ticketing.models import OrderExtra

from .models import PassHolding
from .selectors import pass_options_for, products_on_sale
from .services import entries_of_tickets_release, holdings_of_order_cancel, holdings_of_order_issue
from .views import remembered_ids


class PassLines(LineKind):
    extra_kind = OrderExtra.Kind.PASS

    def order_paid(self, order, *, paid_at) -> None:
        holdings_of_order_issue(order)

    def order_cancelled(self, order, *, actor=None) -> None:
        holdings_of_order_cancel(order)  # refuses a pass already used

    def tickets_released(self, ticket_ids: list[int]) -> None:
        entries_of_tickets_release(ticket_ids)

    def confirmation(self, order, *, base_url: str) -> dict:
        holdings = order.pass_holdings.filter(state=PassHolding.State.ACTIVE).select_related("product")
        return {"passes": [(holding, base_url + holding.get_absolute_url()) for holding in holdings]}


class PassOptions(TicketPageExtension):
    def context(self, request, performance) -> dict:
        return pass_options_for(performance=performance, holding_ids=remembered_ids(request))


class PassOffers(OffersOnSale):
    def for_network(self, network) -> dict:
        return {"passes": products_on_sale(network=network)}
