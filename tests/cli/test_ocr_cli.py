"""`casebook ingest` reads scans with OCR unless told not to (`--no-ocr`, CASEBOOK_OCR=off)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from casebook.cli import app
from casebook.config import get_settings
from tests.documents.test_ocr import INVOICE, encoded, scan

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
