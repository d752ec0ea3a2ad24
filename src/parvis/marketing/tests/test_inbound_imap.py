"""What comes back to a campaign's addresses, read from a real IMAP server (pymap, in a process of its
own) by `parvis mail_inbound --imap`: each message is handled once and removed, the rest of the mailbox
is left alone, and a wrong password or an unreachable server is a clear error (issue 22)."""

import imaplib
import socket
import subprocess
import sys
import time

import pytest
from django.core.management import CommandError, call_command

from parvis.core.tests.smtp import free_port
from parvis.crm.models import Consent, Purpose
from parvis.crm.selectors import consent_state
from parvis.marketing import links
from parvis.marketing.models import Recipient, Suppression

from .test_inbound import ARF, DSN, _sent

pytestmark = pytest.mark.django_db

USER, PASSWORD = "retours", "secret-imap"


@pytest.fixture(scope="module")
def imap_process():
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - the tests' own server
        [sys.executable, "-c", "import sys; from pymap.main import main; sys.exit(main())"]
        + ["--host", "127.0.0.1", "--port", str(port), "--no-tls"]
        + ["dict", "--demo-user", USER, "--demo-password", PASSWORD],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def imap_server(imap_process):
    """The module's server, its mailbox emptied after each test."""
    yield imap_process
    client = _mailbox(imap_process)
    client.store("1:*", "+FLAGS", "(\\Deleted)")
    client.expunge()
    client.logout()


def _mailbox(port):
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login(USER, PASSWORD)
    client.select("INBOX")
    return client


def _deliver(port, *messages):
    client = _mailbox(port)
    for message in messages:
        client.append("INBOX", None, None, message.replace("\n", "\r\n").encode())
    client.logout()


def _subjects(port):
    client = _mailbox(port)
    _status, data = client.search(None, "ALL")
    subjects = []
    for number in data[0].split():
        _status, fetched = client.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        subjects += [item[1].decode().strip() for item in fetched if isinstance(item, tuple)]
    client.logout()
    return subjects


def test_bounces_complaints_and_unsubscribes_are_read_from_an_imap_mailbox(organizer, imap_server):
    rows = _sent(organizer, "gone@example.org", "angry@example.org", "leaving@example.org")
    gone, angry, leaving = (rows[a] for a in ("gone@example.org", "angry@example.org", "leaving@example.org"))
    _deliver(
        imap_server,
        DSN.format(
            token=links.token_of(gone.pk), address=gone.address, action="failed", status="5.1.1", code=550
        ),
        ARF.format(message_id=angry.message_id),
        f"From: leaving@example.org\nTo: unsubscribe+{links.token_of(leaving.pk)}@club.example\n"
        "Subject: unsubscribe\n\nunsubscribe\n",
    )
    url = f"imap://{USER}:{PASSWORD}@127.0.0.1:{imap_server}/INBOX"

    call_command("mail_inbound", "--imap", url)

    assert _subjects(imap_server) == []  # each message handled is removed from the server
    gone.refresh_from_db()
    assert gone.state == Recipient.State.BOUNCED
    assert Suppression.objects.get(address="gone@example.org").reason == Suppression.Reason.HARD_BOUNCE
    assert Suppression.objects.get(address="angry@example.org").reason == Suppression.Reason.COMPLAINT
    state = consent_state(leaving.contact, Purpose.ORGANIZER_NEWSLETTER)
    assert state.given is False and state.source == Consent.Source.UNSUBSCRIBE

    # A second run finds nothing more, and handles a new arrival alone.
    _deliver(
        imap_server, "From: a@example.org\nTo: bounce+forged.x@club.example\nSubject: bonjour\n\nhello\n"
    )
    call_command("mail_inbound", "--imap", url)
    assert _subjects(imap_server) == []
    assert Suppression.objects.count() == 2


def test_the_password_may_come_from_the_environment(organizer, imap_server, monkeypatch):
    _deliver(imap_server, "From: a@example.org\nTo: lettre@club.example\nSubject: une question\n\nbonjour\n")
    monkeypatch.setenv("PARVIS_INBOUND_PASSWORD", PASSWORD)

    call_command("mail_inbound", "--imap", f"imap://{USER}@127.0.0.1:{imap_server}/INBOX")

    assert _subjects(imap_server) == []  # read (ignored: no campaign token) and removed


def test_a_wrong_password_or_no_server_is_a_clear_error_and_removes_nothing(organizer, imap_server):
    _deliver(imap_server, "From: a@example.org\nTo: lettre@club.example\nSubject: gardé\n\nbonjour\n")

    with pytest.raises(CommandError, match="IMAP"):
        call_command("mail_inbound", "--imap", f"imap://{USER}:wrong@127.0.0.1:{imap_server}/INBOX")
    with pytest.raises(CommandError, match="IMAP"):
        call_command("mail_inbound", "--imap", f"imap://{USER}:{PASSWORD}@127.0.0.1:{free_port()}/INBOX")
    with pytest.raises(CommandError, match="IMAP"):
        call_command("mail_inbound", "--imap", "pop3://x@127.0.0.1/INBOX")

    assert _subjects(imap_server) == ["Subject: gardé"]
