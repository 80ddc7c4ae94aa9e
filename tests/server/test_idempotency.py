"""POST /v1/submissions with a reused Idempotency-Key: the same payload replays the run, another
payload is refused 409 naming the key and its run (IETF Idempotency-Key draft), and no run is made."""

from __future__ import annotations

from pathlib import Path

from tests.server.api import AUTH, MD, files_json, manifests, running_api


def test_a_key_reused_with_another_payload_is_refused_409(tmp_path: Path) -> None:
    headers = {**AUTH, "Idempotency-Key": "order-9"}
    body = {"company_name": "Key Co", "files": files_json(("a.md", MD))}
    with running_api(tmp_path) as api, api.client() as c:
        first = c.post("/v1/submissions", json=body, headers=headers)
        replay = c.post("/v1/submissions", json=body, headers=headers)
        other = c.post("/v1/submissions", json={**body, "use_cases_count": 9}, headers=headers)
        runs = manifests(api.root)
    assert first.status_code == 202 and replay.status_code == 202
    assert replay.json()["run_id"] == first.json()["run_id"] and replay.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    error = other.json()["error"]
    assert error["code"] == "idempotency_conflict" and error["idempotency_key"] == "order-9"
    assert error["run_id"] == first.json()["run_id"] and "'order-9'" in error["message"]
    assert len(runs) == 1
