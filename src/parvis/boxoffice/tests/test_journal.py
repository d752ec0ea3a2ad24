"""The till journal: gapless, chained, signed, append-only in the database; verify names any tampering;
closures add up; archives check offline."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.utils import timezone

from parvis.boxoffice import journal
from parvis.boxoffice.models import Chain, Closure, ClosureKind, EntryKind, JournalEntry
from parvis.testing import OrganizerFactory

from .helpers import guard_off

pytestmark = pytest.mark.django_db


def _sale(organizer, amount: str, rate: str = "5.50", method: str = "cash", chain=Chain.LIVE):
    return journal.append(
        organizer=organizer,
        chain=chain,
        kind=EntryKind.SALE,
        vat=journal.vat_breakdown([(Decimal(rate), Decimal(amount))]),
        methods={method: Decimal(amount)},
    )


@pytest.fixture
def org():
    return OrganizerFactory(slug="theatre")


def test_entries_are_numbered_without_gap_chained_and_signed(org):
    entries = [
        _sale(org, "18.00"),
        _sale(org, "9.50", rate="20.00", method="card_terminal"),
        _sale(org, "-18.00"),
    ]
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].previous_hash == journal.GENESIS
    assert entries[1].previous_hash == entries[0].hash and entries[2].previous_hash == entries[1].hash
    assert entries[0].vat == {"5.50": {"ht": "17.06", "tva": "0.94", "ttc": "18.00"}}
    assert [e.grand_total for e in entries] == [Decimal("18.00"), Decimal("27.50"), Decimal("9.50")]
    assert [e.grand_total_abs for e in entries] == [Decimal("18.00"), Decimal("27.50"), Decimal("45.50")]
    report = journal.verify(org, Chain.LIVE, full=True)
    assert report.ok and report.entries == 3 and report.signatures_checked == 3


@pytest.mark.parametrize(
    "statement", ["UPDATE boxoffice_journalentry SET total = 0", "DELETE FROM boxoffice_journalentry"]
)
def test_the_database_refuses_updates_and_deletes_of_entries(org, statement):
    _sale(org, "18.00")
    from django.db import connection

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalEntry.objects.filter(organizer=org).update(total=Decimal(0))
    assert JournalEntry.objects.get(organizer=org).total == Decimal("18.00")


def test_closures_refuse_updates_too(org):
    _at(org, datetime.date(2026, 3, 2), "10.00")
    journal.closures_generate(org, Chain.LIVE, today=datetime.date(2026, 3, 3))
    with pytest.raises(DatabaseError), transaction.atomic():
        Closure.objects.filter(organizer=org).update(total=Decimal(1))


def _five(org):
    return [_sale(org, amount) for amount in ("10.00", "20.00", "30.00", "40.00", "50.00")]


def test_verify_names_an_altered_amount(org):
    _five(org)
    with guard_off() as cursor:
        cursor.execute("UPDATE boxoffice_journalentry SET total = 3.00 WHERE seq = 3")
    report = journal.verify(org, Chain.LIVE)
    assert (report.first.seq, report.first.reason) == (3, "altered")


def test_verify_names_a_deleted_entry(org):
    _five(org)
    with guard_off() as cursor:
        cursor.execute("DELETE FROM boxoffice_journalentry WHERE seq = 3")
    assert (journal.verify(org, Chain.LIVE).first.seq, journal.verify(org, Chain.LIVE).first.reason) == (
        3,
        "missing",
    )


def test_verify_names_two_swapped_entries(org):
    _five(org)
    with guard_off() as cursor:
        cursor.execute("UPDATE boxoffice_journalentry SET seq = 100 WHERE seq = 2")
        cursor.execute("UPDATE boxoffice_journalentry SET seq = 2 WHERE seq = 3")
        cursor.execute("UPDATE boxoffice_journalentry SET seq = 3 WHERE seq = 100")
    report = journal.verify(org, Chain.LIVE)
    assert (report.first.seq, report.first.reason) == (2, "out_of_order")


def test_verify_names_an_entry_inserted_directly(org):
    entries = _five(org)
    forged = JournalEntry.objects.get(pk=entries[1].pk)
    forged.pk, forged.seq = None, 6
    forged.previous_hash = entries[-1].hash
    forged.save(force_insert=True)  # an insert passes the guard: the chain must catch it
    report = journal.verify(org, Chain.LIVE)
    assert (report.first.seq, report.first.reason) == (6, "altered")


def test_verify_catches_a_rewritten_chain_without_the_key(org):
    """An attacker who rewrites entry 2 and recomputes every hash after it cannot sign them."""
    entries = _five(org)
    with guard_off():
        previous = entries[0].hash
        for entry in JournalEntry.objects.filter(organizer=org, seq__gte=2).order_by("seq"):
            if entry.seq == 2:
                entry.total = Decimal("2.00")
            entry.previous_hash = previous
            entry.hash = journal.digest(journal.entry_values(entry))
            previous = entry.hash
            JournalEntry.objects.filter(pk=entry.pk).update(
                total=entry.total, previous_hash=entry.previous_hash, hash=entry.hash
            )
    report = journal.verify(org, Chain.LIVE)  # bisection over the signatures
    assert (report.first.seq, report.first.reason) == (2, "bad_signature")
    assert report.signatures_checked <= 4
    assert journal.verify(org, Chain.LIVE, full=True).first.seq == 2


def test_verify_catches_a_removed_last_entry(org):
    _five(org)
    with guard_off() as cursor:
        cursor.execute("DELETE FROM boxoffice_journalentry WHERE seq = 5")
    report = journal.verify(org, Chain.LIVE)
    assert (report.first.seq, report.first.reason) == (5, "removed_tail")


def test_command_verify_reports_ok_and_names_the_altered_entry(org):
    _five(org)
    out = io.StringIO()
    call_command("journal", "verify", "--organizer", "theatre", stdout=out)
    assert "theatre [live]: OK — 5 entries" in out.getvalue()
    with guard_off() as cursor:
        cursor.execute('UPDATE boxoffice_journalentry SET methods = \'{"cash": "1.00"}\' WHERE seq = 4')
    with pytest.raises(CommandError, match=r"theatre \[live\] #4: altered"):
        call_command("journal", "verify", "--organizer", "theatre", stdout=io.StringIO())


def _at(org, day: datetime.date, amount: str, monkeypatch=None, hour: int = 12, **kwargs):
    moment = datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_default_timezone())
    original = journal.timezone.now
    journal.timezone.now = lambda: moment
    try:
        return _sale(org, amount, **kwargs)
    finally:
        journal.timezone.now = original


def test_closures_add_up_chain_and_carry_the_perpetual_grand_total(org):
    _at(org, datetime.date(2026, 1, 30), "10.00")
    _at(org, datetime.date(2026, 1, 31), "20.00", rate="20.00", method="card_terminal")
    _at(org, datetime.date(2026, 1, 31), "-5.00", hour=18)
    _at(org, datetime.date(2026, 2, 1), "7.00")
    made = journal.closures_generate(org, Chain.LIVE, today=datetime.date(2026, 2, 2))
    assert [(c.kind, c.period_start.isoformat()) for c in made] == [
        ("day", "2026-01-30"), ("day", "2026-01-31"), ("month", "2026-01-01"), ("day", "2026-02-01"),
    ]  # fmt: skip
    day31 = made[1]
    assert day31.total == Decimal("15.00") and day31.entries == 2
    assert day31.methods == {"card_terminal": "20.00", "cash": "-5.00"}
    assert day31.vat["20.00"]["ttc"] == "20.00" and day31.vat["5.50"]["ttc"] == "-5.00"
    month = made[2]
    assert month.total == made[0].total + day31.total == Decimal("25.00")
    assert month.grand_total == day31.grand_total == Decimal("25.00")
    assert made[3].grand_total == Decimal("32.00")  # perpetual: carries on into February
    # Each entry of a day is counted once, in its own day's closure.
    live = JournalEntry.objects.filter(organizer=org, chain=Chain.LIVE, kind=EntryKind.SALE)
    assert sum(c.total for c in made if c.kind == ClosureKind.DAY) == sum(e.total for e in live)
    assert journal.closures_generate(org, Chain.LIVE, today=datetime.date(2026, 2, 2)) == []  # idempotent
    report = journal.verify(org, Chain.LIVE, full=True)
    assert report.ok and report.closures == 4


def test_grand_total_abs_never_decreases_and_the_signed_one_only_through_refunds(org):
    amounts = ["10.00", "-4.00", "25.00", "-25.00", "3.00"]
    entries = [_sale(org, a) for a in amounts]
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.grand_total_abs >= before.grand_total_abs
        if after.grand_total < before.grand_total:
            assert after.total < 0


def test_a_year_closes_on_the_31st_of_december(org):
    _at(org, datetime.date(2026, 12, 31), "12.00")
    made = journal.closures_generate(org, Chain.LIVE, today=datetime.date(2027, 1, 1))
    assert [c.kind for c in made] == ["day", "month", "year"]
    assert made[2].total == Decimal("12.00") and made[2].period_start == datetime.date(2026, 1, 1)


def test_training_has_its_own_chain(org):
    _sale(org, "10.00")
    _sale(org, "99.00", chain=Chain.TRAINING)
    assert journal.verify(org, Chain.LIVE).entries == 1
    assert JournalEntry.objects.get(chain=Chain.TRAINING).seq == 1
    assert JournalEntry.objects.get(chain=Chain.LIVE).grand_total == Decimal("10.00")


def test_an_archive_checks_offline_and_reveals_any_change(org, tmp_path):
    _at(org, datetime.date(2025, 11, 3), "10.00")
    _at(org, datetime.date(2025, 11, 4), "20.00")
    _at(org, datetime.date(2025, 12, 1), "30.00")
    journal.closures_generate(org, Chain.LIVE, today=datetime.date(2025, 12, 2))
    call_command(
        "journal",
        "archive",
        "--organizer",
        "theatre",
        "--period",
        "2025-11",
        "--out",
        str(tmp_path),
        stdout=io.StringIO(),
    )
    (path,) = tmp_path.glob("journal-theatre-live-2025-11-*.zip")
    data = path.read_bytes()
    archive = zipfile.ZipFile(io.BytesIO(data))
    csv_text = archive.read("entries.csv").decode("utf-8-sig")
    assert csv_text.count("\n") == 1 + 2  # the header and November's two sales (closures are written later)
    assert "2025-11-03T11:00:00" in csv_text
    report = journal.archive_verify(data)
    assert report.ok and report.entries == 2
    assert report.closures == 28 + 1  # the days from the 3rd to the 30th, and the month
    call_command("journal", "verify", "--archive", str(path), stdout=io.StringIO())
    assert JournalEntry.objects.filter(organizer=org, kind=EntryKind.ARCHIVE).count() == 1

    def rewritten(name, change):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for item in archive.namelist():
                content = archive.read(item)
                target.writestr(item, change(content) if item == name else content)
        return out.getvalue()

    altered = rewritten("entries.jsonl", lambda c: c.replace(b'"total":"10.00"', b'"total":"1.00"', 1))
    assert journal.archive_verify(altered).first.reason == "altered_file:entries.jsonl"
    manifest = rewritten("manifest.json", lambda c: c.replace(b'"entries":2', b'"entries":3'))
    assert journal.archive_verify(manifest).first.reason == "bad_manifest_signature"
    assert journal.archive_verify(b"not a zip").first.reason == "unreadable_archive"


def test_the_closing_task_closes_every_chain_without_being_asked(org):
    from parvis.boxoffice.tasks import close_journals

    _at(org, timezone.localdate() - datetime.timedelta(days=2), "10.00")
    _sale(org, "5.00", chain=Chain.TRAINING)
    close_journals.enqueue()
    days = Closure.objects.filter(organizer=org, chain=Chain.LIVE, kind=ClosureKind.DAY)
    assert days.count() >= 2  # the day before yesterday and yesterday (and a month end, if one passed)
    assert days.order_by("seq").first().total == Decimal("10.00")
    assert journal.closures_generate(org, Chain.LIVE) == []
