"""What the ticketing's audit entries carry, in the staff's words (read by `core.audit_reading`)."""

from django.utils.translation import gettext_lazy as _

from parvis.core.audit_reading import AuditWords

from .models import OrderState
from .providers import COUNTER_METHODS, PROVIDERS


class SalesWords(AuditWords):
    fields = {
        "state": _("état"),
        "payment": _("paiement"),
        "provider": _("moyen de paiement"),
        "refunded": _("remboursé"),
        "tickets": _("billets n°"),
        "fee_per_ticket": _("frais par billet"),
        "is_exception": _("propre à cette date"),
    }

    @property
    def codes(self):
        return {**{code: p.label for code, p in PROVIDERS.items()}, **COUNTER_METHODS}

    def value(self, name, value, entry):
        if name == "state" and entry.object_type == "ticketing.order" and value in OrderState.values:
            return str(OrderState(value).label)
        return None
