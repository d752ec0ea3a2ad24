from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from parvis.ticketing import extensions


class MembershipsConfig(AppConfig):
    name = "parvis.memberships"
    verbose_name = _("Adhésions")

    def ready(self):
        from .lines import MemberBenefits, MembershipLines, SubscriptionLines

        extensions.line_kinds.register("membership", MembershipLines())
        extensions.line_kinds.register("subscription", SubscriptionLines())
        extensions.benefits.register("memberships", MemberBenefits())
