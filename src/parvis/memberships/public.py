"""What other apps may use of the memberships."""

from .selectors import programs_on_sale
from .services import (
    Benefits,
    benefits_for,
    card_check,
    covers,
    membership_find,
    memberships_of_order_cancel,
    memberships_of_order_issue,
)

__all__ = [
    "Benefits",
    "benefits_for",
    "card_check",
    "covers",
    "membership_find",
    "memberships_of_order_cancel",
    "memberships_of_order_issue",
    "programs_on_sale",
]
