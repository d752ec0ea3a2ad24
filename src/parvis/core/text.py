"""Text helpers: accent- and case-folding for search, slugs."""

import unicodedata

from django.utils import translation


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced text: "Théâtre  de l'Œuvre" -> "theatre de l'oeuvre"."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def of_name(name: str, *, language: str | None = None) -> str:
    """A name after "de", as French writes it, its article contracted or elided: "du Caveau", "des Sept
    Lézards", "de La Cave", "de L'Arbre", "d'Orsay", "de Club A". The article is the one the name carries
    (a venue names itself "Le Caveau"). In another language: "of" and the name, untouched."""
    language = language or translation.get_language() or "fr"
    if not language.startswith("fr"):
        return f"of {name}"
    for article, contracted in (("Le ", "du "), ("Les ", "des ")):
        if name.startswith(article) and len(name) > len(article):
            return contracted + name[len(article) :]
    if name[:1] and fold(name[:1]) in "aeiou" and not name.startswith(("L'", "L’")):
        return "d'" + name
    return "de " + name


def of_names(names, *, language: str | None = None) -> str:
    """Several names after "de": "du Caveau et de La Péniche" (in English: "of A and of B")."""
    parts = [of_name(n, language=language) for n in names]
    if len(parts) < 2:
        return "".join(parts)
    word = " et " if (language or translation.get_language() or "fr").startswith("fr") else " and "
    return ", ".join(parts[:-1]) + word + parts[-1]
