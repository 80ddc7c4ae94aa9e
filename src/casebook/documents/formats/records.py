"""Table rows (CSV, spreadsheet sheets) rendered as one JSON record per line: header → keys.

The header row comes first as a plain line (so a heading above a column with no values is still
read), then one record per row. A record keeps only the cells that hold something, so sparse
rows stay short, and each line still names its columns, which keeps a passage readable once cut
out of the table.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

MAX_TABLE_ROWS = 20_000
"""Most data rows read from one CSV file or one sheet; a note line says when more were left out."""
_HEADER_SCAN = 10


def cell_value(value: Any) -> Any:
    """JSON-friendly: whole floats as ints, floats without binary noise, dates as ISO text."""
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return int(value)
        return float(f"{value:.15g}")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _filled(row: Sequence[Any]) -> int:
    return sum(1 for v in row if v != "")


def _header_index(rows: list[list[Any]]) -> int:
    """The first row about as wide as the table: titles above a header are not the header."""
    widths = [_filled(row) for row in rows[:_HEADER_SCAN]]
    widest = max(widths, default=0)
    if widest < 2:
        return 0
    needed = max(2, math.ceil(widest / 2))
    return next(i for i, width in enumerate(widths) if width >= needed)


def _keys(header: list[Any], blank_key: Callable[[int], str]) -> list[str]:
    keys: list[str] = []
    for index, value in enumerate(header):
        keys.append(_unique(" ".join(str(value).split()) or blank_key(index), keys))
    return keys


def _unique(key: str, taken: list[str]) -> str:
    base, n = key, 2
    while key in taken:
        key, n = f"{base} ({n})", n + 1
    return key


def render_records(
    rows: Iterable[Sequence[Any]],
    *,
    blank_key: Callable[[int], str],
    find_header: bool = False,
    max_rows: int = MAX_TABLE_ROWS,
) -> str:
    """Rows above the header and the header as plain lines, then one JSON object per data row."""
    filled = (row for row in ([cell_value(v) for v in raw] for raw in rows) if _filled(row))
    head = list(itertools.islice(filled, _HEADER_SCAN if find_header else 1))
    if not head:
        return ""
    start = _header_index(head) if find_header else 0
    lines = [" | ".join(str(v) for v in row if v != "") for row in head[: start + 1]]
    keys = _keys(head[start], blank_key)
    for records, row in enumerate(itertools.chain(head[start + 1 :], filled)):
        if records >= max_rows:
            lines.append(f"[rows after the first {max_rows} were not read]")
            break
        while len(keys) < len(row):
            keys.append(_unique(blank_key(len(keys)), keys))
        record = {k: v for k, v in zip(keys, row, strict=False) if v != ""}
        lines.append(json.dumps(record, ensure_ascii=False))
    return "\n".join(lines)
