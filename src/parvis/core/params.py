"""Values read from a request's parameters."""

import datetime
from decimal import Decimal, InvalidOperation

from django.utils.http import url_has_allowed_host_and_scheme

# The largest whole number a database column holds (PostgreSQL's bigint, SQLite's INTEGER): a number a form
# reads that a query will compare to an id or a count is bounded by it, or the query fails (not a 4xx).
MAX_ID = 2**63 - 1


def id_param(data, name: str) -> int:
    """The id a form or a link sent under `name`, or 0 (which matches no row) when it is not one: junk
    ("abc", "²", 99999999999999999999) then finds nothing and answers 404, instead of failing with 500."""
    return int_or_none(data.get(name)) or 0


def is_digits(value: str, *, max_len: int = 18) -> bool:
    """Whether `value` is a whole number as a person types it: ASCII digits only, at most `max_len` of them.

    `str.isdigit()` also says yes to "²" or "٣", which `int()` then refuses (or reads as another number):
    every number read from a request goes through here (core/tests/test_architecture.py checks it)."""
    return 0 < len(value) <= max_len and value.isascii() and value.isdigit()


def int_or_none(value, *, max_len: int = 18) -> int | None:
    """A whole number typed in a form or a link, or None when it is not one."""
    value = (value or "").strip() if isinstance(value, str) else ""
    return int(value) if is_digits(value, max_len=max_len) else None


def next_url(request, default: str = "/") -> str:
    """Where to go back to after a form (`next` in the form or the link): a path of this site, or `default`.
    Anything else (another site, a bare word that `redirect()` would try as a view's name) is ignored."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return target
    return default


def date_or_none(value) -> datetime.date | None:
    """A date from a query (YYYY-MM-DD), or None for anything else (never an exception)."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def decimal_or_none(value) -> Decimal | None:
    """An amount typed in a form, French or English ("1 200,50", "12.5 €"), or None when it is not one."""
    if not isinstance(value, str):
        return None
    text = value.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None
