"""End to end: signed Typeform and Tally deliveries whose files are URLs on an HTTPS server start
runs that download those files, and the reports cite them. `casebook serve --with-worker` as a
real process, the model endpoint a loopback fake, the file host a loopback TLS server with its
own CA (private addresses allowed by the explicit setting, as only tests do)."""

from __future__ import annotations

from pathlib import Path

import httpx

from casebook.server.testing import ServerProcess
from casebook.testing import forms
from casebook.testing.file_server import FileServer
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import write_docs
from tests.server.process import AUTH, follow, server_env

TYPEFORM_SECRET = "typeform-e2e-secret"
TALLY_SECRET = "tally-e2e-secret"


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
    assert "annual-report.pdf" in reports[0] and "it-landscape.md" in reports[0]  # its Sources cite the files
    assert "operations-review.pdf" in reports[1]  # named as the form's answer names it
    typeform_requests = [(p, h.get("authorization")) for p, h in files.requests if p.startswith("/tf/")]
    assert ("/tf/annual-report.pdf", "Bearer tfp_e2e_token") in typeform_requests
    assert typeform_requests.count(("/tf/it-landscape.md", "Bearer tfp_e2e_token")) == 2  # 503, then the file
    assert all(h.get("authorization") is None for p, h in files.requests if p.startswith("/tally/"))
    manifest = statuses[0]
    assert manifest["status"] == "succeeded"
    skipped = (tmp_path / "outputs" / first.json()["company_slug"] / "runs" / f"{first.json()['run_id']}.json")
    assert "board-deck.pptx" in skipped.read_text() and "HTTP 404" in skipped.read_text()  # listed, with why
