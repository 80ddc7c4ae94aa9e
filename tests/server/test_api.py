"""The HTTP API on a real uvicorn (loopback, in a thread): intake, auth, limits, errors, headers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from casebook.config import Settings
from casebook.errors import ConfigError, EngineUnavailable
from casebook.runs.manifest import STEPS
from casebook.server import ServerSettings, create_app
from tests.server.api import (
    AUTH,
    MD,
    OTHER_KEY,
    Api,
    files_json,
    manifests,
    running_api,
)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_api(tmp_path_factory.mktemp("api")) as running:
        yield running


# -- intake -----------------------------------------------------------------------------------


def test_json_submission_is_stored_and_queued_before_202(api: Api) -> None:
    body = {"company_name": "Acme Corp", "company_info": "We sell bikes.", "use_cases_count": 3,
            "files": files_json(("notes.md", MD))}
    with api.client() as c:
        r = c.post("/v1/submissions", json=body, headers=AUTH)
        assert r.status_code == 202, r.text
        out = r.json()
        assert out["status_url"] == f"/v1/runs/{out['run_id']}" == r.headers["location"]
        assert out["confirmation_code"].startswith("CB-") and out["company_slug"].startswith("acme-corp-")
        company = api.root / out["company_slug"]
        manifest = json.loads((company / "runs" / f"{out['run_id']}.json").read_text())
        assert manifest["submission"]["use_cases_count"] == 3 and manifest["workflow_ids"] == [out["run_id"]]
        assert (company / "runs" / out["run_id"] / "inputs" / "0000").read_bytes() == MD
        status = c.get(out["status_url"], headers=AUTH).json()
    assert status["status"] == "queued" and status["engine_status"] == "ENQUEUED"
    assert status["total_steps"] == len(STEPS) and status["report_url"] is None


def test_multipart_files_under_any_field_name_with_safe_names(api: Api) -> None:
    files = [("attachment", ("../../etc/passwd.md", MD, "text/plain")),
             ("doc_2", ("C:\\Users\\x\\re:port*.md", MD + b"two", "text/markdown"))]
    data = {"company_name": "Multipart Ltd", "use_cases_count": "2"}
    with api.client() as c:
        r = c.post("/v1/submissions", data=data, files=files, headers=AUTH)
    assert r.status_code == 202, r.text
    out = r.json()
    names = json.loads((api.root / out["company_slug"] / "runs" / out["run_id"] / "inputs" / "names.json").read_text())
    assert names == ["passwd.md", "re_port_.md"]


def test_the_original_form_with_json_data_and_its_aliases(api: Api) -> None:
    original = {
        "Company Name": "Original Form GmbH",
        "Number of use cases to generate": "4",
        "Company Info": "{Company description}: Freight\n{Overall Readiness score}: 58%\n"
                        "{Agent-readiness category}: Adopter",
        "Google Drive Link": "",
    }
    with api.client() as c:
        r = c.post("/v1/submissions", data={"json_data": json.dumps(original)},
                   files={"file": ("deck.md", MD, "text/markdown")}, headers=AUTH)
    assert r.status_code == 202, r.text
    out = r.json()
    record = json.loads((api.root / out["company_slug"] / "debug" / f"submission_{out['run_id']}.json").read_text())
    assert record["company_name"] == "Original Form GmbH" and record["use_cases_count"] == 4
    assert record["readiness_score"] == 58 and record["readiness_category"] == "Adopter"
    assert record["company_description"] == "Freight" and record["google_drive_link"] is None


def test_plain_form_fields_win_over_json_data_whatever_alias_either_uses(api: Api) -> None:
    original = {"company_name": "From Json Data", "Number of use cases to generate": "4", "use_cases_count": "5"}
    with api.client() as c:
        r = c.post("/v1/submissions", data={"json_data": json.dumps(original), "Company Name": "From The Form",
                                            "use_cases": "3"},
                   files={"file": ("deck.md", MD, "text/markdown")}, headers=AUTH)
    assert r.status_code == 202, r.text
    out = r.json()
    record = json.loads((api.root / out["company_slug"] / "debug" / f"submission_{out['run_id']}.json").read_text())
    assert record["company_name"] == "From The Form" and record["use_cases_count"] == 3


def test_documents_by_url_in_json_and_in_forms(api: Api) -> None:
    body = {"company_name": "Url Docs Co", "files": [
        {"url": "https://files.example.com/q3.pdf?X-Amz-Signature=abc", "name": "Q3 review.pdf"},
        {"name": "inline.md", "content_base64": files_json(("a.md", MD))[0]["content_base64"]},
    ]}
    with api.client() as c:
        as_json = c.post("/v1/submissions", json=body, headers=AUTH)
        as_form = c.post("/v1/submissions", data={"company_name": "Url Form Co",
                                                  "file_url": "https://files.example.com/a.docx"}, headers=AUTH)
        refused = c.post("/v1/submissions", json={"company_name": "Url Docs Co", "files": [
            {"url": "https://files.example.com/ok.pdf"}, {"url": "http://files.example.com/plain.pdf"}]},
            headers=AUTH)
        private = c.post("/v1/submissions", data={"company_name": "Url Form Co",
                                                  "file_url": "https://192.168.1.4/a.pdf"}, headers=AUTH)
    assert as_json.status_code == 202 and as_form.status_code == 202, (as_json.text, as_form.text)
    out = as_json.json()
    inputs = api.root / out["company_slug"] / "runs" / out["run_id"] / "inputs"
    assert json.loads((inputs / "remote.json").read_text()) == [
        {"url": "https://files.example.com/q3.pdf?X-Amz-Signature=abc", "name": "Q3 review.pdf", "auth": None}
    ]
    assert json.loads((inputs / "names.json").read_text()) == ["inline.md"]
    record = json.loads((api.root / out["company_slug"] / "debug" / f"submission_{out['run_id']}.json").read_text())
    assert record["document_urls"] == ["https://files.example.com/q3.pdf"]  # no signature stored
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "files[1].url"
    assert "https" in refused.json()["error"]["message"]
    assert private.status_code == 422 and "private" in private.json()["error"]["message"]


def test_a_boolean_is_not_a_count(api: Api) -> None:
    with api.client() as c:
        r = c.post("/v1/submissions", json={"company_name": "Bool Co", "use_cases_count": True,
                                            "files": files_json(("a.md", MD))}, headers=AUTH)
    assert r.status_code == 422 and "use_cases_count" in r.json()["error"]["message"]


def test_a_404_does_not_show_where_storage_is(api: Api) -> None:
    with api.client() as c:
        r = c.get("/v1/runs/20990101-000000-abcdef", headers=AUTH)
    assert r.status_code == 404
    assert str(api.root) not in r.text and "outputs" not in r.text


def test_idempotency_key_gives_the_same_run_even_when_concurrent(api: Api) -> None:
    body = {"company_name": "Idem Co", "files": files_json(("a.md", MD))}
    headers = {**AUTH, "Idempotency-Key": "order-4711"}
    before = len(manifests(api.root))
    with api.client() as c, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: c.post("/v1/submissions", json=body, headers=headers), range(8)))
        again = c.post("/v1/submissions", json=body, headers=headers)
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["run_id"] for a in [*answers, again]}) == 1
    assert again.headers["idempotent-replayed"] == "true"
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 7
    assert len(manifests(api.root)) == before + 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"files": files_json(("a.md", MD))}, "company_name"),
        ({"company_name": "X", "use_cases_count": 99, "files": files_json(("a.md", MD))}, "use_cases_count"),
        ({"company_name": "X"}, "no documents"),
        ({"company_name": "X", "google_drive_link": "https://drive.google.com/drive/folders/1AbCdEfGhIjKlMnOp"},
         "CASEBOOK_DRIVE_CREDENTIALS_FILE"),  # a Drive link alone is read by create_run, when configured
        ({"company_name": "X", "google_drive_link": "https://evil.example/x", "files": files_json(("a.md", MD))},
         "google_drive_link"),
        ({"company_name": "X", "budget_usd": -1, "files": files_json(("a.md", MD))}, "budget_usd"),
        ({"company_name": "X", "files": [{"name": "a.md", "content_base64": "***"}]}, "base64"),
        ({"company_name": "X", "files": "nope"}, "files"),
        (["not", "an", "object"], "JSON object"),
    ],
)
def test_unusable_submissions_are_422_with_the_reason(api: Api, body: Any, reason: str) -> None:
    with api.client() as c:
        r = c.post("/v1/submissions", json=body, headers=AUTH)
    assert r.status_code == 422, r.text
    assert reason in r.json()["error"]["message"]


def test_invalid_json_and_unknown_media_types(api: Api) -> None:
    with api.client() as c:
        bad = c.post("/v1/submissions", content=b"{nope", headers={**AUTH, "content-type": "application/json"})
        text = c.post("/v1/submissions", content=b"hello", headers={**AUTH, "content-type": "text/plain"})
        key = c.post("/v1/submissions", json={"company_name": "X"}, headers={**AUTH, "Idempotency-Key": "a\tb"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_json"
    assert text.status_code == 415 and text.json()["error"]["code"] == "unsupported_media_type"
    assert key.status_code == 422


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("scan.pdf", b"GIF89a" + b"\x00" * 64, "GIF image"),  # PNG, JPEG, TIFF are read by OCR
        ("archive.docx", b"PK\x05\x06" + b"\x00" * 18, "not a Word"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "legacy"),
        ("blob.bin", bytes(range(256)) * 4, "binary data"),
    ],
)
def test_files_are_sniffed_by_content_415(api: Api, name: str, data: bytes, expected: str) -> None:
    with api.client() as c:
        r = c.post("/v1/submissions", data={"company_name": "Sniff"}, files={"f": (name, data)}, headers=AUTH)
    assert r.status_code == 415, r.text
    error = r.json()["error"]
    assert error["code"] == "unsupported_file" and expected in error["message"] and name in error["message"]


def test_size_caps_per_file_and_per_request_413(api: Api) -> None:
    big_file = b"a" * (1024 * 1024 + 10)  # over max_file_mb=1
    with api.client() as c:
        per_file = c.post("/v1/submissions", data={"company_name": "Big"}, files={"f": ("big.md", big_file)},
                          headers=AUTH)
        declared = c.post("/v1/submissions", content=b"x" * (3 * 1024 * 1024),
                          headers={**AUTH, "content-type": "application/json"})

        def chunks() -> Iterator[bytes]:
            for _ in range(40):
                yield b"y" * 65536  # 2.5 MB with no Content-Length

        streamed = c.post("/v1/submissions", content=chunks(), headers={**AUTH, "content-type": "application/json"})
        inline = c.post("/v1/submissions", json={"company_name": "Big", "files": files_json(("b.md", big_file))},
                        headers=AUTH)
    assert per_file.status_code == 413 and "big.md" in per_file.json()["error"]["message"]
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "too_large"
    assert streamed.status_code == 413
    assert inline.status_code == 413


# -- authentication, rate limits, CORS, headers, errors ----------------------------------------


def test_missing_key_is_401_and_wrong_key_is_403(api: Api) -> None:
    with api.client() as c:
        missing = c.get("/v1/runs/nope")
        basic = c.get("/v1/runs/nope", headers={"Authorization": "Basic dXNlcjpwYXNz"})
        wrong = c.get("/v1/runs/nope", headers={"Authorization": "Bearer not-the-key-0123456789"})
        other = c.get("/v1/runs/nope", headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert basic.status_code == 401
    assert wrong.status_code == 403 and "not-the-key" not in wrong.text
    assert other.status_code == 404  # the second configured key works


def test_rate_limits_per_key_and_per_address_429(tmp_path: Path) -> None:
    with running_api(tmp_path, rate_limit_per_key="3/hour", rate_limit_per_address="5/hour") as api, \
            api.client() as c:
        by_key = [c.get("/v1/runs/x", headers=AUTH).status_code for _ in range(4)]
        other = [c.get("/v1/runs/x", headers={"Authorization": f"Bearer {OTHER_KEY}"}).status_code for _ in range(2)]
        limited = c.get("/v1/runs/x", headers=AUTH)
    assert by_key == [404, 404, 404, 429]
    assert other == [404, 429]  # the address's 5 requests are spent, whatever the key
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"


def test_cors_only_for_listed_origins(api: Api) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    with api.client() as c:
        allowed = c.options("/v1/submissions", headers={"Origin": "https://forms.example", **preflight})
        denied = c.options("/v1/submissions", headers={"Origin": "https://evil.example", **preflight})
        simple = c.get("/health", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://forms.example"
    assert "access-control-allow-origin" not in denied.headers
    assert "access-control-allow-origin" not in simple.headers


def test_security_headers_and_docs(api: Api) -> None:
    with api.client() as c:
        health = c.get("/health")
        docs = c.get("/docs")
        schema = c.get("/openapi.json").json()
    for name, value in [("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"),
                        ("referrer-policy", "no-referrer"), ("cache-control", "no-store")]:
        assert health.headers[name] == value
    assert "frame-ancestors 'none'" in health.headers["content-security-policy"]
    assert docs.status_code == 200 and "cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    assert {"/v1/submissions", "/v1/webhooks/{source}", "/v1/runs/{run_id}", "/v1/runs/{run_id}/events",
            "/v1/runs/{run_id}/report", "/v1/runs/{run_id}/cancel", "/v1/runs/{run_id}/retry",
            "/v1/companies/{slug}/storage", "/health", "/ready", "/metrics"} <= set(schema["paths"])
    assert "SubmissionIn" in schema["components"]["schemas"]
    assert {"/v1/webhooks/typeform", "/v1/webhooks/tally"} <= set(schema["paths"])
    submission = schema["components"]["schemas"]["SubmissionIn"]
    assert "deliver" in submission["properties"] and "company_name" in submission.get("required", [])


def test_an_unexpected_error_is_a_json_500_without_trace_or_secret(api: Api) -> None:
    ctx = api.app.state.ctx
    original = ctx.engine.view

    def broken(run_id: str) -> Any:
        raise RuntimeError("db password sk-live-abcdefghijklmnop leaked")

    ctx.engine.view = broken
    try:
        with api.client() as c:
            r = c.get("/v1/runs/some-run", headers=AUTH)
    finally:
        ctx.engine.view = original
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal", "message": "the server could not complete the request; "
                                                                "it was logged"}}
    assert "sk-live" not in r.text and "Traceback" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"


def test_no_api_keys_refuses_to_start_unless_insecure_is_explicit(tmp_path: Path) -> None:
    settings = Settings(storage_url=str(tmp_path / "o"))
    with pytest.raises(ConfigError, match="CASEBOOK_API_KEYS"):
        create_app(settings, ServerSettings(api_keys=None))
    with pytest.raises(ConfigError, match="16 characters"):
        create_app(settings, ServerSettings(api_keys="short"))
    with running_api(tmp_path, api_keys=None, insecure_no_auth=True) as api, api.client() as c:
        r = c.post("/v1/submissions", json={"company_name": "Open", "files": files_json(("a.md", MD))})
    assert r.status_code == 202


def test_a_stored_run_the_queue_refused_is_503_then_queued_by_a_resend(api: Api) -> None:
    engine = api.app.state.ctx.engine

    def locked(*args: Any, **kwargs: Any) -> None:
        raise EngineUnavailable("the workflow database cannot be reached (OperationalError): try again shortly")

    body = {"company_name": "Queue Down Co", "files": files_json(("a.md", MD))}
    headers = {**AUTH, "Idempotency-Key": "queue-down-1"}
    engine.insert_attempts = locked  # the database's transaction fails, after the run was stored
    try:
        with api.client() as c:
            refused = c.post("/v1/submissions", json=body, headers=headers)
    finally:
        del engine.insert_attempts
    with api.client() as c:
        resent = c.post("/v1/submissions", json=body, headers=headers)
        status = c.get(resent.json()["status_url"], headers=AUTH).json()
    error = refused.json()["error"]
    assert refused.status_code == 503 and error["code"] == "queue_unavailable" and refused.headers["retry-after"]
    assert resent.status_code == 202 and resent.json()["run_id"] == error["run_id"]
    assert "idempotent-replayed" not in resent.headers  # it was never queued before
    assert status["engine_status"] == "ENQUEUED"


def test_urlencoded_forms_and_malformed_multipart(api: Api) -> None:
    original = json.dumps({"name": "Urlencoded BV", "files": files_json(("a.md", MD))})
    with api.client() as c:
        form = c.post("/v1/submissions", data={"json_data": original, "use_cases": "2"}, headers=AUTH)
        no_boundary = c.post("/v1/submissions", content=b"--x--",
                             headers={**AUTH, "content-type": "multipart/form-data"})
        broken = c.post("/v1/submissions", content=b"garbage without parts",
                        headers={**AUTH, "content-type": "multipart/form-data; boundary=zzz"})
    assert form.status_code == 202, form.text
    assert no_boundary.status_code == 400 and no_boundary.json()["error"]["code"] == "bad_request"
    assert broken.status_code in (400, 422)


def test_too_many_files_is_413(tmp_path: Path) -> None:
    files = [(f"f{i}", (f"doc{i}.md", MD + str(i).encode())) for i in range(3)]
    with running_api(tmp_path, max_files_per_request=2) as api, api.client() as c:
        r = c.post("/v1/submissions", data={"company_name": "Many"}, files=files, headers=AUTH)
        ok = c.post("/v1/submissions", data={"company_name": "Many"}, files=files[:2], headers=AUTH)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_many_files"
    assert ok.status_code == 202
