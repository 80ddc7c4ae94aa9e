"""Whole runs against a real loopback server that speaks the Chat Completions protocol."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from casebook.models import RunStatus, Submission
from casebook.runs import pipeline as pipeline_module
from casebook.runs import runner as runner_module
from casebook.runs.manifest import STEPS
from casebook.runs.runner import create_run, execute
from casebook.storage import CompanyStorage, Storage
from casebook.testing import item_of, step_of
from casebook.testing.answers import schema_answer
from casebook.testing.openai_server import FakeOpenAIServer, FakeResponse
from tests.factories import settings_for, sources, write_docs

SUBMISSION = {
    "company_name": "Northwind Logistics",
    "company_info": "{Company description}: Freight and warehousing\n"
    "{Overall Readiness score}: 58\n{Agent-readiness category}: Adopter\n"
    "{Report Expectations}: A phased roadmap",
    "use_cases_count": 4,
}


def run_once(tmp_path: Path, server: FakeOpenAIServer, **kw: Any) -> tuple[Any, Any]:
    settings = settings_for(tmp_path, server.base_url, **kw.pop("settings", {}))
    docs = write_docs(tmp_path / "docs")
    manifest = create_run(settings, Submission.parse(SUBMISSION), sources(docs), **kw)
    final = asyncio.run(execute(settings, manifest.company_slug, manifest.run_id))
    return settings, final


def test_full_run_writes_every_artifact_and_a_grounded_report(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        settings, manifest = run_once(tmp_path, server, settings={"report_formats": "html,pdf,docx"})
    assert manifest.status is RunStatus.succeeded, manifest.error
    company = Storage(settings.storage_url).company_by_slug(manifest.company_slug)
    run = manifest.run_id
    for path in [
        f"final/FINAL_REPORT_{run}.md",
        f"final/FINAL_REPORT_{run}.ready",
        f"final/FINAL_REPORT_{run}.html",
        f"final/FINAL_REPORT_{run}.pdf",
        f"final/FINAL_REPORT_{run}.docx",
        f"part_a/report_draft_{run}.md",
        f"part_b/report_enhanced_{run}.md",
        f"debug/submission_{run}.json",
        f"vector_ids/index_{run}.json",
        f"runs/{run}.json",
    ]:
        assert company.exists(path), path
    report = company.read_text(f"final/FINAL_REPORT_{run}.md")
    assert len(re.findall(r"^### \d+\. ", report, re.M)) == 4  # one Part B section per use case
    assert "| 4 |" in report and "58/100" in report and "Adopter" in report
    assert re.search(r"\[S\d+\]", report) is None  # every id became a numbered source
    assert "## Sources" in report and "annual-report.pdf, p. " in report
    m = manifest.metrics
    for key in [
        "upload_size",
        "use_cases_count",
        "part_a_length",
        "final_report_size",
        "pipeline_duration",
        "tokens",
        "cost_usd",
        "citations_total",
        "citations_valid",
    ]:
        assert key in m, key
    assert m["use_cases_count"] == 4
    assert m["citations_total"] == m["citations_valid"] > 0
    assert m["tokens"]["total_tokens"] > 0 and m["cost_usd"] > 0
    assert all(manifest.steps[s].state == "done" for s in STEPS)
    # evidence, use_cases, part_a, 4 x part_b, consolidate, style
    assert sorted(step_of(r) for r in server.requests).count("part_b") == 4
    assert len(server.requests) == 9
    record = json.loads(company.read_text(f"runs/{run}.json"))
    assert "sk-test-SECRET123456" not in json.dumps(record)
    # the default delivery copied the final files to the delivery folder
    assert [d.status for d in manifest.deliveries] == ["done"]
    delivered = sorted(p.name for p in Path(settings.deliver_folder).rglob("FINAL_REPORT_*"))
    assert f"FINAL_REPORT_{run}.pdf" in delivered and f"FINAL_REPORT_{run}.md" in delivered


def test_part_a_and_every_part_b_call_are_in_flight_together(tmp_path: Path) -> None:
    # Part A and the four Part B calls each wait at a barrier for all five: were they not in
    # flight together, the barrier would break and the run fail.
    together = threading.Barrier(5, timeout=120)
    order: list[str] = []

    def gated(request: dict[str, Any]) -> Any:
        step = step_of(request)
        if step in ("part_a", "part_b"):
            together.wait()
            order.append(f"released {step}")
        else:
            order.append(step)
        return schema_answer(request)

    with FakeOpenAIServer(gated) as server:
        _, manifest = run_once(tmp_path, server)
    assert manifest.status is RunStatus.succeeded, manifest.error
    assert order.count("released part_a") == 1 and order.count("released part_b") == 4
    last_release = max(i for i, event in enumerate(order) if event.startswith("released"))
    assert order.index("consolidate") > last_release  # consolidate waited for them all


def test_a_failed_step_resumes_without_paying_twice(tmp_path: Path) -> None:
    broken = {"on": True}

    def handler(request: dict[str, Any]) -> Any:
        if broken["on"] and step_of(request) == "part_b" and item_of(request) == 2:
            return FakeResponse(status=500)
        return schema_answer(request)

    with FakeOpenAIServer(handler) as server:
        settings, failed = run_once(tmp_path, server)
        assert failed.status is RunStatus.failed
        assert failed.steps["part_b"].state == "failed" and failed.steps["part_a"].state == "done"
        assert "part_b" in (failed.error or "") and "500" in (failed.error or "")
        first = [step_of(r) for r in server.requests]
        assert first.count("part_b") == 4  # the three others finished and were kept

        broken["on"] = False
        resumed = asyncio.run(execute(settings, failed.company_slug, failed.run_id))
        second = [step_of(r) for r in server.requests][len(first) :]
    assert resumed.status is RunStatus.succeeded
    assert second == ["part_b", "consolidate", "style"]  # only the failed section, then on
    assert resumed.metrics["cost_usd"] > failed.metrics["cost_usd"]


def test_budget_stops_the_run_cleanly_and_keeps_its_work(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        settings, manifest = run_once(tmp_path, server, budget_usd=0.004)
    assert manifest.status is RunStatus.budget_exceeded
    assert "budget" in (manifest.error or "").lower()
    assert manifest.metrics["cost_usd"] <= 0.004
    assert manifest.steps["evidence"].state == "done"
    company = Storage(settings.storage_url).company_by_slug(manifest.company_slug)
    assert company.exists(f"runs/{manifest.run_id}/evidence.json")
    assert not company.list("final")


def test_unreachable_endpoint_fails_with_a_reason(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "http://127.0.0.1:9/v1")
    docs = write_docs(tmp_path / "docs")
    manifest = create_run(settings, Submission.parse(SUBMISSION), sources(docs))
    final = asyncio.run(execute(settings, manifest.company_slug, manifest.run_id))
    assert final.status is RunStatus.failed
    assert "127.0.0.1:9" in (final.error or "") and "sk-test" not in (final.error or "")


def test_rejected_key_is_named_but_never_shown(tmp_path: Path) -> None:
    with FakeOpenAIServer(lambda r: FakeResponse(status=401)) as server:
        _, manifest = run_once(tmp_path, server)
    assert manifest.status is RunStatus.failed
    assert "OPENAI_API_KEY" in (manifest.error or "")
    assert "SECRET123456" not in (manifest.error or "")


def test_unknown_model_set_is_refused_before_anything_is_stored(tmp_path: Path) -> None:
    from casebook.errors import ConfigError

    with FakeOpenAIServer() as server, pytest.raises(ConfigError, match="cheap"):
        run_once(tmp_path, server, model_set="nope")
    assert not (tmp_path / "outputs").exists()


def test_a_template_sets_the_language_of_every_prompt_and_the_headings(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        settings = settings_for(tmp_path, server.base_url, report_formats="html")
        docs = write_docs(tmp_path / "docs")
        sub = Submission.parse({**SUBMISSION, "report_template": "de"})
        manifest = create_run(settings, sub, sources(docs))
        final = asyncio.run(execute(settings, manifest.company_slug, manifest.run_id))
        systems = [r["messages"][0]["content"] for r in server.requests]
    assert final.status is RunStatus.succeeded
    assert all("Deutsch" in s for s in systems)  # every step writes in the template's language
    company = Storage(settings.storage_url).company_by_slug(final.company_slug)
    html = company.read_text(f"final/FINAL_REPORT_{final.run_id}.html")
    assert "Teil B: Anwendungsfälle im Detail" in html and "Part B: Use cases in depth" not in html
    ready = json.loads(company.read_text(f"final/FINAL_REPORT_{final.run_id}.ready"))
    assert ready["files"] == [f"final/FINAL_REPORT_{final.run_id}.md", f"final/FINAL_REPORT_{final.run_id}.html"]


def test_a_cut_answer_is_continued_into_the_report(tmp_path: Path) -> None:
    cut = {"once": True}

    def handler(request: dict[str, Any]) -> Any:
        if step_of(request) == "part_a" and cut["once"]:
            cut["once"] = False
            cut_text = "## Context\n\nNorthwind runs four sites (Tilburg, Venlo,"
            return FakeResponse(content=cut_text, finish_reason="length")
        if request["messages"][-1]["content"].startswith("Your answer above was cut off"):
            return "Venlo, Duisburg and Rotterdam)."
        return schema_answer(request)

    with FakeOpenAIServer(handler) as server:
        settings, manifest = run_once(tmp_path, server)
    assert manifest.status is RunStatus.succeeded, manifest.error
    company = Storage(settings.storage_url).company_by_slug(manifest.company_slug)
    draft = company.read_text(f"part_a/report_draft_{manifest.run_id}.md")
    # the whole sentence, cited by the pipeline to the passage that states it (steps/linking.py)
    assert re.search(r"four sites \(Tilburg, Venlo, Duisburg and Rotterdam\)( \[S\d+\])?\.", draft), draft


def test_an_answer_that_stays_cut_never_reaches_a_succeeded_report(tmp_path: Path) -> None:
    def handler(request: dict[str, Any]) -> Any:
        if step_of(request) == "part_b":
            return FakeResponse(content="The section goes on and on", finish_reason="length")
        return schema_answer(request)

    with FakeOpenAIServer(handler) as server:
        settings, manifest = run_once(tmp_path, server, settings={"llm_length_retries": 1})
    assert manifest.status is RunStatus.failed
    assert manifest.steps["part_b"].state == "failed"
    error = manifest.error or ""
    assert "step part_b" in error and "max_tokens" in error and "CASEBOOK_LLM_LENGTH_RETRIES" in error
    company = Storage(settings.storage_url).company_by_slug(manifest.company_slug)
    assert not company.list("final") and manifest.final_report is None
    assert not company.exists(f"runs/{manifest.run_id}/part_b/01.md")  # no cut section was stored


def test_the_steps_read_and_write_storage_off_the_event_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a run's steps go, the event loop's thread touches no file: every read and write of a
    step runs in a worker thread, so a slow disk or object store never holds up the LLM calls."""
    with FakeOpenAIServer() as server:
        settings = settings_for(tmp_path, server.base_url, report_formats="html")
        manifest = create_run(settings, Submission.parse(SUBMISSION), sources(write_docs(tmp_path / "docs")))
        on_loop: list[str] = []
        in_threads: list[str] = []
        for name in ("exists", "read_bytes", "write_bytes"):
            original = getattr(CompanyStorage, name)

            def spy(self: CompanyStorage, relative: str, *args: Any, _original: Any = original, **kw: Any) -> Any:
                main = threading.current_thread() is threading.main_thread()
                (on_loop if main and steps_running.is_set() else in_threads).append(relative)
                return _original(self, relative, *args, **kw)

            monkeypatch.setattr(CompanyStorage, name, spy)
        steps_running = threading.Event()
        original_execute = pipeline_module.execute_run

        async def spied_execute(*args: Any, **kw: Any) -> Any:
            steps_running.set()
            try:
                return await original_execute(*args, **kw)
            finally:
                steps_running.clear()

        monkeypatch.setattr(runner_module, "execute_run", spied_execute)
        final = asyncio.run(execute(settings, manifest.company_slug, manifest.run_id))
    assert final.status is RunStatus.succeeded, final.error
    run = manifest.run_id
    assert f"runs/{run}/evidence.json" in in_threads and f"final/FINAL_REPORT_{run}.html" in in_threads
    # the manifest alone, written once as the run ends
    assert on_loop == [f"runs/{run}.json"]


def run_answering(tmp_path: Path, steps: tuple[str, ...], answer: str) -> tuple[Any, Any]:
    """A run whose `steps` the model answers with `answer` (the fake's defaults elsewhere), and
    the company's storage."""

    def handler(request: dict[str, Any]) -> Any:
        return answer if step_of(request) in steps else schema_answer(request)

    with FakeOpenAIServer(handler) as server:
        settings, manifest = run_once(tmp_path, server, settings={"min_supported": 0})
    assert manifest.status is RunStatus.succeeded, manifest.error
    return manifest, Storage(settings.storage_url).company_by_slug(manifest.company_slug)


def test_a_models_uncited_part_b_statements_are_cited_or_dropped(tmp_path: Path) -> None:
    """Part B written by a model: a fact it states without its passage id is cited to the passage
    that holds it; a share it made up, which no passage and not the intake form holds, goes."""
    answer = (
        "#### Problem\n\nData quality in the WMS is poor: 6% of locations are wrong. "
        "The pilot lifts location accuracy to 99.7% at every warehouse.\n"
    )
    manifest, company = run_answering(tmp_path, ("part_b",), answer)
    part_b = company.read_text(f"part_b/report_enhanced_{manifest.run_id}.md")
    assert re.search(r"6% of locations are wrong \[S\d+\]\.", part_b), part_b
    assert "99.7%" not in part_b
    final = company.read_text(f"final/FINAL_REPORT_{manifest.run_id}.md")
    assert "99.7%" not in final and re.search(r"6% of locations are wrong \[\d+\]\.", final)


def test_a_models_uncited_summary_statements_are_cited_or_dropped(tmp_path: Path) -> None:
    """Checked after the style pass, which rewrites the summary and could add a claim of its own."""
    answer = (
        "Northwind's warehouse data holds it back. Data quality in the WMS is poor: 6% of locations "
        "are wrong. Fixing it saves EUR 4.4 million a year.\n\n### Recommendations\n\n"
        "1. Start with the location data in the WMS.\n"
    )
    manifest, company = run_answering(tmp_path, ("consolidate", "style"), answer)
    final = company.read_text(f"final/FINAL_REPORT_{manifest.run_id}.md")
    summary = final.split("## Executive summary", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"6% of locations are wrong \[\d+\]\.", summary), summary
    assert "EUR 4.4 million" not in final
    assert manifest.metrics["summary_sentences_dropped"] == 1
