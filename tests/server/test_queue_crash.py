"""A 202 means queued: a server killed between recording the workflow in the manifest and
inserting it in the database leaves a run that a resend, or the next start-up, queues."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from casebook.config import Settings
from casebook.engine import Engine
from casebook.server.testing import ServerProcess
from tests.factories import write_docs
from tests.server.process import AUTH, server_env


def files(tmp_path: Path) -> list[tuple[str, tuple[str, bytes]]]:
    docs = write_docs(tmp_path / "docs")
    return [(f"file{i}", (p.name, p.read_bytes())) for i, p in enumerate(sorted(docs.iterdir()))]


def crash_between_the_writes(env: dict[str, str], tmp_path: Path, key: str) -> dict[str, Any]:
    """POST a submission to a server that dies after the manifest's write; the stored manifest."""
    server = ServerProcess({**env, "CASEBOOK_TEST_FAULT": "exit-before-enqueue"}).start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as c, pytest.raises(httpx.TransportError):
            c.post("/v1/submissions", data={"company_name": "Torn Write Ltd"}, files=files(tmp_path),
                   headers={**AUTH, "Idempotency-Key": key})
        assert server.proc is not None and server.proc.wait(timeout=30) == 86  # it died at the fault point
    finally:
        server.stop()
    [path] = (tmp_path / "outputs").glob("*/runs/*.json")
    manifest: dict[str, Any] = json.loads(path.read_text())
    return manifest


def engine_status(env: dict[str, str], run_id: str) -> str | None:
    with Engine(Settings(storage_url=env["CASEBOOK_STORAGE_URL"])) as engine:
        return engine.view(run_id).engine_status


def test_a_resend_queues_a_run_the_crash_left_unqueued(tmp_path: Path) -> None:
    env = server_env(tmp_path, "http://127.0.0.1:9/v1")
    manifest = crash_between_the_writes(env, tmp_path, "torn-1")
    assert manifest["status"] == "queued" and manifest["workflow_ids"] == [manifest["run_id"]]
    assert engine_status(env, manifest["run_id"]) is None  # recorded, never inserted
    with ServerProcess({**env, "CASEBOOK_RECONCILE_GRACE_S": "3600"}) as server, \
            httpx.Client(base_url=server.base_url, timeout=30) as c:
        resent = c.post("/v1/submissions", data={"company_name": "Torn Write Ltd"}, files=files(tmp_path),
                        headers={**AUTH, "Idempotency-Key": "torn-1"})
        status = c.get(f"/v1/runs/{manifest['run_id']}", headers=AUTH).json()
    assert resent.status_code == 202 and resent.json()["run_id"] == manifest["run_id"], resent.text
    assert "idempotent-replayed" not in resent.headers  # the first request never got its 202
    assert status["engine_status"] == "ENQUEUED"


def test_retry_queues_a_run_the_crash_left_unqueued(tmp_path: Path) -> None:
    env = server_env(tmp_path, "http://127.0.0.1:9/v1")
    manifest = crash_between_the_writes(env, tmp_path, "torn-3")
    with ServerProcess({**env, "CASEBOOK_RECONCILE_GRACE_S": "3600"}) as server, \
            httpx.Client(base_url=server.base_url, timeout=30) as c:
        before = c.get(f"/v1/runs/{manifest['run_id']}", headers=AUTH).json()
        retried = c.post(f"/v1/runs/{manifest['run_id']}/retry", headers=AUTH)
        again = c.post(f"/v1/runs/{manifest['run_id']}/retry", headers=AUTH)
        status = c.get(f"/v1/runs/{manifest['run_id']}", headers=AUTH).json()
    assert before["engine_status"] is None  # the crash left it out of the queue, and start-up waits (grace)
    assert retried.status_code == 202, retried.text
    assert status["engine_status"] == "ENQUEUED" and status["status"] == "queued"
    assert again.status_code == 409 and "already in the queue" in again.json()["error"]["message"], again.text


def test_start_up_queues_a_run_the_crash_left_unqueued(tmp_path: Path) -> None:
    env = server_env(tmp_path, "http://127.0.0.1:9/v1")
    manifest = crash_between_the_writes(env, tmp_path, "torn-2")
    with ServerProcess({**env, "CASEBOOK_RECONCILE_GRACE_S": "0"}):
        deadline = time.monotonic() + 60
        while (found := engine_status(env, manifest["run_id"])) is None and time.monotonic() < deadline:
            time.sleep(0.2)
    assert found == "ENQUEUED"  # no resend: the start-up found it
    with Engine(Settings(storage_url=env["CASEBOOK_STORAGE_URL"])) as engine:
        assert manifest["run_id"] in [v.manifest.run_id for v in engine.list_runs()]  # `casebook runs` lists it
