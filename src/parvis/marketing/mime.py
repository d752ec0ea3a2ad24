"""A campaign message as bytes: headers and a multipart/alternative body (text, then HTML).

Written here rather than with Django's `EmailMultiAlternatives` because it is the hot path of a campaign:
Django's message costs 1.5 ms for a 20 kB newsletter, this 0.2 ms (measured on the project's machines),
and the message is built once per person. The parts are quoted-printable, the headers encoded by the
standard library (`email.header`, `email.utils`).
"""

import binascii
import functools
import secrets
from email.header import Header
from email.utils import format_datetime, formataddr

CRLF = b"\r\n"


def _header(name: str, value: str) -> bytes:
    if value.isascii():
        return f"{name}: {value}".encode() + CRLF
    return _encoded_header(name, value)


@functools.lru_cache(maxsize=64)
def _encoded_header(name: str, value: str) -> bytes:
    """A subject or a name in UTF-8: the same for most of a campaign's messages, encoded once."""
    encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}".encode() + CRLF


def _qp(text: str) -> bytes:
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode()
    return binascii.b2a_qp(data, istext=True).replace(b"\n", CRLF)


def build(
    *,
    from_name: str,
    from_email: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    date,
    reply_to: str = "",
    extra: tuple[tuple[str, str], ...] = (),
) -> bytes:
    boundary = "=_pv_" + secrets.token_hex(12)
    head = [
        f"From: {formataddr((from_name, from_email), charset='utf-8')}".encode() + CRLF,
        _header("To", to),
        _header("Subject", subject),
        _header("Date", format_datetime(date)),
        _header("Message-ID", message_id),
    ]
    if reply_to:
        head.append(_header("Reply-To", reply_to))
    head += [_header(name, value) for name, value in extra]
    head += [
        b"MIME-Version: 1.0" + CRLF,
        f'Content-Type: multipart/alternative; boundary="{boundary}"'.encode() + CRLF,
    ]
    part = b'Content-Type: text/%s; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    body = [
        f"--{boundary}".encode() + CRLF,
        part % b"plain",
        _qp(text),
        CRLF + f"--{boundary}".encode() + CRLF,
        part % b"html",
        _qp(html),
        CRLF + f"--{boundary}--".encode() + CRLF,
    ]
    return b"".join(head) + CRLF + b"".join(body)
