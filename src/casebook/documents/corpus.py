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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from casebook.config import Settings
from casebook.documents import Unreadable
from casebook.documents.index import PassageIndex
from casebook.documents.readers import reader_version, worth_rereading
from casebook.documents.reading import CHANGED, ToRead, read_version, read_versions, worker_count
from casebook.documents.store import DocumentStore, Version, VersionRead
from casebook.errors import StorageError
from casebook.models import LocalFile, Skipped, Source
from casebook.models import SourceFile as SourceFile  # callers import it from here too
from casebook.storage import CompanyStorage, document_name

INDEX_FILE = "index/passages.sqlite"
BATCH_PASSAGES = 5000
"""Passages stored per write transaction (and per flush of the batch's data/ files to disk)."""
BATCH_VERSIONS = 64
COPY_BLOCK = 1024 * 1024

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


def read_folder(folder: Path, settings: Settings) -> tuple[list[Source], list[Skipped]]:
    """Every file below a folder, named by its path relative to it (`sub1/notes.txt`), to be read
    when it is used (so a folder of any size is not held in memory); unreadable entries come back
    as skips, never dropped. Names a file system cannot decode are kept with U+FFFD in place of
    the bad bytes."""
    if not folder.is_dir():
        raise Unreadable(f"{folder} is not a folder: pass --docs with a folder of documents")
    sources: list[Source] = []
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
        elif (size := path.stat().st_size) > limit:
            skipped.append(Skipped(file=name, reason=_too_big(size, settings)))
        else:
            sources.append(LocalFile(name=name, path=path, size=size))
    return sources, skipped


def new_ingest_id() -> str:
    return f"ingest-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def ingest_documents(
    company: CompanyStorage,
    sources: Iterable[Source],
    settings: Settings,
    *,
    set_id: str | None = None,
    kind: str = "ingest",
    progress: Progress | None = None,
    pre_skipped: Iterable[Skipped] = (),
) -> IngestReport:
    """Store and index the files as the set `set_id` (a run's id, else a new ingest id) and make
    it the company's current set.

    Files are hashed as streams and read one at a time per worker (a pool, one worker a core);
    only versions that are read are copied into `data/`: a file that is skipped (junk, empty,
    a zip bomb) is remembered with its reason but not stored."""
    report = IngestReport(set_id=set_id or new_ingest_id(), skipped=list(pre_skipped))
    batch = _name_batch(list(sources), report, settings)
    done = 0

    def advance(name: str) -> None:
        nonlocal done
        if progress:
            progress(done, len(batch), name)
        done += 1

    with open_store(company) as store:
        previous = store.set_files(store.current_set() or "")
        to_read: list[ToRead] = []
        rereads: set[str] = set()
        for name, source in batch.items():
            sha = report.files[name]
            if name in report.duplicates:
                advance(name)
                continue
            version = store.version(sha)
            if version is None or _stale(store, version, settings):
                to_read.append(_to_read(name, sha, source))
                if version is not None:
                    rereads.add(sha)
                continue
            advance(name)
            if version.status == "indexed" and not company.exists(data_path(sha)):  # e.g. migrated without files
                _store_file(company, sha, source)
            report.unchanged.append(name)
        for name in _read_and_store(company, store, batch, to_read, rereads, settings, report, advance):
            report.indexed.append(name)
        for _ in range(3):  # a gc in another process may remove a version between the two steps
            missing = store.record_set(report.set_id, kind, report.files, current=True)
            if not missing:
                break
            names = [next(n for n, s in report.files.items() if s == sha) for sha in missing]
            items = [_to_read(name, report.files[name], batch[name]) for name in names]
            for _ in _read_and_store(company, store, batch, items, set(), settings, report, None):
                pass
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


def _stale(store: DocumentStore, version: Version, settings: Settings) -> bool:
    """Whether a known version is read again: it was read by an older reader (or went unread for
    want of OCR, which can run now). Passages a run cites stay as they are."""
    if version.status == "skipped":
        return version.reader != reader_version(None) or worth_rereading(version.reason, settings)
    stale = version.reader != reader_version(version.kind) or worth_rereading(version.reason, settings)
    return stale and not store.cited_by_runs(version.sha256)


def _to_read(name: str, sha: str, source: Source) -> ToRead:
    if isinstance(source, LocalFile):  # the worker reads it: its bytes never pass through here
        return ToRead(name, sha, source.size, path=str(source.path))
    return ToRead(name, sha, source.size, data=source.data)


def _read_and_store(
    company: CompanyStorage,
    store: DocumentStore,
    batch: dict[str, Source],
    items: list[ToRead],
    rereads: set[str],
    settings: Settings,
    report: IngestReport,
    advance: Callable[[str], None] | None,
) -> Iterator[str]:
    """Read the items (in a pool) and store what they give in batches: each batch's data/ files
    are flushed to disk together, then its passages are written in one transaction. Yields the
    names of the versions read."""
    reads: list[VersionRead] = []
    written: list[str] = []
    names: list[str] = []
    passages = 0

    def flush() -> Iterator[str]:
        nonlocal passages
        company.sync_files(written)
        report.chunks_added += store.add_reads(reads, rereads=rereads)
        yield from names
        reads.clear()
        written.clear()
        names.clear()
        passages = 0

    for item, read in read_versions(items, settings, worker_count(settings)):
        if advance:
            advance(item.name)
        if read.rows is not None:
            if _store_file(company, item.sha256, batch[item.name]):
                written.append(data_path(item.sha256))
                names.append(item.name)
                report.pages_added += read.pages
                passages += len(read.rows)
            else:
                read = VersionRead(item.sha256, item.size, "", reason=CHANGED)
        reads.append(read)
        if passages >= BATCH_PASSAGES or len(reads) >= BATCH_VERSIONS:
            yield from flush()
    if reads:
        yield from flush()


class _Changed(Exception):
    """A local file's bytes are no longer those hashed."""


def _store_file(company: CompanyStorage, sha: str, source: Source) -> bool:
    """Copy a version's bytes into data/ (not yet flushed to disk: the batch is flushed at once);
    a local file block by block. False, and nothing stored, if they are no longer what was read
    (a local file changed meanwhile)."""
    if not isinstance(source, LocalFile):
        company.write_bytes(data_path(sha), source.data, sync=False)
        return True

    def blocks() -> Iterator[bytes]:
        digest = hashlib.sha256()
        with source.path.open("rb") as handle:
            while block := handle.read(COPY_BLOCK):
                digest.update(block)
                yield block
        if digest.hexdigest() != sha:
            raise _Changed

    try:
        company.write_stream(data_path(sha), blocks(), sync=False)
    except (_Changed, OSError):
        return False
    return True


@contextlib.contextmanager
def open_set(
    company: CompanyStorage,
    set_id: str,
    files: dict[str, str],
    settings: Settings,
    *,
    staged: Callable[[], Sequence[Source]] | None = None,
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
    staged: Callable[[], Sequence[Source]] | None,
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
            read = read_version(ToRead(name, sha, len(data), data=data), settings)
            if read.rows is not None:
                company.write_bytes(data_path(sha), data)
            store.add_reads([read])
    raise StorageError(f"could not restore the documents of {set_id}: retry")


def _name_batch(sources: list[Source], report: IngestReport, settings: Settings) -> dict[str, Source]:
    """Each file under its relative path (unique in the set), hashed as a stream; content seen
    twice is noted, not read twice."""
    batch: dict[str, Source] = {}
    first_name: dict[str, str] = {}
    limit = int(settings.max_file_mb * 1024 * 1024)
    for source in sources:
        name = _unique(document_name(source.name), batch)
        if source.size > limit:
            report.skipped.append(Skipped(file=name, reason=_too_big(source.size, settings)))
            continue
        try:
            sha = _sha256(source)
        except OSError as exc:
            report.skipped.append(Skipped(file=name, reason=f"cannot read the file: {exc.strerror or exc}"))
            continue
        batch[name] = source
        report.files[name] = sha
        if sha in first_name:
            report.duplicates[name] = first_name[sha]
        else:
            first_name[sha] = name
            report.bytes_total += source.size
    return batch


def _sha256(source: Source) -> str:
    """The SHA-256 of a source's bytes; a local file is read in blocks, never whole."""
    if isinstance(source, LocalFile):
        with source.path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    return hashlib.sha256(source.data).hexdigest()


def _unique(name: str, taken: dict[str, Source]) -> str:
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
