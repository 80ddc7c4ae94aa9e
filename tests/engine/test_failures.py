"""Failed is failed: any exception inside a run is its recorded error, with the original
message, `failed` (never `cancelled`); the next resume starts cleanly; metrics survive."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from casebook import engine
from casebook.config import Settings
from casebook.models import RunStatus, Submission
from casebook.runs.manifest import Manifest
from casebook.runs.runner import create_run
from casebook.server.runs import run_body
from casebook.testing.answers import schema_answer
from casebook.testing.openai_server import FakeOpenAIServer, FakeResponse
from tests.factories import settings_for, sources, write_docs
from tests.prompt_steps import call_key

SUBMISSION = {"company_name": "Northwind Logistics", "use_cases_count": 3}


@contextlib.contextmanager
def launched(settings: Settings) -> Iterator[None]:
    with engine.launched(settings, executor_id=engine.cli_executor_id(), take_queued_work=False):
        yield


def start(settings: Settings, docs: Path) -> Manifest:
    return create_run(settings, Submission.parse(SUBMISSION), sources(docs))


def view(settings: Settings, run_id: str) -> engine.RunView:
    with engine.Engine(settings) as eng:
        return eng.view(run_id)


def test_a_storage_failure_mid_run_fails_the_run_and_the_next_resume_starts_cleanly(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    with FakeOpenAIServer() as server:
        clean_settings = settings_for(tmp_path / "clean", server.base_url)
        with launched(clean_settings):
            clean = asyncio.run(engine.run_here(clean_settings, start(clean_settings, docs)))
    assert clean.status is RunStatus.succeeded, clean.error

    broken: dict[str, Path] = {}

    def handler(request: dict[str, Any]) -> Any:
        if call_key(request) == "consolidate" and not broken:  # the disk fails as the answer comes
            runs = next((tmp_path / "outputs").glob("*/runs"))
            broken["runs"] = runs
            runs.rename(runs.with_name("runs.aside"))
            runs.write_text("not a folder")
        return schema_answer(request)

    with FakeOpenAIServer(handler) as server:
        settings = settings_for(tmp_path, server.base_url)
        stack = contextlib.ExitStack()
        stack.enter_context(launched(settings))
        manifest = start(settings, docs)
        ended = asyncio.run(engine.run_here(settings, manifest))
        runs = broken["runs"]
        runs.unlink()
        runs.with_name("runs.aside").rename(runs)  # the disk has room again
        failed = view(settings, manifest.run_id)
        resumed = asyncio.run(engine.run_here(settings, failed.manifest, resume=True))
        keys = [call_key(r) for r in server.requests]
        stack.close()

    assert ended.status is RunStatus.failed and "cannot write" in (ended.error or "")
    # The manifest could not record the end; the engine's record of the attempt does.
    assert failed.manifest.status is RunStatus.failed and "cannot write" in (failed.manifest.error or "")
    assert run_body(failed, [])["status"] == "failed" and "cannot write" in run_body(failed, [])["error"]
    assert failed.plan.step == "new"
    assert resumed.status is RunStatus.succeeded, resumed.error
    assert resumed.workflow_ids == [manifest.run_id, f"{manifest.run_id}.2"]
    assert keys.count("use_cases") == 1 and keys.count("part_a") == 1 and keys.count("consolidate") == 2
    metrics, clean_metrics = resumed.metrics, clean.metrics
    assert metrics["use_cases_count"] == clean_metrics["use_cases_count"] == 3
    assert metrics["part_a_length"] == clean_metrics["part_a_length"]
    # Every call answered counts, the one whose result the full disk lost included.
    lost = clean_metrics["tokens"]["by_step"]["consolidate"]["total_tokens"]
    assert metrics["tokens"]["total_tokens"] == clean_metrics["tokens"]["total_tokens"] + lost
    assert metrics["tokens"]["by_step"]["consolidate"]["calls"] == 2


def test_an_exception_before_the_first_step_fails_the_run_with_its_message(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    settings = Settings(storage_url=str(tmp_path / "outputs"), local_model="no-such-model", report_formats="")
    with launched(settings):
        manifest = create_run(settings, Submission.parse({**SUBMISSION, "model_set": "local"}), sources(docs))
        ended = asyncio.run(engine.run_here(settings, manifest))
    seen = view(settings, manifest.run_id)
    body = run_body(seen, [])
    assert ended.status is RunStatus.failed and "no-such-model" in (ended.error or "")
    assert seen.manifest.status is RunStatus.failed and seen.engine_status == "SUCCESS"
    assert body["status"] == "failed" and "no-such-model" in body["error"]


def test_an_unknown_local_model_exits_1_naming_the_model(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    env = {**os.environ, "CASEBOOK_LOCAL_MODEL": "no-such-model", "CASEBOOK_STORAGE_URL": str(tmp_path / "out")}
    done = subprocess.run(
        [sys.executable, "-m", "casebook", "run", "Acme", "--docs", str(docs), "--model-set", "local"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if "failed:" in line and line.startswith("run ")]
    assert len(lines) == 1 and "no-such-model" in lines[0]
    assert "cancelled" not in done.stderr and "Exception encountered" not in done.stderr


def test_the_retry_message_counts_every_request(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")

    def handler(request: dict[str, Any]) -> Any:
        return FakeResponse(status=503) if call_key(request) == "use_cases" else schema_answer(request)

    with FakeOpenAIServer(handler) as server:
        settings = settings_for(
            tmp_path, server.base_url, llm_max_retries=1, step_max_attempts=3, step_retry_interval_s=0.01
        )
        with launched(settings):
            ended = asyncio.run(engine.run_here(settings, start(settings, docs)))
        requests = [call_key(r) for r in server.requests].count("use_cases")
    assert requests == 6  # 3 step attempts of 2 requests each
    assert ended.status is RunStatus.failed
    assert "after 6 attempts in 3 step attempts" in (ended.error or ""), ended.error
