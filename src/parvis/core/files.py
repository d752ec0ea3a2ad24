"""Files people send that only staff may read: kept in the private storage (never under MEDIA_URL), checked
for what they are by their first bytes (not their name), and served by views that check permissions:
as a download, or a picture inline for the staff page that shows it."""

import secrets

from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.http import FileResponse, Http404
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DOCUMENT_KINDS = (  # (first bytes, what it is)
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def private_storage():
    return storages["private"]


def random_path(folder: str, filename: str) -> str:
    """A path under `folder` with a random part: two files of the same name never meet, and a path cannot
    be guessed from another."""
    return f"{folder}/{secrets.token_hex(8)}/{get_valid_filename(filename)[-80:] or 'document'}"


def document_kind(upload) -> str:
    """What a file is by its first bytes; "" when it is none of the kinds taken."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return next((kind for magic, kind in DOCUMENT_KINDS if head.startswith(magic)), "")


def validate_document(upload) -> None:
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(_("Le document dépasse 5 Mo."), code="too_big")
    if not document_kind(upload):
        raise ValidationError(_("Seuls les documents PDF, JPEG ou PNG sont acceptés."), code="kind")


def download(field_file) -> FileResponse:
    """A private file, as an attachment whose type the browser may not guess otherwise."""
    opened = field_file.open("rb")
    response = FileResponse(
        opened,
        as_attachment=True,
        filename=field_file.name.rsplit("/", 1)[-1],
        content_type=document_kind(opened) or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def image(field_file) -> FileResponse:
    """A private picture (a badge photo) shown in a staff page: inline, only as the image its first bytes
    say it is, never cached by a shared cache."""
    opened = field_file.open("rb")
    kind = document_kind(opened)
    if not kind.startswith("image/"):
        opened.close()
        raise Http404
    response = FileResponse(opened, content_type=kind)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
