"""Webhooks signed with the `standardwebhooks` library: valid, tampered, expired, replayed, mapped."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from casebook.server.testing import sign_webhook
from tests.server.api import AUTH, MD, SECRET, Api, files_json, manifests, running_api

MAPPING = """
[tally]
company_name = "data.fields.company"
company_info = "$.data.fields.about"
use_cases_count = "data.answers[1].value"
files = "data.uploads"
"""


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("hooks")
    (root / "mappings.toml").write_text(MAPPING)
    with running_api(root, webhook_mappings_file=root / "mappings.toml") as running:
        yield running


def payload(company: str = "Hook Co") -> bytes:
    return json.dumps({"company_name": company, "company_info": "We run warehouses.",
                       "files": files_json(("brief.md", MD))}).encode()


def post(api: Api, source: str, body: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    with api.client() as c:
        return c.post(f"/v1/webhooks/{source}", content=body, headers=headers)


def test_a_signed_webhook_is_accepted_without_an_api_key(api: Api) -> None:
    body = payload()
    r = post(api, "typeform", body, sign_webhook(SECRET, body, msg_id="msg_valid_1"))
    assert r.status_code == 202, r.text
    out = r.json()
    record = json.loads((api.root / out["company_slug"] / "runs" / f"{out['run_id']}.json").read_text())
    assert record["idempotency_key"] == "webhook:typeform:msg_valid_1"
    assert record["workflow_ids"] == [out["run_id"]]


def test_a_tampered_body_or_wrong_secret_is_401(api: Api) -> None:
    body = payload()
    headers = sign_webhook(SECRET, body, msg_id="msg_tamper")
    tampered = post(api, "typeform", body.replace(b"Hook Co", b"Evil Co"), headers)
    other = "whsec_" + base64.b64encode(b"another-secret-entirely-32-bytes").decode()
    wrong_secret = post(api, "typeform", body, sign_webhook(other, body, msg_id="msg_other"))
    unsigned = post(api, "typeform", body, {"content-type": "application/json"})
    garbage = post(api, "typeform", body, {**headers, "webhook-signature": "v1,not*base64 nocomma"})
    for r in (tampered, wrong_secret, unsigned, garbage):
        assert r.status_code == 401, r.text
        assert r.json()["error"]["code"] == "bad_signature"
    assert "missing webhook-id" in unsigned.json()["error"]["message"]


def test_an_expired_or_future_timestamp_is_401(api: Api) -> None:
    body = payload()
    old = sign_webhook(SECRET, body, msg_id="msg_old", timestamp=datetime.now(UTC) - timedelta(minutes=6))
    future = sign_webhook(SECRET, body, msg_id="msg_new", timestamp=datetime.now(UTC) + timedelta(minutes=6))
    recent = sign_webhook(SECRET, body, msg_id="msg_recent", timestamp=datetime.now(UTC) - timedelta(minutes=4))
    assert post(api, "typeform", body, old).status_code == 401
    assert "5 minutes" in post(api, "typeform", body, future).json()["error"]["message"]
    assert post(api, "typeform", body, recent).status_code == 202


def test_a_replayed_id_is_200_with_the_same_run_and_makes_no_second_run(api: Api) -> None:
    body = payload("Replay Co")
    headers = sign_webhook(SECRET, body, msg_id="msg_replay")
    first = post(api, "typeform", body, headers)
    before = len(manifests(api.root))
    replay = post(api, "typeform", body, headers)
    resigned = post(api, "typeform", body, sign_webhook(SECRET, body, msg_id="msg_replay"))
    other = payload("Another Company Entirely")  # the same delivery id, whatever the payload says
    other_company = post(api, "typeform", other, sign_webhook(SECRET, other, msg_id="msg_replay"))
    assert first.status_code == 202
    for r in (replay, resigned, other_company):  # senders retry anything but 2xx: a replay is a success
        assert r.status_code == 200 and r.json()["run_id"] == first.json()["run_id"], r.text
        assert r.headers["idempotent-replayed"] == "true"
    assert len(manifests(api.root)) == before
    # the same id from another source is another delivery
    assert post(api, "jotform", body, sign_webhook(SECRET, body, msg_id="msg_replay")).status_code == 202


def test_long_webhook_ids_are_not_cut(api: Api) -> None:
    body = payload("Long Id Co")
    common = "x" * 300
    first = post(api, "someform", body, sign_webhook(SECRET, body, msg_id=common + "-1"))
    second = post(api, "someform", body, sign_webhook(SECRET, body, msg_id=common + "-2"))
    again = post(api, "someform", body, sign_webhook(SECRET, body, msg_id=common + "-1"))
    assert first.status_code == second.status_code == 202
    assert first.json()["run_id"] != second.json()["run_id"]  # ids equal in their first 255 characters
    assert again.status_code == 200 and again.json()["run_id"] == first.json()["run_id"]


def test_the_original_multipart_form_is_accepted_signed(api: Api) -> None:
    import httpx

    request = httpx.Request(
        "POST", "http://x/", data={"json_data": json.dumps({"company_name": "Form Hook BV", "use_cases": "2"})},
        files={"document": ("brief.md", MD, "text/markdown")},
    )
    body = request.read()
    headers = {**sign_webhook(SECRET, body, msg_id="msg_form_1"), "content-type": request.headers["content-type"]}
    r = post(api, "someform", body, headers)
    assert r.status_code == 202, r.text
    out = r.json()
    record = json.loads((api.root / out["company_slug"] / "debug" / f"submission_{out['run_id']}.json").read_text())
    assert record["company_name"] == "Form Hook BV" and record["use_cases_count"] == 2
    tampered = body.replace(b"Form Hook BV", b"Evil Hook BV")
    assert post(api, "someform", tampered, headers).status_code == 401


def test_a_source_mapping_from_the_toml_file(api: Api) -> None:
    event = {"type": "form.submitted", "data": {
        "fields": {"company": "Mapped Inc", "about": "{Company description}: Drones\n{Overall Readiness score}: 40"},
        "answers": [{"value": "x"}, {"value": "5"}],
        "uploads": files_json(("deck.md", MD)),
    }}
    body = json.dumps(event).encode()
    r = post(api, "tally", body, sign_webhook(SECRET, body, msg_id="msg_mapped"))
    assert r.status_code == 202, r.text
    out = r.json()
    record = json.loads((api.root / out["company_slug"] / "debug" / f"submission_{out['run_id']}.json").read_text())
    assert record["company_name"] == "Mapped Inc" and record["use_cases_count"] == 5
    assert record["company_description"] == "Drones" and record["readiness_score"] == 40


def test_without_a_mapping_the_envelope_data_and_aliases_are_read(api: Api) -> None:
    event = {"type": "submission", "timestamp": "2026-01-01T00:00:00Z",
             "data": {"Company Name": "Envelope AG", "Number of use cases to generate": "2",
                      "files": files_json(("a.md", MD))}}
    body = json.dumps(event).encode()
    r = post(api, "someform", body, sign_webhook(SECRET, body, msg_id="msg_env"))
    assert r.status_code == 202, r.text
    bad = json.dumps({"type": "x", "data": {"nothing": 1}}).encode()
    invalid = post(api, "someform", bad, sign_webhook(SECRET, bad, msg_id="msg_bad"))
    assert invalid.status_code == 422 and "company_name" in invalid.json()["error"]["message"]
    not_json = b"company=x"
    assert post(api, "someform", not_json, sign_webhook(SECRET, not_json, msg_id="msg_nj")).status_code == 422


def test_bad_source_names_and_disabled_webhooks(api: Api, tmp_path: Path) -> None:
    body = payload()
    assert post(api, "Bad.Source", body, sign_webhook(SECRET, body, msg_id="m1")).status_code == 422
    with running_api(tmp_path, webhook_secret=None) as off:
        r = post(off, "typeform", body, sign_webhook(SECRET, body, msg_id="m2"))
    assert r.status_code == 503 and r.json()["error"]["code"] == "webhooks_disabled"


def test_webhooks_are_rate_limited_per_address(tmp_path: Path) -> None:
    with running_api(tmp_path, rate_limit_per_address="2/hour") as api:
        codes = [post(api, "typeform", b"{}", {"content-type": "application/json"}).status_code for _ in range(3)]
        with api.client() as c:
            keyed = c.get("/v1/runs/x", headers=AUTH)
    assert codes == [401, 401, 429]
    assert keyed.status_code == 429  # the address is spent for /v1 too
