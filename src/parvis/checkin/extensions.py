"""What the door lets the products above it plug in (docs/adr/0005, 0015).

- `code_kinds`: a QR code the door reads besides tickets and member cards (a market's badge, a group's
  code), by the version byte of its signed payload. The kind judges a scan on a list (its `areas`), says
  what the door shows of the holder, and gives what a device needs to judge its codes offline. A code that
  lets a whole group in names its `headcount` fields: the door asks how many came, and the scan carries
  the counts to the kind.

Check-in never imports the apps that register here: they sit above it.
"""

from dataclasses import dataclass, field

from parvis.core.registry import Registry
from parvis.ticketing import signing


@dataclass
class CodeVerdict:
    reason: str  # "" when the code lets its holder in, else a refusal code of `labels`
    ref: str = ""  # what the scan is about, kept on it: "badge:<id>"
    holder: dict = field(default_factory=dict)  # what the door shows: name, organisation, category, colour


class CodeKind:
    """One kind of QR code. Register an instance under its version in `AppConfig.ready()`:
    `code_kinds.register("3", Badges())`."""

    #: refusal codes of this kind and how the door staff read them
    labels: dict = {}
    #: a group's code: what the door asks the staff to count when it lets the group in, as (name, label)
    headcount: tuple = ()

    def areas(self, organizer_id: int) -> list[tuple[str, str]]:
        """The areas a list of this organizer may open to these codes, as (code, label)."""
        return []

    def judge(self, checkin_list, secret: str, *, at, kind: str) -> CodeVerdict:
        return CodeVerdict("malformed")

    def count(self, verdict: CodeVerdict, counts: dict[str, int], *, at) -> str:
        """Record how many came in on an accepted scan, in the scan's transaction (an expected failure is
        caught in a savepoint of its own, not raised). Returns what the door shows: "" when all is well."""
        return ""

    def offline(self, checkin_list) -> dict:
        """What a device needs to judge these codes on this list without the network."""
        return {}


def verified(verify, checkin_list, secret: str):
    """(claims, None) of a code signed by a key the list trusts, else (None, the verdict that refuses it).
    `verify` is the kind's own check of its payload version (`signing.verify_badge`, …)."""
    try:
        return verify(secret, checkin_list.public_keys), None
    except signing.InvalidSecret as exc:
        return None, CodeVerdict("malformed" if exc.reason == "malformed" else "invalid")


code_kinds: Registry[CodeKind] = Registry("codes the door reads")


def kind_of_version(version: int) -> CodeKind | None:
    return code_kinds.get(str(version))


def area_choices(organizer_id: int) -> list[tuple[str, str]]:
    return [choice for kind in code_kinds for choice in kind.areas(organizer_id)]


def refusal_label(reason: str):
    for kind in code_kinds:
        if reason in kind.labels:
            return kind.labels[reason]
    return None
