"""Which document versions a company still needs, and removing the others (`casebook gc`).

A version is needed while a document set names it. The sets kept are: the company's current set
(what the latest ingest made current), and the set of every run whose manifest exists. With
`keep_days` (`--keep-days`, or CASEBOOK_KEEP_DAYS after every ingest), the set of a run that ended
more than that many days ago is let go too; a queued or running run always keeps its set. Sets
of earlier `casebook ingest` calls and of runs whose manifest is gone are let go. A version no
kept set names loses its passages and its stored file (`data/<sha256>`).

A run whose set was let go can still be resumed: it restores its versions from its staged inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from casebook.documents.corpus import data_path, open_store
from casebook.errors import CasebookError
from casebook.runs.manifest import Manifest
from casebook.storage import CompanyStorage


@dataclass(frozen=True)
class RemovedVersion:
    sha256: str
    names: list[str]
    bytes: int
    passages: int


@dataclass
class GcReport:
    company_slug: str
    removed: list[RemovedVersion] = field(default_factory=list)
    released_sets: list[str] = field(default_factory=list)
    kept_versions: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "company_slug": self.company_slug,
            "removed": [
                {"sha256": v.sha256, "names": v.names, "bytes": v.bytes, "passages": v.passages} for v in self.removed
            ],
            "released_sets": self.released_sets,
            "removed_versions": len(self.removed),
            "removed_bytes": sum(v.bytes for v in self.removed),
            "kept_versions": self.kept_versions,
        }


def collect_documents(
    company: CompanyStorage, *, keep_days: float | None = None, now: datetime | None = None
) -> GcReport:
    """Remove every version no kept set needs; returns what was removed."""
    report = GcReport(company.slug)
    if not company.exists("index/passages.sqlite"):
        return report
    cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days) if keep_days is not None else None
    with open_store(company) as store:
        current = store.current_set()
        names: dict[str, set[str]] = {}
        for s in store.sets():
            for name, sha in store.set_files(s.set_id).items():
                names.setdefault(sha, set()).add(name)
            if s.set_id != current and not _run_keeps(company, s.set_id, s.kind, cutoff):
                report.released_sets.append(s.set_id)
        store.drop_sets(report.released_sets)
        with store.removing_unused() as unused:
            for version in unused:  # inside the write transaction: no set can name them meanwhile
                company.delete(data_path(version.sha256))
        report.removed = [
            RemovedVersion(v.sha256, sorted(names.get(v.sha256, ())), v.bytes, v.chunks) for v in unused
        ]
        report.kept_versions = len(store.versions())
    return report


def _run_keeps(company: CompanyStorage, set_id: str, kind: str, cutoff: datetime | None) -> bool:
    if kind != "run" or not company.exists(f"runs/{set_id}.json"):
        return False
    if cutoff is None:
        return True
    try:
        manifest = Manifest.load(company, set_id)
    except (CasebookError, ValueError):
        return True  # unreadable: keep, never guess
    if not manifest.status.finished:
        return True
    ended = manifest.ended or manifest.created
    return ended >= cutoff
