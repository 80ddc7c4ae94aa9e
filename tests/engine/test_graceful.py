"""Ordinary stops, with real signals on real processes (SQLite and PostgreSQL): SIGTERM or Ctrl-C
to a worker, Ctrl-C of `casebook run`, a cancel while a worker executes the run. Each leaves the run
resumable, and it finishes on the first try."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from casebook.config import Settings
from casebook.engine import Engine
from casebook.models import RunStatus
from casebook.testing.openai_server import FakeOpenAIServer
from tests.engine.procs import Held, Proc, calls, run_manifest, wait_for
from tests.factories import write_docs

COMPANY = "Northwind Logistics"
HELD = ("part_b:3", "part_b:4")  # Part B sections still in flight when the process is stopped
BEFORE_PART_B_ENDS = Counter(
    {"evidence": 1, "use_cases": 1, "part_a": 1, "part_b:1": 1, "part_b:2": 1, "part_b:3": 1, "part_b:4": 1}
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None  # the default: a SQLite file beside the storage root
    return str(request.getfixturevalue("pg_database"))  # a fresh database of the tests' own cluster


def environment(storage: Path, base_url: str, database: str | None, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "OPENAI_BASE_URL": base_url,
        "OPENAI_API_KEY": "sk-test-x",
        "CASEBOOK_STORAGE_URL": str(storage),
        "CASEBOOK_LOG_LEVEL": "WARNING",
        "CASEBOOK_LLM_MAX_RETRIES": "0",
        "CASEBOOK_REPORT_FORMATS": "",
        **extra,
    }
    if database:
        env["CASEBOOK_DATABASE_URL"] = database
    return env


def settings_of(env: dict[str, str]) -> Settings:
    return Settings(storage_url=env["CASEBOOK_STORAGE_URL"], database_url=env.get("CASEBOOK_DATABASE_URL"))


def submit(env: dict[str, str], docs: Path) -> str:
    rc, out, err = Proc(env, "submit", COMPANY, "--docs", str(docs), "--use-cases", "4", "--json").finish()
    assert rc == 0, err
    return str(json.loads(out)["run_id"])


def part_b_half_done(storage: Path, server: FakeOpenAIServer, proc: Proc | None = None) -> bool:
    if proc is not None and not proc.alive():
        raise AssertionError(f"process ended early: {proc.finish()}")
    sections = list(storage.glob("*/runs/*/part_b/*.md"))
    part_a = list(storage.glob("*/part_a/*.md"))  # Part A runs beside Part B: done too, not in flight
    return len(sections) == 2 and len(part_a) == 1 and sum(calls(server)[k] for k in HELD) == 2


def test_sigterm_to_a_worker_in_part_b_then_a_restart_finishes_the_run(tmp_path: Path, database: str | None) -> None:
    stop_a_worker_in_part_b_then_restart_it(tmp_path, database, signal.SIGTERM)


def test_ctrl_c_of_a_worker_in_part_b_then_a_restart_finishes_the_run(tmp_path: Path) -> None:
    stop_a_worker_in_part_b_then_restart_it(tmp_path, None, signal.SIGINT)


def stop_a_worker_in_part_b_then_restart_it(tmp_path: Path, database: str | None, signum: int) -> None:
    storage, docs, held = tmp_path / "outputs", write_docs(tmp_path / "docs"), Held(*HELD)
    with FakeOpenAIServer(held) as server:
        env = environment(storage, server.base_url, database)
        worker = Proc(env, "worker", "--executor-id", "w1")
        try:
            run_id = submit(env, docs)
            wait_for(lambda: part_b_half_done(storage, server, worker), 120, "two sections done, two in flight")
            worker.signal(signum)
            wait_for(lambda: worker.said("stopping"), 60, "the worker to begin stopping")
            held.release()  # the steps in flight finish within the grace period; no new one starts
            rc, _, err = worker.finish()
        finally:
            worker.stop()
        assert rc == 0, err
        stopped = run_manifest(storage)
        before = calls(server)
        with Engine(settings_of(env)) as eng:
            view = eng.view(run_id)
        restarted = Proc(env, "worker", "--executor-id", "w1")
        try:
            wait_for(lambda: run_manifest(storage)["status"] == "succeeded", 180, "the restarted worker to finish")
        finally:
            restarted.signal(signal.SIGTERM)
            restarted.finish()
        after = calls(server) - before

    assert stopped["status"] == "running" and stopped["steps"]["part_b"]["state"] == "done"
    assert stopped["steps"]["consolidate"]["state"] == "pending"
    assert view.engine_status == "PENDING" and view.executor_id == "w1"
    assert before == BEFORE_PART_B_ENDS  # Part B finished in the grace period; nothing after it began
    assert after == Counter({"consolidate": 1, "style": 1})
    final = run_manifest(storage)
    assert final["workflow_ids"] == [run_id]  # the same attempt, recovered from its checkpoints
    assert (storage / final["company_slug"] / final["final_report"]).exists()


def test_ctrl_c_of_casebook_run_then_one_resume_finishes_with_a_clean_runs_tokens(
    tmp_path: Path, database: str | None
) -> None:
    docs = write_docs(tmp_path / "docs")
    with FakeOpenAIServer() as clean_server:
        env = environment(tmp_path / "clean", clean_server.base_url, None)
        rc, _, err = Proc(env, "run", COMPANY, "--docs", str(docs), "--use-cases", "4").finish()
        assert rc == 0, err
        clean = run_manifest(tmp_path / "clean")

    storage, held = tmp_path / "outputs", Held(*HELD)
    with FakeOpenAIServer(held) as server:
        env = environment(storage, server.base_url, database, CASEBOOK_SHUTDOWN_GRACE_S="1")
        run = Proc(env, "run", COMPANY, "--docs", str(docs), "--use-cases", "4")
        try:
            wait_for(lambda: part_b_half_done(storage, server, run), 120, "two sections done, two in flight")
            run.signal(signal.SIGINT)  # the held calls never answer: the grace period ends, they stop
            rc, _, err = run.finish()
        finally:
            run.stop()
        interrupted = run_manifest(storage)
        run_id = interrupted["run_id"]
        status_rc, status_out, _ = Proc(env, "status", run_id, "--json").finish()
        held.release()
        before = calls(server)
        rc2, out2, err2 = Proc(env, "resume", run_id, "--json").finish()
        after = calls(server) - before

    assert rc == 130, err
    assert f"casebook resume {run_id}" in err and "Traceback" not in err
    assert interrupted["status"] == "running" and interrupted["steps"]["part_b"]["state"] == "pending"
    assert status_rc == 0 and "its process is gone" in json.loads(status_out)["hint"]
    assert rc2 == 0, err2
    resumed = json.loads(out2)
    assert resumed["status"] == "succeeded" and resumed["workflow_ids"] == [run_id, f"{run_id}.2"]
    assert before == BEFORE_PART_B_ENDS
    assert after == Counter({"part_b:3": 1, "part_b:4": 1, "consolidate": 1, "style": 1})
    tokens, clean_tokens = resumed["metrics"]["tokens"], clean["metrics"]["tokens"]
    assert tokens["total_tokens"] == clean_tokens["total_tokens"] > 0
    assert {k: v["total_tokens"] for k, v in tokens["by_step"].items()} == {
        k: v["total_tokens"] for k, v in clean_tokens["by_step"].items()
    }
    metrics = resumed["metrics"]
    assert metrics["pipeline_duration"] >= metrics["pipeline_active_duration"] > 0


@pytest.mark.parametrize("how", ["resume", "retry"])
def test_a_run_cancelled_on_a_worker_stays_cancelled_and_goes_on_at_the_first_try(
    tmp_path: Path, database: str | None, how: str
) -> None:
    storage, docs, held = tmp_path / "outputs", write_docs(tmp_path / "docs"), Held(*HELD)
    with FakeOpenAIServer(held) as server:
        env = environment(storage, server.base_url, database)
        worker = Proc(env, "worker", "--executor-id", "w1")
        try:
            run_id = submit(env, docs)
            wait_for(lambda: part_b_half_done(storage, server, worker), 120, "two sections done, two in flight")
            rc, _, err = Proc(env, "cancel", run_id).finish()
            assert rc == 0, err
            wait_for(
                lambda: worker.logged("run attempt stopped by the engine", reason="cancelled"),
                60,
                "the worker to stop the cancelled attempt",
            )
            cancelled = run_manifest(storage)
            with Engine(settings_of(env)) as eng:
                view = eng.view(run_id)
            held.release()
            before = calls(server)
            if how == "retry":  # what POST /v1/runs/{id}/retry does: the workers take it
                with Engine(settings_of(env)) as eng:
                    queued = eng.retry(run_id)
                wait_for(lambda: run_manifest(storage)["status"] == "succeeded", 180, "the worker to finish")
                final: dict[str, Any] = run_manifest(storage)
            else:
                worker.signal(signal.SIGTERM)
                worker.finish()
                rc, out, err = Proc(env, "resume", run_id, "--json").finish()
                assert rc == 0, err
                final = json.loads(out)
        finally:
            worker.stop()
        after = calls(server) - before

    assert not worker.said("Exception encountered")  # the cancel is the run's status, not an engine error
    assert cancelled["status"] == "cancelled" and cancelled["steps"]["part_b"]["state"] != "running"
    assert view.manifest.status is RunStatus.cancelled and view.engine_status == "CANCELLED"
    if how == "retry":
        assert queued.status is RunStatus.queued
    assert final["status"] == "succeeded" and final["workflow_ids"] == [run_id, f"{run_id}.2"]
    assert after == Counter({"part_b:3": 1, "part_b:4": 1, "consolidate": 1, "style": 1})


def test_recover_refuses_a_live_worker_unless_forced(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        env = environment(tmp_path / "outputs", server.base_url, None)
        worker = Proc(env, "worker", "--executor-id", "w-live")
        try:
            with Engine(settings_of(env)) as eng:
                wait_for(lambda: (i := eng.executors.info("w-live")) and i.alive, 60, "the worker's heartbeat")
            refused = Proc(env, "recover", "w-live").finish()
            forced = Proc(env, "recover", "w-live", "--force").finish()
        finally:
            worker.signal(signal.SIGTERM)
            worker.finish()
    assert refused[0] == 1 and "w-live is alive" in refused[2] and "--force" in refused[2]
    assert forced[0] == 0 and "0 run(s) queued" in forced[1]
