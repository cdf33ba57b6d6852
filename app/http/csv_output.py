"""CSV downloads streamed in chunks, so a long statement never sits whole in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence

from litestar.response import Stream


async def _lines(header: Sequence[str], rows: Iterable[Sequence]) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_stream(header: Sequence[str], rows: Iterable[Sequence], filename: str) -> Stream:
    return Stream(
        _lines(header, rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
