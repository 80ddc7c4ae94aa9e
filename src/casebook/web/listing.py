"""The runs list: newest first, filtered by status and company, a page at a time.

The engine lists workflows newest first; a page without filters reads only the runs up to it,
a filtered page reads at most MAX_SCAN of the newest runs and says so when there were more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from casebook.engine import Engine
from casebook.models import RunStatus
from casebook.web.views import summary_row

PAGE_SIZE = 25
MAX_SCAN = 2000
STATUSES = tuple(s.value for s in RunStatus)


@dataclass
class Listing:
    rows: list[dict[str, Any]]
    page: int
    has_next: bool
    scanned_all: bool  # False: a filtered page looked at the newest MAX_SCAN runs only


def list_page(engine: Engine, *, status: str | None, company: str | None, page: int, size: int = PAGE_SIZE) -> Listing:
    """Blocking: one page of the runs list."""
    filtered = bool(status or company)
    # workflows, not runs: a retried run has several, of which the latest is listed
    scan = MAX_SCAN if filtered else 2 * (page * size + 1)
    rows = [summary_row(view) for view in engine.list_runs(scan)]
    listed = len(rows)
    needle = (company or "").casefold().strip()
    if status:
        rows = [r for r in rows if r["status"] == status]
    if needle:
        rows = [r for r in rows if needle in r["company"].casefold()]
    start = (page - 1) * size
    return Listing(
        rows=rows[start : start + size],
        page=page,
        has_next=len(rows) > start + size,
        scanned_all=not filtered or listed < scan,
    )
