"""What other apps may use of the ticketing's web side."""

from .views import buyer_cart, payment_target

__all__ = ["buyer_cart", "payment_target"]
