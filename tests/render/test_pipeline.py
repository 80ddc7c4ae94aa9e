"""A real run's report (the pipeline against the fake model server) renders section for section."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import docx
import pypdfium2 as pdfium
import pytest

from casebook.errors import ConfigError, RunError
from casebook.models import RunStatus, Submission
from casebook.render import Branding, load_template
from casebook.render.document import build_document
from casebook.render.run import (
    finished_report,
    render_run,
    run_template,
    run_use_cases,
    select_template,
    stage_template,
)
from casebook.render.template import SECTION_IDS
from casebook.runs.manifest import Manifest
from casebook.runs.runner import create_run, execute
from casebook.storage import Storage
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import settings_for, sources, write_docs

SUBMISSION = {
    "company_name": "Northwind Logistics",
    "company_info": "{Company description}: Freight and warehousing\n"
    "{Overall Readiness score}: 58\n{Agent-readiness category}: Adopter",
    "use_cases_count": 5,
}


def test_a_finished_run_renders_to_every_format_in_its_final_folder(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        # generous timeouts: the machine may be busy, and this test is about rendering
        settings = settings_for(tmp_path, server.base_url, llm_timeout_s=60, llm_max_retries=2)
        created = create_run(
            settings, Submission.parse(SUBMISSION), sources(write_docs(tmp_path / "docs"))
        )
        manifest = asyncio.run(execute(settings, created.company_slug, created.run_id))
    assert manifest.status is RunStatus.succeeded, manifest.error
    company = Storage(settings.storage_url).company_by_slug(manifest.company_slug)
    run = manifest.run_id
    markdown = finished_report(company, run)
    submission = Submission.model_validate(Manifest.load(company, run).submission)
    use_cases = run_use_cases(company, run)
    assert len(use_cases) == 5

    # every ## section the pipeline writes is recognised: none is carried as an unknown extra
    doc = build_document(
        markdown, use_cases=use_cases, submission=submission, template=load_template()
    )
    assert [b.id for b in doc.blocks] == list(SECTION_IDS)
    assert doc.sources and all(s.file for s in doc.sources)

    written = render_run(
        company,
        run,
        markdown=markdown,
        submission=submission,
        template=select_template(name="de"),
        branding=Branding(),
    )
    assert written == [f"final/FINAL_REPORT_{run}.{f}" for f in ("html", "pdf", "docx")]
    pdf = pdfium.PdfDocument(company.read_bytes(written[1]))
    text = " ".join(" ".join(p.get_textpage().get_text_range() for p in pdf).split())
    pdf.close()
    assert "Teil B: Anwendungsfälle im Detail" in text and "Quellenverzeichnis" in text
    word = docx.Document(io.BytesIO(company.read_bytes(written[2])))
    headings = [
        p.text for p in word.paragraphs if p.style is not None and p.style.name == "Heading 2"
    ]
    assert [h for h in headings if h[0].isdigit()] == [
        f"{i}. {uc.title}" for i, uc in enumerate(use_cases, 1)
    ]
    assert b"Portfolio der Anwendungsf" in company.read_bytes(written[0])


def test_templates_are_chosen_by_file_or_by_built_in_name_only(tmp_path: Path) -> None:
    assert select_template().name == "default" and select_template(name="default").name == "default"
    assert select_template(name="de").language == "de"
    with pytest.raises(ConfigError, match="built-in template"):
        select_template(name="../../etc/passwd")
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\n')
    assert select_template(path, name="de").name == "mine"


def test_an_unfinished_run_has_nothing_to_render(tmp_path: Path) -> None:
    company = Storage(str(tmp_path)).company("Acme")
    with pytest.raises(RunError, match="no final report"):
        finished_report(company, "20260101-000000-abcdef")
    assert run_use_cases(company, "20260101-000000-abcdef") == []


def test_a_runs_own_template_file_travels_with_the_run(tmp_path: Path) -> None:
    company = Storage(str(tmp_path / "out")).company("Acme")
    run = "20260101-000000-abcdef"
    assert run_template(company, run, None, None).name == "default"
    assert run_template(company, run, "de", None).language == "de"
    mine = tmp_path / "mine.toml"
    mine.write_text('name = "mine"\nlanguage = "fr"\n')
    assert run_template(company, run, "de", mine).name == "mine"
    stage_template(company, run, mine)
    mine.unlink()  # the copy is what counts, on any machine
    assert run_template(company, run, "de", None).language == "fr"
    bad = tmp_path / "bad.toml"
    bad.write_text("[[sections]]\nid = 'x'\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: sections\[0\]\.id"):
        stage_template(company, "20260101-000000-bbbbbb", bad)
    assert not company.exists("runs/20260101-000000-bbbbbb/template.toml")
