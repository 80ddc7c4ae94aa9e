"""The report check in whole runs against a loopback Chat Completions server: model Markdown is
normalised as it enters the report, finalize revises once each section with a finding, and what
is left is in the manifest."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from pathlib import Path
from typing import Any

from casebook.models import RunStatus, Submission
from casebook.runs.manifest import Manifest
from casebook.runs.runner import create_run, execute
from casebook.storage import Storage
from casebook.testing import item_of, step_of
from casebook.testing.answers import passages_in
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import ai_use_cases_answer as answer
from tests.factories import settings_for, sources, write_docs
from tests.prompt_steps import call_key

SUBMISSION = {
    "company_name": "Northwind Logistics",
    "company_info": "{Company description}: Freight and warehousing\n"
    "{Overall Readiness score}: 58\n{Agent-readiness category}: Adopter\n"
    "{Report Expectations}: A phased roadmap",
    "use_cases_count": 3,
}


def run(tmp_path: Path, handler: Any, **settings: Any) -> tuple[Any, Any, FakeOpenAIServer]:
    with FakeOpenAIServer(handler) as server:
        config = settings_for(tmp_path, server.base_url, **settings)
        docs = write_docs(tmp_path / "docs")
        manifest = create_run(config, Submission.parse(SUBMISSION), sources(docs))
        final = asyncio.run(execute(config, manifest.company_slug, manifest.run_id))
    company = Storage(config.storage_url).company_by_slug(final.company_slug)
    return final, company, server


def first_sentence(request: dict[str, Any]) -> tuple[str, str]:
    """(passage id, its first sentence) of the first passage the prompt shows: grounded text."""
    sid, text = next(iter(passages_in(request).items()))
    return sid, re.split(r"(?<=[.!?])\s+", text)[0].rstrip(".")


def untidy_part_b(request: dict[str, Any]) -> Any:
    """Use case 2's section as a careless model writes it: its own title, headings at the wrong
    level, a paragraph set as a heading, its own source lists, a table without its delimiter
    line, and a last sentence cut mid-way. Its revision is clean."""
    if step_of(request) == "part_b" and item_of(request) == 2:
        sid, sentence = first_sentence(request)
        return (
            "# Use case 2\n\n## Problem\n\n"
            f"{sentence} [{sid}].\n\n"
            "## The documents show that this problem costs the company time in every single month of the year "
            f"[{sid}]\n\n"
            "## Data\n\n| System | Owner |\n| WMS | Operations |\n\n"
            f"Sources: [{sid}]\n\n### References\n\n- [{sid}] annual-report.pdf, p. 2\n\n"
            "## Next steps\n\nThe pilot will start with the"
        )
    if step_of(request) == "revise_part_b":
        sid, sentence = first_sentence(request)
        return f"#### Problem\n\n{sentence} [{sid}].\n\n#### Next steps\n\nA pilot in one depot comes first [{sid}].\n"
    return answer(request)


def test_model_markdown_is_normalised_and_a_cut_section_is_revised_once(tmp_path: Path) -> None:
    manifest, company, server = run(tmp_path, untidy_part_b)
    assert manifest.status is RunStatus.succeeded, manifest.error
    calls = Counter(call_key(r) for r in server.requests)
    assert calls["part_b:2"] == 1 and calls["revise_part_b:2"] == 1
    assert [k for k in calls if k.startswith("revise")] == ["revise_part_b:2"]  # only the section with a finding
    checks = manifest.checks
    assert checks is not None and checks.regenerated == ["part_b:2"]
    assert checks.found_before >= 1 and checks.findings == []
    assert manifest.metrics["check_findings"] == 0
    report = company.read_text(manifest.final_report)
    section = report.split("### 2. ", 1)[1].split("\n### 3. ", 1)[0]
    assert "#### Problem" in section and "The pilot will start with the" not in section
    # the first version, as assembled before the revision: normalised to the template
    draft = company.read_text(f"runs/{manifest.run_id}/report.md")
    first = draft.split("### 2. ", 1)[1].split("\n### 3. ", 1)[0]
    assert re.findall(r"^#{1,6} .*$", first, re.M)[:3] == ["#### Problem", "#### Data", "#### Next steps"]
    assert "\nThe documents show that this problem costs the company time" in first  # a paragraph now
    assert "| System | Owner |\n|---|---|\n| WMS | Operations |" in first
    assert not re.search(r"(?im)^\W*(sources?|references)\b", first)
    assert "Use case 2" not in first
    assert report.count("## Sources") == 1


def test_a_finding_the_revision_does_not_fix_is_recorded_in_the_manifest(tmp_path: Path) -> None:
    def still_cut(request: dict[str, Any]) -> Any:
        if step_of(request) in ("part_b", "revise_part_b") and item_of(request) == 3:
            sid, sentence = first_sentence(request)
            return f"#### Problem\n\n{sentence} [{sid}].\n\nThe depots will have to change the way they"
        return answer(request)

    manifest, company, server = run(tmp_path, still_cut)
    assert manifest.status is RunStatus.succeeded, manifest.error
    calls = Counter(call_key(r) for r in server.requests)
    assert calls["revise_part_b:3"] == 1  # once, never twice
    assert manifest.checks is not None
    assert [(f.kind, f.section) for f in manifest.checks.findings] == [("cut_sentence", "part_b:3")]
    saved = company.read_json(f"runs/{manifest.run_id}.json")
    assert saved["checks"]["findings"][0]["kind"] == "cut_sentence"


def test_a_finalize_that_runs_again_pays_for_no_revision_twice(tmp_path: Path) -> None:
    manifest, company, _ = run(tmp_path, untidy_part_b)
    assert manifest.checks is not None and manifest.checks.regenerated == ["part_b:2"]
    # as if the process had stopped after the revision was stored but before finalize ended
    company.delete(f"runs/{manifest.run_id}/check/done.json")
    m = Manifest.load(company, manifest.run_id)
    for step in ("finalize", "review", "deliver"):
        m.steps[step].state = "pending"
    m.status = RunStatus.failed
    m.save(company)
    with FakeOpenAIServer(untidy_part_b) as again:
        config = settings_for(tmp_path, again.base_url)
        resumed = asyncio.run(execute(config, manifest.company_slug, manifest.run_id))
        assert again.requests == []  # the stored revision was used
    assert resumed.status is RunStatus.succeeded, resumed.error
    assert resumed.checks is not None and resumed.checks.regenerated == ["part_b:2"]
    assert resumed.checks.findings == []
