"""`casebook serve --with-worker` stopped as Docker, systemd and Kubernetes stop it (SIGTERM), or
with Ctrl-C (SIGINT), while its worker is in Part B: the steps in flight finish, nothing new
starts, the process exits 0, and the server restarted with the same executor id finishes the
run by itself. The API and the web page say what to do while no process runs it."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from pathlib import Path

import httpx
import pytest

from casebook.server.testing import ServerProcess
from casebook.testing.openai_server import FakeOpenAIServer
from tests.engine.procs import Held, calls, run_manifest, wait_for
from tests.engine.test_graceful import BEFORE_PART_B_ENDS, HELD, part_b_half_done
from tests.factories import write_docs
from tests.server.process import AUTH, server_env


def submit(base_url: str, docs: Path) -> str:
    files = [(f"file{i}", (p.name, p.read_bytes())) for i, p in enumerate(sorted(docs.iterdir()))]
    with httpx.Client(base_url=base_url, timeout=60) as c:
        r = c.post("/v1/submissions", data={"company_name": "Northwind Logistics", "use_cases_count": "4"},
                   files=files, headers=AUTH)
    assert r.status_code == 202, r.text
    return str(r.json()["run_id"])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_serve_with_worker_in_part_b_then_a_restart_finishes_the_run(
    tmp_path: Path, signum: signal.Signals
) -> None:
    docs, storage, held = write_docs(tmp_path / "docs"), tmp_path / "outputs", Held(*HELD)
    with FakeOpenAIServer(held) as llm:
        env = server_env(tmp_path, llm.base_url, CASEBOOK_REPORT_FORMATS="", CASEBOOK_SHUTDOWN_GRACE_S="120")
        first = ServerProcess(env, "--with-worker").start()
        try:
            run_id = submit(first.base_url, docs)
            wait_for(lambda: part_b_half_done(storage, llm), 300, "two sections done, two in flight")
            assert first.proc is not None
            first.proc.send_signal(signum)
            wait_for(lambda: "stopping" in first.output(), 120, "the worker to begin stopping")
            held.release()  # the steps in flight finish within the grace period; no new one starts
            try:
                rc = first.proc.wait(timeout=300)
            except subprocess.TimeoutExpired:
                rc = None
            said = first.output()
        finally:
            first.kill()
        stopped = run_manifest(storage)
        before = calls(llm)
        with ServerProcess(env, "--with-worker") as second:
            wait_for(lambda: run_manifest(storage)["status"] == "succeeded", 300, "the restarted server to finish")
            with httpx.Client(base_url=second.base_url, timeout=30) as c:
                status = c.get(f"/v1/runs/{run_id}", headers=AUTH).json()
        after = calls(llm) - before

    assert rc == 0, said
    assert "Traceback" not in said
    assert stopped["status"] == "running" and stopped["steps"]["part_b"]["state"] == "done"
    assert stopped["steps"]["consolidate"]["state"] == "pending"
    assert before == BEFORE_PART_B_ENDS  # Part B finished in the grace period; nothing after it began
    assert after == Counter({"consolidate": 1, "style": 1})
    assert status["status"] == "succeeded" and stopped["workflow_ids"] == [run_id]
