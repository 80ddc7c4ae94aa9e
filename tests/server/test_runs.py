"""Runs out over HTTP: status, live progress (SSE), report, cancel, retry, storage, ops routes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from casebook.models import RunStatus, SourceFile, Submission
from casebook.runs.manifest import Manifest
from casebook.runs.runner import create_run
from casebook.storage import Storage
from tests.server.api import AUTH, MD, Api, files_json, running_api


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_api(tmp_path_factory.mktemp("runs")) as running:
        yield running


def submit(api: Api, name: str = "Runs Co") -> dict[str, Any]:
    with api.client() as c:
        r = c.post("/v1/submissions", json={"company_name": name, "files": files_json(("a.md", MD))}, headers=AUTH)
    assert r.status_code == 202, r.text
    return dict(r.json())


def edit_manifest(api: Api, slug: str, run_id: str, **changes: Any) -> Manifest:
    company = Storage(api.settings.storage_url).company_by_slug(slug)
    manifest = Manifest.load(company, run_id)
    for name, value in changes.items():
        setattr(manifest, name, value)
    manifest.save(company)
    return manifest


def finish_with_report(api: Api, slug: str, run_id: str) -> Storage:
    storage = Storage(api.settings.storage_url)
    company = storage.company_by_slug(slug)
    company.write_text(f"final/FINAL_REPORT_{run_id}.md", "# Final report\n\nGrounded.\n")
    company.write_text(f"final/FINAL_REPORT_{run_id}.ready", "{}")
    edit_manifest(api, slug, run_id, status=RunStatus.succeeded, final_report=f"final/FINAL_REPORT_{run_id}.md",
                  metrics={"tokens": {"total_tokens": 1234}, "cost_usd": 0.0042})
    return storage


def test_unknown_and_malformed_run_ids(api: Api) -> None:
    with api.client() as c:
        unknown = c.get("/v1/runs/20990101-000000-abcdef", headers=AUTH)
        traversal = c.get("/v1/runs/..%2F..%2Fetc", headers=AUTH)
        events = c.get("/v1/runs/20990101-000000-abcdef/events", headers=AUTH)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "run_not_found"
    assert traversal.status_code in (404, 422)
    assert events.status_code == 404


def test_cancel_then_retry_then_conflicts(api: Api) -> None:
    run = submit(api)
    with api.client() as c:
        cancelled = c.post(f"/v1/runs/{run['run_id']}/cancel", headers=AUTH)
        again = c.post(f"/v1/runs/{run['run_id']}/cancel", headers=AUTH)
        retried = c.post(f"/v1/runs/{run['run_id']}/retry", headers=AUTH)
        status = c.get(run["status_url"], headers=AUTH).json()
        twice = c.post(f"/v1/runs/{run['run_id']}/retry", headers=AUTH)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert again.status_code == 409 and again.json()["error"]["code"] == "run_state"
    assert retried.status_code == 202 and retried.json()["run_id"] == run["run_id"]
    assert status["status"] == "queued" and status["engine_status"] == "ENQUEUED"
    assert twice.status_code == 409 and "in the queue" in twice.json()["error"]["message"]
    manifest = json.loads((api.root / run["company_slug"] / "runs" / f"{run['run_id']}.json").read_text())
    assert manifest["workflow_ids"] == [run["run_id"], f"{run['run_id']}.2"]


def test_report_in_each_format_once_the_run_succeeded(api: Api) -> None:
    run = submit(api, "Report Co")
    with api.client() as c:
        early = c.get(run["report_url"], headers=AUTH)
        storage = finish_with_report(api, run["company_slug"], run["run_id"])
        md = c.get(run["report_url"], headers=AUTH)
        pdf_missing = c.get(run["report_url"], params={"format": "pdf"}, headers=AUTH)
        storage.company_by_slug(run["company_slug"]).write_bytes(
            f"final/FINAL_REPORT_{run['run_id']}.pdf", b"%PDF-1.7 fake")
        pdf = c.get(run["report_url"], params={"format": "pdf"}, headers=AUTH)
        bad = c.get(run["report_url"], params={"format": "exe"}, headers=AUTH)
        status = c.get(run["status_url"], headers=AUTH).json()
    assert early.status_code == 409 and early.json()["error"]["code"] == "report_not_ready"
    assert md.status_code == 200 and md.text.startswith("# Final report")
    assert md.headers["content-type"].startswith("text/markdown")
    assert f"FINAL_REPORT_{run['run_id']}.md" in md.headers["content-disposition"]
    assert pdf_missing.status_code == 404 and "no pdf report" in pdf_missing.json()["error"]["message"]
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert bad.status_code == 422
    assert status["formats"] == ["md", "pdf"] and status["tokens"] == 1234 and status["cost_usd"] == 0.0042


def test_events_stream_progress_until_the_run_ends(api: Api) -> None:
    manifest = create_run(api.settings, Submission.parse({"company_name": "Stream Co"}),
                          [SourceFile("a.md", MD)])  # created, not queued: only its manifest moves

    # The manifest moves one state at a time, each only once the stream has shown the one before:
    # every state must reach the client, whatever the machine's speed.
    seen = {state: threading.Event() for state in ("queued", "evidence", "part_b")}
    failures: list[str] = []

    def progress() -> None:
        for wait_for, change in [
            ("queued", {"status": RunStatus.running, "current_step": "evidence"}),
            ("evidence", {"current_step": "part_b"}),
            ("part_b", None),
        ]:
            if not seen[wait_for].wait(timeout=60):
                failures.append(f"the stream never showed {wait_for}")
            if change is None:
                finish_with_report(api, manifest.company_slug, manifest.run_id)
            else:
                edit_manifest(api, manifest.company_slug, manifest.run_id, **change)

    events: list[tuple[str, dict[str, Any]]] = []
    mover = threading.Thread(target=progress)
    mover.start()
    with api.client() as c, c.stream("GET", f"/v1/runs/{manifest.run_id}/events", headers=AUTH) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                event = json.loads(line.removeprefix("data: "))
                events.append((name, event))
                if name == "progress":
                    seen[event["current_step"] or event["status"]].set()
    mover.join()
    assert not failures, failures
    kinds = [k for k, _ in events]
    assert kinds[0] == "progress" and kinds[-1] == "end" and kinds.count("end") == 1
    steps = [e["current_step"] for k, e in events if k == "progress"]
    assert "evidence" in steps and "part_b" in steps
    assert events[-1][1]["status"] == "succeeded" and events[-1][1]["report_url"]


def test_events_of_a_finished_run_end_at_once(api: Api) -> None:
    run = submit(api, "Ended Co")
    with api.client() as c:
        c.post(f"/v1/runs/{run['run_id']}/cancel", headers=AUTH)
        r = c.get(run["events_url"], headers=AUTH)
    assert "event: end" in r.text and '"status":"cancelled"' in r.text


def test_company_storage_statistics(api: Api) -> None:
    run = submit(api, "Stats Co")
    with api.client() as c:
        ok = c.get(f"/v1/companies/{run['company_slug']}/storage", headers=AUTH)
        unknown = c.get("/v1/companies/nobody-12345678/storage", headers=AUTH)
        bad = c.get("/v1/companies/NOT_A_SLUG/storage", headers=AUTH)
        no_key = c.get(f"/v1/companies/{run['company_slug']}/storage")
    body = ok.json()
    assert ok.status_code == 200 and body["folders"]["runs"]["files"] >= 3 and body["folders"]["debug"]["files"] == 1
    assert body["total_bytes"] == sum(f["bytes"] for f in body["folders"].values())
    assert unknown.status_code == 404 and bad.status_code == 422 and no_key.status_code == 401


def test_health_ready_and_metrics(api: Api) -> None:
    submit(api, "Metrics Co")
    with api.client() as c:
        health = c.get("/health")
        ready = c.get("/ready")
        metrics = c.get("/metrics")
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "storage": "ok"}
    assert not list(Path(api.settings.storage_url).glob(".ready-probe-*"))  # the probe cleaned up
    text = metrics.text
    assert 'casebook_submissions_total{channel="api",outcome="accepted"}' in text
    assert 'casebook_runs{state="queued"}' in text
    assert 'casebook_http_requests_total{method="POST",route="/v1/submissions",status="202"}' in text
    assert "casebook_step_duration_seconds" in text and "casebook_cost_usd_total" in text


def test_ready_is_503_when_storage_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    with running_api(tmp_path, settings={"storage_url": str(blocker / "outputs"),
                                         "database_url": f"sqlite:///{tmp_path / 'db.sqlite'}"}) as api, \
            api.client() as c:
        r = c.get("/ready")
    assert r.status_code == 503 and r.json()["checks"]["storage"].startswith("not writable")
    assert r.json()["checks"]["database"] == "ok"


def test_sse_needs_a_key(api: Api) -> None:
    with httpx.Client(base_url=api.base_url) as c:
        assert c.get("/v1/runs/x/events").status_code == 401
