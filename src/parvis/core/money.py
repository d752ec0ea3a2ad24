"""Money: a Decimal amount with its ISO currency, rounded per currency. Never a float."""

import contextlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats, translation

CURRENCY_DECIMALS = {"EUR": 2, "CHF": 2, "GBP": 2, "USD": 2, "XPF": 0}
CURRENCY_SYMBOLS = {"EUR": "€", "CHF": "CHF", "GBP": "£", "USD": "$", "XPF": "F"}


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str = "EUR"

    def __post_init__(self):
        if isinstance(self.amount, float):
            raise TypeError("Money takes a Decimal, an int or a str, never a float")
        places = CURRENCY_DECIMALS.get(self.currency, 2)
        quantum = Decimal(1).scaleb(-places)
        object.__setattr__(self, "amount", Decimal(self.amount).quantize(quantum, rounding=ROUND_HALF_UP))

    def __add__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> "Money":
        return Money(self.amount * factor, self.currency)

    def _same_currency(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def __str__(self) -> str:
        return format_money(self)


def format_money(money: Money, *, language: str | None = None) -> str:
    """12,50 € in French, €12.50 in English."""
    current = translation.get_language()
    language = language or current or "fr"
    places = CURRENCY_DECIMALS.get(money.currency, 2)
    symbol = CURRENCY_SYMBOLS.get(money.currency, money.currency)
    with translation.override(language) if language != current else contextlib.nullcontext():
        number = formats.number_format(money.amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    if language.startswith("fr"):
        return f"{number}\u00a0{symbol}"
    return f"{symbol}{number}"


def vat_split(amount_incl_tax: Decimal, rate_percent: Decimal) -> tuple[Decimal, Decimal]:
    """An amount including VAT → (excluding VAT, VAT), to the cent, adding up to the amount exactly:
    HT = round(TTC / (1 + rate)), TVA = TTC − HT (the VAT is computed on totals, never summed per line)."""
    cent = Decimal("0.01")
    incl = Decimal(amount_incl_tax).quantize(cent, rounding=ROUND_HALF_UP)
    excl = (incl / (1 + Decimal(rate_percent) / 100)).quantize(cent, rounding=ROUND_HALF_UP)
    return excl, incl - excl
