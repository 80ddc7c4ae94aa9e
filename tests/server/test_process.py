"""`casebook serve` as a real process: it refuses to run without keys, and a submission it
answered 202 survives a kill -9 of the server and completes after a restart with a worker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from casebook.server.testing import SERVE, ServerProcess
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import write_docs
from tests.server.process import AUTH, follow, server_env


def test_serve_refuses_to_start_without_api_keys(tmp_path: Path) -> None:
    env = server_env(tmp_path, "http://127.0.0.1:9/v1")
    del env["CASEBOOK_API_KEYS"]
    done = subprocess.run([sys.executable, "-c", SERVE, "serve", "--port", "0"], env=env, text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 1
    assert "CASEBOOK_API_KEYS" in done.stderr and "--insecure-no-auth" in done.stderr


def test_a_submission_survives_a_killed_server_and_completes_after_restart(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    files = [(f"file{i}", (p.name, p.read_bytes())) for i, p in enumerate(sorted(docs.iterdir()))]
    with FakeOpenAIServer() as llm:
        env = server_env(tmp_path, llm.base_url)
        first = ServerProcess(env).start()
        try:
            with httpx.Client(base_url=first.base_url, timeout=30) as c:
                r = c.post("/v1/submissions", data={"company_name": "Crash Test Ltd", "use_cases_count": "3"},
                           files=files, headers={**AUTH, "Idempotency-Key": "crash-1"})
            assert r.status_code == 202, r.text
            accepted = r.json()
        finally:
            first.kill()  # SIGKILL right after the 202: no shutdown code runs
        manifest = tmp_path / "outputs" / accepted["company_slug"] / "runs" / f"{accepted['run_id']}.json"
        assert json.loads(manifest.read_text())["status"] == "queued"
        assert not llm.requests  # nothing ran yet

        with ServerProcess(env, "--with-worker") as second:
            with httpx.Client(base_url=second.base_url, timeout=30) as c:
                same = c.post("/v1/submissions", data={"company_name": "Crash Test Ltd", "use_cases_count": "3"},
                              files=files, headers={**AUTH, "Idempotency-Key": "crash-1"})  # the same request again
            events = follow(second.base_url, accepted["run_id"])
            with httpx.Client(base_url=second.base_url, timeout=30) as c:
                status = c.get(accepted["status_url"], headers=AUTH).json()
                report = c.get(accepted["report_url"], headers=AUTH)
                metrics = c.get("/metrics").text
    assert same.status_code == 202 and same.json()["run_id"] == accepted["run_id"]
    assert same.headers["idempotent-replayed"] == "true"
    assert events[-1][0] == "end" and events[-1][1]["status"] == "succeeded", events[-1]
    assert any(e["status"] == "running" and e["current_step"] for _, e in events[:-1])
    assert status["status"] == "succeeded" and status["tokens"] > 0 and status["cost_usd"] > 0
    assert report.status_code == 200 and "## Sources" in report.text
    assert 'casebook_runs{state="succeeded"} 1.0' in metrics
    assert 'casebook_step_duration_seconds_count{step="part_b"} 1.0' in metrics


def test_several_server_processes_share_the_work(tmp_path: Path) -> None:
    env = server_env(tmp_path, "http://127.0.0.1:9/v1")
    del env["CASEBOOK_API_KEYS"]  # and --insecure-no-auth must reach every process
    docs = write_docs(tmp_path / "docs")
    files = [("f", (p.name, p.read_bytes())) for p in sorted(docs.iterdir())]
    with ServerProcess(env, "--workers", "2", "--insecure-no-auth") as server, \
            httpx.Client(base_url=server.base_url, timeout=30) as c:
        answers = [c.post("/v1/submissions", data={"company_name": f"Multi {i}"}, files=files) for i in range(6)]
        statuses = [c.get(a.json()["status_url"]).json()["status"] for a in answers]
        assert "WITHOUT authentication" in server.output()
    assert [a.status_code for a in answers] == [202] * 6
    assert statuses == ["queued"] * 6


def test_a_run_that_needs_review_waits_until_approved_over_the_api(tmp_path: Path) -> None:
    from tests.runs.test_gate import careless

    docs = write_docs(tmp_path / "docs")
    files = [(f"file{i}", (p.name, p.read_bytes())) for i, p in enumerate(sorted(docs.iterdir()))]
    reports = tmp_path / "reports"
    with FakeOpenAIServer(careless) as llm:
        env = server_env(tmp_path, llm.base_url, CASEBOOK_DELIVER_FOLDER=str(reports), CASEBOOK_REPORT_FORMATS="")
        with ServerProcess(env, "--with-worker") as server, httpx.Client(base_url=server.base_url, timeout=30) as c:
            r = c.post("/v1/submissions", data={"company_name": "Review Ltd", "use_cases_count": "2"}, files=files,
                       headers=AUTH)
            assert r.status_code == 202, r.text
            run = r.json()
            held = follow(server.base_url, run["run_id"])
            status = c.get(run["status_url"], headers=AUTH).json()
            report = c.get(run["report_url"], headers=AUTH)
            retry = c.post(f"/v1/runs/{run['run_id']}/retry", headers=AUTH)
            calls = len(llm.requests)
            approved = c.post(f"/v1/runs/{run['run_id']}/approve", headers=AUTH)
            released = follow(server.base_url, run["run_id"])
            after = c.get(run["status_url"], headers=AUTH).json()
            again = c.post(f"/v1/runs/{run['run_id']}/approve", headers=AUTH)
            metrics = c.get("/metrics").text
    assert held[-1][0] == "end" and held[-1][1]["status"] == "needs_review", held[-1]
    assert status["status"] == "needs_review" and status["gate"]["kind"] == "quality"
    assert status["gate"]["approve_url"] == f"/v1/runs/{run['run_id']}/approve"
    assert "none of the report's" in status["gate"]["reason"]
    assert status["citations"]["supported"] == 0 and status["citations"]["total"] > 0
    assert status["metrics"]["citations_valid"] == 0 and "citations_reattributed" in status["metrics"]
    assert report.status_code == 200 and "## Sources" in report.text  # readable, to be reviewed
    assert retry.status_code == 409 and "approve" in retry.json()["error"]["message"]
    final = tmp_path / "outputs" / run["company_slug"] / "final"
    assert approved.status_code == 202 and approved.json()["run_id"] == run["run_id"]
    assert released[-1][1]["status"] == "succeeded", released[-1]
    assert after["status"] == "succeeded" and after["gate"] is None
    assert len(llm.requests) == calls  # the approval ran only what was left
    assert (final / f"FINAL_REPORT_{run['run_id']}.ready").exists()
    assert any(reports.rglob(f"FINAL_REPORT_{run['run_id']}.md"))  # delivered once approved
    manifest = json.loads((final.parent / "runs" / f"{run['run_id']}.json").read_text())
    gate = manifest["gates"]["quality"]
    assert gate["approved_at"] and gate["approved_by"].startswith("api key:")  # a hash of the key, never the key
    assert again.status_code == 409 and again.json()["error"]["code"] == "run_state"
    assert 'casebook_runs{state="succeeded"} 1.0' in metrics
