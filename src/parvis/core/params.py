"""Values read from a request's parameters."""


def id_param(data, name: str) -> int:
    """The id a form or a link sent under `name`, or 0 (which matches no row) when it is not one: junk
    ("abc", "²", 99999999999999999999) then finds nothing and answers 404, instead of failing with 500."""
    value = (data.get(name) or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else 0
