"""A company's documents across ingests: renames, swaps, deletions, duplicates, folders and
undecodable names never break an ingest, and never change what an earlier run's set holds."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest

from casebook.config import Settings
from casebook.documents.corpus import (
    INDEX_FILE,
    IngestReport,
    data_path,
    ingest_documents,
    open_current,
    open_set,
    read_folder,
)
from casebook.models import RunStatus, SourceFile
from casebook.runs.manifest import Manifest, utcnow
from casebook.runs.retention import collect_documents
from casebook.storage import CompanyStorage, Storage

ALPHA = b"# Alpha\n\nInvoice matching takes nine full-time employees at the Tilburg depot.\n"
BETA = b"# Beta\n\nOn-time delivery was 91.4 percent across the four Venlo routes.\n"
GAMMA = b"# Gamma\n\nThe warehouse scanner roll-out cut picking errors by a third.\n"


@pytest.fixture
def company(settings: Settings) -> CompanyStorage:
    return Storage(settings.storage_url).company("Renames Ltd")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ingest(
    company: CompanyStorage, settings: Settings, files: dict[str, bytes], run: str | None = None
) -> IngestReport:
    sources = [SourceFile(name, data) for name, data in files.items()]
    kind = "run" if run else "ingest"
    report = ingest_documents(company, sources, settings, set_id=run, kind=kind)
    if run:  # a run's manifest, as create_run and the ingest step leave it
        record = {"company_name": "Renames Ltd"}
        Manifest(
            run_id=run, company_name="Renames Ltd", company_slug=company.slug, submission=record, model_set="cheap",
            inputs=report.files, status=RunStatus.succeeded, ended=utcnow(),
        ).save(company)
    return report


def passages(
    company: CompanyStorage, settings: Settings, run: str, files: dict[str, str]
) -> dict[str, tuple[str, str]]:
    """chunk id -> (file, text) of every passage a run's set holds."""
    with open_set(company, run, files, settings) as index:
        return {c.chunk_id: (c.file, c.text) for c in index.iter_chunks()}


def test_swapping_two_names_then_renaming_keeps_every_ingest_and_earlier_run(
    company: CompanyStorage, settings: Settings
) -> None:
    first = ingest(company, settings, {"report.pdf.md": ALPHA, "notes.md": BETA}, run="run-1")
    before = passages(company, settings, "run-1", first.files)
    swapped = ingest(company, settings, {"report.pdf.md": BETA, "notes.md": ALPHA}, run="run-2")
    assert swapped.indexed == [] and sorted(swapped.unchanged) == ["notes.md", "report.pdf.md"]
    assert swapped.chunks_added == 0  # the same content under other names costs nothing
    renamed = ingest(company, settings, {"report-old.pdf.md": ALPHA, "report.pdf.md": GAMMA}, run="run-3")
    assert renamed.indexed == ["report.pdf.md"] and renamed.removed == ["notes.md"]
    # the earlier run still reads the same passages under the same names
    assert passages(company, settings, "run-1", first.files) == before
    with open_set(company, "run-2", swapped.files, settings) as index:
        hit = index.search("invoice matching employees", k=1)[0]
        assert hit.file == "notes.md" and "nine full-time" in hit.text
    with open_set(company, "run-3", renamed.files, settings) as index:
        assert {h.file for h in index.search("invoice scanner delivery", k=10)} == {
            "report-old.pdf.md",
            "report.pdf.md",
        }
        assert index.search("Venlo delivery") == []  # BETA is not in this run's set


def test_deleting_a_file_leaves_it_to_the_runs_that_had_it(company: CompanyStorage, settings: Settings) -> None:
    first = ingest(company, settings, {"a.md": ALPHA, "b.md": BETA}, run="run-1")
    second = ingest(company, settings, {"a.md": ALPHA}, run="run-2")
    assert second.removed == ["b.md"] and second.documents == 1
    with open_current(company) as current:
        assert current is not None and current.search("Venlo") == []
    with open_set(company, "run-1", first.files, settings) as index:
        assert index.search("Venlo")[0].file == "b.md"


def test_duplicate_content_under_two_names_is_indexed_once(company: CompanyStorage, settings: Settings) -> None:
    report = ingest(company, settings, {"a.md": ALPHA, "copy/a-again.md": ALPHA, "b.md": BETA})
    assert report.duplicates == {"copy/a-again.md": "a.md"}
    assert report.files["copy/a-again.md"] == report.files["a.md"] == sha(ALPHA)
    assert report.documents == 2 and report.skipped == []
    assert company.list("data") == sorted([sha(ALPHA), sha(BETA)])
    with open_current(company) as index:
        assert index is not None
        assert [h.file for h in index.search("invoice matching")] == ["a.md"]
        assert index.has_passage("copy/a-again.md", None)


def test_same_name_in_two_folders_keeps_both_paths(
    tmp_path: Path, company: CompanyStorage, settings: Settings
) -> None:
    docs = tmp_path / "docs"
    (docs / "sub1").mkdir(parents=True)
    (docs / "sub2").mkdir()
    (docs / "sub1" / "notes.md").write_bytes(ALPHA)
    (docs / "sub2" / "notes.md").write_bytes(BETA)
    sources, skipped = read_folder(docs, settings)
    report = ingest_documents(company, sources, settings, pre_skipped=skipped)
    assert report.files == {"sub1/notes.md": sha(ALPHA), "sub2/notes.md": sha(BETA)}
    (docs / "sub0").mkdir()  # a file that comes first renumbers nothing
    (docs / "sub0" / "notes.md").write_bytes(GAMMA)
    sources, skipped = read_folder(docs, settings)
    again = ingest_documents(company, sources, settings, pre_skipped=skipped)
    assert again.files == {"sub0/notes.md": sha(GAMMA), "sub1/notes.md": sha(ALPHA), "sub2/notes.md": sha(BETA)}
    with open_current(company) as index:
        assert index is not None
        assert index.search("Venlo")[0].file == "sub2/notes.md"


def test_a_name_that_is_not_utf8_is_ingested(tmp_path: Path, company: CompanyStorage, settings: Settings) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    raw = os.path.join(os.fsencode(docs), b"caf\xe9-notes.md")  # Latin-1 bytes: not valid UTF-8
    with open(raw, "wb") as handle:
        handle.write(ALPHA)
    (docs / "b.md").write_bytes(BETA)
    sources, skipped = read_folder(docs, settings)
    report = ingest_documents(company, sources, settings, pre_skipped=skipped)
    assert sorted(report.files) == ["b.md", "caf\ufffd-notes.md"]
    assert report.documents == 2 and report.skipped == []
    with open_current(company) as index:
        assert index is not None
        assert index.search("invoice matching")[0].file == "caf\ufffd-notes.md"


def test_gc_removes_only_versions_no_run_needs(company: CompanyStorage, settings: Settings) -> None:
    kept = ingest(company, settings, {"a.md": ALPHA}, run="run-1")
    ingest(company, settings, {"b.md": BETA})  # a plain ingest: current until the next one
    ingest(company, settings, {"c.md": GAMMA})
    report = collect_documents(company)
    assert [(v.sha256, v.names) for v in report.removed] == [(sha(BETA), ["b.md"])]
    assert not company.exists(data_path(sha(BETA)))
    assert company.exists(data_path(sha(ALPHA))) and company.exists(data_path(sha(GAMMA)))
    assert passages(company, settings, "run-1", kept.files)  # the run still reads its documents
    assert collect_documents(company).removed == []  # nothing more to do

    # keep_days: a run that ended long ago lets go of its versions; the current set never does
    later = utcnow().replace(year=utcnow().year + 1)
    old = collect_documents(company, keep_days=30, now=later)
    assert [v.sha256 for v in old.removed] == [sha(ALPHA)] and old.released_sets == ["run-1"]
    with open_current(company) as index:
        assert index is not None and index.search("scanner")[0].file == "c.md"


def test_a_run_whose_versions_were_collected_restores_them_from_its_staged_inputs(
    company: CompanyStorage, settings: Settings
) -> None:
    first = ingest(company, settings, {"a.md": ALPHA}, run="run-1")
    before = passages(company, settings, "run-1", first.files)
    ingest(company, settings, {"b.md": BETA})
    collect_documents(company, keep_days=1, now=utcnow().replace(year=utcnow().year + 1))
    assert not company.exists(data_path(sha(ALPHA)))
    staged = [SourceFile("a.md", ALPHA)]
    with open_set(company, "run-1", first.files, settings, staged=lambda: staged) as index:
        assert {c.chunk_id: (c.file, c.text) for c in index.iter_chunks()} == before


OLD_SCHEMA = """
CREATE TABLE documents (file TEXT PRIMARY KEY, sha256 TEXT NOT NULL, kind TEXT, bytes INTEGER NOT NULL DEFAULT 0,
    pages INTEGER NOT NULL DEFAULT 0, chunks INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('indexed', 'skipped')), reason TEXT, indexed_at TEXT NOT NULL);
CREATE TABLE chunks (rowid INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE,
    file TEXT NOT NULL REFERENCES documents(file) ON DELETE CASCADE, doc_sha256 TEXT NOT NULL, page INTEGER,
    section TEXT, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL);
CREATE INDEX chunks_by_file_page ON chunks(file, page);
CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.rowid, new.text);
END;
"""


def test_a_store_of_the_old_schema_is_migrated(company: CompanyStorage, settings: Settings) -> None:
    path = company.local_path(INDEX_FILE)
    path.parent.mkdir(parents=True)
    old_sha = sha(ALPHA)
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        db.execute("INSERT INTO documents VALUES ('notes (2).md', ?, 'md', 10, 1, 1, 'indexed', NULL, 'x')", (old_sha,))
        db.execute(
            "INSERT INTO chunks (chunk_id, file, doc_sha256, page, section, start, \"end\", text)"
            " VALUES (?, 'notes (2).md', ?, NULL, NULL, 0, 20, 'Invoice matching takes nine people.')",
            (f"{old_sha[:12]}-0000", old_sha),
        )
        db.execute(
            "INSERT INTO documents VALUES ('scan.pdf', ?, NULL, 5, 0, 0, 'skipped', 'no text', 'x')", ("e" * 64,)
        )
    company.write_bytes("data/notes (2).md", ALPHA)
    with open_current(company) as index:
        assert index is not None
        hit = index.search("invoice matching")[0]
        assert (hit.chunk_id, hit.file) == (f"{old_sha[:12]}-0000", "notes (2).md")
    assert company.read_bytes(data_path(old_sha)) == ALPHA and not company.exists("data/notes (2).md")
    # and ingest works on the migrated store: a swap of names, then a new file
    # the migrated version records no reader, so today's reader reads it again (no run cites it)
    report = ingest(company, settings, {"notes.md": ALPHA, "notes (2).md": BETA})
    assert report.unchanged == [] and report.indexed == ["notes.md", "notes (2).md"]
    with open_current(company) as index:
        assert index is not None
        hit = index.search("invoice matching")[0]
        assert (hit.chunk_id, hit.file) == (f"{old_sha[:12]}-0000", "notes.md")
        assert "nine full-time employees" in hit.text  # the stored file's text, not the old store's


def test_a_run_set_lost_from_the_index_is_restored_from_stored_files(
    company: CompanyStorage, settings: Settings
) -> None:
    """What an object store's lost write looks like: the index no longer has the run's set."""
    first = ingest(company, settings, {"a.md": ALPHA, "sub/b.md": BETA}, run="run-1")
    before = passages(company, settings, "run-1", first.files)
    company.delete(INDEX_FILE)
    assert passages(company, settings, "run-1", first.files) == before


def test_cli_gc_prints_what_it_removed(company: CompanyStorage, settings: Settings) -> None:
    from typer.testing import CliRunner

    from casebook.cli import app

    ingest(company, settings, {"a.md": ALPHA}, run="run-1")
    ingest(company, settings, {"b.md": BETA})
    ingest(company, settings, {"c.md": GAMMA})
    env = {"CASEBOOK_STORAGE_URL": settings.storage_url}
    result = CliRunner().invoke(app, ["gc", "Renames Ltd", "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [v["names"] for v in data["removed"]] == [["b.md"]]
    assert data["removed_bytes"] == len(BETA) and data["kept_versions"] == 2
    again = CliRunner().invoke(app, ["gc", "Renames Ltd"], env=env)
    assert again.exit_code == 0 and "removed 0 document version(s)" in again.stdout


def test_a_store_of_schema_2_gains_the_ocr_column(company: CompanyStorage, settings: Settings) -> None:
    ingest(company, settings, {"alpha.md": ALPHA})
    path = company.local_path(INDEX_FILE)
    with sqlite3.connect(path) as db:  # as schema 2 left it: passages without `ocr`
        db.execute("ALTER TABLE passages DROP COLUMN ocr")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    with open_current(company) as index:
        assert index is not None
        hit = index.search("invoice matching")[0]
        assert hit.file == "alpha.md" and hit.ocr is False
    with sqlite3.connect(path) as db:
        assert "ocr" in {row[1] for row in db.execute("PRAGMA table_info(passages)")}
        assert "reader" in {row[1] for row in db.execute("PRAGMA table_info(versions)")}
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("4",)


def test_two_ingests_of_one_company_at_once_each_record_their_own_set(
    company: CompanyStorage, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ingests are inside their indexing at the same moment, each on its own connection."""
    import threading

    import casebook.documents.extract as reading

    settings = settings.model_copy(update={"ingest_workers": 1})  # read here, where the patch is
    both_reading = threading.Barrier(2, timeout=60)
    extract = reading.read_document
    first_call = threading.local()

    def extract_together(name: str, data: bytes, s: Settings):  # type: ignore[no-untyped-def]
        if not getattr(first_call, "seen", False):
            first_call.seen = True
            both_reading.wait()
        return extract(name, data, s)

    monkeypatch.setattr(reading, "read_document", extract_together)
    sets = {"run-a": {"a.md": ALPHA, "same.md": BETA}, "run-b": {"b.md": GAMMA, "same.md": ALPHA}}
    reports: dict[str, IngestReport] = {}
    errors: list[BaseException] = []

    def work(run: str) -> None:
        try:
            reports[run] = ingest(company, settings, sets[run], run=run)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(run,)) for run in sets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    for run, files in sets.items():
        assert reports[run].files == {name: sha(data) for name, data in files.items()}
        with open_set(company, run, reports[run].files, settings) as index:
            assert {c.file for c in index.iter_chunks()} == set(files)
            assert all(c.doc_sha256 in reports[run].files.values() for c in index.iter_chunks())


def test_keep_days_collects_after_every_ingest(tmp_path: Path, company: CompanyStorage, settings: Settings) -> None:
    from datetime import timedelta

    from typer.testing import CliRunner

    from casebook.cli import app

    ingest(company, settings, {"old.md": ALPHA}, run="run-old")
    old = Manifest.load(company, "run-old")
    old.ended = utcnow() - timedelta(days=10)
    old.save(company)
    ingest(company, settings, {"recent.md": BETA}, run="run-recent")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "c.md").write_bytes(GAMMA)
    env = {"CASEBOOK_STORAGE_URL": settings.storage_url, "CASEBOOK_KEEP_DAYS": "7"}
    result = CliRunner().invoke(app, ["ingest", "Renames Ltd", "--docs", str(docs), "--json"], env=env)
    assert result.exit_code == 0, result.output
    collected = json.loads(result.stdout)["gc"]
    assert [v["names"] for v in collected["removed"]] == [["old.md"]]  # the recent run keeps its set
    assert collected["released_sets"] == ["run-old"]
    assert not company.exists(data_path(sha(ALPHA))) and company.exists(data_path(sha(BETA)))
