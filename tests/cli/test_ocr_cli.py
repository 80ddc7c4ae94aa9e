"""`casebook ingest` reads scans with OCR unless told not to (`--no-ocr`, CASEBOOK_OCR=off)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from casebook.cli import app
from casebook.config import Settings, get_settings
from casebook.documents.corpus import ingest_documents
from casebook.models import SourceFile
from casebook.storage import Storage
from tests.documents.test_ocr import INVOICE, encoded, scan, scanned_pdf

runner = CliRunner()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "invoice-scan.png").write_bytes(encoded(scan(INVOICE), "PNG"))
    (folder / "notes.txt").write_text("Plain notes about the Leeds depot.\n", encoding="utf-8")
    return folder


def ingest(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["ingest", *args, "--json"])
    assert result.exit_code == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_no_ocr_skips_the_scan_with_the_reason(docs: Path) -> None:
    report = ingest("Acme", "--docs", str(docs), "--no-ocr")
    assert report["indexed"] == ["notes.txt"]
    assert report["skipped"] == [{
        "file": "invoice-scan.png",
        "reason": "an image, read only by OCR: OCR is off (CASEBOOK_OCR=off or --no-ocr): turn it on to read it",
    }]


def test_ocr_off_by_setting(docs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBOOK_OCR", "off")
    get_settings.cache_clear()
    report = ingest("Acme", "--docs", str(docs))
    assert report["indexed"] == ["notes.txt"]


def test_ocr_text_is_searchable(docs: Path) -> None:
    report = ingest("Acme", "--docs", str(docs))
    assert sorted(report["indexed"]) == ["invoice-scan.png", "notes.txt"]
    result = runner.invoke(app, ["search", "Acme", "Northwind invoice 4471", "--json"])
    assert result.exit_code == 0, result.stderr
    hits = json.loads(result.stdout)
    assert hits[0]["file"] == "invoice-scan.png" and "4471" in hits[0]["text"] and hits[0]["ocr"] is True
    result = runner.invoke(app, ["search", "Acme", "Leeds depot"])
    assert result.exit_code == 0, result.stderr
    places = {line.split(". ", 1)[1].split("  (score")[0] for line in result.stdout.splitlines() if "(score" in line}
    assert places == {"invoice-scan.png (OCR)", "notes.txt"}


def test_a_scan_skipped_for_want_of_ocr_is_read_once_ocr_can_run(docs: Path) -> None:
    first = ingest("Acme", "--docs", str(docs), "--no-ocr")
    assert [s["file"] for s in first["skipped"]] == ["invoice-scan.png"]
    again = ingest("Acme", "--docs", str(docs), "--no-ocr")  # still no OCR: nothing is read again
    assert again["indexed"] == [] and [s["file"] for s in again["skipped"]] == ["invoice-scan.png"]
    now = ingest("Acme", "--docs", str(docs))
    assert now["indexed"] == ["invoice-scan.png"] and now["skipped"] == []
    assert now["documents"] == 2


def test_scanned_pages_left_unread_are_reported_on_every_ingest(docs: Path) -> None:
    (docs / "letters.pdf").write_bytes(scanned_pdf())
    note = "page 2 not read: no text layer (a scan?), OCR is off (CASEBOOK_OCR=off or --no-ocr): turn it on to read it"
    for _ in range(2):  # the first ingest reads it, the second finds it unchanged: both say so
        report = ingest("Acme", "--docs", str(docs), "--no-ocr")
        assert {"file": "letters.pdf", "reason": note} in report["skipped"]
    result = runner.invoke(app, ["ingest", "Acme", "--docs", str(docs), "--no-ocr"])
    assert f"skipped letters.pdf: {note}" in result.stdout
    hits = json.loads(runner.invoke(app, ["search", "Acme", "cover letter", "--json"]).stdout)
    assert hits[0]["file"] == "letters.pdf" and hits[0]["page"] == 1

    report = ingest("Acme", "--docs", str(docs))  # OCR can run now, and no run cites the PDF: read again
    assert "letters.pdf" in report["indexed"] and report["skipped"] == []
    hits = json.loads(runner.invoke(app, ["search", "Acme", "Harrogate warehouse", "--json"]).stdout)
    assert (hits[0]["file"], hits[0]["page"], hits[0]["ocr"]) == ("letters.pdf", 2, True)


def test_a_pdf_a_run_cites_keeps_its_passages(tmp_path: Path) -> None:
    """A run's citations name passage ids: a version a run holds is never read again."""
    company = Storage(str(tmp_path / "store")).company("Acme")
    source = [SourceFile("letters.pdf", scanned_pdf())]
    off = Settings(storage_url=str(tmp_path / "store"), ocr=False)
    ingest_documents(company, source, off, set_id="20990101-000000-abcdef", kind="run")
    report = ingest_documents(company, source, off.model_copy(update={"ocr": True}))
    assert report.unchanged == ["letters.pdf"]
    assert [s.reason.split(":")[0] for s in report.skipped] == ["page 2 not read"]
