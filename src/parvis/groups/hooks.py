"""What groups add to the pages below them (called once, from `GroupsConfig.ready()`)."""

from django.urls import reverse

from parvis.programming.extensions import OffersOnSale, offers

from .models import GroupOffer


class GroupOffersOnSale(OffersOnSale):
    def for_organizer(self, organizer) -> dict:
        if not GroupOffer.objects.filter(organizer=organizer, is_active=True).exists():
            return {}
        return {"group_offers_url": reverse("groups:offers", args=[organizer.slug])}


def register() -> None:
    offers.register("groups", GroupOffersOnSale())
