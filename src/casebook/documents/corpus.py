"""A company's documents: stored by content in `data/<sha256>`, indexed once per version, and
grouped into document sets (one per run, one per `casebook ingest`).

`ingest_documents` records the given files as one set and makes it the company's current set.
New content is stored and indexed; content seen before, under any name, costs nothing; nothing
an earlier set records is touched, so renames, swaps and removals never change what an earlier
run cites. Every file that cannot be used is reported with its reason; none is dropped silently.

`open_set` gives the passages of one set (a run's, via RunContext.documents) and `open_current`
those of the current set (`casebook search`).

On local storage every process shares `index/passages.sqlite` (WAL, one writer at a time). On an
object store the file is copied to a temp folder and written back after a change; two writers at
once can lose one's rows (the last write wins). That loses no citation: a set's own record is
its run's manifest (`inputs`), and `open_set` re-indexes any version of the set the store lacks,
from `data/<sha256>` or from the run's staged inputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from casebook.config import Settings
from casebook.documents import Unreadable, chunk_pages
from casebook.documents.extract import read_document, worth_rereading
from casebook.documents.index import PassageIndex
from casebook.documents.store import DocumentStore
from casebook.errors import StorageError
from casebook.models import Skipped, SourceFile
from casebook.storage import CompanyStorage, document_name

INDEX_FILE = "index/passages.sqlite"

Progress = Callable[[int, int, str], None]


def data_path(sha256: str) -> str:
    """Where a document's bytes are stored: by content, so no two sets overwrite each other."""
    return f"data/{sha256}"


@dataclass
class IngestReport:
    set_id: str = ""
    indexed: list[str] = field(default_factory=list)  # names whose content was new
    unchanged: list[str] = field(default_factory=list)  # names whose content was known already
    skipped: list[Skipped] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # names of the previous current set not in this one
    duplicates: dict[str, str] = field(default_factory=dict)  # name -> the earlier name with the same content
    files: dict[str, str] = field(default_factory=dict)  # name -> sha256: the set
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
    """Every file below a folder, named by its path relative to it (`sub1/notes.txt`);
    unreadable entries come back as skips, never dropped. Names a file system cannot decode are
    kept with U+FFFD in place of the bad bytes."""
    if not folder.is_dir():
        raise Unreadable(f"{folder} is not a folder: pass --docs with a folder of documents")
    sources: list[SourceFile] = []
    skipped: list[Skipped] = []
    limit = int(settings.max_file_mb * 1024 * 1024)
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        name = document_name(relative.as_posix())
        if path.is_symlink():
            skipped.append(Skipped(file=name, reason="symbolic link: copy the file itself"))
        elif not path.is_file():
            continue
        elif any(part.startswith(".") for part in relative.parts):
            skipped.append(Skipped(file=name, reason="hidden file"))
        elif path.stat().st_size > limit:
            skipped.append(Skipped(file=name, reason=_too_big(path.stat().st_size, settings)))
        else:
            sources.append(SourceFile(name=name, data=path.read_bytes()))
    return sources, skipped


def new_ingest_id() -> str:
    return f"ingest-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def ingest_documents(
    company: CompanyStorage,
    sources: Iterable[SourceFile],
    settings: Settings,
    *,
    set_id: str | None = None,
    kind: str = "ingest",
    progress: Progress | None = None,
    pre_skipped: Iterable[Skipped] = (),
) -> IngestReport:
    """Store and index the files as the set `set_id` (a run's id, else a new ingest id) and make
    it the company's current set."""
    report = IngestReport(set_id=set_id or new_ingest_id(), skipped=list(pre_skipped))
    batch = _name_batch(list(sources), report, settings)
    with open_store(company) as store:
        previous = store.set_files(store.current_set() or "")
        for done, (name, source) in enumerate(batch.items(), start=1):
            if progress:
                progress(done - 1, len(batch), name)
            sha = report.files[name]
            if name in report.duplicates:
                continue
            version = store.version(sha)
            reread = version is not None and worth_rereading(version.reason, settings) and (
                version.status == "skipped" or not store.cited_by_runs(sha)
            )
            if version is None or reread:
                if _add_version(company, store, name, sha, source.data, settings, report, reread=reread):
                    report.indexed.append(name)
            else:
                if not company.exists(data_path(sha)):  # e.g. a store migrated without its files
                    company.write_bytes(data_path(sha), source.data)
                report.unchanged.append(name)
        for _ in range(3):  # a gc in another process may remove a version between the two steps
            missing = store.record_set(report.set_id, kind, report.files, current=True)
            if not missing:
                break
            for sha in missing:
                name = next(n for n, s in report.files.items() if s == sha)
                _add_version(company, store, name, sha, batch[name].data, settings, report)
        else:
            raise StorageError(f"could not record the documents of {report.set_id}: retry the ingest")
        for name, sha in report.files.items():  # unreadable files, and pages of read ones left unread
            version = store.version(sha)
            if version is not None and (version.status == "skipped" or version.reason):
                report.skipped.append(Skipped(file=name, reason=version.reason or "unreadable"))
        report.removed = sorted(set(previous) - set(report.files))
        view = store.view(report.set_id)
        report.fingerprint = view.fingerprint()
        counts = view.counts()
        report.documents, report.chunks = counts["documents"], counts["chunks"]
    if progress:
        progress(len(batch), len(batch), "")
    return report


@contextlib.contextmanager
def open_set(
    company: CompanyStorage,
    set_id: str,
    files: dict[str, str],
    settings: Settings,
    *,
    staged: Callable[[], list[SourceFile]] | None = None,
) -> Iterator[PassageIndex]:
    """The passages of one set, and nothing else. A set the store lacks (or holds only in part)
    is recorded again first, its versions re-indexed from `data/` or from `staged()`."""
    if not files:
        raise StorageError(f"{set_id} records no documents: its ingest has not run")
    with open_store(company, write_back=False) as store:
        if store.has_set(set_id, files):
            yield store.view(set_id)
            return
    with open_store(company) as store:
        _restore_set(company, store, set_id, files, settings, staged)
        yield store.view(set_id)


@contextlib.contextmanager
def open_current(company: CompanyStorage) -> Iterator[PassageIndex | None]:
    """The passages of the company's current set (the latest ingested), or None before any ingest."""
    if not company.exists(INDEX_FILE):
        yield None
        return
    with open_store(company, write_back=False) as store:
        current = store.current_set()
        yield None if current is None else store.view(current)


@contextlib.contextmanager
def open_store(company: CompanyStorage, *, write_back: bool = True) -> Iterator[DocumentStore]:
    """The company's store; a store written before versions is migrated on first open (its
    `data/<name>` files move to `data/<sha256>`)."""
    with company.local_file(INDEX_FILE, write_back=False) as path:
        with DocumentStore(path) as store:
            for legacy in store.legacy:
                old = f"data/{legacy.file}"
                if company.exists(old) and not company.exists(data_path(legacy.sha256)):
                    data = company.read_bytes(old)
                    if hashlib.sha256(data).hexdigest() == legacy.sha256:
                        company.write_bytes(data_path(legacy.sha256), data)
                company.delete(old)
            yield store
        if (write_back or store.legacy) and not company.storage.is_local:
            company.write_bytes(INDEX_FILE, path.read_bytes())


def _restore_set(
    company: CompanyStorage,
    store: DocumentStore,
    set_id: str,
    files: dict[str, str],
    settings: Settings,
    staged: Callable[[], list[SourceFile]] | None,
) -> None:
    staged_by_sha: dict[str, bytes] | None = None
    for _ in range(3):
        missing = store.record_set(set_id, "run", files, current=False)
        if not missing:
            return
        for sha in missing:
            name = next(n for n, s in files.items() if s == sha)
            if company.exists(data_path(sha)):
                data = company.read_bytes(data_path(sha))
            else:
                if staged_by_sha is None:
                    staged_by_sha = {hashlib.sha256(s.data).hexdigest(): s.data for s in (staged() if staged else [])}
                if sha not in staged_by_sha:
                    raise StorageError(
                        f"{name} of {set_id} is no longer stored (removed by `casebook gc`?): start a new run"
                    )
                data = staged_by_sha[sha]
            _add_version(company, store, name, sha, data, settings, IngestReport())
    raise StorageError(f"could not restore the documents of {set_id}: retry")


def _name_batch(sources: list[SourceFile], report: IngestReport, settings: Settings) -> dict[str, SourceFile]:
    """Each file under its relative path (unique in the set); content seen twice is noted, not read twice."""
    batch: dict[str, SourceFile] = {}
    first_name: dict[str, str] = {}
    limit = int(settings.max_file_mb * 1024 * 1024)
    for source in sources:
        name = _unique(document_name(source.name), batch)
        if len(source.data) > limit:
            report.skipped.append(Skipped(file=name, reason=_too_big(len(source.data), settings)))
            continue
        sha = hashlib.sha256(source.data).hexdigest()
        batch[name] = source
        report.files[name] = sha
        if sha in first_name:
            report.duplicates[name] = first_name[sha]
        else:
            first_name[sha] = name
            report.bytes_total += len(source.data)
    return batch


def _add_version(
    company: CompanyStorage, store: DocumentStore, name: str, sha: str, data: bytes, settings: Settings,
    report: IngestReport, *, reread: bool = False,
) -> bool:
    """Store and index one version; False if it cannot be read (remembered with the reason)."""
    company.write_bytes(data_path(sha), data)
    try:
        kind, pages, note = read_document(name, data, settings)
    except Unreadable as exc:
        store.add_skipped(sha, len(data), exc.reason)
        return False
    chunks = chunk_pages(pages, file=name, doc_sha256=sha, size=settings.chunk_chars, overlap=settings.chunk_overlap)
    report.chunks_added += store.add_version(sha, kind, len(data), len(pages), chunks, note=note, reread=reread)
    report.pages_added += len(pages)
    return True


def _unique(name: str, taken: dict[str, SourceFile]) -> str:
    """Names are unique within a set; two files that end up with one name (two uploads called
    notes.txt) are told apart in the order given. Other sets are never renumbered."""
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or "/" in ext:
        stem, dot, ext = name, "", ""
    n = 2
    while (candidate := f"{stem} ({n}){dot}{ext}") in taken:
        n += 1
    return candidate


def _too_big(size: int, settings: Settings) -> str:
    return (
        f"{size / 1_048_576:.1f} MB is over the {settings.max_file_mb:g} MB limit "
        "(raise CASEBOOK_MAX_FILE_MB to accept it)"
    )
