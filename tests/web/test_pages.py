"""The runs list and a run's page over HTTP: filters, pages, the run page's parts and buttons."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from casebook.engine import Engine
from casebook.models import RunStatus, Skipped
from casebook.runs.manifest import Manifest
from casebook.web.listing import list_page
from tests.server.api import AUTH, MD, Api, files_json, running_api
from tests.server.test_runs import edit_manifest, finish_with_report
from tests.web.test_session import csrf_of, signed_in


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_api(tmp_path_factory.mktemp("pages")) as running:
        yield running


def submit(api: Api, name: str) -> dict[str, Any]:
    with api.client() as c:
        r = c.post("/v1/submissions", json={"company_name": name, "files": files_json(("a.md", MD))}, headers=AUTH)
    assert r.status_code == 202, r.text
    return dict(r.json())


@pytest.fixture(scope="module")
def runs(api: Api) -> dict[str, dict[str, Any]]:
    made = {name: submit(api, name) for name in ("Alpha Shipping", "Beta Foods", "Gamma Freight")}
    with Engine(api.settings) as engine:  # out of the queue (no worker runs here), then ended by hand
        for name in ("Beta Foods", "Gamma Freight"):
            engine.cancel(made[name]["run_id"])
    beta = made["Beta Foods"]
    edit_manifest(api, beta["company_slug"], beta["run_id"], status=RunStatus.failed,
                  error="the model endpoint refused the key: set OPENAI_API_KEY",
                  skipped=[Skipped(file="scan.gif", reason="unsupported file type: it is a GIF image")])
    gamma = made["Gamma Freight"]
    finish_with_report(api, gamma["company_slug"], gamma["run_id"])
    return made


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-run="([^"]+)">', html)


def test_the_runs_list_filters_by_status_and_company(api: Api, runs: dict[str, dict[str, Any]]) -> None:
    with signed_in(api) as c:
        everything = c.get("/app/runs").text
        failed = c.get("/app/runs", params={"status": "failed"}).text
        freight = c.get("/app/runs", params={"company": "freight"}).text
        none = c.get("/app/runs", params={"status": "succeeded", "company": "alpha"}).text
    ids = {name: r["run_id"] for name, r in runs.items()}
    assert set(ids.values()) <= set(rows(everything))
    assert rows(everything).index(ids["Gamma Freight"]) < rows(everything).index(ids["Alpha Shipping"])  # newest first
    assert rows(failed) == [ids["Beta Foods"]]
    assert rows(freight) == [ids["Gamma Freight"]]
    assert rows(none) == [] and "No run matches these filters" in none
    assert 'status status-failed">failed' in failed and "$0.0000" in failed


def test_the_runs_list_pages(api: Api, runs: dict[str, dict[str, Any]]) -> None:
    with Engine(api.settings) as engine:
        first = list_page(engine, status=None, company=None, page=1, size=2)
        second = list_page(engine, status=None, company=None, page=2, size=2)
        queued = list_page(engine, status="queued", company=None, page=1, size=1)
    assert len(first.rows) == 2 and first.has_next
    assert second.rows and not {r["run_id"] for r in first.rows} & {r["run_id"] for r in second.rows}
    assert [r["company"] for r in queued.rows] == ["Alpha Shipping"] and not queued.has_next


def test_a_failed_runs_page_says_what_to_do_and_offers_retry(api: Api, runs: dict[str, dict[str, Any]]) -> None:
    beta = runs["Beta Foods"]
    with signed_in(api) as c:
        page = c.get(f"/app/runs/{beta['run_id']}")
        token = csrf_of(page)
        forged = c.post(f"/app/runs/{beta['run_id']}/retry", data={})
        after_forged = c.get(f"/app/runs/{beta['run_id']}")
        retried = c.post(f"/app/runs/{beta['run_id']}/retry", data={"csrf_token": token})
        after = c.get(f"/app/runs/{beta['run_id']}")
        status = c.get(f"/v1/runs/{beta['run_id']}", headers=AUTH).json()
    assert page.status_code == 200
    assert "What went wrong" in page.text and "set OPENAI_API_KEY" in page.text and "Retry runs the steps" in page.text
    assert "scan.gif" in page.text and "unsupported file type" in page.text
    assert f'action="/app/runs/{beta["run_id"]}/retry"' in page.text
    assert forged.status_code == 303 and "nothing was done" in after_forged.text
    assert retried.status_code == 303 and retried.headers["location"] == f"/app/runs/{beta['run_id']}"
    assert "Run queued again" in after.text
    assert status["status"] == "queued"


def test_a_queued_run_can_be_cancelled_from_its_page(api: Api, runs: dict[str, dict[str, Any]]) -> None:
    alpha = runs["Alpha Shipping"]
    with signed_in(api) as c:
        page = c.get(f"/app/runs/{alpha['run_id']}")
        assert f'data-events="/app/runs/{alpha["run_id"]}/events"' in page.text  # followed live
        r = c.post(f"/app/runs/{alpha['run_id']}/cancel", data={"csrf_token": csrf_of(page)})
        after = c.get(f"/app/runs/{alpha['run_id']}")
        again = c.post(f"/app/runs/{alpha['run_id']}/cancel", data={"csrf_token": csrf_of(after)})
        last = c.get(f"/app/runs/{alpha['run_id']}")
    assert r.status_code == 303 and "Run cancelled" in after.text and ">Resume</button>" in after.text
    assert again.status_code == 303 and "already ended (cancelled)" in last.text


def test_a_succeeded_runs_page_shows_the_report_and_its_downloads(api: Api, runs: dict[str, dict[str, Any]]) -> None:
    gamma = runs["Gamma Freight"]
    run_id = gamma["run_id"]
    with signed_in(api) as c:
        page = c.get(f"/app/runs/{run_id}")
        md = c.get(f"/app/runs/{run_id}/report", params={"format": "md"})
        pdf = c.get(f"/app/runs/{run_id}/report", params={"format": "pdf"})
    assert f'href="/app/runs/{run_id}/report?format=md"' in page.text and "data-events" not in page.text
    assert md.status_code == 200 and md.text.startswith("# Final report")
    assert md.headers["content-disposition"] == f'attachment; filename="FINAL_REPORT_{run_id}.md"'
    assert pdf.status_code == 404 and "only Markdown" in pdf.text
    assert pdf.headers["content-type"].startswith("text/html")


def test_the_report_shown_in_the_page_may_only_be_framed_here(api: Api, tmp_path_factory: Any) -> None:
    from casebook.storage import Storage

    made = submit(api, "Delta Report")
    with Engine(api.settings) as engine:
        engine.cancel(made["run_id"])
    finish_with_report(api, made["company_slug"], made["run_id"])
    company = Storage(api.settings.storage_url).company_by_slug(made["company_slug"])
    company.write_text(f"final/FINAL_REPORT_{made['run_id']}.html", "<html><body><h1>Delta</h1></body></html>")
    with signed_in(api) as c:
        page = c.get(f"/app/runs/{made['run_id']}")
        inline = c.get(f"/app/runs/{made['run_id']}/report", params={"format": "html", "inline": "true"})
    assert '<iframe class="report"' in page.text and "sandbox" in page.text
    assert inline.status_code == 200 and "<h1>Delta</h1>" in inline.text
    assert inline.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in inline.headers["content-security-policy"]
    assert "script-src" not in inline.headers["content-security-policy"]  # no script runs in the report


def test_a_run_that_needs_review_is_approved_from_its_page(api: Api) -> None:
    made = submit(api, "Epsilon Review")
    with Engine(api.settings) as engine:
        engine.cancel(made["run_id"])
    company = finish_with_report(api, made["company_slug"], made["run_id"]).company_by_slug(made["company_slug"])
    manifest = Manifest.load(company, made["run_id"])
    manifest.status = RunStatus.needs_review
    manifest.open_gate("quality", "review", RunStatus.needs_review, "only 1 of 4 citations (25%) are supported")
    manifest.metrics.update({"citations_total": 4, "citations_supported": 1, "citations_removed": 3})
    manifest.save(company)
    with signed_in(api) as c:
        page = c.get(f"/app/runs/{made['run_id']}")
        r = c.post(f"/app/runs/{made['run_id']}/approve", data={"csrf_token": csrf_of(page)})
        after = c.get(f"/app/runs/{made['run_id']}")
    assert "Waits for your review" in page.text and "only 1 of 4 citations (25%) are supported" in page.text
    assert "<strong>1 of 4</strong> citations" in page.text and ">Approve</button>" in page.text
    assert '<iframe class="report"' not in page.text  # Markdown only here: the download is offered
    assert r.status_code == 303 and "Approved: the run goes on" in after.text
    approved = Manifest.load(company, made["run_id"])
    assert approved.gates["quality"].approved_at is not None
    assert (approved.gates["quality"].approved_by or "").startswith("web key:")
    assert len(approved.workflow_ids) == 2  # a second attempt, queued
