"""End to end: signed Typeform and Tally deliveries whose files are URLs on an HTTPS server start
runs that download those files, and the reports cite them. `casebook serve --with-worker` as a
real process, the model endpoint a loopback fake, the file host a loopback TLS server with its
own CA (private addresses allowed by the explicit setting, as only tests do)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import httpx

from casebook.config import Settings
from casebook.engine import Engine
from casebook.server.testing import ServerProcess
from casebook.testing import forms
from casebook.testing.file_server import FileServer
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import write_docs
from tests.server.process import AUTH, follow, server_env

TYPEFORM_SECRET = "typeform-e2e-secret"
TALLY_SECRET = "tally-e2e-secret"
SOURCE_LINE = re.compile(r"^\d+\. (?P<file>.+?)(?:, p\. \d+)? — ", re.MULTILINE)


def cited_files(report: str) -> set[str]:
    """The files the report's Sources section lists (`N. file, p. P — “excerpt”`)."""
    sources = report.split("\n## Sources\n", 1)[1]
    return {m["file"] for m in SOURCE_LINE.finditer(sources)}


def test_form_deliveries_with_file_urls_become_reports_that_cite_those_files(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    with FileServer() as files, FakeOpenAIServer() as llm:
        files.add("/tf/annual-report.pdf", (docs / "annual-report.pdf").read_bytes(), content_type="application/pdf")
        files.add("/tf/it-landscape.md", (docs / "it-landscape.md").read_bytes(), content_type="text/markdown")
        files.fail("/tf/it-landscape.md", [503])  # a transient failure: retried within the run
        files.add("/tally/tickets.csv", (docs / "tickets.csv").read_bytes(), content_type="text/csv")
        files.add("/tally/ops/latest", (docs / "annual-report.pdf").read_bytes(), content_type="application/pdf")
        env = server_env(
            tmp_path, llm.base_url,
            CASEBOOK_TYPEFORM_SECRET=TYPEFORM_SECRET, CASEBOOK_TYPEFORM_TOKEN="tfp_e2e_token",
            CASEBOOK_TALLY_SECRET=TALLY_SECRET, CASEBOOK_FETCH_ALLOW_PRIVATE="true",
            CASEBOOK_FETCH_CA_FILE=str(files.ca_file), CASEBOOK_REPORT_FORMATS="",
        )
        typeform = forms.typeform_delivery([
            forms.text("company_name", "Company Name", "Northwind Logistics"),
            forms.number("use_cases_count", "How many use cases?", 2),
            forms.file_url("report", "Annual report", files.url("/tf/annual-report.pdf")),
            forms.file_url("landscape", "IT landscape", files.url("/tf/it-landscape.md")),
            forms.file_url("missing", "Board deck", files.url("/tf/board-deck.pptx")),
        ])
        tally = forms.tally_delivery([
            forms.tally_field("Company Name", "INPUT_TEXT", "Tally Freight GmbH"),
            forms.tally_field("Number of use cases to generate", "INPUT_NUMBER", 2),
            forms.tally_field("Documents", "FILE_UPLOAD", [
                forms.tally_file("tickets.csv", files.url("/tally/tickets.csv?sig=1"), "text/csv"),
                forms.tally_file("operations-review.pdf", files.url("/tally/ops/latest?sig=2")),
            ]),
        ])
        with ServerProcess(env, "--with-worker") as server, httpx.Client(base_url=server.base_url, timeout=30) as c:
            first = c.post("/v1/webhooks/typeform", content=typeform, headers=forms.sign_typeform(TYPEFORM_SECRET,
                                                                                                   typeform))
            second = c.post("/v1/webhooks/tally", content=tally, headers=forms.sign_tally(TALLY_SECRET, tally))
            assert first.status_code == 202, first.text
            assert second.status_code == 202, second.text
            ends = [follow(server.base_url, r.json()["run_id"])[-1] for r in (first, second)]
            statuses = [c.get(r.json()["status_url"], headers=AUTH).json() for r in (first, second)]
            reports = [c.get(r.json()["report_url"], headers=AUTH).text for r in (first, second)]
    for (name, event), status in zip(ends, statuses, strict=True):
        assert name == "end" and event["status"] == "succeeded", (status["error"], status["metrics"])
    typeform_cited, tally_cited = (cited_files(report) for report in reports)
    # Each report's Sources cite the documents its form sent by URL, and nothing else.
    assert {"annual-report.pdf", "it-landscape.md"} <= typeform_cited <= {"annual-report.pdf", "it-landscape.md"}
    assert "operations-review.pdf" in tally_cited  # named as the form's answer names it
    assert tally_cited <= {"operations-review.pdf", "tickets.csv"}
    for status in statuses:
        assert status["citations"]["supported"] > 0, status["citations"]
    typeform_requests = [(p, h.get("authorization")) for p, h in files.requests if p.startswith("/tf/")]
    assert ("/tf/annual-report.pdf", "Bearer tfp_e2e_token") in typeform_requests
    assert typeform_requests.count(("/tf/it-landscape.md", "Bearer tfp_e2e_token")) == 2  # 503, then the file
    assert all(h.get("authorization") is None for p, h in files.requests if p.startswith("/tally/"))
    manifest = statuses[0]
    assert manifest["status"] == "succeeded"
    skipped = (tmp_path / "outputs" / first.json()["company_slug"] / "runs" / f"{first.json()['run_id']}.json")
    assert "board-deck.pptx" in skipped.read_text() and "HTTP 404" in skipped.read_text()  # listed, with why


def test_forbidden_targets_and_over_ceiling_budgets_are_422_before_any_model_call(tmp_path: Path) -> None:
    """With a worker taking queued runs, every refused submission (the API's JSON and form, a
    Standard Webhooks delivery, Typeform, Tally) is a 422 that stores nothing, queues nothing and
    costs no model call; a valid one sent afterwards runs, so the worker was there to run them."""
    from casebook.server.testing import sign_webhook

    webhook_secret = "whsec_" + "Y2FzZWJvb2stZTJlLXdlYmhvb2stc2VjcmV0LTMyYg=="
    docs = write_docs(tmp_path / "docs")
    landscape = (docs / "it-landscape.md").read_bytes()
    inline = [{"name": "it-landscape.md", "content_base64": base64.b64encode(landscape).decode()}]
    with FileServer() as files, FakeOpenAIServer() as llm:
        files.add("/tf/it-landscape.md", (docs / "it-landscape.md").read_bytes(), content_type="text/markdown")
        env = server_env(
            tmp_path, llm.base_url,
            CASEBOOK_BUDGET_USD="1", CASEBOOK_DELIVER_FOLDER=str(tmp_path / "reports"),
            CASEBOOK_DELIVER_S3_BUCKETS="client-reports", CASEBOOK_WEBHOOK_SECRET=webhook_secret,
            CASEBOOK_TYPEFORM_SECRET=TYPEFORM_SECRET, CASEBOOK_TALLY_SECRET=TALLY_SECRET,
            CASEBOOK_FETCH_ALLOW_PRIVATE="true", CASEBOOK_FETCH_CA_FILE=str(files.ca_file),
            CASEBOOK_REPORT_FORMATS="",
        )
        base = {"company_name": "Refused Ltd", "use_cases_count": 2, "files": inline}
        json_refusals: list[tuple[dict[str, Any], str]] = [
            ({"deliver": ["callback:http://169.254.169.254/latest/meta-data/"]}, "deliver[0]"),
            ({"deliver": ["folder", "callback:https://10.0.0.1/hook"]}, "deliver[1]"),
            ({"deliver": ["callback:http://127.0.0.1:22/"]}, "deliver[0]"),
            ({"deliver": ["folder:../../etc"]}, "deliver[0]"),
            ({"deliver": ["s3://someone-elses-bucket/x"]}, "deliver[0]"),
            ({"deliver": ["gopher://example.com/"]}, "deliver[0]"),
            ({"budget_usd": 25}, "budget_usd"),
            ({"model_set": "better"}, "model_set"),  # not listed in CASEBOOK_SUBMISSION_MODEL_SETS
        ]
        typeform = forms.typeform_delivery([
            forms.text("company_name", "Company Name", "Refused Ltd"),
            forms.text("budget_usd", "Budget for this report (USD)", "40"),
            forms.file_url("docs", "Documents", files.url("/tf/it-landscape.md")),
        ])
        tally = forms.tally_delivery([
            forms.tally_field("Company Name", "INPUT_TEXT", "Refused Ltd"),
            forms.tally_field("Budget", "INPUT_NUMBER", 99),
            forms.tally_field("Documents", "FILE_UPLOAD", [
                forms.tally_file("it-landscape.md", files.url("/tf/it-landscape.md"), "text/markdown")]),
        ])
        hooked = json.dumps({**base, "deliver": ["callback:https://[::ffff:169.254.169.254]/"]}).encode()
        with ServerProcess(env, "--with-worker") as server, httpx.Client(base_url=server.base_url, timeout=60) as c:
            answers = [(c.post("/v1/submissions", json={**base, **extra}, headers=AUTH), field)
                       for extra, field in json_refusals]
            form = {"json_data": json.dumps({"deliver": ["callback:https://169.254.169.254/"]}),
                    "company_name": "Refused Ltd"}
            answers.append((c.post("/v1/submissions", data=form, headers=AUTH,
                                   files={"doc": ("it-landscape.md", (docs / "it-landscape.md").read_bytes())}),
                            "deliver[0]"))
            answers.append((c.post("/v1/webhooks/forms", content=hooked,
                                   headers=sign_webhook(webhook_secret, hooked, msg_id="msg_refused_1")), "deliver[0]"))
            answers.append((c.post("/v1/webhooks/typeform", content=typeform,
                                   headers=forms.sign_typeform(TYPEFORM_SECRET, typeform)), "budget_usd"))
            answers.append((c.post("/v1/webhooks/tally", content=tally,
                                   headers=forms.sign_tally(TALLY_SECRET, tally)), "budget_usd"))
            calls_after_refusals = llm.calls
            stored_after_refusals = sorted((tmp_path / "outputs").glob("*/runs/*.json"))
            accepted = c.post("/v1/submissions", json={**base, "company_name": "Accepted Ltd", "budget_usd": 0.5},
                              headers=AUTH)
            assert accepted.status_code == 202, accepted.text
            end = follow(server.base_url, accepted.json()["run_id"], timeout=600)[-1]
    for answer, field in answers:
        assert answer.status_code == 422, (field, answer.text)
        assert answer.json()["error"]["field"] == field, answer.text
    assert calls_after_refusals == 0 and stored_after_refusals == []
    assert end[0] == "end" and end[1]["status"] == "succeeded", end
    assert llm.calls > 0  # the worker was there: the one accepted run called the model
    assert [p.stem for p in (tmp_path / "outputs").glob("*/runs/*.json")] == [accepted.json()["run_id"]]
    with Engine(Settings(storage_url=env["CASEBOOK_STORAGE_URL"])) as engine:
        assert [v.manifest.run_id for v in engine.list_runs()] == [accepted.json()["run_id"]]  # nothing else queued
    assert not files.requests  # a refused form's document URL was never fetched either
