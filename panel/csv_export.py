"""The one streamed CSV download: a header row, then rows written as the client reads them.

Cells are made safe for spreadsheets: text starting with = + - @ or a tab/CR gets a leading
apostrophe (CSV injection), dates are ISO 8601, numbers stay numbers, None is empty.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from numbers import Number

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file that hands back what is written, so csv.writer yields lines one by one."""

    def write(self, value: str) -> str:
        return value


def cell(value):
    if value is None:
        return ""
    if isinstance(value, Number):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _lines(header: Sequence[str], rows: Iterable[Sequence]):
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]):
    """A streamed attachment named FILENAME (any text: quoted or RFC 5987-encoded)."""
    response = StreamingHttpResponse(_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
