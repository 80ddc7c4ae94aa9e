"""The web app in a real browser (Playwright driving Debian's Chromium) against `casebook serve
--with-worker`: sign in, submit the intake form with files, watch the run page follow the run
without a reload, open the report; the form without JavaScript; the public intake page."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.factories import write_docs
from tests.server.process import KEY
from tests.web.browser import WAIT_MS, sign_in
from tests.web.conftest import Served

DOCS = Path(__file__).resolve().parents[2] / "docs"


def picture(tmp_path: Path, name: str) -> Path:
    """Where a screenshot goes: docs/ (the README's pictures) with CASEBOOK_SCREENSHOTS=1, else the
    test's own folder, so that a test run leaves the work tree as it was."""
    return (DOCS if os.environ.get("CASEBOOK_SCREENSHOTS") == "1" else tmp_path) / name


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

    shot = picture(tmp_path, "run-page.png")
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    page.goto(f"{served.base_url}/app/runs")
    row = page.locator("table.runs tbody tr").filter(has_text="Northwind Logistics")
    expect(row).to_contain_text("succeeded")
    expect(row).to_contain_text(re.compile(r"\d+ of \d+"))
    page.close()


def test_the_form_without_javascript_shows_each_problem_next_to_its_field(
    browser: Browser, served: Served, tmp_path: Path
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, served.base_url, KEY)
    page.goto(f"{served.base_url}/app/new")
    page.get_by_label("Readiness score").fill("lots")
    page.get_by_label("Number of use cases").fill("40")
    page.get_by_role("button", name="Start the run").click()  # a plain form post: no JavaScript runs

    expect(page.locator("[data-error-summary]")).to_contain_text("The form was not sent")
    expect(page.locator("#company_name-error")).to_have_text("Is required")
    expect(page.locator("#readiness_score-error")).to_contain_text("Must be a number from 0 to 100")
    expect(page.locator("#use_cases_count-error")).to_contain_text("less than or equal to 20")
    expect(page.get_by_label("Company name")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Readiness score")).to_have_value("lots")  # what was typed stays

    page.get_by_label("Company name").fill("Contoso Freight")
    page.get_by_label("Readiness score").fill("62%")
    page.get_by_label("Number of use cases").fill("2")
    page.get_by_role("button", name="Start the run").click()
    expect(page.locator("#files-error")).to_contain_text("at least one document")

    docs = sorted(write_docs(tmp_path / "docs").iterdir())
    page.get_by_label("Files", exact=True).set_input_files([str(p) for p in docs])
    page.get_by_role("button", name="Start the run").click()
    expect(page).to_have_url(re.compile(r"/app/runs/[A-Za-z0-9_-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Contoso Freight")
    context.close()


def test_the_form_with_javascript_shows_problems_without_losing_the_chosen_files(
    browser: Browser, served: Served, tmp_path: Path
) -> None:
    page = browser.new_page()
    sign_in(page, served.base_url, KEY)
    page.goto(f"{served.base_url}/app/new")
    (tmp_path / "movie.gif").write_bytes(b"GIF89a" + b"\x00" * 40)
    page.get_by_label("Company name").fill("Fabrikam")
    page.get_by_label("Files", exact=True).set_input_files([str(tmp_path / "movie.gif")])
    page.evaluate("window.__samePage = true")
    page.get_by_role("button", name="Start the run").click()
    expect(page.locator("#files-error")).to_contain_text("movie.gif")
    expect(page.locator("[data-file-list] li")).to_have_count(1)  # still chosen
    assert page.evaluate("window.__samePage") is True
    page.close()


def test_the_public_intake_page_takes_a_submission_and_shows_its_confirmation_code(
    browser: Browser, served: Served, tmp_path: Path
) -> None:
    docs = sorted(write_docs(tmp_path / "docs").iterdir())
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)  # a phone
    page = context.new_page()
    page.goto(f"{served.base_url}/intake")
    expect(page.get_by_label("Model set")).to_have_count(0)  # the operator's choice, not the client's
    page.get_by_label("Company name").fill("Tailspin Toys")
    page.get_by_label("Files", exact=True).set_input_files([str(p) for p in docs])
    page.get_by_role("button", name="Send").click()
    expect(page.locator("[data-confirmation]")).to_have_text(re.compile(r"^CB-[0-9A-F]{4}-[0-9A-F]{4}$"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is wider than the phone: {width}px"

    page.goto(f"{served.base_url}/app/runs")  # nothing else without a session
    expect(page).to_have_url(re.compile(r"/\?next=/app/runs$"))
    expect(page.get_by_label("API key")).to_be_visible()
    context.close()
