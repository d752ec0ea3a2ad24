"""What the programming lets the apps above it add to its public pages (docs/adr/0005).

A product on sale across a network or at an organizer (a pass, a membership programme, a subscription)
registers an `OffersOnSale` in its `AppConfig.ready()`; the network's and the organizer's pages show what
each gives (template context), without the programming knowing of them. An app may add a section at the
foot of an event's page (`event_page`: the recommendations' "you may also like").
"""

from parvis.core.registry import Registry


class OffersOnSale:
    def for_network(self, network) -> dict:
        """Template context for the network's home page."""
        return {}

    def for_organizer(self, organizer) -> dict:
        """Template context for an organizer's page."""
        return {}


offers: Registry[OffersOnSale] = Registry("offers on the public pages")


def network_offers(network) -> dict:
    context: dict = {}
    for offer in offers:
        context.update(offer.for_network(network))
    return context


def organizer_offers(organizer) -> dict:
    context: dict = {}
    for offer in offers:
        context.update(offer.for_organizer(organizer))
    return context


class DatesFollower:
    """What an app above keeps in step with the dates: a date's tariffs, its sales settings.

    Called inside the programming's transaction; an exception refuses the whole write."""

    def dates_created(self, performances: list, *, actor, request=None) -> None:
        """New dates of one event were created (a series, a copy)."""

    def date_copied(self, source, copies: list, *, actor, request=None) -> None:
        """`copies` were made from `source` (after `dates_created` for them)."""

    def event_copied(self, source, copy, *, actor, request=None) -> None:
        """`copy` was made from the event `source` (without its dates)."""

    def event_published(self, event, *, actor, request=None) -> None:
        """`event` was just published (it has dates): what is offered from the catalogue may follow."""


dates: Registry[DatesFollower] = Registry("what follows the events and their dates")


class EventPageAddition:
    """Something an app above shows at the foot of an event's public page ("you may also like"): a
    template of its own and its context, or None to show nothing."""

    def render_context(self, request, event) -> tuple[str, dict] | None:
        return None


event_page: Registry[EventPageAddition] = Registry("additions to the event pages")


def event_page_additions(request, event) -> list[tuple[str, dict]]:
    """(template, context) of each addition that has something to show for this event."""
    return [found for addition in event_page if (found := addition.render_context(request, event))]
