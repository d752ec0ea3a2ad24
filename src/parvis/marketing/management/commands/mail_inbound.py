"""Read what came back to the campaigns' addresses (bounces, complaints, unsubscribe requests) from a
Maildir or an IMAP mailbox; each message handled is removed. To run every few minutes (cron)."""

import imaplib
import mailbox
from urllib.parse import unquote, urlsplit

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from parvis.marketing import inbound


class Command(BaseCommand):
    help = _("Traite les rejets, plaintes et désinscriptions reçus par e-mail (Maildir ou IMAP).")

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--maildir", help=_("dossier Maildir où le serveur de messagerie les dépose"))
        source.add_argument("--imap", help="imaps://utilisateur:motdepasse@hôte/INBOX")

    def handle(self, *args, maildir=None, imap=None, **options):
        counts: dict[str, int] = {}
        for kind in self._maildir(maildir) if maildir else self._imap(imap):
            counts[kind] = counts.get(kind, 0) + 1
        self.stdout.write(", ".join(f"{kind}: {n}" for kind, n in sorted(counts.items())) or "0")

    def _maildir(self, path):
        box = mailbox.Maildir(path, factory=None, create=False)
        for key in list(box.keys()):
            outcome = inbound.handle(box.get_bytes(key))
            box.remove(key)
            yield outcome.kind

    def _imap(self, url):
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise CommandError(_("Adresse IMAP attendue : imaps://utilisateur:motdepasse@hôte/INBOX"))
        client_class = imaplib.IMAP4_SSL if parts.scheme == "imaps" else imaplib.IMAP4
        client = client_class(parts.hostname, parts.port or (993 if parts.scheme == "imaps" else 143))
        try:
            client.login(unquote(parts.username or ""), unquote(parts.password or ""))
            client.select(parts.path.lstrip("/") or "INBOX")
            _status, data = client.search(None, "ALL")
            for number in data[0].split():
                _status, fetched = client.fetch(number, "(RFC822)")
                outcome = inbound.handle(fetched[0][1])
                client.store(number, "+FLAGS", "\\Deleted")
                yield outcome.kind
            client.expunge()
        finally:
            client.logout()
