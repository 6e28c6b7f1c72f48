"""panel.csv_export: the one streamed CSV download (audit log, monitoring exports)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from panel.csv_export import csv_response


def _read(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_it_streams_the_header_then_each_row_as_it_is_read():
    produced = []

    def rows():
        for n in range(3):
            produced.append(n)
            yield [n, f"row {n}"]

    response = csv_response("x.csv", ["n", "label"], rows())
    assert response.streaming and produced == []  # nothing read before the client asks
    assert _read(response) == [["n", "label"], ["0", "row 0"], ["1", "row 1"], ["2", "row 2"]]


def test_cells_are_safe_for_spreadsheets():
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    row = ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\tx", None, -2.5, when, {"a": 1}]
    [_, cells] = _read(csv_response("x.csv", ["c"] * len(row), [row]))
    assert cells[:5] == ['\'=HYPERLINK("x")', "'+1", "'-2", "'@SUM(A1)", "'\tx"]
    assert cells[5:] == ["", "-2.5", "2026-01-02T03:04:05+00:00", "{'a': 1}"]


def test_any_file_name_gives_a_valid_header():
    plain = csv_response("audit-1.csv", ["a"], [])
    assert plain["Content-Type"] == "text/csv; charset=utf-8"
    assert plain["Content-Disposition"] == 'attachment; filename="audit-1.csv"'
    odd = csv_response('Café "main".csv', ["a"], [])
    assert odd["Content-Disposition"] == "attachment; filename*=utf-8''Caf%C3%A9%20%22main%22.csv"
