"""Sending a campaign: each person once, nobody lost, whatever fails.

The audience is frozen as `Recipient` rows, spread over `campaign.parts` senders (tasks) that work side by
side. A sender's run claims a batch of its rows (`state=sending`, `claim=<run>`), then for each:

1. writes the message, signs it (DKIM), and hands the relay everything of it but the final dot;
2. marks the row `pending`, on condition that its run still holds it (one UPDATE, committed): a run that
   lost its rows to another (presumed dead while it was only paused) stops here, before the dot;
3. writes the final dot, which makes the relay take the message, and at once, before reading the
   relay's answer, sends the UPDATE that marks the row `sent`.

A relay delivers nothing of a transaction whose final dot never came: a connection closed before it
cancels the transaction, as a RSET would (RFC 5321, 3.8). An UPDATE whose bytes have left is committed by
the database even if the process that sent it dies. So a killed sender leaves its in-flight row
`sending` or `pending` with the message undelivered, and the next run of its part sends it, except in
one window: between the dot's write and the UPDATE's write, two writes in a row with no I/O wait between
them (microseconds), the message is delivered and the row still `pending`: sent again. No order of the
two writes removes the window (the relay and the database share no transaction); this one keeps it the
smallest, and on the side of a duplicate rather than a loss. (Marking `sent` before the dot, as the
first version did, left the database's reply time in the window, on the side of a loss: bench/campaign.py
lost one message in three runs with it.)

The relay's answer to the dot: 250 delivered; 4xx the row goes back to the queue, tried again later (a
growing delay, `RETRY_DELAYS_S`); 5xx a bounce, the address suppressed. A relay out of reach gives the
batch back and raises: the task is tried again after the outage (`core.jobs`).
"""

import datetime
import email
import email.policy
import logging
import re
import smtplib
import socket
import time
import uuid
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone, translation

from parvis.core import keyvault
from parvis.core.models import MailBounce
from parvis.crm.models import Contact, Interaction
from parvis.crm.services import interactions_add
from parvis.recommendations import personal, tracking
from parvis.recommendations.models import Surface

from . import dkim, holdings, links, mime, picks, pressure, render
from .models import Campaign, Recipient, SendingDomain, SendingPolicy, Suppression

logger = logging.getLogger("parvis.marketing")

BATCH = 100
PRESSURE_CAP = "pressure cap"  # a row's `error` when the cap deferred or skipped it
RETRY_DELAYS_S = (60, 300, 900, 3600, 4 * 3600, 12 * 3600)  # then the row fails
_DOTS = re.compile(rb"(?m)^\.")


class RunTakenOver(Exception):
    """Another run of this part holds the rows now: this one stops."""


def quiet_until(now: datetime.datetime, policy=None) -> datetime.datetime | None:
    """The end of the quiet hours when `now` falls in them (no campaign is sent at night), else None.
    `policy`: the owner's `SendingPolicy` (else the installation's hours)."""
    start, end = (policy.quiet_from, policy.quiet_until) if policy else settings.PARVIS_CAMPAIGN_QUIET_HOURS
    if start == end:
        return None
    local = timezone.localtime(now)
    hour = local.hour
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return None
    day = local.date() + datetime.timedelta(days=1) if hour >= end and start > end else local.date()
    return datetime.datetime.combine(day, datetime.time(end), tzinfo=local.tzinfo)


def signing_domain(campaign: Campaign) -> SendingDomain | None:
    """The sending domain of the sender address, if Parvis holds a key for it for the campaign's owner."""
    owner = (
        {"network_id": campaign.network_id}
        if campaign.network_id
        else {"organizer_id": campaign.organizer_id}
    )
    return (
        SendingDomain.objects.filter(domain=links.domain_of(campaign.from_email), **owner)
        .order_by("-created_at")
        .first()
    )


def signing_key(campaign: Campaign) -> tuple[SendingDomain, object] | None:
    """The DKIM key of the sender address's domain, if Parvis holds one for the campaign's owner."""
    domain = signing_domain(campaign)
    if domain is None:
        return None
    return domain, dkim.load_key(keyvault.unseal(bytes(domain.private_key)))


class Relay:
    """One connection to the SMTP relay, sending in the two steps described above."""

    def __init__(self):
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        if self.smtp is None:
            smtp = smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=settings.EMAIL_TIMEOUT)
            # The final dot is a small write after the body: without this, Nagle's algorithm holds it until
            # the relay's delayed acknowledgement (40 ms a message on Linux).
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if settings.EMAIL_USE_TLS:
                smtp.starttls()
            if settings.EMAIL_HOST_USER:
                smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
            smtp.ehlo_or_helo_if_needed()
            self.smtp = smtp
        return self.smtp

    def begin(self, envelope_from: str, to: str, data: bytes) -> None:
        """Everything but the final dot. A refusal on the way raises (and resets the transaction): of the
        recipient, it is theirs (`_refused`); of the sender, the relay's, and the run stops."""
        smtp = self.open()
        (code, answer), (rcpt_code, rcpt_answer), (data_code, data_answer) = self._envelope(
            smtp, envelope_from, to
        )
        if code != 250:
            smtp.rset()
            raise smtplib.SMTPSenderRefused(code, answer, envelope_from)
        if rcpt_code not in (250, 251):
            smtp.rset()
            raise smtplib.SMTPRecipientsRefused({to: (rcpt_code, rcpt_answer)})
        code, answer = data_code, data_answer
        if code != 354:
            smtp.rset()
            raise smtplib.SMTPDataError(code, answer)
        data = _DOTS.sub(b"..", data)
        smtp.send(data if data.endswith(b"\r\n") else data + b"\r\n")

    @staticmethod
    def _envelope(smtp: smtplib.SMTP, envelope_from: str, to: str) -> list[tuple[int, bytes]]:
        """The answers to MAIL, RCPT and DATA. A relay that offers PIPELINING (RFC 2920: Postfix, Exim and
        the providers do) gets the three commands in one write and answers them together: one round trip
        instead of three for each message. A refused MAIL or RCPT makes the DATA that follows fail (503/554),
        which the caller resets."""
        commands = (
            f"MAIL FROM:{smtplib.quoteaddr(envelope_from)}",
            f"RCPT TO:{smtplib.quoteaddr(to)}",
            "DATA",
        )
        if not smtp.has_extn("pipelining"):
            answers = [smtp.docmd(commands[0]), smtp.docmd(commands[1])]
            if answers[0][0] != 250 or answers[1][0] not in (250, 251):
                return [*answers, (503, b"")]
            return [*answers, smtp.docmd(commands[2])]
        smtp.send("".join(command + "\r\n" for command in commands))
        return [smtp.getreply() for _command in commands]

    def dot(self) -> None:
        self.smtp.send(b".\r\n")

    def reply(self) -> tuple[int, bytes]:
        return self.smtp.getreply()

    def abandon(self) -> None:
        """Close without the final dot: the relay drops the message."""
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.smtp = None


def _smtp_backend() -> bool:
    return settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"


class Sender:
    """One run of one part of a campaign: what is worked out once (the compiled message per language, the
    shows to pick from, the DKIM key) and the relay connection."""

    def __init__(self, campaign: Campaign, run: str):
        self.campaign = campaign
        self.run = run
        self.shows = picks.coming_shows(campaign) if _has_picks(campaign) else []
        # The owner's model: the organizer's, or the network's for its campaigns (from the people who
        # share their profile with it).
        self.picker = (
            personal.Picker(
                campaign.organizer_id, [show.event_id for show in self.shows], network_id=campaign.network_id
            )
            if self.shows
            else None
        )
        self.compiled: dict[tuple[str, str], render.Compiled] = {}
        self.key = signing_key(campaign)
        self.relay = Relay() if _smtp_backend() else None
        self.rate = settings.PARVIS_CAMPAIGN_RATE_PER_PART
        self.urls = links.Urls()
        self.caps = pressure.caps_of(campaign)
        self.shown: dict[int, object] = {}  # recipient id → the suggestions their message holds
        self.personal = any(block["type"] in holdings.PERSONAL_BLOCKS for block in campaign.blocks)
        self._next_at = time.monotonic()

    def compiled_for(self, language: str, variant: str = "a") -> render.Compiled:
        language = language if language in dict(settings.LANGUAGES) else "fr"
        if (language, variant) not in self.compiled:
            self.compiled[(language, variant)] = render.compile_campaign(
                self.campaign, language, shows=self.shows, variant=variant
            )
        return self.compiled[(language, variant)]

    def message(self, recipient: Recipient, contact: Contact, held=None) -> tuple[bytes, str, str]:
        """(bytes, envelope sender, Message-ID) of one person's message."""
        compiled = self.compiled_for(recipient.language, recipient.variant)
        urls = self.urls(recipient.pk)
        person = render.Person(first_name=contact.first_name, last_name=contact.last_name, urls=urls)
        for kind, item in (held or {}).get(recipient.address, {}).items():
            person.held[kind] = holdings.fragments(kind, item, compiled.language)
        if compiled.picks_count and self.picker is not None:
            choices = choose_for(person, self.picker, contact.pk, compiled)
            self.shown[recipient.pk] = self.picker.impression(
                contact.pk, choices, Surface.CAMPAIGN, ref=f"recipient:{recipient.pk}"
            )
        message = render.personalise(compiled, person)
        campaign = self.campaign
        unsubscribe = (
            f"<{links.mailto_unsubscribe(urls['token'], campaign.from_email)}>, <{urls['unsubscribe']}>"
        )
        message_id = make_msgid(domain=links.domain_of(campaign.from_email))
        data = mime.build(
            from_name=campaign.from_name,
            from_email=campaign.from_email,
            to=recipient.address,
            subject=message.subject,
            text=message.text,
            html=message.html,
            message_id=message_id,
            date=timezone.now(),
            reply_to=campaign.reply_to,
            extra=(
                ("List-Unsubscribe", unsubscribe),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ("List-ID", f"<{campaign.purpose.replace('_', '-')}.{links.domain_of(campaign.from_email)}>"),
                (
                    "Feedback-ID",
                    f"c{campaign.pk}:{campaign.organizer_id or 'n' + str(campaign.network_id)}:parvis",
                ),
            ),
        )
        if self.key is not None:
            domain, key = self.key
            data = dkim.sign(data, domain=domain.domain, selector=domain.selector, key=key)
        return data, links.return_path(urls["token"], campaign.from_email), message_id

    def pace(self) -> None:
        if self.rate:
            self._next_at = max(self._next_at + 1 / self.rate, time.monotonic())
            wait = self._next_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)

    def send_batch(self, rows: list[Recipient]) -> int:
        rows = self.within_caps(rows)
        contacts = Contact.objects.in_bulk([r.contact_id for r in rows])
        if self.picker is not None:
            self.picker.prepare(list(contacts))
        self.shown = {}
        held = holdings.held(self.campaign, [r.address for r in rows]) if self.personal else None
        sent = []
        for recipient in rows:
            contact = contacts.get(recipient.contact_id)
            if contact is None or not contact.is_active:
                _settle(recipient, Recipient.State.SKIPPED, self.run, error="contact erased or merged")
                continue
            self.pace()
            data, envelope_from, message_id = self.message(recipient, contact, held)
            if self._deliver(recipient, data, envelope_from, message_id):
                sent.append((recipient, contact))
        _timeline(self.campaign, sent)
        tracking.record([self.shown.get(recipient.pk) for recipient, _contact in sent])
        return len(sent)

    def within_caps(self, rows: list[Recipient]) -> list[Recipient]:
        """The rows whose person is under the pressure caps; the others deferred or skipped."""
        over = pressure.over_cap(self.campaign, [r.address for r in rows], timezone.now(), self.caps)
        for recipient in rows:
            if recipient.address not in over:
                continue
            action, free_at = over[recipient.address]
            if action == SendingPolicy.Capped.SKIP:
                _settle(recipient, Recipient.State.SKIPPED, self.run, error=PRESSURE_CAP)
            else:
                _settle(
                    recipient,
                    Recipient.State.QUEUED,
                    self.run,
                    error=PRESSURE_CAP,
                    next_try_at=free_at,
                    claim="",
                )
        return [r for r in rows if r.address not in over]

    def _deliver(self, recipient: Recipient, data: bytes, envelope_from: str, message_id: str) -> bool:
        if self.relay is None:  # a backend of development or tests: no relay to hold the dot back from
            if not _mark_sent(recipient, self.run, message_id):
                raise RunTakenOver(recipient.pk)
            _hand_to_backend(recipient, data, envelope_from)
            return True
        try:
            self.relay.begin(envelope_from, recipient.address, data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = exc.recipients[recipient.address]
            return _refused(recipient, self.run, code, answer)
        if not _mark(recipient, self.run, Recipient.State.SENDING, Recipient.State.PENDING, message_id):
            self.relay.abandon()  # taken over: the message is dropped, undelivered
            raise RunTakenOver(recipient.pk)
        self.relay.dot()
        _mark(recipient, self.run, Recipient.State.PENDING, Recipient.State.SENT, message_id)
        code, answer = self.relay.reply()
        if code == 250:
            return True
        return _refused(recipient, self.run, code, answer, after_dot=True)


def choose_for(person: render.Person, picker, contact_id: int, compiled: render.Compiled) -> list:
    """The shows picked for this person, and why, in the message's language (the choices returned)."""
    choices = picker.for_contact(contact_id, compiled.picks_count)
    person.picks = [choice.event_id for choice in choices]
    with translation.override(compiled.language):
        person.reasons = {
            choice.event_id: personal.reason_text(choice.because, picker.titles) for choice in choices
        }
    return choices


def _has_picks(campaign: Campaign) -> bool:
    return any(block["type"] == "recommended" for block in campaign.blocks)


def _hand_to_backend(recipient: Recipient, data: bytes, envelope_from: str) -> None:
    """The outbox of development, or the tests' memory backend: the same bytes, through Django."""
    get_connection().send_messages([_Ready(data, recipient.address, envelope_from)])


class _Ready(EmailMultiAlternatives):
    """A message already written, for Django's backends: its bytes as they are, its parts for the outbox
    page."""

    def __init__(self, data: bytes, to: str, envelope_from: str):
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        text, page = parsed.get_body(("plain",)), parsed.get_body(("html",))
        super().__init__(
            subject=str(parsed["Subject"]),
            body=text.get_content() if text else "",
            from_email=str(parsed["From"]),
            to=[to],
        )
        if page is not None:
            self.attach_alternative(page.get_content(), "text/html")
        self.envelope_from = envelope_from
        self._parsed = parsed

    def message(self, *, policy=None):
        return self._parsed


def _mark_sent(recipient: Recipient, run: str, message_id: str) -> bool:
    return _mark(recipient, run, Recipient.State.SENDING, Recipient.State.SENT, message_id)


_MARK = (
    f"UPDATE {Recipient._meta.db_table} SET state = %s, sent_at = %s, message_id = %s, tries = %s "  # noqa: S608 - the table's name
    "WHERE id = %s AND claim = %s AND state = %s"
)


def _mark(recipient: Recipient, run: str, before: str, after: str, message_id: str) -> bool:
    """One row from `before` to `after`, if this run still holds it; committed (autocommit). Written as
    SQL once, not compiled by the ORM twice per message."""
    with connection.cursor() as cursor:
        cursor.execute(
            _MARK, [after, timezone.now(), message_id, recipient.tries + 1, recipient.pk, run, before]
        )
        return cursor.rowcount == 1


def suppress(address: str, reason: str, detail: str, *, bounce_code: int | None = None) -> None:
    """No campaign writes to `address` any more; a hard bounce is also kept as a `MailBounce`, which the
    contact's page shows beside the address."""
    address = address.lower()
    Suppression.objects.get_or_create(
        address=address,
        organizer=None,
        network=None,
        defaults={"reason": reason, "detail": detail[:300], "at": timezone.now()},
    )
    if bounce_code is not None:
        MailBounce.objects.create(address=address, code=bounce_code, reason=detail[:300])


def _settle(recipient: Recipient, state: str, run: str, *, error: str = "", **fields) -> None:
    Recipient.objects.filter(pk=recipient.pk, claim=run).update(state=state, error=error[:300], **fields)


def _refused(recipient: Recipient, run: str, code: int, answer, *, after_dot: bool = False) -> bool:
    """The relay refused this person's message: later (4xx), or for good (5xx, a bounce)."""
    reason = (answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer))[:250]
    if code >= 500:
        with transaction.atomic():
            _settle(recipient, Recipient.State.BOUNCED, run, error=f"{code} {reason}", sent_at=None)
            suppress(recipient.address, Suppression.Reason.HARD_BOUNCE, f"{code} {reason}", bounce_code=code)
        return False
    tries = recipient.tries + 1
    if tries > len(RETRY_DELAYS_S):
        _settle(recipient, Recipient.State.FAILED, run, error=f"{code} {reason}", tries=tries, sent_at=None)
        return False
    when = timezone.now() + datetime.timedelta(
        seconds=RETRY_DELAYS_S[tries - 1] * settings.PARVIS_TASK_DELAY_SCALE
    )
    _settle(
        recipient,
        Recipient.State.QUEUED,
        run,
        error=f"{code} {reason}",
        tries=tries,
        next_try_at=when,
        claim="",
        sent_at=None,
    )
    return False


def _timeline(campaign: Campaign, sent: list[tuple[Recipient, Contact]]) -> None:
    """Each message sent, on the person's timeline (one INSERT for the batch)."""
    if not sent:
        return
    now = timezone.now()
    interactions_add(
        [
            Interaction(
                organizer_id=contact.organizer_id,
                contact_id=contact.pk,
                kind=Interaction.Kind.EMAIL_SENT,
                occurred_at=now,
                summary=campaign.subject_fr[:300],
                ref=f"campaign:{campaign.pk}",
            )
            for _recipient, contact in sent
        ]
    )


# The queue of a part.


def claim(campaign: Campaign, part: int, run: str, *, size: int = BATCH) -> list[Recipient]:
    now = timezone.now()
    due = (
        Recipient.objects.filter(campaign=campaign, part=part, state=Recipient.State.QUEUED)
        .filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:size]
    )
    ids = list(due)
    if not ids:
        return []
    Recipient.objects.filter(pk__in=ids, state=Recipient.State.QUEUED).update(
        state=Recipient.State.SENDING, claim=run
    )
    return list(Recipient.objects.filter(pk__in=ids, claim=run, state=Recipient.State.SENDING).order_by("pk"))


IN_FLIGHT = [Recipient.State.SENDING, Recipient.State.PENDING]
SENDABLE = (Campaign.State.SENDING, Campaign.State.JOURNEY)  # a journey's message never finishes


def take_back(campaign: Campaign, part: int) -> int:
    """A new run of a part: the rows an earlier run left in flight go back to the queue (see above)."""
    return Recipient.objects.filter(campaign=campaign, part=part, state__in=IN_FLIGHT).update(
        state=Recipient.State.QUEUED, claim=""
    )


def next_try(campaign: Campaign, part: int) -> datetime.datetime | None:
    return Recipient.objects.filter(campaign=campaign, part=part, state=Recipient.State.QUEUED).aggregate(
        when=Min("next_try_at")
    )["when"]


def finish_if_done(campaign: Campaign) -> bool:
    left = Recipient.objects.filter(
        campaign=campaign,
        state__in=[*IN_FLIGHT, Recipient.State.QUEUED, Recipient.State.WAITING],
    ).exists()
    if left:
        return False
    return bool(
        Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.SENDING).update(
            state=Campaign.State.SENT, finished_at=timezone.now()
        )
    )


def part_send(campaign: Campaign, part: int, *, quiet_hours: bool = True) -> datetime.datetime | None:
    """Send what part `part` has due; the time of its next retry (or of the quiet hours' end), if rows
    wait for one. `quiet_hours=False`: the demo, which sends at whatever hour it is built."""
    run = uuid.uuid4().hex
    take_back(campaign, part)
    sender = Sender(campaign, run)
    policy = pressure.owner_policy(campaign)
    try:
        while True:
            campaign.refresh_from_db(fields=["state"])
            if campaign.state not in SENDABLE:  # cancelled meanwhile: what is left stays unsent
                take_back(campaign, part)
                Recipient.objects.filter(campaign=campaign, part=part, state=Recipient.State.QUEUED).update(
                    state=Recipient.State.SKIPPED, error="campaign cancelled"
                )
                return None
            if quiet_hours and quiet_until(timezone.now(), policy):
                return quiet_until(timezone.now(), policy)
            rows = claim(campaign, part, run)
            if not rows:
                break
            try:
                sender.send_batch(rows)
            except RunTakenOver:
                logger.warning("Campaign %s part %s: taken over by another run", campaign.pk, part)
                return None
            except Exception:
                if sender.relay is not None:
                    sender.relay.abandon()  # first: a message begun must not get its dot
                take_back_claimed(run)
                raise
    finally:
        if sender.relay is not None:
            sender.relay.close()
    when = next_try(campaign, part)
    if when is None:
        finish_if_done(campaign)
    return when


def take_back_claimed(run: str) -> int:
    """A run stopped by an error (the relay out of reach): what it claimed and did not send goes back."""
    return Recipient.objects.filter(claim=run, state__in=IN_FLIGHT).update(
        state=Recipient.State.QUEUED, claim=""
    )
