"""The engine in this process: step retries, timeouts, cancellation, budget, idempotency."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casebook import engine
from casebook.config import Settings
from casebook.errors import EngineUnavailable, RunError, RunNotFound
from casebook.models import RunStatus, Submission
from casebook.runs.manifest import Manifest
from casebook.runs.runner import create_run, load_manifest
from casebook.storage import Storage
from casebook.testing.answers import schema_answer
from casebook.testing.openai_server import FakeOpenAIServer, FakeResponse
from tests.factories import settings_for, sources, write_docs
from tests.prompt_steps import call_key

SUBMISSION = {"company_name": "Northwind Logistics", "use_cases_count": 2}


def slow_use_cases(seconds: float) -> Any:
    def handler(request: dict[str, Any]) -> Any:
        if call_key(request) == "use_cases":
            return FakeResponse(content=schema_answer(request), delay_s=seconds)
        return schema_answer(request)

    return handler


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return write_docs(tmp_path / "docs")


@pytest.fixture
def launched_engine(tmp_path: Path) -> Iterator[Any]:
    """Launch DBOS for a settings object, once per test, on a fresh SQLite database."""
    holder: dict[str, Any] = {}

    def launch(settings: Settings) -> None:
        holder["ctx"] = engine.launched(settings, executor_id="test-executor", take_queued_work=False)
        holder["ctx"].__enter__()

    yield launch
    if "ctx" in holder:
        holder["ctx"].__exit__(None, None, None)


def start(settings: Settings, docs: Path, **kw: Any) -> Manifest:
    return create_run(settings, Submission.parse(SUBMISSION), sources(docs), **kw)


def test_a_transient_failure_is_retried_by_the_engine(tmp_path: Path, docs: Path, launched_engine: Any) -> None:
    failures = {"use_cases": 1}

    def handler(request: dict[str, Any]) -> Any:
        if call_key(request) == "use_cases" and failures["use_cases"]:
            failures["use_cases"] -= 1
            return FakeResponse(status=503)
        return schema_answer(request)

    with FakeOpenAIServer(handler) as server:
        settings = settings_for(tmp_path, server.base_url, step_retry_interval_s=0.1)
        launched_engine(settings)
        final = asyncio.run(engine.run_here(settings, start(settings, docs)))
        keys = [call_key(r) for r in server.requests]
    assert final.status is RunStatus.succeeded, final.error
    assert keys.count("use_cases") == 2 and keys.count("evidence") == 1


def test_a_permanent_failure_is_not_retried(tmp_path: Path, docs: Path, launched_engine: Any) -> None:
    with FakeOpenAIServer(
        lambda r: FakeResponse(status=401) if call_key(r) == "use_cases" else schema_answer(r)
    ) as server:
        settings = settings_for(tmp_path, server.base_url, step_retry_interval_s=0.1)
        launched_engine(settings)
        final = asyncio.run(engine.run_here(settings, start(settings, docs)))
        keys = [call_key(r) for r in server.requests]
    assert final.status is RunStatus.failed and "OPENAI_API_KEY" in (final.error or "")
    assert keys.count("use_cases") == 1


def test_whole_run_timeout(tmp_path: Path, docs: Path, launched_engine: Any) -> None:
    # the use-case answer would take 10 minutes: the run's limit stops the step in flight. The limit
    # leaves ingest and evidence ample time on a loaded machine (1.5 s ran out during ingest at load 19)
    with FakeOpenAIServer(slow_use_cases(600)) as server:
        settings = settings_for(tmp_path, server.base_url, run_timeout_s=20)
        launched_engine(settings)
        final = asyncio.run(engine.run_here(settings, start(settings, docs)))
        answered = [call_key(r) for r in server.completed_requests]
        asked = [call_key(r) for r in server.requests]
    assert final.status is RunStatus.failed and "timed out" in (final.error or "")
    assert "use_cases" in asked and "use_cases" not in answered  # preempted, not waited for
    assert not {"part_a", "part_b", "consolidate"} & {key.split(":")[0] for key in asked}


def test_cancel_stops_a_running_run_and_keeps_its_work(tmp_path: Path, docs: Path, launched_engine: Any) -> None:
    with FakeOpenAIServer(slow_use_cases(600)) as server:
        settings = settings_for(tmp_path, server.base_url)
        launched_engine(settings)
        manifest = start(settings, docs)
        company = Storage(settings.storage_url).company_by_slug(manifest.company_slug)

        def cancel_when_in_use_cases() -> None:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if load_manifest(company, manifest.run_id).current_step == "use_cases":
                    with engine.Engine(settings) as eng:
                        eng.cancel(manifest.run_id)
                    return
                time.sleep(0.05)

        canceller = threading.Thread(target=cancel_when_in_use_cases)
        canceller.start()
        final = asyncio.run(engine.run_here(settings, manifest))
        canceller.join()
        answered = [call_key(r) for r in server.completed_requests]
    assert "use_cases" not in answered  # the in-flight step was preempted, not waited for
    assert final.status is RunStatus.cancelled
    assert company.exists(f"runs/{manifest.run_id}/evidence.json")
    assert not company.list("final")


def test_budget_exceeded_is_a_final_state(tmp_path: Path, docs: Path, launched_engine: Any) -> None:
    with FakeOpenAIServer() as server:
        settings = settings_for(tmp_path, server.base_url)
        launched_engine(settings)
        final = asyncio.run(engine.run_here(settings, start(settings, docs, budget_usd=0.003)))
        with engine.Engine(settings) as eng:
            view = eng.view(final.run_id)
    assert final.status is RunStatus.budget_exceeded
    assert view.engine_status == "SUCCESS" and view.progress and view.progress["status"] == "budget_exceeded"


def test_same_idempotency_key_same_run(tmp_path: Path, docs: Path, launched_engine: Any) -> None:
    with FakeOpenAIServer() as server:
        settings = settings_for(tmp_path, server.base_url)
        launched_engine(settings)
        first = start(settings, docs, idempotency_key="form-123")
        done = asyncio.run(engine.run_here(settings, first))
        again = start(settings, docs, idempotency_key="form-123")
        calls = server.calls
        rerun = asyncio.run(engine.run_here(settings, again))
        other = start(settings, docs, idempotency_key="form-124")
    assert again.run_id == first.run_id and other.run_id != first.run_id
    assert done.status is RunStatus.succeeded and rerun.status is RunStatus.succeeded
    assert server.calls == calls  # the second submission paid for nothing
    assert rerun.workflow_ids == [first.run_id]


def test_the_engines_errors_reach_casebook_as_run_errors(tmp_path: Path) -> None:
    """An unreachable workflow database is EngineUnavailable (a RunError: callers need not know
    DBOS or SQLAlchemy); an unknown run is RunNotFound."""
    down = Settings(storage_url=str(tmp_path / "o"), database_url="postgresql://u:p@127.0.0.1:9/casebook")
    with pytest.raises(EngineUnavailable, match="cannot be reached") as caught:
        engine.Engine(down)
    assert isinstance(caught.value, RunError)
    with engine.Engine(Settings(storage_url=str(tmp_path / "o"))) as eng:
        eng.ping()
        with pytest.raises(RunNotFound):
            eng.view("20260101-000000-abcdef")
        assert eng.recent(10) == [] and not eng.has_attempt("nope") and eng.run_of_attempt("nope") is None
