"""A company's document set: stored in `data/` (deduplicated by content) and indexed.

`ingest_documents` makes the company's documents exactly the given set: new files are
stored and indexed, changed ones replaced, removed ones dropped, unchanged ones cost
nothing. Every file that cannot be used is reported with its reason; none is dropped silently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from casebook.config import Settings
from casebook.documents import Unreadable, chunk_pages
from casebook.documents.extract import extract_document
from casebook.documents.index import PassageIndex
from casebook.models import Skipped, SourceFile
from casebook.storage import CompanyStorage, safe_filename

INDEX_FILE = "index/passages.sqlite"

Progress = Callable[[int, int, str], None]


@dataclass
class IngestReport:
    indexed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # stored name -> sha256
    bytes_total: int = 0
    chunks_added: int = 0
    pages_added: int = 0
    fingerprint: str = ""
    documents: int = 0
    chunks: int = 0

    @property
    def usable(self) -> int:
        return self.documents


def read_folder(folder: Path, settings: Settings) -> tuple[list[SourceFile], list[Skipped]]:
    """Every file below a folder; unreadable entries come back as skips, never dropped."""
    if not folder.is_dir():
        raise Unreadable(f"{folder} is not a folder: pass --docs with a folder of documents")
    sources: list[SourceFile] = []
    skipped: list[Skipped] = []
    limit = int(settings.max_file_mb * 1024 * 1024)
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            skipped.append(Skipped(file=name, reason="symbolic link: copy the file itself"))
        elif not path.is_file():
            continue
        elif any(part.startswith(".") for part in path.relative_to(folder).parts):
            skipped.append(Skipped(file=name, reason="hidden file"))
        elif path.stat().st_size > limit:
            skipped.append(Skipped(file=name, reason=_too_big(path.stat().st_size, settings)))
        else:
            sources.append(SourceFile(name=name, data=path.read_bytes()))
    return sources, skipped


def ingest_documents(
    company: CompanyStorage,
    sources: Iterable[SourceFile],
    settings: Settings,
    *,
    progress: Progress | None = None,
    pre_skipped: Iterable[Skipped] = (),
) -> IngestReport:
    report = IngestReport(skipped=list(pre_skipped))
    batch = _dedupe(list(sources), report, settings)
    with company.local_file(INDEX_FILE) as index_path, PassageIndex(index_path) as index:
        known = index.documents()
        for gone in sorted(set(known) - set(batch)):
            index.remove_document(gone)
            company.delete(f"data/{gone}")
            report.removed.append(gone)
        for done, (name, source) in enumerate(batch.items(), start=1):
            if progress:
                progress(done - 1, len(batch), name)
            sha = report.files[name]
            previous = known.get(name)
            if previous is not None and previous.sha256 == sha:
                report.unchanged.append(name)
                if previous.status == "skipped":
                    report.skipped.append(Skipped(file=name, reason=previous.reason or "unreadable"))
                continue
            company.write_bytes(f"data/{name}", source.data)
            _index_one(index, name, sha, source.data, settings, report)
        if progress:
            progress(len(batch), len(batch), "")
        report.fingerprint = index.fingerprint()
        counts = index.counts()
        report.documents, report.chunks = counts["documents"], counts["chunks"]
    return report


def _dedupe(sources: list[SourceFile], report: IngestReport, settings: Settings) -> dict[str, SourceFile]:
    """Safe, unique stored names; a file whose content was already seen is skipped."""
    batch: dict[str, SourceFile] = {}
    by_sha: dict[str, str] = {}
    limit = int(settings.max_file_mb * 1024 * 1024)
    for source in sources:
        if len(source.data) > limit:
            report.skipped.append(Skipped(file=source.name, reason=_too_big(len(source.data), settings)))
            continue
        sha = hashlib.sha256(source.data).hexdigest()
        if sha in by_sha:
            reason = f"same content as {by_sha[sha]}"
            report.skipped.append(Skipped(file=source.name, reason=reason))
            continue
        name = _unique(safe_filename(source.name), batch)
        batch[name] = source
        by_sha[sha] = name
        report.files[name] = sha
        report.bytes_total += len(source.data)
    return batch


def _index_one(index: PassageIndex, name: str, sha: str, data: bytes, settings: Settings, report: IngestReport) -> None:
    try:
        kind, pages = extract_document(name, data, settings)
    except Unreadable as exc:
        index.mark_skipped(name, sha, len(data), exc.reason)
        report.skipped.append(Skipped(file=name, reason=exc.reason))
        return
    chunks = chunk_pages(pages, file=name, doc_sha256=sha, size=settings.chunk_chars, overlap=settings.chunk_overlap)
    report.chunks_added += index.replace_document(name, sha, kind, len(data), len(pages), chunks)
    report.pages_added += len(pages)
    report.indexed.append(name)


def _unique(name: str, taken: dict[str, SourceFile]) -> str:
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    n = 2
    while (candidate := f"{stem} ({n}){dot}{ext}") in taken:
        n += 1
    return candidate


def _too_big(size: int, settings: Settings) -> str:
    return (
        f"{size / 1_048_576:.1f} MB is over the {settings.max_file_mb:g} MB limit "
        "(raise CASEBOOK_MAX_FILE_MB to accept it)"
    )
