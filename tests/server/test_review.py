"""The use-case review gate over HTTP, against `casebook serve --with-worker` as a real process:
a run that asks for review stops awaiting_review; its use cases are read, edited (bad edits
refused naming the field) and approved; the wait survives a killed server, and the run finishes
on a new one with the edited list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from casebook.server.testing import ServerProcess
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import write_docs
from tests.prompt_steps import call_key
from tests.server.process import AUTH, follow, server_env


def _files(tmp_path: Path) -> list[tuple[str, tuple[str, bytes]]]:
    docs = write_docs(tmp_path / "docs")
    return [(f"file{i}", (p.name, p.read_bytes())) for i, p in enumerate(sorted(docs.iterdir()))]


def test_review_routes_and_a_restart_while_a_run_awaits_review(tmp_path: Path) -> None:
    form = {"company_name": "Review Gate Ltd", "use_cases_count": "3", "review_use_cases": "true"}
    with FakeOpenAIServer() as llm:
        env = server_env(tmp_path, llm.base_url, CASEBOOK_REPORT_FORMATS="")
        first = ServerProcess(env, "--with-worker").start()
        try:
            with httpx.Client(base_url=first.base_url, timeout=30) as c:
                r = c.post("/v1/submissions", data=form, files=_files(tmp_path), headers=AUTH)
                assert r.status_code == 202, r.text
                run = r.json()
                run_id = run["run_id"]
                waited = follow(first.base_url, run_id)
                status = c.get(run["status_url"], headers=AUTH).json()
                listed = c.get(f"/v1/runs/{run_id}/use-cases", headers=AUTH)
                original: list[dict[str, Any]] = listed.json()["use_cases"]
                bad = c.post(f"/v1/runs/{run_id}/use-cases", headers=AUTH,
                             json={"use_cases": [{**original[0], "title": "x"}, original[1]]})
                bad_cite = c.post(f"/v1/runs/{run_id}/use-cases", headers=AUTH,
                                  json={"use_cases": [{**original[0], "citations": ["S999"]}]})
                not_a_list = c.post(f"/v1/runs/{run_id}/use-cases", headers=AUTH, json={"use_cases": "all"})
                # the edit: third first, first changed, second dropped (not yet approved)
                draft = [original[2], {**original[0], "title": "Depot slotting with the WMS data"}]
                saved = c.post(f"/v1/runs/{run_id}/use-cases", headers=AUTH, json={"use_cases": draft})
                reread = c.get(f"/v1/runs/{run_id}/use-cases", headers=AUTH).json()
                retry = c.post(f"/v1/runs/{run_id}/retry", headers=AUTH)
                report = c.get(run["report_url"], headers=AUTH)
                metrics = c.get("/metrics").text
                calls_at_gate = [call_key(q) for q in llm.requests]
        finally:
            first.kill()  # SIGKILL while the run waits: no shutdown code runs

        manifest_path = tmp_path / "outputs" / run["company_slug"] / "runs" / f"{run_id}.json"
        assert json.loads(manifest_path.read_text())["status"] == "awaiting_review"  # durable: on record
        env["CASEBOOK_EXECUTOR_ID"] += "-second"  # another machine, as far as the engine knows
        with ServerProcess(env, "--with-worker") as second, httpx.Client(base_url=second.base_url, timeout=30) as c:
            still = c.get(run["status_url"], headers=AUTH).json()
            final_list = [*draft, {**original[1], "title": "Claims triage assistant"}]  # and one added
            approved = c.post(f"/v1/runs/{run_id}/use-cases", headers=AUTH,
                              json={"use_cases": final_list, "approve": True})
            done = follow(second.base_url, run_id)
            after = c.get(run["status_url"], headers=AUTH).json()
            text = c.get(run["report_url"], headers=AUTH).text
            late = c.post(f"/v1/runs/{run_id}/use-cases", headers=AUTH, json={"use_cases": final_list})
            late_approve = c.post(f"/v1/runs/{run_id}/approve", headers=AUTH)
            kept = c.get(f"/v1/runs/{run_id}/use-cases", headers=AUTH).json()
            spec = c.get("/openapi.json").json()
        calls_after = [call_key(q) for q in llm.requests[len(calls_at_gate):]]

    assert waited[-1][0] == "end" and waited[-1][1]["status"] == "awaiting_review", waited[-1]
    assert status["status"] == "awaiting_review" and status["error"] is None
    assert status["gate"]["kind"] == "use_cases" and status["gate"]["use_cases_url"] == f"/v1/runs/{run_id}/use-cases"
    assert status["gate"]["approve_url"] == f"/v1/runs/{run_id}/approve"
    assert calls_at_gate == ["evidence", "use_cases"]  # it stopped right after the use cases
    assert listed.status_code == 200 and listed.json()["editable"] is True and len(original) == 3
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_use_cases"
    problem = bad.json()["error"]
    assert problem["field"] == "use_cases[0].title" and "use_cases[0].title" in problem["message"]
    assert bad_cite.status_code == 422 and bad_cite.json()["error"]["field"] == "use_cases[0].citations[0]"
    assert not_a_list.status_code == 422 and "list" in not_a_list.json()["error"]["message"]
    assert saved.status_code == 200 and [u["title"] for u in saved.json()["use_cases"]] == [u["title"] for u in draft]
    assert reread["edited_by"].startswith("api key:") and [u["title"] for u in reread["use_cases"]] == [
        u["title"] for u in draft]
    assert retry.status_code == 409 and report.status_code == 409
    assert 'casebook_runs{state="awaiting_review"} 1.0' in metrics

    assert still["status"] == "awaiting_review"  # the wait outlived the server that held the run
    assert approved.status_code == 202 and approved.json()["editable"] is False
    assert done[-1][1]["status"] == "succeeded", done[-1]
    assert after["status"] == "succeeded" and after["gate"] is None and after["metrics"]["use_cases_count"] == 3
    assert "evidence" not in calls_after and "use_cases" not in calls_after  # nothing before the gate again
    assert sorted(k for k in calls_after if k.startswith("part_b")) == ["part_b:1", "part_b:2", "part_b:3"]
    assert f"### 1. {original[2]['title']}" in text and "### 2. Depot slotting with the WMS data" in text
    assert "### 3. Claims triage assistant" in text and original[1]["title"] not in text
    assert late.status_code == 409 and late.json()["error"]["code"] == "run_state"
    assert "not awaiting review" in late.json()["error"]["message"]
    assert late_approve.status_code == 409
    assert [u["title"] for u in kept["use_cases"]] == [u["title"] for u in final_list] and kept["editable"] is False
    assert "UseCasesIn" in spec["components"]["schemas"] and "/v1/runs/{run_id}/use-cases" in spec["paths"]
    assert "review_use_cases" in spec["components"]["schemas"]["SubmissionIn"]["properties"]


def test_a_json_submission_asks_for_review_and_approve_takes_the_use_cases_as_they_are(tmp_path: Path) -> None:
    import base64

    docs = write_docs(tmp_path / "docs")
    files = [{"name": p.name, "content_base64": base64.b64encode(p.read_bytes()).decode()}
             for p in sorted(docs.iterdir())]
    with FakeOpenAIServer() as llm:
        env = server_env(tmp_path, llm.base_url, CASEBOOK_REPORT_FORMATS="")
        with ServerProcess(env, "--with-worker") as server, httpx.Client(base_url=server.base_url, timeout=30) as c:
            r = c.post("/v1/submissions", headers=AUTH, json={
                "company_name": "Plain Approve Ltd", "use_cases_count": 2, "review_use_cases": True, "files": files})
            assert r.status_code == 202, r.text
            run_id = r.json()["run_id"]
            held = follow(server.base_url, run_id)
            approved = c.post(f"/v1/runs/{run_id}/approve", headers=AUTH)
            done = follow(server.base_url, run_id)
            listed = c.get(f"/v1/runs/{run_id}/use-cases", headers=AUTH).json()
            unknown = c.get("/v1/runs/no-such-run/use-cases", headers=AUTH)
    assert held[-1][1]["status"] == "awaiting_review"
    assert approved.status_code == 202 and done[-1][1]["status"] == "succeeded", done[-1]
    assert len(listed["use_cases"]) == 2 and listed["edited_at"] is None
    assert unknown.status_code == 404
