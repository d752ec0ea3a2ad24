from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from parvis.crm.extensions import personal_data, rule_kinds
from parvis.programming.extensions import offers
from parvis.ticketing import extensions


class MembershipsConfig(AppConfig):
    name = "parvis.memberships"
    verbose_name = _("Adhésions")

    def ready(self):
        from . import tasks  # noqa: F401 - how its tasks are tried again (core.jobs.policy)
        from .lines import (
            MEMBER,
            SUBSCRIBER,
            MemberBenefits,
            MembershipLines,
            MembershipOffers,
            SubscriptionLines,
        )
        from .models import Membership, Subscription

        extensions.line_kinds.register("membership", MembershipLines())
        extensions.line_kinds.register("subscription", SubscriptionLines())
        extensions.benefits.register("memberships", MemberBenefits())
        offers.register("memberships", MembershipOffers())
        rule_kinds.register("member", MEMBER)
        rule_kinds.register("subscriber", SUBSCRIBER)
        personal_data.register("memberships", extensions.NamedOnOrders(Membership, Subscription))
