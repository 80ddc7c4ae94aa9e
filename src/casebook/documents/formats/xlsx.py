"""Excel (.xlsx, .xlsm, .xltx, .xltm; Strict too) sheets with openpyxl, read-only, cached values
instead of formulas, every row whatever the sheet's declared dimension says."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from casebook.config import Settings
from casebook.documents.formats.records import MAX_TABLE_ROWS, render_records
from casebook.documents.formats.strict import transitional
from casebook.documents.guards import check_count, check_zip
from casebook.documents.pages import PageText, clean_text

MAX_COLUMNS = 1_000
"""Columns read from a sheet; cells further right are ignored."""
MAX_SCANNED_ROWS = 10 * MAX_TABLE_ROWS
"""Rows looked at in one sheet, blank ones included, so a sheet of empty styled rows stays fast."""


def _trimmed(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Rows without their trailing empty cells: read-only openpyxl pads each row to max_col.

    The padding past the widest row so far is checked in C (a slice's count), so a row costs
    about its used width in Python, not MAX_COLUMNS.
    """
    widest = 0
    for row in rows:
        end = len(row)
        if widest < end:
            tail = row[widest:]
            if tail.count(None) == len(tail):
                end = widest
        while end and row[end - 1] is None:
            end -= 1
        widest = max(widest, end)
        yield row[:end]


def extract_xlsx(data: bytes, settings: Settings) -> list[PageText]:
    """One page per worksheet (page = its 1-based position, section = its name).

    Rows become JSON records keyed by the header row (rows above a header, such as a title,
    stay plain lines); at most MAX_TABLE_ROWS data rows per sheet.
    """
    check_zip(data, settings, "Excel")
    workbook = openpyxl.load_workbook(io.BytesIO(transitional(data)), read_only=True, data_only=True)
    try:
        sheets = workbook.worksheets
        check_count(len(sheets), "sheets", settings)
        pages = []
        for number, sheet in enumerate(sheets, start=1):
            # the declared dimension (<dimension ref="A1:C1"/>) is often wrong in files other
            # programs wrote: read up to the last row and column that hold something instead
            sheet.reset_dimensions()
            rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
            text = render_records(
                _trimmed(itertools.islice(rows, MAX_SCANNED_ROWS)),
                blank_key=lambda i: get_column_letter(i + 1),
                find_header=True,
            )
            if not text.endswith("were not read]") and next(rows, None) is not None:
                text += f"\n[rows after row {MAX_SCANNED_ROWS} were not read]"
            text = clean_text(text)
            if text:
                pages.append(PageText(page=number, section=sheet.title, text=text))
        return pages
    finally:
        workbook.close()
