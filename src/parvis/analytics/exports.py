"""A chart's facts as a file: CSV (UTF-8, semicolons, as the contact exports) or XLSX (typed cells)."""

import csv
import io

from django.http import HttpResponse

from .boards import Chart

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def chart_response(chart: Chart, fmt: str, filename: str) -> HttpResponse:
    if fmt == "xlsx":
        import openpyxl  # noqa: PLC0415 (a heavy import, for this download only)

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet(title=chart.key[:31])
        sheet.append([str(c) for c in chart.columns])
        for row in chart.rows:
            sheet.append(list(row))
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    out = io.StringIO()
    out.write("\ufeff")  # Excel then reads UTF-8
    writer = csv.writer(out, delimiter=";")
    writer.writerow([str(c) for c in chart.columns])
    writer.writerows(["" if v is None else v for v in row] for row in chart.rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
