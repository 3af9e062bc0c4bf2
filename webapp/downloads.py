"""Files the server hands out: CSV that a spreadsheet will not run as formulas, and attachment
names that cannot break out of their Content-Disposition parameter."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils.http import content_disposition_header

# A spreadsheet treats a cell starting with any of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """The value, or for text a spreadsheet would evaluate, the text after a quote mark (shown
    as typed, never run). Numbers stay numbers: a negative count is not a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def as_attachment(response: HttpResponse, filename: str) -> HttpResponse:
    """Mark the response as a download named ``filename`` (quoted and escaped, RFC 6266)."""
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def csv_download(filename: str, header: Sequence[object],
                 rows: Iterable[Sequence[object]]) -> HttpResponse:
    """A CSV attachment whose every text cell is safe to open in a spreadsheet."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    for row in (header, *rows):
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    return as_attachment(response, filename)
