"""A real SMTP server for tests and benchmarks (aiosmtpd on a thread): it keeps what it accepts, and can
answer a recipient with a refusal (4xx or 5xx), hold a message at its recipient until told, or be stopped
(connections refused) and started again on the same port. It offers PIPELINING (RFC 2920) as relays do:
aiosmtpd reads pipelined commands in order but does not say so; `pipelining=False` withholds it."""

import asyncio
import email
import email.header
import socket
import threading
from collections.abc import Callable

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    def __init__(
        self,
        *,
        answer: Callable[[str, int], str | None] | None = None,
        port: int | None = None,
        pipelining: bool = True,
    ):
        self.pipelining = pipelining  # offered in the EHLO answer, as relays do (RFC 2920)
        self.port = port or free_port()
        self.answer = answer  # (recipient, n-th recipient seen) → an SMTP answer to refuse it, or None
        self.messages: list[email.message.Message] = []
        self.peers: list[tuple] = []  # the client's (host, port) of each message: one per connection
        self.seen = 0
        self.held = threading.Event()  # set while a message is held at its recipient
        self.hold_at: int | None = None  # the n-th recipient seen is held until `release()`
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # aiosmtpd's handler hooks
    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        with self._lock:
            self.seen += 1
            n = self.seen
        if n == self.hold_at:
            self.held.set()
            while not self._release.is_set():
                await asyncio.sleep(0.02)
        refusal = self.answer(address, n) if self.answer else None
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content)
        with self._lock:
            self.messages.append(message)
            self.peers.append(tuple(session.peer))
        return "250 Message accepted for delivery"

    def release(self) -> None:
        self._release.set()

    def subjects(self) -> list[str]:
        with self._lock:
            return [
                str(email.header.make_header(email.header.decode_header(m["Subject"]))) for m in self.messages
            ]

    def start(self) -> "Sink":
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "Sink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.release()
        self.stop()

    def email_settings(self) -> dict:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_TIMEOUT": 10,
        }
