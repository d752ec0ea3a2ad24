"""What other apps may use of the passes."""

from .selectors import pass_options_for, products_on_sale
from .services import entries_of_tickets_release, holdings_of_order_cancel, holdings_of_order_issue
from .views import remembered_ids as remembered_pass_ids

__all__ = [
    "entries_of_tickets_release",
    "holdings_of_order_cancel",
    "holdings_of_order_issue",
    "pass_options_for",
    "products_on_sale",
    "remembered_pass_ids",
]
