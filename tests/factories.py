"""Small document sets and settings for pipeline tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from casebook.config import Settings
from casebook.documents.corpus import SourceFile
from casebook.testing.answers import schema_answer

PAGES = [
    "Northwind annual report 2025. Revenue grew 8% to 212 million euros across four depots.",
    "Invoice matching is manual and takes nine full-time employees in finance every month.",
    "On-time delivery rate was 91.4% in 2025. 14% of support tickets ask where a shipment is.",
]


def write_docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(folder / "annual-report.pdf"), pagesize=A4, invariant=1)
    for text in PAGES:
        pdf.drawString(60, 760, text)
        pdf.showPage()
    pdf.save()
    (folder / "it-landscape.md").write_text(
        "# IT landscape\n\nSAP ERP, a Manhattan WMS and Salesforce CRM. "
        "Data quality in the WMS is poor: 6% of locations are wrong.\n"
    )
    (folder / "tickets.csv").write_text("id,category,minutes\n1,where is my shipment,6\n2,damage claim,25\n")
    return folder


def sources(folder: Path) -> list[SourceFile]:
    return [SourceFile(p.name, p.read_bytes()) for p in sorted(folder.iterdir())]


def settings_for(tmp_path: Path, base_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "storage_url": str(tmp_path / "outputs"),
        "openai_base_url": base_url,
        "openai_api_key": "sk-test-SECRET123456",
        "llm_max_retries": 0,
        "llm_timeout_s": 10,
        "deliver_folder": str(tmp_path / "reports"),
        "report_formats": "",  # Markdown only: rendering has tests of its own, and is slow
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def ai_use_cases_answer(request: dict[str, Any]) -> Any:
    """The default fake's answer. Its use cases are distinct AI ones already (a catalogue
    technique each, a problem citing its own passage), which the pipeline's use-case checks
    require; titles written over them with uncited problems would be rejected and regenerated."""
    return schema_answer(request)
