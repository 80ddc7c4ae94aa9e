"""No copying, no empty parts: a summary that copies Part A is asked for once more with the
reason; Recommendations are always there; Part A has all its sections; each Part B section
states its cited problem and its scores with their reasons."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from casebook.cli import app
from casebook.models import RunStatus
from casebook.testing.answers import schema_answer
from casebook.testing.openai_server import FakeOpenAIServer
from casebook.testing.wire import message_text
from tests.prompt_steps import call_key
from tests.runs.test_use_case_quality import report_of, run

INTAKE = "Freight and warehousing across the Benelux from four sites with one hundred trucks and many staff."
FRESH = (
    "Northwind should start where its documents show the clearest cost: manual work that an "
    "assistant can take over while people keep the decisions.\n\n### Recommendations\n\n"
    "1. Pilot the first use case with the finance team.\n2. Name an owner for each data source.\n"
)


def test_a_summary_that_copies_part_a_is_asked_for_again_with_the_reason(tmp_path: Path) -> None:
    seen: dict[str, Any] = {"part_a": None, "consolidate": []}

    def handler(request: dict[str, Any]) -> Any:
        key = call_key(request)
        answer = schema_answer(request)
        if key == "part_a":
            seen["part_a"] = answer
        if key == "consolidate":
            seen["consolidate"].append(request)
            if len(seen["consolidate"]) == 1:  # Part A, word for word, as the summary
                return f"{seen['part_a']}\n\n### Recommendations\n\n1. Do it.\n"
            return FRESH
        if key == "style":  # an editor that changes nothing
            return message_text(request)[-1]
        return answer

    with FakeOpenAIServer(handler) as server:
        config, manifest = run(tmp_path, server)
    assert manifest.status is RunStatus.succeeded, manifest.error
    assert len(seen["consolidate"]) == 2
    asked_again = "\n".join(message_text(seen["consolidate"][1]))
    assert "repeats Part A word for word" in asked_again
    assert seen["part_a"].split("\n\n")[1][:60] in asked_again  # the rejected answer is shown
    report = report_of(config, manifest)
    summary = report.split("## Executive summary", 1)[1].split("\n## ", 1)[0]
    assert "where its documents show the clearest cost" in summary
    assert "Name an owner for each data source" in summary
    assert manifest.metrics["summary_regenerated"] == 1 and manifest.findings == []


def test_a_summary_that_stays_copied_is_kept_once_and_recorded(tmp_path: Path) -> None:
    calls: list[str] = []

    def handler(request: dict[str, Any]) -> Any:
        key = call_key(request)
        if key == "consolidate":
            calls.append(key)
            return f"{INTAKE}\n\n### Recommendations\n\n1. Act.\n"
        return schema_answer(request)

    with FakeOpenAIServer(handler) as server:
        _, manifest = run(
            tmp_path,
            server,
            submission={"company_description": INTAKE},
        )
    assert manifest.status is RunStatus.succeeded, manifest.error
    assert calls == ["consolidate", "consolidate"]  # once more, not again and again
    assert [(f.step, f.kind) for f in manifest.findings] == [("consolidate", "copied_text")]
    assert "the intake form" in manifest.findings[0].message
    # `casebook status` shows what generation left next to the report check's `checks`
    env = {"CASEBOOK_STORAGE_URL": str(tmp_path / "outputs")}
    as_json = CliRunner().invoke(app, ["status", manifest.run_id, "--json"], env=env)
    text = CliRunner().invoke(app, ["status", manifest.run_id], env=env)
    assert as_json.exit_code == 0 and text.exit_code == 0, as_json.stderr + text.stderr
    status = json.loads(as_json.stdout)
    assert [(f["step"], f["kind"]) for f in status["findings"]] == [("consolidate", "copied_text")]
    assert "checks" in status
    assert "generation: 1 finding left after asking again" in text.stdout
    assert "copied_text · consolidate: " in text.stdout


def test_recommendations_and_every_part_a_section_are_always_there(tmp_path: Path) -> None:
    def handler(request: dict[str, Any]) -> Any:
        key = call_key(request)
        if key == "part_a":
            return "### Company context\n\nNorthwind moves freight.\n\n### Key themes\n"
        if key == "consolidate":
            return "Northwind has the data it needs to start with the smallest, best-evidenced use cases first."
        return schema_answer(request)

    with FakeOpenAIServer(handler) as server:
        config, manifest = run(tmp_path, server)
    assert manifest.status is RunStatus.succeeded, manifest.error
    report = report_of(config, manifest)
    recommendations = report.split("### Recommendations", 1)[1].split("\n## ", 1)[0]
    assert len(re.findall(r"^\d+\. Start use case \d", recommendations, re.M)) == 4
    part_a = report.split("## Part A: Company analysis", 1)[1].split("\n## ", 1)[0]
    for heading in ("### Company context", "### Readiness assessment", "### Key themes"):
        body = part_a.split(heading, 1)[1].split("\n### ", 1)[0]
        assert body.strip(), heading
    assert "58/100" in part_a.split("### Readiness assessment", 1)[1]


def test_each_part_b_section_states_its_cited_problem_and_scores_with_reasons(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        config, manifest = run(tmp_path, server)
    assert manifest.status is RunStatus.succeeded, manifest.error
    report = report_of(config, manifest)
    part_b = report.split("## Part B: Use cases in depth", 1)[1].split("\n## ", 1)[0]
    sections = re.split(r"^### \d+\. ", part_b, flags=re.M)[1:]
    assert len(sections) == 4
    for section in sections:
        assert "**AI technique:**" in section
        assert re.search(r"^- \*\*Impact \d/5\*\*: \S", section, re.M)
        problem = section.split("#### Problem", 1)[1].split("\n#### ", 1)[0]
        assert re.search(r"\[\d+\]", problem), problem  # its citation, numbered by verify
