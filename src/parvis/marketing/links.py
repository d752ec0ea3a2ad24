"""The addresses each message carries: its unsubscribe and preferences pages, the mailto unsubscribe and
the return path (VERP) that names the recipient row a bounce is about. Each holds the recipient row's id
and an HMAC of it: short, never expiring (an unsubscribe link must work years later), and unforgeable."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from parvis.core.params import is_digits

_SIGNER = signing.Signer(salt="parvis.marketing.recipient", sep=".")


def token_of(recipient_id: int) -> str:
    return _SIGNER.sign(str(recipient_id))


def recipient_id_of(token: str) -> int | None:
    try:
        value = _SIGNER.unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if is_digits(value) else None


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower()


class Urls:
    """The pages' addresses, their URL patterns reversed once (a campaign asks for two per message)."""

    def __init__(self):
        base = settings.PARVIS_BASE_URL
        self.unsubscribe = (base + reverse("marketing:unsubscribe", args=["TOKEN"])).split("TOKEN")
        self.preferences = (base + reverse("marketing:preferences", args=["TOKEN"])).split("TOKEN")
        self.opened = (base + reverse("marketing:opened", args=["TOKEN"])).split("TOKEN")
        self.click = (base + reverse("marketing:click_base", args=["TOKEN"])).rstrip("/").split("TOKEN")

    def __call__(self, recipient_id: int) -> dict[str, str]:
        token = token_of(recipient_id)
        return {
            "unsubscribe": token.join(self.unsubscribe),
            "preferences": token.join(self.preferences),
            "click": token.join(self.click),
            "opened": token.join(self.opened),
            "token": token,
        }


def urls(recipient_id: int) -> dict[str, str]:
    return Urls()(recipient_id)


def mailto_unsubscribe(token: str, from_email: str) -> str:
    return f"mailto:unsubscribe+{token}@{domain_of(from_email)}?subject=unsubscribe"


def return_path(token: str, from_email: str) -> str:
    return f"bounce+{token}@{domain_of(from_email)}"
