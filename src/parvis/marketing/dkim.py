"""DKIM signatures (RFC 6376: rsa-sha256, relaxed/relaxed) made with `cryptography`.

dkimpy is the reference, and the tests verify every signature with it; it signs in pure Python, about ten
times slower than OpenSSL through `cryptography`, which matters at hundreds of messages a second. The part
written here is the canonicalisation and the header's layout, both short and fixed by the RFC.
"""

import base64
import hashlib
import re
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# Signed when present; the unsubscribe headers are inside the signature (RFC 8058, section 4).
SIGNED = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"reply-to",
    b"mime-version",
    b"content-type",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
)
_WSP = re.compile(rb"[ \t]+")
_WSP_TO_SHORTEN = re.compile(rb"[ \t]{2,}|\t")  # the same runs, less the single spaces already right
_FOLD = re.compile(rb"\r\n(?=[ \t])")


def key_new() -> tuple[bytes, str]:
    """A new 2048-bit key: (private key as PEM, public key as the DNS record's base64)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(public).decode()


def load_key(pem: bytes) -> rsa.RSAPrivateKey:
    return serialization.load_pem_private_key(pem, password=None)


def _relaxed_header(name: bytes, value: bytes) -> bytes:
    value = _WSP.sub(b" ", _FOLD.sub(b"", value)).strip(b" \t\r\n")
    return name.strip().lower() + b":" + value


def _relaxed_body(body: bytes) -> bytes:
    """Runs of spaces and tabs made one space, the space at each line's end removed, the empty lines at the
    end removed (RFC 6376, 3.4.4), in passes over the whole body rather than line by line."""
    body = _WSP_TO_SHORTEN.sub(b" ", body).replace(b" \r\n", b"\r\n")
    body = body.rstrip(b"\r\n")
    return body + b"\r\n" if body else b""


def _headers(block: bytes) -> list[tuple[bytes, bytes]]:
    headers: list[tuple[bytes, bytes]] = []
    for line in block.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + b"\r\n" + line)
        else:
            name, _colon, value = line.partition(b":")
            headers.append((name, value))
    return headers


def sign(
    message: bytes, *, domain: str, selector: str, key: rsa.RSAPrivateKey, now: float | None = None
) -> bytes:
    """The message with its DKIM-Signature header first. `message` uses CRLF line ends."""
    head, _sep, body = message.partition(b"\r\n\r\n")
    headers = _headers(head)
    present = [(n.strip().lower(), v) for n, v in headers if n.strip().lower() in SIGNED]
    names = [name for name, _value in present]
    body_hash = base64.b64encode(hashlib.sha256(_relaxed_body(body)).digest()).decode()
    tags = (
        f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s={selector}; t={int(now or time.time())}; "
        f"h={':'.join(n.decode() for n in names)}; bh={body_hash}; b="
    )
    signed = b"".join(_relaxed_header(n, v) + b"\r\n" for n, v in present)
    signed += _relaxed_header(b"dkim-signature", b" " + tags.encode())
    signature = base64.b64encode(key.sign(signed, padding.PKCS1v15(), hashes.SHA256())).decode()
    folded = "\r\n\t".join(_fold(tags + signature))
    return b"DKIM-Signature: " + folded.encode() + b"\r\n" + message


def _fold(value: str, width: int = 74) -> list[str]:
    """Lines broken at the spaces after each tag's `;` (relaxed canonicalisation reads a fold there as the
    space it replaced), and the signature itself cut anywhere: its whitespace is not signed."""
    tags, _sep, signature = value.rpartition(" b=")
    lines, line = [], ""
    for part in [*tags.split(" "), "b="]:
        if line and len(line) + 1 + len(part) > width:
            lines.append(line)
            line = part
        else:
            line = f"{line} {part}" if line else part
    lines.append(line)
    lines += [signature[i : i + width] for i in range(0, len(signature), width)]
    return lines
