"""Streamed CSV downloads that a spreadsheet opens safely."""

import csv
import io
from collections.abc import Iterable, Iterator

from flask import Response, stream_with_context

# A spreadsheet runs a cell that starts like a formula; a leading quote keeps it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(rows: Iterable[Iterable], header: Iterable[str], every: int = 200) -> Iterator[str]:
    """The header, then the rows, handed out a few hundred lines at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for n, row in enumerate(rows, 1):
        writer.writerow([safe_cell(value) for value in row])
        if n % every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_download(rows: Iterable[Iterable], header: Iterable[str], filename: str) -> Response:
    return Response(
        stream_with_context(csv_lines(rows, header)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
