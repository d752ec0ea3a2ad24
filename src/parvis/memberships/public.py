"""What other apps may use of the memberships (the door reads member cards). The order's life and the cart's
benefits reach the memberships through `lines.py`, registered with the ticketing (docs/adr/0005)."""

from .services import card_check, card_keys_for

__all__ = ["card_check", "card_keys_for"]
