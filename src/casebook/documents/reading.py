"""Reading the versions an ingest needs: each file read, checked and cut into passages in a pool
of worker processes (one a core), or in this process when there is one file or one worker.

The pool's entry point, `read_version`, is a module-level function of plain, picklable
arguments, and the pool starts its workers from a fresh interpreter (forkserver, else spawn),
never by forking this process: no state of the caller (a durable workflow's threads, open
databases, locks) is copied into a worker, and nothing is kept between ingests but the stdlib's
fork server. A worker holds one file at a time. Every file's outcome comes back, in the order
given, as a VersionRead: its passages, or the reason it cannot be read. An exception in a worker
and a worker that dies are that file's reason, with the file's name beside it in the ingest's
skipped list; no error is swallowed and no file goes missing.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from pathlib import Path

from casebook.config import Settings
from casebook.documents.chunk import chunk_pages
from casebook.documents.pages import Unreadable
from casebook.documents.readers import reader_version
from casebook.documents.store import VersionRead

CHANGED = "the file changed while it was ingested: ingest again"
IN_FLIGHT_PER_WORKER = 2
"""Files handed to each worker ahead of the one being stored: enough to keep it busy, few enough
that results waiting to be stored stay small."""


@dataclass(frozen=True)
class ToRead:
    """One version to read: its bytes in memory, or a local file the worker reads itself."""

    name: str
    sha256: str
    size: int
    data: bytes | None = None
    path: str | None = None


Reader = Callable[[ToRead, Settings], VersionRead]


def read_version(item: ToRead, settings: Settings) -> VersionRead:
    """Read one version: its kind, pages and passages, or why it cannot be read. A failure that
    may pass (the disk, a file changed meanwhile) records no reader, so the next ingest retries."""
    from casebook.documents.extract import read_document  # the format libraries: workers only

    data: bytes | Path
    if item.data is not None:
        data = item.data
    else:  # a local file: hashed as a stream, then read as its reader needs (a PDF never whole)
        data = Path(item.path or "")
        try:
            with data.open("rb") as handle:
                if hashlib.file_digest(handle, "sha256").hexdigest() != item.sha256:
                    return VersionRead(item.sha256, item.size, "", reason=CHANGED)
        except OSError as exc:
            return VersionRead(item.sha256, item.size, "", reason=f"cannot read the file: {exc.strerror or exc}")
    try:
        kind, pages, note = read_document(item.name, data, settings)
    except Unreadable as exc:
        return VersionRead(item.sha256, item.size, reader_version(None), reason=exc.reason)
    chunks = chunk_pages(
        pages, file=item.name, doc_sha256=item.sha256, size=settings.chunk_chars, overlap=settings.chunk_overlap
    )
    rows = [(c.chunk_id, c.page, c.section, c.start, c.end, c.text, c.ocr) for c in chunks]
    return VersionRead(
        item.sha256, item.size, reader_version(kind), kind=kind, pages=len(pages), rows=rows, note=note
    )


def worker_count(settings: Settings) -> int:
    """CASEBOOK_INGEST_WORKERS, else one a core this process may use."""
    if settings.ingest_workers is not None:
        return settings.ingest_workers
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def read_versions(
    items: list[ToRead], settings: Settings, workers: int, *, reader: Reader = read_version
) -> Iterator[tuple[ToRead, VersionRead]]:
    """Each item with what reading it gave, in the order given. `reader` must be a module-level
    function (workers import it by name)."""
    if workers <= 1 or len(items) <= 1:
        for item in items:
            yield item, _guarded(reader, item, settings)
        return
    queue = deque(items)
    while queue:
        suspects = yield from _pool_pass(queue, settings, min(workers, len(queue)), reader)
        for item in suspects:  # in flight when a worker died: each alone, to find the one at fault
            yield item, _alone(item, settings, reader)


def _context() -> BaseContext:
    """Workers from a fresh interpreter: forkserver where there is one (fast to start after the
    first: it forks a server that has imported the readers already), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["casebook.documents.extract", __name__])
        return context
    return multiprocessing.get_context("spawn")


def _pool_pass(
    queue: deque[ToRead], settings: Settings, workers: int, reader: Reader
) -> Generator[tuple[ToRead, VersionRead], None, list[ToRead]]:
    """Read from the queue until it is empty, or until a worker dies: then the items that were in
    flight are returned (the queue keeps the rest)."""
    inflight: deque[tuple[ToRead, Future[VersionRead]]] = deque()
    pool = _pool(workers)
    try:
        while queue or inflight:
            while queue and len(inflight) < workers * IN_FLIGHT_PER_WORKER:
                item = queue.popleft()
                try:
                    inflight.append((item, pool.submit(reader, item, settings)))
                except BrokenProcessPool:
                    queue.appendleft(item)
                    break
            item, future = inflight.popleft()
            try:
                result = future.result()
            except BrokenProcessPool:
                return [item, *(i for i, _ in inflight)]
            except Exception as exc:  # raised in the worker, or its result could not come back
                result = _failed(item, exc)
            yield item, result
        return []
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _exit_with_parent() -> None:
    """Each worker's initializer: the worker ends when the process that started the pool dies.
    A pool worker waiting for work would otherwise wait for ever after a hard kill of that
    process (SIGKILL, the OOM killer): it holds its queue's write end itself, so it never reads
    EOF."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=_context(), initializer=_exit_with_parent)


def _alone(item: ToRead, settings: Settings, reader: Reader) -> VersionRead:
    with _pool(1) as pool:
        try:
            return pool.submit(reader, item, settings).result()
        except BrokenProcessPool:
            return VersionRead(
                item.sha256, item.size, "",
                reason="the reader's process died reading it (a crash, or out of memory): "
                "save it again in another program, or split it, and retry",
            )
        except Exception as exc:
            return _failed(item, exc)


def _guarded(reader: Reader, item: ToRead, settings: Settings) -> VersionRead:
    try:
        return reader(item, settings)
    except Exception as exc:
        return _failed(item, exc)


def _failed(item: ToRead, exc: BaseException) -> VersionRead:
    """An error no reader turned into a reason: said as it is, and retried at the next ingest."""
    return VersionRead(
        item.sha256, item.size, "", reason=f"the reader failed ({type(exc).__name__}: {exc}): retry, or report it"
    )
