"""What online access plugs into the ticketing core (called once, from `OnlineConfig.ready()`)."""

from django.urls import reverse

from parvis.ticketing.extensions import TicketPageExtension, order_links, ticket_mentions, ticket_page

from . import services
from .models import OnlineContent


class OnlineNotice(TicketPageExtension):
    """The tickets page of a date sold online says how the access works, and offers the free trailer and,
    where the content is open to them, members' access with their card."""

    def context(self, request, performance) -> dict:
        if not getattr(performance, "sells_online", False):
            return {}
        content = OnlineContent.objects.filter(performance_id=performance.pk).first()
        return {
            "online_notice": {
                "content": content,
                "members_url": reverse("online:members", args=[performance.pk])
                if content is not None and content.members
                else "",
            }
        }


def register() -> None:
    order_links.register("online", services.order_links)
    ticket_mentions.register("online", services.online_mention)
    ticket_page.register("online", OnlineNotice())
