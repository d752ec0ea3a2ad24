"""Values read from a request's parameters."""


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
