"""A run's documents are its own: later runs of the company with renamed, swapped, replaced,
deleted and duplicated files succeed, and leave every citation of an earlier run as it was."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from casebook.config import Settings
from casebook.documents.corpus import data_path, ingest_documents, open_set
from casebook.documents.store import DocumentStore
from casebook.models import Evidence, RunStatus, SourceFile, Submission
from casebook.runs.manifest import Manifest
from casebook.runs.retention import collect_documents
from casebook.runs.runner import create_run, execute
from casebook.steps import verify_citations
from casebook.storage import CompanyStorage, Storage
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import settings_for, sources, write_docs

SUBMISSION = {"company_name": "Northwind Logistics", "company_description": "Freight", "use_cases_count": 2}


def run(settings: Settings, files: list[SourceFile]) -> Manifest:
    created = create_run(settings, Submission.parse(SUBMISSION), files)
    final = asyncio.run(execute(settings, created.company_slug, created.run_id))
    assert final.status is RunStatus.succeeded, final.error
    return final


def reverify(company: CompanyStorage, settings: Settings, manifest: Manifest) -> str:
    """The run's verify step done again now, against the store as it is."""
    evidence = Evidence.model_validate_json(company.read_bytes(f"runs/{manifest.run_id}/evidence.json"))
    with open_set(company, manifest.run_id, manifest.inputs, settings) as index:
        return verify_citations(company.read_text(f"runs/{manifest.run_id}/report.md"), evidence, index).markdown


def new_pdf(path: Path) -> None:
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    pdf.drawString(60, 760, "Northwind annual report 2026. Revenue fell 3% to 205 million euros; staff costs rose.")
    pdf.showPage()
    pdf.save()


def test_later_runs_with_renamed_and_deleted_files_leave_an_earlier_run_intact(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        settings = settings_for(tmp_path, server.base_url)
        docs = write_docs(tmp_path / "docs")  # annual-report.pdf, it-landscape.md, tickets.csv
        first = run(settings, sources(docs))
        company = Storage(settings.storage_url).company_by_slug(first.company_slug)
        verified = company.read_text(f"runs/{first.run_id}/report.verified.md")
        assert reverify(company, settings, first) == verified

        # annual-report.pdf -> annual-report-old.pdf plus a new annual-report.pdf; tickets.csv
        # deleted; the IT landscape twice, once in a folder
        (docs / "annual-report.pdf").rename(docs / "annual-report-old.pdf")
        new_pdf(docs / "annual-report.pdf")
        (docs / "tickets.csv").unlink()
        (docs / "it").mkdir()
        (docs / "it" / "it-landscape.md").write_bytes((docs / "it-landscape.md").read_bytes())
        files = [SourceFile(p.relative_to(docs).as_posix(), p.read_bytes()) for p in sorted(docs.rglob("*.*"))]
        second = run(settings, files)
        assert set(second.inputs) == {
            "annual-report-old.pdf", "annual-report.pdf", "it-landscape.md", "it/it-landscape.md"
        }
        assert second.inputs["annual-report-old.pdf"] == first.inputs["annual-report.pdf"]

        # the names swapped back, in a third run: still no failure
        (docs / "annual-report.pdf").rename(docs / "swap.pdf")
        (docs / "annual-report-old.pdf").rename(docs / "annual-report.pdf")
        (docs / "swap.pdf").rename(docs / "annual-report-old.pdf")
        files = [SourceFile(p.relative_to(docs).as_posix(), p.read_bytes()) for p in sorted(docs.rglob("*.*"))]
        third = run(settings, files)
        assert third.inputs["annual-report.pdf"] == first.inputs["annual-report.pdf"]

    # the first run's citations resolve to the same passages, text and names as on its day
    assert reverify(company, settings, first) == verified
    assert "annual-report.pdf, p. " in verified and "annual-report-old.pdf" not in verified
    # and the later runs cite only what they were given
    assert "tickets.csv" not in company.read_text(second.final_report or "")
    # gc keeps all three runs' documents: each run still needs them
    assert collect_documents(company).removed == []


def test_an_ingest_that_loses_a_version_to_gc_midway_adds_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gc in another process between an ingest's indexing and its recording of the set."""
    settings = Settings(storage_url=str(tmp_path / "outputs"))
    company = Storage(settings.storage_url).company("Race Ltd")
    files = sources(write_docs(tmp_path / "docs"))
    ingest_documents(company, files, settings)  # every version known: the next ingest indexes nothing
    ingest_documents(company, files[:1], settings)  # another set is current; the others are unused
    original = DocumentStore.record_set
    raced: list[list[str]] = []

    def record_after_gc(self: DocumentStore, *args: object, **kw: object) -> list[str]:
        if not raced:  # a `casebook gc` on its own connection, as another process would
            raced.append([v.sha256 for v in collect_documents(company).removed])
        return original(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(DocumentStore, "record_set", record_after_gc)
    report = ingest_documents(company, files, settings, set_id="run-x", kind="run")
    assert len(raced[0]) == 2  # the race happened: two versions were gone when the set was recorded
    assert report.documents == 3 and set(report.files) == {f.name for f in files}
    for sha in report.files.values():
        assert company.exists(data_path(sha))
    with open_set(company, "run-x", report.files, settings) as index:
        assert {h.file for h in index.search("invoice SAP shipment", k=10)} == set(report.files)


def test_a_run_restores_documents_it_downloaded_by_url(tmp_path: Path) -> None:
    """A run's documents fetched from URLs are among what it restores its set from."""
    from casebook.runs.remote import fetched_documents

    settings = Settings(storage_url=str(tmp_path / "outputs"))
    company = Storage(settings.storage_url).company("Fetched Ltd")
    text = b"# Fetched\n\nInvoice matching takes nine people in Tilburg.\n"
    company.write_bytes("runs/run-u/inputs/url-0001", text)
    company.write_json("runs/run-u/inputs/fetched.json", {"0": {"skipped": "HTTP 404"}, "1": {"name": "memo.md"}})
    fetched = fetched_documents(company, "run-u")
    assert [(f.name, f.data) for f in fetched] == [("memo.md", text)]
    report = ingest_documents(company, fetched, settings, set_id="run-u", kind="run")
    ingest_documents(company, [SourceFile("other.md", b"# Other\n\nSomething else entirely.\n")], settings)
    collect_documents(company)  # run-u has no manifest: its set and version are let go
    assert not company.exists(data_path(report.files["memo.md"]))
    staged = lambda: fetched_documents(company, "run-u")  # noqa: E731
    with open_set(company, "run-u", report.files, settings, staged=staged) as index:
        assert index.search("invoice matching")[0].file == "memo.md"
