"""An independent reading of a file in the FEC format, with the rules of the DGFiP's checker
(Test-Compta-Demat) that a feed can break: the 18 fields by name and order, one separator, dates AAAAMMJJ,
comma amounts without thousands separator, one of debit or credit per line, balanced entries,
`EcritureNum` continuous per journal, lines in validation-date order, the file name SIRENFECAAAAMMJJ."""

import re
from collections import defaultdict
from decimal import Decimal

FIELDS = [
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
    "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
    "ValidDate", "Montantdevise", "Idevise",
]  # fmt: skip
DATE = re.compile(r"^(19|20)\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
AMOUNT = re.compile(r"^\d+,\d{2}$")


def check(name: str, text: str) -> list[dict]:
    """The lines as dicts; an AssertionError names the first rule broken."""
    assert re.fullmatch(r"\d{9}FEC(19|20)\d{6}\.txt", name), name
    lines = text.split("\r\n")
    assert lines[-1] == "", "the file ends with a line break"
    rows = [line.split("\t") for line in lines[:-1]]
    assert rows[0] == FIELDS, rows[0]
    found = []
    for n, row in enumerate(rows[1:], 2):
        assert len(row) == 18, (n, row)
        line = dict(zip(FIELDS, row, strict=True))
        for date_field in ("EcritureDate", "PieceDate", "ValidDate"):
            assert DATE.match(line[date_field]), (n, date_field, line[date_field])
        assert AMOUNT.match(line["Debit"]) and AMOUNT.match(line["Credit"]), (n, line)
        debit, credit = (Decimal(line[f].replace(",", ".")) for f in ("Debit", "Credit"))
        assert (debit == 0) != (credit == 0), (n, "one of debit or credit", line)
        assert line["JournalCode"] and line["JournalLib"] and line["EcritureLib"], (n, line)
        assert re.fullmatch(r"\d{3}[0-9A-Za-z]*", line["CompteNum"]) and line["CompteLib"], (n, line)
        line["debit"], line["credit"] = debit, credit
        found.append(line)
    entries: dict[tuple, Decimal] = defaultdict(Decimal)
    numbers: dict[str, list[int]] = defaultdict(list)
    for line in found:
        key = (line["JournalCode"], line["EcritureNum"])
        entries[key] += line["debit"] - line["credit"]
        if not numbers[line["JournalCode"]] or numbers[line["JournalCode"]][-1] != int(line["EcritureNum"]):
            numbers[line["JournalCode"]].append(int(line["EcritureNum"]))
    assert all(total == 0 for total in entries.values()), {k: v for k, v in entries.items() if v}
    for journal, seen in numbers.items():
        assert seen == list(range(1, len(seen) + 1)), (journal, "EcritureNum continuous", seen)
    valid = [line["ValidDate"] for line in found]
    assert valid == sorted(valid), "lines in validation-date order"
    return found


def balance(lines: list[dict], account: str) -> Decimal:
    """Credit minus debit of an account."""
    return sum((line["credit"] - line["debit"] for line in lines if line["CompteNum"] == account), Decimal(0))
