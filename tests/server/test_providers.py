"""Typeform and Tally deliveries, signed as those services sign them, with file URLs on a real
HTTPS server on loopback (private addresses allowed by the explicit setting, here only)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from casebook.testing import forms
from casebook.testing.file_server import FileServer
from casebook.testing.forms import sign_tally, sign_typeform
from tests.server.api import MD, SECRET, Api, manifests, running_api

TYPEFORM_SECRET = "typeform-secret-for-tests"
TALLY_SECRET = "tally-signing-secret-for-tests"
MAPPING = """
[typeform]
company_name = "Your organisation"
"""


@pytest.fixture(scope="module")
def files() -> Iterator[FileServer]:
    with FileServer() as server:
        server.add("/tf/files/northwind-review.md", MD, content_type="text/markdown")
        server.add("/tally/uploads/ops-plan.md", MD, content_type="text/markdown")
        yield server


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, files: FileServer) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("providers")
    (root / "mappings.toml").write_text(MAPPING)
    settings = {
        "typeform_secret": TYPEFORM_SECRET, "typeform_token": "tfp_test_token", "tally_secret": TALLY_SECRET,
        "fetch_allow_private": True, "fetch_ca_file": files.ca_file,
    }
    with running_api(root, settings=settings, webhook_mappings_file=root / "mappings.toml") as running:
        yield running


def post(api: Api, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    with api.client() as c:
        return c.post(path, content=body, headers=headers)


def stored(api: Api, answer: httpx.Response, name: str) -> Any:
    out = answer.json()
    folder = api.root / out["company_slug"]
    path = {
        "submission": folder / "debug" / f"submission_{out['run_id']}.json",
        "manifest": folder / "runs" / f"{out['run_id']}.json",
        "remote": folder / "runs" / out["run_id"] / "inputs" / "remote.json",
    }[name]
    return json.loads(path.read_text())


def typeform_body(files: FileServer, company: str = "Northwind Logistics", event_id: str | None = None) -> bytes:
    return forms.typeform_delivery(
        [
            forms.text("company_name", "What is your company called?", company),
            forms.number("q_count", "Number of use cases to generate", 4),
            forms.choice("q_industry", "Industry", "Logistics"),
            forms.text("q_desc", "Company description", "Freight from four depots."),
            forms.file_url("docs", "Upload your documents", files.url("/tf/files/northwind-review.md")),
        ],
        event_id=event_id,
    )


def test_a_signed_typeform_delivery_starts_a_run_with_its_files(api: Api, files: FileServer) -> None:
    body = typeform_body(files, event_id="TF-EVENT-1")
    r = post(api, "/v1/webhooks/typeform", body, sign_typeform(TYPEFORM_SECRET, body))
    assert r.status_code == 202, r.text
    submission = stored(api, r, "submission")
    assert submission["company_name"] == "Northwind Logistics"  # by the answer's ref
    assert submission["use_cases_count"] == 4  # by the question's title, an alias of the original's
    assert submission["company_description"].startswith("Freight from four depots.")
    assert "Industry: Logistics" in submission["company_description"]  # other answers are kept
    assert submission["document_urls"] == [files.url("/tf/files/northwind-review.md")]
    assert stored(api, r, "remote") == [
        {"url": files.url("/tf/files/northwind-review.md"), "name": None, "auth": "typeform"}
    ]
    manifest = stored(api, r, "manifest")
    assert manifest["idempotency_key"] == "webhook:typeform:TF-EVENT-1"
    assert manifest["workflow_ids"] == [manifest["run_id"]]  # queued before the answer
    assert "tfp_test_token" not in json.dumps(manifest)


def test_a_replayed_delivery_answers_200_with_the_same_run_whatever_its_payload(
    api: Api, files: FileServer
) -> None:
    body = typeform_body(files, "Replay Freight", event_id="TF-EVENT-REPLAY")
    first = post(api, "/v1/webhooks/typeform", body, sign_typeform(TYPEFORM_SECRET, body))
    before = len(manifests(api.root))
    again = post(api, "/v1/webhooks/typeform", body, sign_typeform(TYPEFORM_SECRET, body))
    other = typeform_body(files, "Someone Else Entirely", event_id="TF-EVENT-REPLAY")
    other_company = post(api, "/v1/webhooks/typeform", other, sign_typeform(TYPEFORM_SECRET, other))
    assert first.status_code == 202
    for r in (again, other_company):
        assert r.status_code == 200, r.text
        assert r.json()["run_id"] == first.json()["run_id"] and r.headers["idempotent-replayed"] == "true"
    assert len(manifests(api.root)) == before


def test_typeform_signatures_are_checked_over_the_raw_body(api: Api, files: FileServer) -> None:
    body = typeform_body(files)
    good = sign_typeform(TYPEFORM_SECRET, body)
    tampered = post(api, "/v1/webhooks/typeform", body.replace(b"Northwind", b"Southwind"), good)
    wrong = post(api, "/v1/webhooks/typeform", body, sign_typeform("another-secret", body))
    bare = post(api, "/v1/webhooks/typeform", body, {**good, "Typeform-Signature": good["Typeform-Signature"][7:]})
    before = len(manifests(api.root))
    for r in (tampered, wrong, bare):
        assert r.status_code == 401 and r.json()["error"]["code"] == "bad_signature", r.text
    assert len(manifests(api.root)) == before


def test_a_mapping_table_names_the_question_by_its_label(api: Api, files: FileServer) -> None:
    body = forms.typeform_delivery([
        forms.text("q_org", "Your organisation", "Mapped Label BV"),
        forms.file_url("q_docs", "Documents", files.url("/tf/files/northwind-review.md")),
    ])
    r = post(api, "/v1/webhooks/typeform", body, sign_typeform(TYPEFORM_SECRET, body))
    assert r.status_code == 202, r.text
    assert stored(api, r, "submission")["company_name"] == "Mapped Label BV"


def test_a_typeform_delivery_without_what_a_run_needs_is_422(api: Api) -> None:
    no_company = forms.typeform_delivery([forms.text("q1", "Favourite colour", "blue")])
    no_docs = forms.typeform_delivery([forms.text("company_name", "Company", "Docless Ltd")])
    not_typeform = json.dumps({"hello": "world"}).encode()
    for body, words in ((no_company, "company_name"), (no_docs, "no documents"), (not_typeform, "form_response")):
        r = post(api, "/v1/webhooks/typeform", body, sign_typeform(TYPEFORM_SECRET, body))
        assert r.status_code == 422 and words in r.json()["error"]["message"], r.text


def tally_body(files: FileServer, event_id: str | None = None) -> bytes:
    return forms.tally_delivery(
        [
            forms.tally_field("Company Name", "INPUT_TEXT", "Tally Freight GmbH"),
            forms.tally_field("How many use cases?", "INPUT_NUMBER", 3, key="use_cases_count"),
            forms.tally_field(
                "Readiness category", "MULTIPLE_CHOICE", ["opt2"],
                options=[{"id": "opt1", "text": "Beginner"}, {"id": "opt2", "text": "Explorer"}],
            ),
            forms.tally_field("Budget owner", "INPUT_TEXT", "CFO"),
            forms.tally_field(
                "Documents", "FILE_UPLOAD",
                [forms.tally_file("ops-plan.md", files.url("/tally/uploads/ops-plan.md?signature=abc123"))],
            ),
        ],
        event_id=event_id,
    )


def test_a_signed_tally_delivery_starts_a_run_and_a_replay_gets_it_again(api: Api, files: FileServer) -> None:
    body = tally_body(files, event_id="tally-event-1")
    r = post(api, "/v1/webhooks/tally", body, sign_tally(TALLY_SECRET, body))
    assert r.status_code == 202, r.text
    submission = stored(api, r, "submission")
    assert submission["company_name"] == "Tally Freight GmbH"  # by label
    assert submission["use_cases_count"] == 3  # by key
    assert submission["readiness_category"] == "Explorer"  # option id -> its text
    assert "Budget owner: CFO" in submission["company_description"]
    assert submission["document_urls"] == [files.url("/tally/uploads/ops-plan.md")]  # the signed query is not kept
    assert stored(api, r, "remote")[0]["url"].endswith("?signature=abc123")  # the run still has it
    replay = post(api, "/v1/webhooks/tally", body, sign_tally(TALLY_SECRET, body))
    assert replay.status_code == 200 and replay.json()["run_id"] == r.json()["run_id"]
    unsigned = post(api, "/v1/webhooks/tally", body, {"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and "Tally-Signature" in unsigned.json()["error"]["message"]


def test_without_a_provider_secret_its_route_is_the_standard_webhooks_one(tmp_path: Path) -> None:
    from casebook.server.testing import sign_webhook
    from tests.server.api import files_json

    body = json.dumps({"company_name": "Standard Co", "files": files_json(("a.md", MD))}).encode()
    with running_api(tmp_path) as plain:
        r = post(plain, "/v1/webhooks/tally", body, sign_webhook(SECRET, body, msg_id="msg_std_1"))
        provider_signed = post(plain, "/v1/webhooks/tally", body, sign_tally(TALLY_SECRET, body))
    assert r.status_code == 202, r.text
    assert provider_signed.status_code == 401  # no Standard Webhooks signature, no Tally secret
