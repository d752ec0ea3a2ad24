"""Whether a sending domain's DNS says what the mail providers will look for: the DKIM record Parvis
asked for (with this key), an SPF record, and a DMARC policy. Read with dnspython; a machine without
access to DNS gets "unreachable", not an error."""

import dns.exception
import dns.resolver
from django.utils import timezone

from .models import SendingDomain

TIMEOUT_S = 4.0


def _txt(resolver, name: str) -> list[str] | None:
    """The TXT strings at `name` ([] when there are none), or None when DNS cannot be reached."""
    try:
        answer = resolver.resolve(name, "TXT", lifetime=TIMEOUT_S)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException:
        return None
    return ["".join(part.decode(errors="replace") for part in record.strings) for record in answer]


def _compact(value: str) -> str:
    return "".join(value.split())


def check(domain: SendingDomain, *, resolver=None) -> dict:
    resolver = resolver or dns.resolver.Resolver()
    dkim = _txt(resolver, domain.dns_name)
    spf = _txt(resolver, domain.domain)
    dmarc = _txt(resolver, f"_dmarc.{domain.domain}")
    if dkim is None or spf is None or dmarc is None:
        result = {"reachable": False}
    else:
        policy = next((r for r in dmarc if r.lower().startswith("v=dmarc1")), "")
        result = {
            "reachable": True,
            "dkim": any(f"p={domain.public_key}" in _compact(r) for r in dkim),
            "spf": any(r.lower().startswith("v=spf1") for r in spf),
            "dmarc": bool(policy),
            "dmarc_policy": next(
                (t.split("=", 1)[1].strip() for t in policy.split(";") if t.strip().lower().startswith("p=")),
                "",
            ),
        }
    SendingDomain.objects.filter(pk=domain.pk).update(check_result=result, checked_at=timezone.now())
    return result
