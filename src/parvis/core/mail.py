"""Sending e-mails from background work once, and the development outbox backend.

`deliver` hands a message to the relay. Inside a task it sends each message of the task once: the n-th
message of a task is recorded (`SentMail`, with its Message-ID) as soon as the relay accepted it, and a run
of the same task again (its worker killed) skips what was recorded. The window left is between the relay's
250 and that record (a few milliseconds): a worker killed exactly then sends a second copy
(bench/chaos.py counts them). The database cut off at that moment does not widen it: the record is tried
again on a new connection. A 5xx refusal of every recipient is a bounce: recorded on the address
(`MailBounce`) and not tried again.
"""

import contextlib
import contextvars
import smtplib
import time
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import InterfaceError, OperationalError, connection

from . import jobs
from .models import MailBounce, OutboxMessage, SentMail


def _domain() -> str:
    address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] or "parvis.localhost"


def _text(answer) -> str:
    return (answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer))[:300]


def _bounced(refused: dict[str, tuple[int, bytes]]) -> jobs.Bounced:
    for address, (code, answer) in refused.items():
        MailBounce.objects.create(address=address.lower(), code=code, reason=_text(answer))
    code, answer = next(iter(refused.values()))
    return jobs.Bounced(code, _text(answer))


_shared: contextvars.ContextVar = contextvars.ContextVar("parvis_mail_connection", default=None)


@contextlib.contextmanager
def one_connection():
    """The messages delivered inside go through one connection to the relay, opened at the first and
    closed at the end (a worker's batch of tickets: no connection, greeting and QUIT per message)."""
    backend = get_connection()
    token = _shared.set(backend)
    try:
        yield backend
    finally:
        _shared.reset(token)
        with contextlib.suppress(smtplib.SMTPException, OSError):  # a relay gone: nothing left to close
            backend.close()


def deliver(message: EmailMessage) -> bool:
    """Send `message`; False when this task had sent it already (a run again)."""
    running = jobs.running_task()
    key = None
    if running is not None:
        running.sent += 1
        key = f"{running.id}:{running.sent}"
        if SentMail.objects.filter(key=key).exists():
            return False
    message.extra_headers.setdefault("Message-ID", make_msgid(domain=_domain()))
    shared = _shared.get()
    if shared is not None and message.connection is None:
        shared.open()  # opened here, it stays open after this message (Django closes what it opened)
        message.connection = shared
    try:
        accepted = message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        if exc.recipients and all(code >= 500 for code, _answer in exc.recipients.values()):
            raise _bounced(exc.recipients) from exc
        raise
    except smtplib.SMTPDataError as exc:
        if exc.smtp_code in (550, 551, 553):  # the mailbox refused at the end of the message
            raise _bounced({a: (exc.smtp_code, exc.smtp_error) for a in message.recipients()}) from exc
        raise
    if key is not None:
        _record(key, message)
    return bool(accepted)


RECORD_WAITS_S = (0.1, 0.3, 1, 2, 4)  # the database restarting: its connections come back within seconds


def _record(key: str, message: EmailMessage) -> None:
    """Record the message as sent. The relay has accepted it: losing the record now would send a second
    copy when the task runs again, so a connection cut (the database restarting) is opened again and the
    record tried again for a few seconds, outside a transaction (inside one, the task fails as usual)."""
    for wait in (*RECORD_WAITS_S, None):
        try:
            SentMail.objects.create(
                key=key, message_id=message.extra_headers["Message-ID"], accepted=len(message.recipients())
            )
            return
        except (OperationalError, InterfaceError):
            if wait is None or connection.in_atomic_block:
                raise
            connection.close()
            time.sleep(wait)


class OutboxEmailBackend(BaseEmailBackend):
    """Keeps messages in the database for the outbox page (development)."""

    def send_messages(self, email_messages):
        for message in email_messages:
            html = ""
            for content, mimetype in getattr(message, "alternatives", []) or []:
                if mimetype == "text/html":
                    html = content
            OutboxMessage.objects.create(
                subject=message.subject,
                from_email=message.from_email,
                to=", ".join(message.recipients()),
                body=message.body,
                html_body=html,
                message=message.message().as_string(),
            )
        return len(email_messages)
