"""Reads about organizers that other apps need."""

from parvis.core.params import is_digits

from .models import DEFAULT_TERMS_VERSION, TermsOfSale


def terms_current(*, organizer_id: int) -> TermsOfSale | None:
    """The organizer's terms of sale in force, or None while Parvis's general terms apply."""
    terms = TermsOfSale.objects.filter(organizer_id=organizer_id).order_by("-number").first()
    return terms if terms is not None and terms.text else None


def terms_version(*, organizer_id: int) -> str:
    """The version of the terms in force, as an order records its buyer's acceptance."""
    terms = terms_current(organizer_id=organizer_id)
    return terms.version if terms is not None else DEFAULT_TERMS_VERSION


def terms_of_version(*, organizer_id: int, version: str) -> TermsOfSale | None:
    """A published version by its name ("v3"); None for Parvis's general terms or an unknown name."""
    number = version[1:]
    if not (version.startswith("v") and is_digits(number, max_len=9)):
        return None
    return TermsOfSale.objects.filter(organizer_id=organizer_id, number=int(number)).first()
