"""The accounting feed of an organizer's sales, payments, refunds and gift vouchers in the format of the
fichier des écritures comptables (FEC, LPF A47 A-1, BOFiP BOI-CF-IOR-60-40-20), for the accountant's
software: not the legal FEC itself, which covers the whole financial year and every journal.

One entry per payment or refund, in the journal of its means of payment: the money's account on one side,
the revenue excluding VAT, the VAT per rate, the gift vouchers' debt and the donations on the other. A
network member's self-billed invoices to the network's seller: the document in the sales journal on its
day, each of the seller's payments in the bank journal (`self_billing_paid`).
Format, as the DGFiP's checker (Test-Compta-Demat) reads it:
- the 18 fields in their order, separated by a tab, a first line of their names, UTF-8;
- dates AAAAMMJJ; amounts with a comma and no thousands separator; each line a debit or a credit;
- each entry balanced; lines in the order of their validation date; `EcritureNum` continuous in each
  journal (from 1 in each file: the accountant's import numbers them in its own sequence);
- the file named SIRENFECAAAAMMJJ (the period's last day)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parvis.core.params import is_digits

from . import self_billing_paid
from .models import AccountMapping
from .money import TICKET, Movement, Part, movements

FIELDS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
    "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
    "ValidDate", "Montantdevise", "Idevise",
)  # fmt: skip
ENCODING = "UTF-8"

# The accounts each kind of line and each means of payment goes to, unless the organizer maps its own.
DEFAULT_ACCOUNTS = {
    TICKET: ("706100", gettext_lazy("Billetterie")),
    "pass": ("706200", gettext_lazy("Pass")),
    "membership": ("706300", gettext_lazy("Adhésions")),
    "product": ("707000", gettext_lazy("Ventes de produits")),
    "donation": ("754100", gettext_lazy("Dons")),
    "voucher": ("419100", gettext_lazy("Bons cadeaux (avances reçues)")),
    "vat": ("445710", gettext_lazy("TVA collectée")),
    "pay:cash": ("530000", gettext_lazy("Caisse")),
    "pay:cheque": ("511200", gettext_lazy("Chèques à encaisser")),
    "pay:card_terminal": ("511500", gettext_lazy("Cartes à encaisser")),
    "pay:stripe": ("512000", gettext_lazy("Banque")),
    "pay:transfer": ("512000", gettext_lazy("Banque")),
    "pay:voucher": ("419100", gettext_lazy("Bons cadeaux (avances reçues)")),
    "pay:channel": ("467000", gettext_lazy("Canaux de vente partenaires")),
    "pay:other": ("471000", gettext_lazy("Compte d'attente")),
    "self_billed": ("706400", gettext_lazy("Billetterie vendue par le réseau (autofacturation)")),
    "network": ("411900", gettext_lazy("Réseau, vendeur en son nom")),
    "vat_pending": ("445800", gettext_lazy("TVA collectée en attente d'encaissement")),
}
JOURNALS = {
    "cash": ("CA", gettext_lazy("Caisse")),
    "cheque": ("CH", gettext_lazy("Chèques")),
    "card_terminal": ("CB", gettext_lazy("Cartes bancaires")),
    "stripe": ("BQ", gettext_lazy("Banque")),
    "transfer": ("BQ", gettext_lazy("Banque")),
    "voucher": ("BC", gettext_lazy("Bons cadeaux")),
    "channel": ("CP", gettext_lazy("Canaux partenaires")),
}
OTHER_JOURNAL = ("OD", gettext_lazy("Opérations diverses"))
SALES_JOURNAL = ("VT", gettext_lazy("Ventes"))


@dataclass
class Line:
    account: str
    label: str
    debit: Decimal
    credit: Decimal


def chart(organizer) -> dict[str, tuple[str, str]]:
    """The organizer's accounts: the defaults, with its own numbers and labels over them."""
    accounts = {key: (number, str(label)) for key, (number, label) in DEFAULT_ACCOUNTS.items()}
    for mapping in AccountMapping.objects.filter(organizer=organizer):
        accounts[mapping.key] = (mapping.number, mapping.label or accounts.get(mapping.key, ("", ""))[1])
    return accounts


def _money_account(accounts, method: str) -> tuple[str, str]:
    return accounts.get(f"pay:{method}") or accounts["pay:other"]


def entry_lines(movement: Movement, accounts) -> list[Line]:
    """The entry of one movement, balanced: the money on one side, what it paid for on the other."""
    sides: dict[tuple[str, str], Decimal] = defaultdict(Decimal)  # account → signed credit
    grouped: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    for part in movement.parts:
        grouped[(part.kind, part.vat_rate)] += part.gross
    for (kind, rate), gross in sorted(grouped.items()):
        excl, vat = Part(kind, rate, gross).split
        number, label = accounts.get(kind) or accounts[TICKET]
        sides[(number, label)] += excl
        if vat:
            vat_account = accounts.get(f"vat:{rate}") or (
                accounts["vat"][0],
                f"{accounts['vat'][1]} {_rate(rate)} %",
            )
            sides[vat_account] += vat
    number, label = _money_account(accounts, movement.method)
    lines = [_line(number, label, -movement.amount)]
    lines += [_line(number, label, credit) for (number, label), credit in sides.items() if credit]
    return lines


def _line(account: str, label: str, credit: Decimal) -> Line:
    """A line from a signed credit (negative: a debit)."""
    return Line(account, label, -credit if credit < 0 else Decimal(0), credit if credit > 0 else Decimal(0))


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}".replace(".", ",")


def period_bounds(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(first, datetime.time(), tzinfo=zone)
    return start, datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)


def siren(organizer) -> str:
    digits = (organizer.siret or "")[:9]
    return digits if is_digits(digits, max_len=9) and len(digits) == 9 else ""


def warnings(organizer) -> list[str]:
    found = []
    if not siren(organizer):
        found.append(
            _("SIREN manquant : indiquez le SIRET de la structure dans ses réglages (le nom du fichier "
              "commence par le SIREN).")
        )  # fmt: skip
    return found


def file_name(organizer, last: datetime.date) -> str:
    return f"{siren(organizer) or '000000000'}FEC{last:%Y%m%d}.txt"


@dataclass
class Entry:
    day: datetime.date
    journal: tuple[str, str]
    piece: str
    piece_day: datetime.date
    text: str
    lines: list[Line]


def feed_rows(organizer, first: datetime.date, last: datetime.date) -> list[list[str]]:
    """The feed's lines for the days first to last (local time), its header first."""
    accounts = chart(organizer)
    entries = []
    for movement in movements(organizer, *period_bounds(first, last)):
        text = (_("Remboursement %(code)s") if movement.refund else _("Encaissement %(code)s")) % {
            "code": movement.order_code
        }
        entries.append(
            Entry(timezone.localtime(movement.at).date(), JOURNALS.get(movement.method, OTHER_JOURNAL),
                  movement.order_code, movement.order_date, text, entry_lines(movement, accounts))
        )  # fmt: skip
    entries += _self_billed(organizer, first, last, accounts)
    entries.sort(key=lambda entry: entry.day)  # stable: each source keeps its order within a day
    numbers: dict[str, int] = defaultdict(int)
    rows = [list(FIELDS)]
    for entry in entries:
        code, journal = entry.journal
        numbers[code] += 1
        day = entry.day.strftime("%Y%m%d")
        for line in entry.lines:
            rows.append(
                [
                    code, str(journal), str(numbers[code]), day, line.account, line.label, "", "",
                    entry.piece, entry.piece_day.strftime("%Y%m%d"), entry.text[:200],
                    _amount(line.debit), _amount(line.credit), "", "", day, "", "",
                ]
            )  # fmt: skip
    return rows


def _self_billed(organizer, first, last, accounts) -> list[Entry]:
    """The member's self-billed documents issued in the period, and the seller's payments of them."""
    network, revenue, pending = accounts["network"], accounts["self_billed"], accounts["vat_pending"]
    entries = []
    for invoice in self_billing_paid.issued(organizer, first, last):
        lines = [_line(*network, -invoice.total), _line(*revenue, invoice.total_excl)]
        lines += [
            _line(pending[0], f"{pending[1]} {_rate(Decimal(rate))} %", Decimal(vat))
            for rate, _excl, vat, _incl in invoice.lines
        ]
        day = timezone.localtime(invoice.issued_at).date()
        text = _("Autofacture %(n)s (%(seller)s)") % {"n": invoice.number, "seller": invoice.seller.name}
        entries.append(Entry(day, SALES_JOURNAL, invoice.number, day, text, _nonzero(lines)))
    bank = _money_account(accounts, "transfer")
    for share in self_billing_paid.collected(organizer, first, last):
        payment, invoice = share.payment, share.invoice
        lines = [_line(*bank, -payment.amount), _line(*network, payment.amount)]
        for rate, (_excl, vat) in sorted(share.rates.items()):
            collected = accounts.get(f"vat:{rate}") or (
                accounts["vat"][0],
                f"{accounts['vat'][1]} {_rate(rate)} %",
            )
            lines += [_line(pending[0], f"{pending[1]} {_rate(rate)} %", -vat), _line(*collected, vat)]
        text = _("Règlement de l'autofacture %(n)s") % {"n": invoice.number}
        issued_on = timezone.localtime(invoice.issued_at).date()
        entries.append(
            Entry(payment.paid_on, JOURNALS["transfer"], invoice.number, issued_on, text, _nonzero(lines))
        )
    return entries


def _nonzero(lines: list[Line]) -> list[Line]:
    return [line for line in lines if line.debit or line.credit]


def feed_text(rows: list[list[str]]) -> str:
    return "".join("\t".join(_clean(value) for value in row) + "\r\n" for row in rows)


def _clean(value: str) -> str:
    """No separator, line break or surrounding space inside a field."""
    return " ".join(value.replace("\t", " ").split())


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def account_valid(number: str) -> bool:
    """An account number the FEC accepts: 3 digits (its class and account), then digits or letters."""
    return 3 <= len(number) <= 20 and is_digits(number[:3]) and number.isascii() and number.isalnum()
