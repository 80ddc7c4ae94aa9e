"""The web app in a real browser (Playwright driving Debian's Chromium) against `casebook serve
--with-worker`: sign in, submit the intake form with files, watch the run page follow the run
without a reload, open the report; the form without JavaScript; the public intake page."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.factories import write_docs
from tests.server.process import KEY
from tests.web.browser import WAIT_MS, sign_in
from tests.web.conftest import Served

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_sign_in_submit_and_follow_a_run_to_its_report(browser: Browser, served: Served, tmp_path: Path) -> None:
    docs = sorted(write_docs(tmp_path / "docs").iterdir())
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{served.base_url}/app/runs")
    expect(page).to_have_url(re.compile(r"/\?next=/app/runs$"))

    page.get_by_label("API key").fill("not-the-key-0123456789")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("This key is not valid for this server")
    page.get_by_label("API key").fill(KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{served.base_url}/app/runs")
    expect(page.locator("header")).to_contain_text("Northwind Advisory")

    page.get_by_role("link", name="New run", exact=True).first.click()
    page.get_by_label("Company name").fill("Northwind Logistics")
    page.get_by_label("What the company does").fill("A logistics company with four depots.")
    page.get_by_label("Number of use cases").fill("2")
    page.get_by_label("Files", exact=True).set_input_files([str(p) for p in docs])
    expect(page.locator("[data-file-list] li")).to_have_count(len(docs))
    served.hold.close()  # the model waits: the run stays in its first model step
    page.get_by_role("button", name="Start the run").click()
    expect(page).to_have_url(re.compile(r"/app/runs/[A-Za-z0-9_-]+$"), timeout=WAIT_MS)
    assert served.hold.held.wait(WAIT_MS / 1000), "the run never called the model"

    page.evaluate("window.__samePage = true")  # gone if the page reloads
    expect(page.locator('[data-field="status"]')).to_have_text("running", timeout=WAIT_MS)
    expect(page.locator('[data-step="ingest"]')).to_have_class(re.compile(r"\bstep-done\b"), timeout=WAIT_MS)
    expect(page.locator('[data-step="evidence"]')).to_have_class(re.compile(r"\bstep-running\b"))
    served.hold.open()
    expect(page.locator('[data-field="status"]')).to_have_text("succeeded", timeout=WAIT_MS)
    expect(page.locator('[data-step="deliver"]')).to_have_class(re.compile(r"\bstep-done\b"))
    assert page.evaluate("window.__samePage") is True  # followed live, never reloaded

    expect(page.get_by_role("link", name="Markdown")).to_be_visible()
    report = page.frame_locator("iframe.report")
    expect(report.locator("body")).to_contain_text("Northwind Logistics", timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="Citations")).to_be_visible()
    tokens = page.locator('[data-field="tokens"]').inner_text()
    assert int(tokens.replace(",", "")) > 0
    with page.expect_download() as download:
        page.get_by_role("link", name="Markdown").click()
    assert download.value.suggested_filename.startswith("FINAL_REPORT_")
    assert "## Sources" in Path(download.value.path()).read_text()

    page.screenshot(path=str(DOCS / "run-page.png"), full_page=True)  # the README's picture

    page.goto(f"{served.base_url}/app/runs")
    row = page.locator("table.runs tbody tr").filter(has_text="Northwind Logistics")
    expect(row).to_contain_text("succeeded")
    expect(row).to_contain_text(re.compile(r"\d+ of \d+"))
    page.close()
