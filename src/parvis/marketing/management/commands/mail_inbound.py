"""Read what came back to the campaigns' addresses (bounces, complaints, unsubscribe requests) from a
Maildir or an IMAP mailbox; each message handled is removed. To run every few minutes (cron)."""

import imaplib
import mailbox
import os
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
        # The password may stay out of the command line (and of `ps`): read from the variable when the
        # URL has none.
        password = unquote(parts.password or "") or os.environ.get("PARVIS_INBOUND_PASSWORD", "")
        client = self._imap_client(parts)
        try:
            try:
                client.login(unquote(parts.username or ""), password)
            except imaplib.IMAP4.error as error:
                raise CommandError(_("Connexion IMAP refusée : %(error)s") % {"error": error}) from error
            status, _data = client.select(parts.path.lstrip("/") or "INBOX")
            if status != "OK":
                raise CommandError(_("Dossier IMAP introuvable : %(path)s") % {"path": parts.path})
            # By UID, so that numbers do not shift; those already handled (marked deleted by a run that
            # stopped before its expunge) are not handled again.
            _status, data = client.uid("SEARCH", None, "UNDELETED")
            try:
                for uid in data[0].split():
                    raw = self._imap_message(client, uid)
                    if raw is None:
                        continue
                    outcome = inbound.handle(raw)
                    client.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
                    yield outcome.kind
            finally:
                client.expunge()
        finally:
            client.logout()

    @staticmethod
    def _imap_client(parts):
        port = parts.port or (993 if parts.scheme == "imaps" else 143)
        try:
            if parts.scheme == "imaps":
                return imaplib.IMAP4_SSL(parts.hostname, port, timeout=60)
            client = imaplib.IMAP4(parts.hostname, port, timeout=60)
        except OSError as error:
            raise CommandError(
                _("Serveur IMAP injoignable (%(host)s:%(port)s) : %(error)s")
                % {"host": parts.hostname, "port": port, "error": error}
            ) from error
        if "STARTTLS" in client.capabilities:
            client.starttls()
        return client

    @staticmethod
    def _imap_message(client, uid) -> bytes | None:
        """The message's bytes, without marking it seen; a server may put other items (FLAGS) before it."""
        _status, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
        for item in fetched or ():
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        return None
