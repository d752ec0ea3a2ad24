"""Establishments a group comes from: schools found by their UAI or their name in the Éducation nationale's
directory (imported from its open-data file, `parvis groups_import_schools`), associations and companies
by SIRET.

The directory's CSV (data.education.gouv.fr, dataset `fr-en-annuaire-education`, labels as headers, `;`
separated) is read by the header names below, whatever their case and order; rows without a valid UAI
are skipped and counted. A school is public only when the file says so (an extract without the status
column asserts nothing: the teacher ticks "établissement public" on the form).

Parvis ships an extract of that directory, its lycées (`data/lycees.csv.gz`, `data/README.md` says where
it comes from): `parvis groups_import_schools` without a file imports it, and so does the demo. Écoles and
collèges come with the whole file, downloaded from data.education.gouv.fr."""

import csv
import gzip
import io
from pathlib import Path

from django.db import transaction
from django.db.models import Q

from parvis.core.params import is_digits
from parvis.core.text import fold

from .models import Establishment

VENDORED = Path(__file__).parent / "data" / "lycees.csv.gz"
UAI_KEYS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # the check letter: the seven digits modulo 23
COLUMNS = {
    "uai": ("identifiant_de_l_etablissement", "uai"),
    "name": ("nom_etablissement", "appellation_officielle"),
    "type": ("type_etablissement",),
    "status": ("statut_public_prive",),
    "postcode": ("code_postal",),
    "town": ("nom_commune", "commune"),
}
KINDS = {"ecole": "ecole", "école": "ecole", "collège": "college", "college": "college", "lycée": "lycee",
         "lycee": "lycee"}  # fmt: skip


def uai_valid(value: str) -> bool:
    value = value.strip().upper()
    return len(value) == 8 and is_digits(value[:7]) and value[7] == UAI_KEYS[int(value[:7]) % 23]


def siret_valid(value: str) -> bool:
    """Fourteen digits passing the Luhn check (La Poste's establishments excepted: they pass by sum)."""
    digits = value.replace(" ", "")
    if not is_digits(digits, max_len=14) or len(digits) != 14:
        return False
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0 or (digits.startswith("356000000") and sum(map(int, digits)) % 5 == 0)


def find(query: str, *, limit: int = 10) -> list[Establishment]:
    """Schools by their UAI (exact) or by words of their name, town or postcode, in any order."""
    query = query.strip()[:100]
    if not query:
        return []
    if uai_valid(query):
        return list(Establishment.objects.filter(uai=query.upper())[:1])
    found = Establishment.objects.exclude(uai=None)
    for word in query.split()[:4]:
        found = found.filter(Q(search__contains=fold(word)) | Q(postcode__startswith=word))
    return list(found.order_by("name")[:limit])


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    return next((lowered.index(n) for n in names if n in lowered), None)


def import_directory(text: str) -> tuple[int, int]:
    """Add or update the schools of a directory file; returns (kept, skipped)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
    header = next(reader, [])
    where = {key: _column(header, names) for key, names in COLUMNS.items()}
    if where["uai"] is None or where["name"] is None:
        raise ValueError(
            "the file has no UAI or name column (Identifiant_de_l_etablissement, Nom_etablissement)"
        )
    kept = skipped = 0
    rows = []
    for row in reader:

        def cell(key, row=row):
            index = where[key]
            return row[index].strip() if index is not None and index < len(row) else ""

        uai = cell("uai").upper()
        if not uai_valid(uai) or not cell("name"):
            skipped += 1
            continue
        rows.append(
            Establishment(
                uai=uai,
                name=cell("name")[:200],
                kind=KINDS.get(cell("type").lower(), "other_school"),
                public=cell("status").lower() == "public",
                postcode=cell("postcode")[:10],
                town=cell("town")[:100],
                search=Establishment.folded(cell("name")[:200], cell("town")[:100]),
            )
        )
        kept += 1
    with transaction.atomic():
        for start in range(0, len(rows), 2000):
            Establishment.objects.bulk_create(
                rows[start : start + 2000],
                update_conflicts=True,
                unique_fields=["uai"],
                update_fields=["name", "kind", "public", "postcode", "town", "search"],
            )
    return kept, skipped


def import_vendored() -> tuple[int, int]:
    """The lycées of the directory that Parvis ships."""
    return import_directory(gzip.decompress(VENDORED.read_bytes()).decode("utf-8"))
