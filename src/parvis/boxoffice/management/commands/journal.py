"""parvis journal verify | close | archive: check the till journal, close finished periods, archive one."""

import pathlib

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from parvis.boxoffice import journal
from parvis.boxoffice.models import Chain, EntryKind, JournalHead
from parvis.network.models import Organizer


class Command(BaseCommand):
    help = "Till journal: verify the chains, generate closures (cron: daily), write a signed archive."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify", help="walk the chains; report the first altered, missing or moved entry"
        )
        verify.add_argument("--organizer", help="slug (default: every organizer with a journal)")
        verify.add_argument("--chain", choices=Chain.values, default=None)
        verify.add_argument("--full", action="store_true", help="check every signature, not a bisection")
        verify.add_argument("--archive", help="check an archive file offline instead of the database")
        close = sub.add_parser("close", help="close every finished day, month and year (run daily)")
        close.add_argument("--organizer")
        archive = sub.add_parser("archive", help="write a signed archive of a period")
        archive.add_argument("--organizer", required=True)
        archive.add_argument(
            "--period", required=True, help="2026-11 (month), 2026 (year) or 2026-11-21 (day)"
        )
        archive.add_argument("--chain", choices=Chain.values, default=Chain.LIVE)
        archive.add_argument("--out", default=".", help="directory (default: the current one)")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _organizers(self, slug):
        if slug:
            organizer = Organizer.objects.filter(slug=slug).first()
            if organizer is None:
                raise CommandError(f"unknown organizer: {slug}")
            return [organizer]
        ids = JournalHead.objects.values_list("organizer_id", flat=True).distinct()
        return list(Organizer.objects.filter(pk__in=ids).order_by("slug"))

    def _verify(self, organizer=None, chain=None, full=False, archive=None, **options):
        if archive:
            report = journal.archive_verify(pathlib.Path(archive).read_bytes())
            self._print(archive, report)
            if not report.ok:
                raise CommandError(f"archive {archive}: {report.first}")
            return
        failed = []
        for org in self._organizers(organizer):
            for c in [chain] if chain else Chain.values:
                if not JournalHead.objects.filter(organizer=org, chain=c).exists():
                    continue
                report = journal.verify(org, c, full=full)
                self._print(f"{org.slug} [{c}]", report)
                if not report.ok:
                    failed.append(f"{org.slug} [{c}] {report.first}")
        if failed:
            raise CommandError("journal altered: " + "; ".join(failed))

    def _print(self, label, report):
        if report.ok:
            self.stdout.write(
                f"{label}: OK — {report.entries} entries, {report.closures} closures, "
                f"{report.signatures_checked} signatures checked"
            )
        else:
            self.stdout.write(f"{label}: FAILED at entry {report.first}")

    def _close(self, organizer=None, **options):
        for org in self._organizers(organizer):
            for chain in Chain.values:
                if JournalHead.objects.filter(organizer=org, chain=chain).exists():
                    made = journal.closures_generate(org, chain)
                    self.stdout.write(f"{org.slug} [{chain}]: {len(made)} closures")

    def _archive(self, organizer, period, chain, out, **options):
        (org,) = self._organizers(organizer)
        try:
            data, manifest = journal.archive_build(org, chain, period)
        except ValueError as exc:
            raise CommandError(f"invalid period {period!r}: {exc}") from None
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        path = pathlib.Path(out) / f"journal-{org.slug}-{chain}-{period}-{stamp}.zip"
        path.write_bytes(data)
        journal.append(
            organizer=org,
            chain=chain,
            kind=EntryKind.ARCHIVE,
            detail={"period": period, "entries": manifest["entries"], "file": path.name},
        )
        self.stdout.write(f"{path} — {manifest['entries']} entries, {manifest['closures']} closures")
