"""French contracts and elides "de" before a name: the newsletter of "Le Caveau" is "du Caveau"."""

import pytest
from django.utils import translation

from parvis.core.text import of_name, of_names


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("Le Caveau", "du Caveau"),
        ("Les Sept Lézards", "des Sept Lézards"),
        ("La Péniche", "de La Péniche"),
        ("L'Arbre", "de L'Arbre"),
        ("L’Usine", "de L’Usine"),
        ("Opéra de Lyon", "d'Opéra de Lyon"),
        ("Écluse", "d'Écluse"),
        ("Club A", "de Club A"),
        ("Lebon", "de Lebon"),  # "Le" is an article only before a space
        ("Théâtre du Parvis", "de Théâtre du Parvis"),
    ],
)
def test_de_before_a_name(name, said):
    assert of_name(name, language="fr") == said


def test_several_names_and_other_languages():
    assert of_names(["Le Caveau", "La Péniche"], language="fr") == "du Caveau et de La Péniche"
    assert of_names(["Le Caveau", "L'Arbre", "Club A"], language="fr") == "du Caveau, de L'Arbre et de Club A"
    assert of_name("Le Caveau", language="en") == "of Le Caveau"
    with translation.override("en"):
        assert of_names(["Le Caveau", "Club A"]) == "of Le Caveau and of Club A"
