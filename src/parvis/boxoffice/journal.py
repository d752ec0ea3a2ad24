"""Writing and checking the till journal.

Each entry's hash is SHA-256 over a canonical JSON of its content and the previous entry's hash; the hash
is signed with the organizer's Ed25519 key. Any change to an entry changes its hash and breaks the link to
the next one; recomputing the links from there on would need the private key to sign them again.
"""

import base64
import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from parvis.core.money import vat_split
from parvis.ticketing.models import SigningKey
from parvis.ticketing.signing import private_key_of, signing_key_for

from .models import Closure, ClosureKind, EntryKind, JournalEntry, JournalHead

GENESIS = "0" * 64
CENT = Decimal("0.01")
# Fields of an entry that its hash covers, in this order (the canonical form sorts keys anyway).
ENTRY_FIELDS = (
    "organizer_id", "chain", "seq", "at", "kind", "staff_id", "staff_name", "session_id", "order_code",
    "vat", "methods", "total", "grand_total", "grand_total_abs", "detail", "previous_hash", "key_id",
)  # fmt: skip
CLOSURE_FIELDS = (
    "organizer_id", "chain", "seq", "kind", "period_start", "period_end", "first_entry", "last_entry",
    "entries", "vat", "methods", "total", "grand_total", "grand_total_abs", "at", "previous_hash", "key_id",
)  # fmt: skip


def _plain(value):
    if value is None or isinstance(value, (str, int, dict, list)):
        return value
    if isinstance(value, Decimal):
        return str(value.quantize(CENT))
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def canonical(values: dict) -> bytes:
    return json.dumps(
        {k: _plain(v) for k, v in values.items()}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def digest(values: dict) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


def sign(key, hash_hex: str) -> str:
    private = private_key_of(key)
    return base64.urlsafe_b64encode(private.sign(bytes.fromhex(hash_hex))).decode("ascii")


def signature_valid(public_key: bytes, hash_hex: str, signature: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes(public_key)).verify(
            base64.urlsafe_b64decode(signature), bytes.fromhex(hash_hex)
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def vat_breakdown(lines: Iterable[tuple[Decimal, Decimal]]) -> dict[str, dict[str, str]]:
    """(VAT rate in %, amount incl. VAT) lines → per rate: excl. VAT, VAT, incl. VAT (VAT from the total)."""
    ttc: dict[Decimal, Decimal] = defaultdict(Decimal)
    for rate, amount in lines:
        ttc[Decimal(rate).quantize(CENT)] += Decimal(amount)
    result = {}
    for rate, amount in sorted(ttc.items()):
        ht, tva = vat_split(amount, rate)
        result[str(rate)] = {"ht": str(ht), "tva": str(tva), "ttc": str(money(amount))}
    return result


def _head(organizer_id: int, chain: str) -> JournalHead:
    JournalHead.objects.get_or_create(organizer_id=organizer_id, chain=chain)
    return JournalHead.objects.select_for_update().get(organizer_id=organizer_id, chain=chain)


def entry_values(entry: JournalEntry) -> dict:
    return {name: getattr(entry, name) for name in ENTRY_FIELDS}


def append(
    *,
    organizer,
    chain: str,
    kind: str,
    staff=None,
    session=None,
    order_code: str = "",
    vat: dict | None = None,
    methods: dict[str, Decimal] | None = None,
    detail: dict | None = None,
) -> JournalEntry:
    """Append one entry at the end of the organizer's chain (in the caller's transaction)."""

    vat = vat or {}
    total = sum((Decimal(v["ttc"]) for v in vat.values()), Decimal(0))
    with transaction.atomic():
        head = _head(organizer.pk, chain)
        key = signing_key_for(organizer)
        entry = JournalEntry(
            organizer_id=organizer.pk,
            chain=chain,
            seq=head.last_seq + 1,
            at=timezone.now(),
            kind=kind,
            staff_id=getattr(staff, "pk", None),
            staff_name=(staff.get_full_name() or staff.get_username()) if staff else "",
            session_id=getattr(session, "pk", None),
            order_code=order_code,
            vat=vat,
            methods={m: str(money(a)) for m, a in sorted((methods or {}).items()) if a},
            total=money(total),
            grand_total=money(head.grand_total + total),
            grand_total_abs=money(head.grand_total_abs + abs(total)),
            detail=json.loads(canonical(detail or {})),
            previous_hash=head.last_hash,
            key_id=key.pk,
        )
        entry.hash = digest(entry_values(entry))
        entry.signature = sign(key, entry.hash)
        entry.save(force_insert=True)
        JournalHead.objects.filter(pk=head.pk).update(
            last_seq=entry.seq,
            last_hash=entry.hash,
            grand_total=entry.grand_total,
            grand_total_abs=entry.grand_total_abs,
        )
    return entry


# --- verification -------------------------------------------------------------------------------------


@dataclass
class Problem:
    seq: int | None
    reason: str  # altered, missing, out_of_order, bad_signature, unknown_key, removed_tail, closure_*

    def __str__(self) -> str:
        where = f"#{self.seq}" if self.seq is not None else "-"
        return f"{where}: {self.reason}"


@dataclass
class Report:
    entries: int = 0
    closures: int = 0
    signatures_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def walk(
    rows: Iterator[dict],
    report: Report,
    *,
    fields=ENTRY_FIELDS,
    start: tuple[int, str] | None = None,
    keys: dict[int, bytes] | None = None,
) -> dict | None:
    """Check sequence, links and hashes of rows in `seq` order, streaming; with `keys`, every signature
    too. Returns the last good row. `start` (seq, previous hash) checks a part of a chain (an archive)."""
    expected_seq, previous = start or (1, GENESIS)
    last = None
    for row in rows:
        report.entries += 1
        seq = row["seq"]
        if seq != expected_seq:
            report.problems.append(Problem(expected_seq, "missing" if seq > expected_seq else "out_of_order"))
            return last
        if row["previous_hash"] != previous:
            report.problems.append(Problem(seq, "out_of_order"))
            return last
        if digest({name: row[name] for name in fields}) != row["hash"]:
            report.problems.append(Problem(seq, "altered"))
            return last
        if keys is not None and not _signed(row, keys, report):
            report.problems.append(Problem(seq, "bad_signature"))
            return last
        last = row
        expected_seq, previous = seq + 1, row["hash"]
    return last


def _signed(row: dict, keys: dict[int, bytes], report: Report) -> bool:
    report.signatures_checked += 1
    public = keys.get(row["key_id"])
    return public is not None and signature_valid(public, row["hash"], row["signature"])


def bisect_signatures(first: int, last: int, fetch, keys: dict[int, bytes], report: Report) -> None:
    """The last signature, and if it fails, a binary search for the first bad one (fetching rows by seq).

    Rewriting an entry and every link after it changes every hash from there on, so the signatures fail
    from that entry to the end and hold before it: the first failure is found in log2(n) checks."""
    if last < first or _signed(fetch(last), keys, report):
        return
    low, high = first, last  # high fails; find the first failure
    while low < high:
        middle = (low + high) // 2
        if _signed(fetch(middle), keys, report):
            low = middle + 1
        else:
            high = middle
    report.problems.append(Problem(low, "bad_signature"))


def _entry_rows(
    organizer_id: int, chain: str, first: int | None = None, last: int | None = None
) -> Iterator[dict]:
    """The entries in `seq` order (optionally a seq range), streamed. On PostgreSQL a server-side cursor
    without Django's per-row converters."""
    names = [n for n in ENTRY_FIELDS if n != "organizer_id"] + ["hash", "signature"]
    if connection.vendor == "postgresql":
        where, params = "organizer_id = %s AND chain = %s", [organizer_id, chain]
        if first is not None:
            where, params = where + " AND seq BETWEEN %s AND %s", [*params, first, last]
        sql = f"SELECT {', '.join(names)} FROM boxoffice_journalentry WHERE {where} ORDER BY seq"  # noqa: S608
        with transaction.atomic(), connection.cursor() as outer:  # a server-side cursor lives in one
            with outer.connection.cursor(name=f"journal_walk_{organizer_id}_{first}") as cursor:
                cursor.itersize = 10000
                cursor.execute(sql, params)
                for values in cursor:
                    row = dict(zip(names, values, strict=True))
                    row["organizer_id"] = organizer_id
                    for name in ("vat", "methods", "detail"):  # Django has psycopg hand JSONB over as text
                        if isinstance(row[name], str):
                            row[name] = json.loads(row[name])
                    yield row
        return
    query = JournalEntry.objects.filter(organizer_id=organizer_id, chain=chain).order_by("seq")
    if first is not None:
        query = query.filter(seq__gte=first, seq__lte=last)
    for row in query.values(*names).iterator(chunk_size=5000):
        row["organizer_id"] = organizer_id
        yield row


def _walk_range(args) -> tuple[int, list, dict | None, int, int]:
    """One worker's part of a parallel walk: its own connection, its own seq range."""
    organizer_id, chain, first, last, previous, full = args

    connections.close_all()  # a forked child must not share the parent's socket
    report = Report()
    keys = public_keys(organizer_id) if full else None
    end = walk(_entry_rows(organizer_id, chain, first, last), report, start=(first, previous), keys=keys)
    if report.ok and end is not None and end["seq"] != last:
        report.problems.append(Problem(end["seq"] + 1, "missing"))
    if report.ok and end is None and last >= first:
        report.problems.append(Problem(first, "missing"))
    connections.close_all()
    last_row = {"seq": end["seq"], "hash": end["hash"]} if end else None
    return first, report.problems, last_row, report.entries, report.signatures_checked


def _walk_parallel(organizer_id: int, chain: str, last_seq: int, workers: int, report: Report, full: bool):
    """Split 1..last_seq in ranges; each worker starts from the hash its range must link to (read from the
    row before it) and checks its range; the boundaries are checked when the parts come back."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = -(-last_seq // workers)
    firsts = list(range(1, last_seq + 1, size))
    previous_hashes = dict(
        JournalEntry.objects.filter(
            organizer_id=organizer_id, chain=chain, seq__in=[f - 1 for f in firsts[1:]]
        ).values_list("seq", "hash")
    )
    jobs = [
        (
            organizer_id,
            chain,
            f,
            min(f + size - 1, last_seq),
            previous_hashes.get(f - 1, GENESIS if f == 1 else ""),
            full,
        )
        for f in firsts
    ]
    connection.close()
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        parts = sorted(pool.map(_walk_range, jobs), key=lambda part: part[0])
    last_row = None
    for _first, problems, part_last, entries, signatures in parts:
        report.entries += entries
        report.signatures_checked += signatures
        if problems:
            report.problems.append(problems[0])
            return None
        last_row = part_last
    return last_row


def _closure_rows(organizer_id: int, chain: str) -> Iterator[dict]:
    query = Closure.objects.filter(organizer_id=organizer_id, chain=chain).order_by("seq")
    names = [n for n in CLOSURE_FIELDS if n != "organizer_id"] + ["hash", "signature"]
    for row in query.values(*names).iterator(chunk_size=2000):
        row["organizer_id"] = organizer_id
        yield row


def public_keys(organizer_id: int) -> dict[int, bytes]:
    return {
        pk: bytes(public)
        for pk, public in SigningKey.objects.filter(organizer_id=organizer_id).values_list("pk", "public_key")
    }


def _parallelism(organizer_id: int, chain: str) -> int:
    """Long chains are walked by several processes, each over its own seq range (not inside a
    transaction: the workers could not see its rows)."""
    import os

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    head = JournalHead.objects.filter(organizer_id=organizer_id, chain=chain).first()
    if head is None or head.last_seq < getattr(settings, "PARVIS_JOURNAL_PARALLEL_MIN", 200_000):
        return 1
    return max(1, min(8, os.cpu_count() or 1))


def verify(organizer, chain: str, *, full: bool = False) -> Report:
    """Walk the chain of entries and of closures; name the first altered, missing or reordered one.
    Memory stays flat: rows are streamed, and the bisection fetches the few rows it needs."""
    report = Report()
    keys = public_keys(organizer.pk)
    workers = _parallelism(organizer.pk, chain)
    if workers > 1:
        head = JournalHead.objects.get(organizer_id=organizer.pk, chain=chain)
        stored_last = (
            JournalEntry.objects.filter(organizer_id=organizer.pk, chain=chain).order_by("-seq").first()
        )
        upto = max(head.last_seq, stored_last.seq if stored_last else 0)
        last = _walk_parallel(organizer.pk, chain, upto, workers, report, full)
    else:
        last = walk(_entry_rows(organizer.pk, chain), report, keys=keys if full else None)
    if report.ok and not full and last is not None:
        entries = JournalEntry.objects.filter(organizer_id=organizer.pk, chain=chain)

        def fetch(seq: int) -> dict:
            return entries.values("hash", "signature", "key_id").get(seq=seq)

        bisect_signatures(1, last["seq"], fetch, keys, report)
    if report.ok:
        head = JournalHead.objects.filter(organizer_id=organizer.pk, chain=chain).first()
        last = last or {"seq": 0, "hash": GENESIS}
        if head and (head.last_seq, head.last_hash) != (last["seq"], last["hash"]):
            report.problems.append(Problem(last["seq"] + 1, "removed_tail"))
    closure_report = Report()
    walk(_closure_rows(organizer.pk, chain), closure_report, fields=CLOSURE_FIELDS, keys=keys)  # few: all
    report.closures = closure_report.entries
    report.signatures_checked += closure_report.signatures_checked
    report.problems += [Problem(p.seq, f"closure_{p.reason}") for p in closure_report.problems]
    return report


# --- closures -----------------------------------------------------------------------------------------


def _local_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return start, end


def _sum_into(vat: dict, methods: dict, entry_vat: dict, entry_methods: dict) -> None:
    for rate, parts in entry_vat.items():
        bucket = vat.setdefault(rate, {"ht": Decimal(0), "tva": Decimal(0), "ttc": Decimal(0)})
        for part in ("ht", "tva", "ttc"):
            bucket[part] += Decimal(parts[part])
    for method, amount in entry_methods.items():
        methods[method] = methods.get(method, Decimal(0)) + Decimal(amount)


def _as_text(vat: dict, methods: dict) -> tuple[dict, dict]:
    return (
        {rate: {k: str(money(v)) for k, v in parts.items()} for rate, parts in sorted(vat.items())},
        {m: str(money(a)) for m, a in sorted(methods.items())},
    )


def _closure_append(organizer, chain: str, kind: str, start, end, *, totals: dict) -> Closure:
    head = _head(organizer.pk, chain)
    key = signing_key_for(organizer)
    vat_text, methods_text = _as_text(totals["vat"], totals["methods"])
    closure = Closure(
        organizer_id=organizer.pk,
        chain=chain,
        seq=head.closure_seq + 1,
        kind=kind,
        period_start=start,
        period_end=end,
        first_entry=totals["first"],
        last_entry=totals["last"],
        entries=totals["count"],
        vat=vat_text,
        methods=methods_text,
        total=money(totals["total"]),
        grand_total=money(totals["grand_total"]),
        grand_total_abs=money(totals["grand_total_abs"]),
        at=timezone.now(),
        previous_hash=head.closure_hash,
        key_id=key.pk,
    )
    closure.hash = digest({name: getattr(closure, name) for name in CLOSURE_FIELDS})
    closure.signature = sign(key, closure.hash)
    closure.save(force_insert=True)
    JournalHead.objects.filter(pk=head.pk).update(closure_seq=closure.seq, closure_hash=closure.hash)
    return closure


def _empty_totals(previous: Closure | None) -> dict:
    """Totals before anything is added: the grand totals carry on from the previous closure."""
    return {
        "vat": {},
        "methods": {},
        "total": Decimal(0),
        "count": 0,
        "first": None,
        "last": None,
        "grand_total": previous.grand_total if previous else Decimal(0),
        "grand_total_abs": previous.grand_total_abs if previous else Decimal(0),
    }


def _close_day(organizer, chain: str, day: datetime.date) -> Closure:
    """The Z of one day: the sum of its entries; grand totals as they stood after its last entry."""
    start, end = _local_bounds(day)
    previous = (
        Closure.objects.filter(organizer_id=organizer.pk, chain=chain, kind=ClosureKind.DAY)
        .order_by("-seq")
        .first()
    )
    totals = _empty_totals(previous)
    rows = (
        JournalEntry.objects.filter(organizer_id=organizer.pk, chain=chain, at__gte=start, at__lt=end)
        .order_by("seq")
        .values_list("seq", "vat", "methods", "total", "grand_total", "grand_total_abs")
    )
    for seq, vat, methods, total, grand_total, grand_total_abs in rows.iterator(chunk_size=5000):
        _sum_into(totals["vat"], totals["methods"], vat, methods)
        totals["total"] += total
        totals["count"] += 1
        totals["first"] = seq if totals["first"] is None else totals["first"]
        totals["last"] = seq
        totals["grand_total"], totals["grand_total_abs"] = grand_total, grand_total_abs
    closure = _closure_append(organizer, chain, ClosureKind.DAY, day, day, totals=totals)
    append(
        organizer=organizer,
        chain=chain,
        kind=EntryKind.CLOSURE,
        detail={"closure": closure.seq, "kind": "day", "day": day.isoformat(), "total": str(closure.total)},
    )
    return closure


def _close_period(organizer, chain: str, kind: str, start: datetime.date, end: datetime.date) -> Closure:
    """A month or a year: the sum of its days' closures."""
    days = list(
        Closure.objects.filter(
            organizer_id=organizer.pk,
            chain=chain,
            kind=ClosureKind.DAY,
            period_start__gte=start,
            period_start__lte=end,
        ).order_by("seq")
    )
    totals = _empty_totals(days[-1] if days else None)
    for day in days:
        _sum_into(totals["vat"], totals["methods"], day.vat, day.methods)
        totals["total"] += day.total
        totals["count"] += day.entries
        if day.first_entry is not None:
            totals["first"] = day.first_entry if totals["first"] is None else totals["first"]
            totals["last"] = day.last_entry
    return _closure_append(organizer, chain, kind, start, end, totals=totals)


def _month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def closures_generate(organizer, chain: str, *, today: datetime.date | None = None) -> list[Closure]:
    """Close every finished day (Z), month and year not closed yet, from the first entry on. Idempotent."""
    today = today or timezone.localdate()
    made: list[Closure] = []
    yesterday = today - datetime.timedelta(days=1)
    if Closure.objects.filter(
        organizer_id=organizer.pk, chain=chain, kind=ClosureKind.DAY, period_start=yesterday
    ).exists():
        return made  # the usual case, without taking the chain's lock
    with transaction.atomic():
        _head(organizer.pk, chain)  # one generator at a time per chain
        last_day = (
            Closure.objects.filter(organizer_id=organizer.pk, chain=chain, kind=ClosureKind.DAY)
            .order_by("-period_start")
            .values_list("period_start", flat=True)
            .first()
        )
        if last_day is None:
            first_at = (
                JournalEntry.objects.filter(organizer_id=organizer.pk, chain=chain)
                .order_by("seq")
                .values_list("at", flat=True)
                .first()
            )
            if first_at is None:
                return made
            day = timezone.localtime(first_at).date()
        else:
            day = last_day + datetime.timedelta(days=1)
        while day < today:
            made.append(_close_day(organizer, chain, day))
            if day == _month_end(day):
                made.append(_close_period(organizer, chain, ClosureKind.MONTH, day.replace(day=1), day))
                if day.month == 12:
                    made.append(
                        _close_period(organizer, chain, ClosureKind.YEAR, day.replace(month=1, day=1), day)
                    )
            day += datetime.timedelta(days=1)
    return made


# --- archives -----------------------------------------------------------------------------------------

ARCHIVE_COLUMNS = ("seq", "at", "kind", "staff_name", "order_code", "total", "grand_total", "methods", "vat")


def _period_bounds(period: str) -> tuple[datetime.date, datetime.date]:
    """'2026-11' (a month), '2026' (a year) or '2026-11-21' (a day) → first and last day."""
    parts = [int(p) for p in period.split("-")]
    if len(parts) == 1:
        return datetime.date(parts[0], 1, 1), datetime.date(parts[0], 12, 31)
    if len(parts) == 2:
        first = datetime.date(parts[0], parts[1], 1)
        return first, _month_end(first)
    day = datetime.date(*parts)
    return day, day


def archive_build(organizer, chain: str, period: str) -> tuple[bytes, dict]:
    """A signed, dated archive of a period: entries (JSON lines, complete, and CSV, readable), the
    closures, the public keys, and a manifest with each file's SHA-256, signed with the organizer's key."""
    import csv
    import io
    import zipfile

    first_day, last_day = _period_bounds(period)
    start, _ = _local_bounds(first_day)
    _, end = _local_bounds(last_day)
    rows = [
        row
        for row in _entry_rows(organizer.pk, chain)
        if start <= row["at"] < end  # streamed; the period's rows are kept
    ]
    closures = [
        row for row in _closure_rows(organizer.pk, chain) if first_day <= row["period_start"] <= last_day
    ]
    files: dict[str, bytes] = {}
    files["entries.jsonl"] = b"".join(canonical(row) + b"\n" for row in rows)
    files["closures.jsonl"] = b"".join(canonical(row) + b"\n" for row in closures)
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";")
    writer.writerow(ARCHIVE_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                json.dumps(row[c], sort_keys=True) if isinstance(row[c], dict) else _plain(row[c])
                for c in ARCHIVE_COLUMNS
            ]
        )
    files["entries.csv"] = ("\ufeff" + text.getvalue()).encode()
    files["public_keys.json"] = canonical(
        {str(k): base64.urlsafe_b64encode(v).decode() for k, v in public_keys(organizer.pk).items()}
    )
    key = signing_key_for(organizer)
    manifest = {
        "organizer": organizer.slug,
        "organizer_id": organizer.pk,
        "legal_name": organizer.legal_name or organizer.name,
        "siret": organizer.siret,
        "chain": chain,
        "period": period,
        "first_entry": rows[0]["seq"] if rows else None,
        "last_entry": rows[-1]["seq"] if rows else None,
        "entries": len(rows),
        "closures": len(closures),
        "created_at": timezone.now(),
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())},
        "key_id": key.pk,
    }
    manifest_bytes = canonical(manifest)
    files["manifest.json"] = manifest_bytes
    files["manifest.sig"] = sign(key, hashlib.sha256(manifest_bytes).hexdigest()).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue(), json.loads(manifest_bytes)


def archive_verify(data: bytes) -> Report:
    """Check an archive on its own (no database): manifest signature, file digests, then the chain of the
    period's entries (links, hashes, every signature) and of its closures."""
    import io
    import zipfile

    report = Report()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        files = {name: archive.read(name) for name in archive.namelist()}
        manifest = json.loads(files["manifest.json"])
        keys = {int(k): base64.urlsafe_b64decode(v) for k, v in json.loads(files["public_keys.json"]).items()}
    except (zipfile.BadZipFile, KeyError, ValueError):
        report.problems.append(Problem(None, "unreadable_archive"))
        return report
    manifest_key = keys.get(manifest.get("key_id"))
    if manifest_key is None or not signature_valid(
        manifest_key,
        hashlib.sha256(files["manifest.json"]).hexdigest(),
        files.get("manifest.sig", b"").decode(),
    ):
        report.problems.append(Problem(None, "bad_manifest_signature"))
        return report
    for name, expected in manifest["files"].items():
        if hashlib.sha256(files.get(name, b"")).hexdigest() != expected:
            report.problems.append(Problem(None, f"altered_file:{name}"))
            return report

    def rows(name: str, fields) -> Iterator[dict]:
        for line in files[name].splitlines():
            row = json.loads(line)
            for decimal_field in ("total", "grand_total", "grand_total_abs"):
                row[decimal_field] = Decimal(row[decimal_field])
            if "at" in row:
                row["at"] = datetime.datetime.fromisoformat(row["at"])
            for date_field in ("period_start", "period_end"):
                if date_field in row:
                    row[date_field] = datetime.date.fromisoformat(row[date_field])
            yield row

    entry_rows = list(rows("entries.jsonl", ENTRY_FIELDS))
    if entry_rows:
        start = (entry_rows[0]["seq"], entry_rows[0]["previous_hash"])
        walk(iter(entry_rows), report, start=start, keys=keys)
    closure_rows = list(rows("closures.jsonl", CLOSURE_FIELDS))
    if closure_rows and report.ok:
        closure_report = Report()
        start = (closure_rows[0]["seq"], closure_rows[0]["previous_hash"])
        walk(iter(closure_rows), closure_report, fields=CLOSURE_FIELDS, start=start, keys=keys)
        report.closures = closure_report.entries
        report.problems += [Problem(p.seq, f"closure_{p.reason}") for p in closure_report.problems]
    return report
