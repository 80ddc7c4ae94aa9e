"""Two `casebook worker` processes on one PostgreSQL queue (the tests' own cluster: tests/postgres.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from dbos import DBOSClient

from casebook.config import Settings
from casebook.engine import Engine
from casebook.models import Submission
from casebook.runs.runner import create_run
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import sources, write_docs

RUNS = 6


def casebook(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "casebook", *args], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def test_two_workers_share_one_queue_within_the_global_limit(tmp_path: Path, pg_database: str) -> None:
    database = pg_database
    storage = tmp_path / "outputs"
    docs = write_docs(tmp_path / "docs")
    with FakeOpenAIServer(delay_s=0.15) as server:
        env = {
            **os.environ,
            "CASEBOOK_DATABASE_URL": database,
            "CASEBOOK_STORAGE_URL": str(storage),
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "sk-test-x",
            "CASEBOOK_MAX_CONCURRENT_RUNS": "2",
            "CASEBOOK_WORKER_CONCURRENCY": "1",
            "CASEBOOK_LOG_LEVEL": "WARNING",
        }
        settings = Settings(
            storage_url=str(storage), database_url=database, openai_base_url=server.base_url, openai_api_key="sk-test-x"
        )
        with Engine(settings) as eng:  # creates the schema before the workers race to
            pass
        workers = [casebook(env, "worker", "--executor-id", f"w{i}") for i in (1, 2)]
        try:
            # idempotency across processes: two submits with one key, at the same time
            twins = [
                casebook(
                    env,
                    "submit",
                    "Twin Co",
                    "--docs",
                    str(docs),
                    "--use-cases",
                    "2",
                    "--idempotency-key",
                    "form-42",
                    "--json",
                )
                for _ in range(2)
            ]
            twin_ids = {json.loads(p.communicate(timeout=300)[0])["run_id"] for p in twins}
            run_ids = list(twin_ids)
            with Engine(settings) as eng:
                for i in range(RUNS - 1):
                    sub = Submission.parse({"company_name": f"Company {i}", "use_cases_count": 2})
                    manifest = create_run(settings, sub, sources(docs))
                    eng.enqueue(manifest)
                    run_ids.append(manifest.run_id)
            manifests = wait_all_done(storage, run_ids, timeout=600)
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(timeout=30)

    assert len(twin_ids) == 1
    assert all(m["status"] == "succeeded" for m in manifests), [m["error"] for m in manifests]
    client = DBOSClient(system_database_url=database)
    try:
        statuses = client.list_workflows(name="casebook.run", load_input=False, load_output=False)
    finally:
        client.destroy()
    assert len(statuses) == RUNS  # the twin submissions made one workflow
    assert {s.executor_id for s in statuses} == {"w1", "w2"}  # both workers took work
    assert max_overlap(manifests) <= 2  # the global limit held


def wait_all_done(storage: Path, run_ids: list[str], timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = {p.stem: json.loads(p.read_text()) for p in storage.glob("*/runs/*.json")}
        done = [found[r] for r in run_ids if r in found and found[r]["status"] not in ("queued", "running")]
        if len(done) == len(run_ids):
            return done
        time.sleep(0.2)
    raise AssertionError(f"runs not finished in {timeout} s")


def max_overlap(manifests: list[dict]) -> int:
    events = []
    for m in manifests:
        events.append((datetime.fromisoformat(m["started"]), 1))
        events.append((datetime.fromisoformat(m["ended"]), -1))
    running = peak = 0
    for _, delta in sorted(events, key=lambda e: (e[0], e[1])):
        running += delta
        peak = max(peak, running)
    return peak
