"""Text helpers: accent- and case-folding for search, slugs."""

import unicodedata


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced text: "Théâtre  de l'Œuvre" -> "theatre de l'oeuvre"."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())
