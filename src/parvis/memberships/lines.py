"""Member cards and subscriptions plugged into the layers below (docs/adr/0005): the cards an order bought
become valid once it is paid and stop when it is refunded; a subscription's first order makes it valid; a
cart applies a card's benefits and a subscription's tariffs through `MemberBenefits`; the public pages
show the programmes and offers on sale; segments may ask for members and subscribers."""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parvis.crm.extensions import RuleKind
from parvis.programming.extensions import OffersOnSale
from parvis.ticketing.extensions import Attachment, BenefitsProvider, LineKind
from parvis.ticketing.models import OrderExtra

from .models import Membership, Subscription
from .pdf import card_pdf
from .selectors import offers_on_sale, programs_on_sale
from .services import benefits_for, membership_find, memberships_of_order_cancel, memberships_of_order_issue
from .subscriptions import subscription_covers, subscriptions_of_order_cancel, subscriptions_of_order_issue


class MembershipLines(LineKind):
    extra_kind = OrderExtra.Kind.MEMBERSHIP

    def order_paid(self, order, *, paid_at) -> None:
        memberships_of_order_issue(order)

    def order_cancelled(self, order, *, actor=None) -> None:
        memberships_of_order_cancel(order, actor=actor)

    def confirmation(self, order, *, base_url: str) -> dict:
        cards = order.memberships.filter(state=Membership.State.ACTIVE).select_related("level__program")
        return {"memberships": [(card, base_url + card.get_absolute_url()) for card in cards]}

    def attachments(self, order, context: dict) -> list[Attachment]:
        return [
            Attachment(f"carte-adherent-{card.code}.pdf", card_pdf(card))
            for card, _url in context.get("memberships", [])
        ]


class SubscriptionLines(LineKind):
    """A subscription rides on its first order (`order.subscription`), not on an extra line."""

    def concerns(self, order, extra_kinds: set[str]) -> bool:
        return order.subscription_id is not None

    def order_paid(self, order, *, paid_at) -> None:
        subscriptions_of_order_issue(order)

    def order_cancelled(self, order, *, actor=None) -> None:
        subscriptions_of_order_cancel(order)


class MemberBenefits(BenefitsProvider):
    def benefits_for(self, membership, organizer_id: int, *, at=None):
        return benefits_for(membership, organizer_id, at=at)

    def membership_find(self, *, code: str, email: str | None):
        return membership_find(code=code, email=email)

    def remembered_card_id(self, *, email: str) -> int | None:
        now = timezone.now()
        return (
            Membership.objects.filter(
                email__iexact=email, state=Membership.State.ACTIVE, valid_from__lte=now, valid_until__gt=now
            )
            .order_by("-valid_until")
            .values_list("pk", flat=True)
            .first()
        )

    def card_by_id(self, membership_id: int):
        return Membership.objects.select_related("level__program").filter(pk=membership_id).first()

    def subscription_covers(self, subscription, performance) -> bool:
        return subscription_covers(subscription, performance)


class MembershipOffers(OffersOnSale):
    def for_network(self, network) -> dict:
        return {"membership_programs": programs_on_sale(network_id=network.pk)}

    def for_organizer(self, organizer) -> dict:
        return {
            "membership_programs": programs_on_sale(organizer_ids=[organizer.pk]),
            "subscription_offers": offers_on_sale(organizer_ids=[organizer.pk]),
        }


def _member(organizer, value) -> Q:  # a card bought by this contact, valid today
    now = timezone.now()
    return Q(
        Exists(
            Membership.objects.filter(
                order__contact=OuterRef("pk"),
                state=Membership.State.ACTIVE,
                valid_from__lte=now,
                valid_until__gt=now,
            )
        )
    )


def _subscriber(organizer, value) -> Q:  # a subscription of this contact whose season has not ended
    return Q(
        Exists(
            Subscription.objects.filter(
                order__contact=OuterRef("pk"),
                state=Subscription.State.ACTIVE,
                offer__season_ends__gt=timezone.now(),
            )
        )
    )


MEMBER = RuleKind(label=_("Adhérent (carte valable)"), value_kind="bool", condition=_member)
SUBSCRIBER = RuleKind(label=_("Abonné (abonnement en cours)"), value_kind="bool", condition=_subscriber)
