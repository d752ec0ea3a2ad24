"""What groups add to the apps below them (called once, from `GroupsConfig.ready()`): the group offers on an
organizer's page, and the group's code at the door."""

from django.urls import reverse

from parvis.checkin.extensions import code_kinds
from parvis.crm.extensions import personal_data
from parvis.programming.extensions import OffersOnSale, offers

from .door import GroupCodes
from .models import GroupOffer
from .personal_data import GroupLeaders


class GroupOffersOnSale(OffersOnSale):
    def for_organizer(self, organizer) -> dict:
        if not GroupOffer.objects.filter(organizer=organizer, is_active=True).exists():
            return {}
        return {"group_offers_url": reverse("groups:offers", args=[organizer.slug])}


def register() -> None:
    offers.register("groups", GroupOffersOnSale())
    code_kinds.register("4", GroupCodes())
    personal_data.register("groups", GroupLeaders())
