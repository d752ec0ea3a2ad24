"""What other apps may use of the ticketing's web side."""

from .views import payment_target

__all__ = ["payment_target"]
