"""Exports of contacts (a search, a segment) as CSV or XLSX, streamed in batches."""

import csv
import io

from django.http import HttpResponse
from django.utils.translation import gettext as _

COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "postal_code",
    "town",
    "departement",
    "language",
    "rfm_group",
)


def _headers():
    return [
        _("Prénom"),
        _("Nom"),
        _("E-mail"),
        _("Téléphone"),
        _("Code postal"),
        _("Commune"),
        _("Département"),
        _("Langue"),
        _("Groupe RFM"),
    ]


def contacts_response(queryset, fmt: str, filename: str) -> HttpResponse:
    rows = queryset.order_by("last_name", "first_name", "pk").values_list(*COLUMNS).iterator(chunk_size=2000)
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(_headers())
        for row in rows:
            sheet.append(list(row))
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    writer.writerow(_headers())
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
