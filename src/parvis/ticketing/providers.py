"""Payment providers. Each says how long an order may wait for its payment and how it is paid."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Provider:
    code: str
    label: str
    payment_window: datetime.timedelta
    confirms_immediately: bool = False
    online: bool = True


PROVIDERS = {
    "free": Provider("free", _("Gratuit"), datetime.timedelta(minutes=15), confirms_immediately=True),
    "demo": Provider(
        "demo", _("Paiement de démonstration (aucun argent ne circule)"), datetime.timedelta(minutes=30)
    ),
}


def enabled_providers() -> dict[str, Provider]:
    return {code: PROVIDERS[code] for code in settings.PARVIS_PAYMENT_PROVIDERS if code in PROVIDERS}
