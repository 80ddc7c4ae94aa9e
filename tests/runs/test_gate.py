"""The quality gate: a report with too few supported citations waits for approval (needs_review),
written but neither marked ready nor delivered; approval runs only what is left."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from casebook.cli import app
from casebook.errors import RunError
from casebook.models import RunStatus, Submission
from casebook.runs.runner import approve_run, create_run, execute
from casebook.storage import Storage
from casebook.testing import step_of
from casebook.testing.answers import schema_answer
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import settings_for, sources, write_docs

SUBMISSION = {"company_name": "Northwind Logistics", "use_cases_count": 2}
UNSUPPORTED = "The board should buy a quantum ledger platform for its yachts [S1].\n"


def careless(request: dict[str, Any]) -> Any:
    """Grounded evidence and use cases, then prose whose every citation is unsupported (Part A
    with its three sections and Part B with its problem, so the pipeline adds nothing grounded),
    and the same when finalize's report check asks it to write a section again (`revise_*`)."""
    step = step_of(request).removeprefix("revise_")
    if step == "part_a":
        return "".join(f"### {s}\n\n{UNSUPPORTED}\n" for s in ("Company context", "Readiness assessment", "Key themes"))
    if step == "part_b":  # with its own Problem part: the pipeline adds none
        return "#### Problem\n\n" + UNSUPPORTED
    if step in ("consolidate", "style", "summary"):
        return "## Notes\n\n" + UNSUPPORTED
    return schema_answer(request)


def half_careless(request: dict[str, Any]) -> Any:
    """A grounded answer with one unsupported sentence added: about half the citations hold."""
    answer = schema_answer(request)
    if step_of(request) in ("part_a", "part_b") and isinstance(answer, str):
        return answer + "\n" + UNSUPPORTED + UNSUPPORTED.replace("S1", "S2")
    return answer


def delivered(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "reports").rglob("FINAL_REPORT_*"))


def test_a_report_without_supported_citations_waits_for_approval(tmp_path: Path) -> None:
    with FakeOpenAIServer(careless) as server:
        settings = settings_for(tmp_path, server.base_url)
        manifest = create_run(settings, Submission.parse(SUBMISSION), sources(write_docs(tmp_path / "docs")))
        held = asyncio.run(execute(settings, manifest.company_slug, manifest.run_id))
        calls = len(server.requests)

        assert held.status is RunStatus.needs_review and held.error is None
        assert held.metrics["citations_supported"] == 0 and held.metrics["citations_total"] > 0
        gate = held.gate
        assert gate is not None and gate.kind == "quality" and gate.approved_at is None
        assert "none of the report's" in gate.reason
        assert held.steps["finalize"].state == "done" and held.steps["review"].state == "waiting"
        assert held.steps["deliver"].state == "pending"
        company = Storage(settings.storage_url).company_by_slug(held.company_slug)
        run = held.run_id
        assert company.exists(f"final/FINAL_REPORT_{run}.md")  # written, to be reviewed
        assert not company.exists(f"final/FINAL_REPORT_{run}.ready")  # but not released
        assert delivered(tmp_path) == [] and held.deliveries == []

        approved = approve_run(settings, run, by="cli")
        assert approved.gates["quality"].approved_at is not None and approved.gates["quality"].approved_by == "cli"
        done = asyncio.run(execute(settings, held.company_slug, run))
        assert len(server.requests) == calls  # nothing generated twice: only review and deliver ran

    assert done.status is RunStatus.succeeded, done.error
    assert done.steps["review"].state == "done" and done.steps["deliver"].state == "done"
    assert done.gate is None and done.gates["quality"].approved_at is not None  # the approval stays on record
    assert company.exists(f"final/FINAL_REPORT_{run}.ready")
    assert f"FINAL_REPORT_{run}.md" in delivered(tmp_path) and [d.status for d in done.deliveries] == ["done"]
    with pytest.raises(RunError, match="not waiting for review"):
        approve_run(settings, run, by="cli")


def test_the_supported_share_is_held_against_casebook_min_supported(tmp_path: Path) -> None:
    with FakeOpenAIServer(half_careless) as server:
        strict = settings_for(tmp_path / "strict", server.base_url)
        lenient = settings_for(tmp_path / "lenient", server.base_url, min_supported=0.3)
        results = []
        for settings in (strict, lenient):
            manifest = create_run(settings, Submission.parse(SUBMISSION), sources(write_docs(tmp_path / "docs")))
            results.append(asyncio.run(execute(settings, manifest.company_slug, manifest.run_id)))
    held, passed = results
    share = held.citations()["supported_share"]  # type: ignore[index]
    assert 0.3 <= share < 0.8
    assert held.status is RunStatus.needs_review
    assert held.gate is not None
    assert f"({share:.0%})" in held.gate.reason and "CASEBOOK_MIN_SUPPORTED is 80%" in held.gate.reason
    assert passed.status is RunStatus.succeeded and passed.gates == {}


def test_min_supported_zero_turns_the_gate_off(tmp_path: Path) -> None:
    with FakeOpenAIServer(careless) as server:
        settings = settings_for(tmp_path, server.base_url, min_supported=0)
        manifest = create_run(settings, Submission.parse(SUBMISSION), sources(write_docs(tmp_path / "docs")))
        final = asyncio.run(execute(settings, manifest.company_slug, manifest.run_id))
    assert final.status is RunStatus.succeeded and final.metrics["citations_supported"] == 0


# -- the command line -----------------------------------------------------------------------------


def invoke(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_cli_run_status_resume_and_approve(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    with FakeOpenAIServer(careless) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "CASEBOOK_REPORT_FORMATS": ""}
        code, out, err = invoke("run", "Acme", "--docs", str(docs), "--use-cases", "2", env=env)
        assert code == 4, err
        assert "needs review" in err and "none of the report's" in err and "casebook approve" in err
        report = Path(out.strip())
        assert report.name.startswith("FINAL_REPORT_") and report.exists()
        run_id = report.stem.removeprefix("FINAL_REPORT_")
        assert not report.with_suffix(".ready").exists()

        code, out, _ = invoke("status", run_id, env=env)
        assert code == 0 and "needs_review" in out and "waits for review" in out
        assert f"casebook approve {run_id}" in out and "review" in out and "waiting" in out
        assert "citations 0/" in out
        code, out, _ = invoke("status", run_id, "--json", env=env)
        status = json.loads(out)
        assert status["status"] == "needs_review" and status["gate"]["kind"] == "quality"
        assert status["citations"]["supported"] == 0 and status["citations"]["total"] > 0
        assert status["manifest"]["metrics"]["citations_valid"] == 0

        code, _, err = invoke("resume", run_id, env=env)
        assert code == 1 and f"casebook approve {run_id}" in err

        code, out, err = invoke("approve", run_id, env=env)
        assert code == 0, err
        assert out.strip() == str(report) and report.with_suffix(".ready").exists()
        code, out, _ = invoke("status", run_id, "--json", env=env)
        assert json.loads(out)["status"] == "succeeded"
        code, _, err = invoke("approve", run_id, env=env)
        assert code == 1 and "not waiting for review" in err
    assert report.name in delivered(tmp_path)
