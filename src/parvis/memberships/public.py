"""What other apps may use of the memberships."""

from .selectors import offers_on_sale, programs_on_sale
from .services import (
    Benefits,
    benefits_for,
    card_check,
    card_keys_for,
    covers,
    membership_find,
    memberships_of_order_cancel,
    memberships_of_order_issue,
)
from .subscriptions import subscription_covers, subscriptions_of_order_cancel, subscriptions_of_order_issue

__all__ = [
    "Benefits",
    "benefits_for",
    "card_check",
    "card_keys_for",
    "covers",
    "membership_find",
    "memberships_of_order_cancel",
    "memberships_of_order_issue",
    "offers_on_sale",
    "programs_on_sale",
    "subscription_covers",
    "subscriptions_of_order_cancel",
    "subscriptions_of_order_issue",
]
