"""Ingest in bounded memory and in a pool of reading processes: files are hashed as streams and
read one at a time per worker, skipped files are never stored, a worker's error or death is
that file's skip reason, and the pool gives exactly what reading here gives. Versions read by an
older reader are read again."""

from __future__ import annotations

import functools
import hashlib
import io
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

import casebook.documents.corpus as corpus
import casebook.documents.readers as readers
from casebook.config import Settings
from casebook.documents.corpus import INDEX_FILE, data_path, ingest_documents, open_current, read_folder
from casebook.documents.reading import ToRead, read_version, read_versions
from casebook.documents.store import DocumentStore, VersionRead
from casebook.models import LocalFile, SourceFile
from casebook.storage import CompanyStorage, Storage

ALPHA = b"# Alpha\n\nInvoice matching takes nine full-time employees at the Tilburg depot.\n"
BETA = b"# Beta\n\nOn-time delivery was 91.4 percent across the four Venlo routes.\n"


@pytest.fixture
def company(settings: Settings) -> CompanyStorage:
    return Storage(settings.storage_url).company("Pool Ltd")


def stored(company: CompanyStorage) -> set[str]:
    return {f"data/{name}" for name in company.list("data")}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- a reader that fails, for the pool (module level: workers import it by name) ------------------


def failing_reader(item: ToRead, settings: Settings) -> VersionRead:
    if item.name.endswith("boom.md"):
        raise RuntimeError(f"reader bug on {item.name}")
    if item.name.endswith("crash.md"):
        os._exit(3)  # the worker dies, as on a crash in a native library
    return read_version(item, settings)


def waiting_reader(item: ToRead, settings: Settings) -> VersionRead:
    """Notes its worker's pid in the folder the item names, then waits (to be killed)."""
    Path(item.name, f"{os.getpid()}.pid").write_text("")
    time.sleep(600)
    return read_version(item, settings)


# -- bounded memory, nothing stored that is skipped ----------------------------------------------


def test_skipped_files_are_not_stored_and_read_files_are(
    tmp_path: Path, company: CompanyStorage, settings: Settings
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.md").write_bytes(ALPHA)
    (docs / "blob.dat").write_bytes(bytes(range(256)) * 64)  # binary junk
    (docs / "empty.txt").write_bytes(b"")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("inside.txt", "a zip, not an office file")
    (docs / "report.docx").write_bytes(archive.getvalue())
    sources, skipped = read_folder(docs, settings)
    assert all(isinstance(s, LocalFile) for s in sources)  # read when used, not now
    report = ingest_documents(company, sources, settings, pre_skipped=skipped)
    reasons = {s.file: s.reason for s in report.skipped}
    assert set(reasons) == {"blob.dat", "empty.txt", "report.docx"}
    assert "unsupported file type" in reasons["blob.dat"] and "empty file" in reasons["empty.txt"]
    assert "ZIP archive" in reasons["report.docx"]
    assert stored(company) == {data_path(sha(ALPHA))}
    assert company.read_bytes(data_path(sha(ALPHA))) == ALPHA
    again = ingest_documents(company, read_folder(docs, settings)[0], settings)  # skipped: remembered, not read
    assert sorted(again.unchanged) == ["blob.dat", "empty.txt", "notes.md", "report.docx"]
    assert {s.file for s in again.skipped} == set(reasons) and stored(company) == {data_path(sha(ALPHA))}


def test_a_file_larger_than_a_hash_block_is_hashed_as_a_stream(
    tmp_path: Path, company: CompanyStorage, settings: Settings
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    lines = [f"Line {i}: the depot in Venlo handled {i * 7 % 1000} pallets on route {i % 13}.\n" for i in range(60_000)]
    big = "".join(lines).encode()
    assert len(big) > 3 * 1024 * 1024  # several of file_digest's blocks (256 KiB)
    (docs / "log.txt").write_bytes(big)
    report = ingest_documents(company, read_folder(docs, settings)[0], settings)
    assert report.files == {"log.txt": hashlib.sha256(big).hexdigest()}
    assert company.read_bytes(data_path(report.files["log.txt"])) == big
    with open_current(company) as index:
        assert index is not None and index.search("route 12 pallets")


def test_a_file_that_changes_after_it_was_hashed_is_not_stored_under_the_old_hash(
    tmp_path: Path, company: CompanyStorage, settings: Settings
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_bytes(ALPHA)
    sources = read_folder(docs, settings)[0]
    batch = corpus._name_batch(sources, corpus.IngestReport(), settings)  # hashed as ALPHA
    (docs / "a.md").write_bytes(BETA)
    read = read_version(ToRead("a.md", sha(ALPHA), len(ALPHA), path=str(docs / "a.md")), settings)
    assert read.rows is None and read.reason == corpus.CHANGED and not read.reader  # retried next time
    assert corpus._store_file(company, sha(ALPHA), batch["a.md"]) is False and stored(company) == set()


# -- the pool --------------------------------------------------------------------------------------


def test_errors_in_the_pool_are_the_files_skip_reasons(
    company: CompanyStorage, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(corpus, "read_versions", functools.partial(read_versions, reader=failing_reader))
    settings = settings.model_copy(update={"ingest_workers": 2})
    files = {"a.md": ALPHA, "sub/boom.md": BETA + b"1", "sub/crash.md": BETA + b"2", "b.md": BETA}
    report = ingest_documents(company, [SourceFile(n, d) for n, d in files.items()], settings)
    reasons = {s.file: s.reason for s in report.skipped}
    assert set(reasons) == {"sub/boom.md", "sub/crash.md"}
    assert "RuntimeError: reader bug on sub/boom.md" in reasons["sub/boom.md"]
    assert "process died" in reasons["sub/crash.md"]
    assert sorted(report.indexed) == ["a.md", "b.md"] and report.documents == 2
    assert stored(company) == {data_path(sha(ALPHA)), data_path(sha(BETA))}
    with open_current(company) as index:
        assert index is not None and {h.file for h in index.search("Tilburg Venlo", k=10)} == {"a.md", "b.md"}
    # a failure no reader explained is tried again at the next ingest (here it is read)
    monkeypatch.undo()
    again = ingest_documents(company, [SourceFile(n, d) for n, d in files.items()], settings)
    assert sorted(again.indexed) == ["sub/boom.md", "sub/crash.md"] and again.skipped == []


def test_the_pool_reads_in_order_and_survives_a_dead_worker(settings: Settings) -> None:
    items = [ToRead(f"{i}{tail}", sha(b"x%d" % i), 10, data=b"Text %d about depots.\n" % i)
             for i, tail in enumerate([".md", "crash.md", ".md", "boom.md", ".md", ".md", ".md"])]
    results = list(read_versions(items, settings, 2, reader=failing_reader))
    assert [item.name for item, _ in results] == [item.name for item in items]
    outcome = {item.name: read.reason or "read" for item, read in results}
    assert [n for n, r in outcome.items() if r == "read"] == ["0.md", "2.md", "4.md", "5.md", "6.md"]
    assert "process died" in outcome["1crash.md"] and "RuntimeError" in outcome["3boom.md"]


def test_the_pool_gives_what_reading_here_gives_on_the_sample_company(
    tmp_path: Path, sample_dir: Path, settings: Settings
) -> None:
    def ingest(workers: int) -> tuple[object, ...]:
        storage = Storage(str(tmp_path / f"workers-{workers}"))
        company = storage.company("Northwind Logistics")
        s = settings.model_copy(update={"ingest_workers": workers, "storage_url": storage.url})
        sources, skipped = read_folder(sample_dir / "docs", s)
        report = ingest_documents(company, sources, s, set_id="set-1", pre_skipped=skipped)
        with sqlite3.connect(company.local_path(INDEX_FILE)) as db:
            passages = db.execute(
                'SELECT sha256, position, chunk_id, page, section, start, "end", text, ocr FROM passages'
                " ORDER BY sha256, position"
            ).fetchall()
            versions = db.execute(
                "SELECT sha256, kind, bytes, pages, chunks, status, reason, reader FROM versions ORDER BY sha256"
            ).fetchall()
        return report.files, report.skipped, report.chunks, passages, versions, sorted(company.list("data"))

    serial, pooled = ingest(1), ingest(2)
    assert serial[3] and pooled == serial


# -- reader versions -------------------------------------------------------------------------------


def test_a_version_read_by_an_older_reader_is_read_again_unless_a_run_cites_it(
    company: CompanyStorage, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings.model_copy(update={"ingest_workers": 1})  # the patched versions apply here
    files = [SourceFile("a.md", ALPHA), SourceFile("blob.dat", bytes(range(256)))]
    first = ingest_documents(company, files, settings)
    assert sorted(first.indexed) == ["a.md"]
    with DocumentStore(company.local_path(INDEX_FILE)) as store:
        assert store.version(sha(ALPHA)).reader == "md:1"  # type: ignore[union-attr]
        assert store.version(sha(bytes(range(256)))).reader == readers.reader_version(None)  # type: ignore[union-attr]
    assert sorted(ingest_documents(company, files, settings).unchanged) == ["a.md", "blob.dat"]

    monkeypatch.setitem(readers.READER_VERSIONS, "md", 2)  # a better Markdown reader
    again = ingest_documents(company, files, settings)
    assert again.indexed == ["a.md"] and again.unchanged == []  # a skipped file is tried by every new reader
    assert [s.file for s in again.skipped] == ["blob.dat"]
    with DocumentStore(company.local_path(INDEX_FILE)) as store:
        assert store.version(sha(ALPHA)).reader == "md:2"  # type: ignore[union-attr]
    assert ingest_documents(company, files, settings).unchanged == ["a.md", "blob.dat"]

    monkeypatch.setitem(readers.READER_VERSIONS, "detect", 2)  # detection changed: skipped files are tried again
    assert ingest_documents(company, files, settings).indexed == []  # blob.dat read again: still junk
    with DocumentStore(company.local_path(INDEX_FILE)) as store:
        assert store.version(sha(bytes(range(256)))).reader == readers.reader_version(None)  # type: ignore[union-attr]

    cited = ingest_documents(company, [SourceFile("b.md", BETA)], settings, set_id="run-1", kind="run")
    monkeypatch.setitem(readers.READER_VERSIONS, "md", 3)
    later = ingest_documents(company, [SourceFile("b.md", BETA), SourceFile("a.md", ALPHA)], settings)
    assert later.indexed == ["a.md"] and later.unchanged == ["b.md"]  # run-1's passages stay as they are
    assert later.files["b.md"] == cited.files["b.md"]


def test_binary_junk_is_judged_by_its_head_as_it_would_be_whole(tmp_path: Path, settings: Settings) -> None:
    from casebook.documents.extract import read_document
    from casebook.errors import Unreadable

    junk = bytes(range(256)) * 4096  # 1 MB with NUL bytes
    (tmp_path / "blob.dat").write_bytes(junk)
    with pytest.raises(Unreadable) as whole:
        read_document("blob.dat", junk, settings)
    with pytest.raises(Unreadable) as from_file:
        read_document("blob.dat", tmp_path / "blob.dat", settings)
    assert from_file.value.reason == whole.value.reason and "binary data" in whole.value.reason
    # an image (NUL bytes in its head, over 64 KB) is read whole: the file gives what its bytes give
    from PIL import Image

    image = Image.frombytes("L", (400, 400), random.Random(3).randbytes(400 * 400))
    image.save(tmp_path / "noise.png")
    assert (tmp_path / "noise.png").stat().st_size > 64 * 1024

    def outcome(data: bytes | Path) -> object:
        try:
            return read_document("noise.png", data, settings)
        except Unreadable as exc:
            return exc.reason

    assert outcome(tmp_path / "noise.png") == outcome((tmp_path / "noise.png").read_bytes())


def test_pool_workers_end_when_the_ingesting_process_is_killed(tmp_path: Path) -> None:
    """A hard kill (SIGKILL, the OOM killer) of the process that started the pool leaves no worker."""
    script = (
        "from casebook.config import Settings\n"
        "from casebook.documents.reading import ToRead, read_versions\n"
        "from tests.documents.test_reading import waiting_reader\n"
        f"items = [ToRead({str(tmp_path)!r}, str(i) * 64, 1, data=b'x') for i in range(2)]\n"
        "list(read_versions(items, Settings(), 2, reader=waiting_reader))\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=root)
    try:
        deadline = time.monotonic() + 300
        while len(list(tmp_path.glob("*.pid"))) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    workers = [int(p.stem) for p in tmp_path.glob("*.pid")]

    def alive(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 300
    while any(alive(pid) for pid in workers):
        assert time.monotonic() < deadline, f"workers {workers} outlived the process that started them"
        time.sleep(0.1)
