"""The use-case review gate in a real browser (Playwright driving Debian's Chromium) against
`casebook serve --with-worker`: a run sent with "Review the use cases" stops awaiting review, its
page (followed live, no reload) turns into an editable form; the reviewer changes a title, moves a
use case, adds one (a bad citation shown next to its field first), approves, and the run writes
the report around the edited list. Without JavaScript the same form works: positions reorder,
a checkbox drops, the blank entry adds."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.factories import write_docs
from tests.prompt_steps import call_key
from tests.server.process import KEY
from tests.web.browser import WAIT_MS, sign_in
from tests.web.conftest import Served
from tests.web.test_browser import picture


def start_reviewed_run(page: Page, served: Served, tmp_path: Path, company: str) -> None:
    docs = sorted(write_docs(tmp_path / "docs").iterdir())
    page.goto(f"{served.base_url}/app/new")
    page.get_by_label("Company name").fill(company)
    page.get_by_label("Number of use cases").fill("2")
    page.get_by_label("Files", exact=True).set_input_files([str(p) for p in docs])
    page.get_by_label("Review the use cases before the report is written").check()
    page.get_by_role("button", name="Start the run").click()
    expect(page).to_have_url(re.compile(r"/app/runs/[A-Za-z0-9_-]+$"), timeout=WAIT_MS)


def titles(page: Page) -> list[str]:
    """The titles of the use cases in the form, in its order (the blank entry left out)."""
    found = page.locator("[data-use-cases] > [data-use-case]:not([data-blank-use-case]) input[name$='.title']")
    return list(found.evaluate_all("els => els.map(e => e.value)"))


def test_edit_and_approve_the_use_cases_in_the_browser(browser: Browser, served: Served, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, served.base_url, KEY)
    start_reviewed_run(page, served, tmp_path, "Northwind Review")
    page.evaluate("window.__samePage = true")
    expect(page.locator('[data-field="status"]')).to_have_text("awaiting review", timeout=WAIT_MS)
    editor = page.locator("form[data-use-case-editor]")
    expect(editor).to_be_visible(timeout=WAIT_MS)  # the page turned into the review form in place
    assert page.evaluate("window.__samePage") is True
    expect(page.locator('[data-step="use_cases"]')).to_have_class(re.compile(r"\bstep-waiting\b"))
    expect(page.locator('[data-step="part_b"]')).to_have_class(re.compile(r"\bstep-pending\b"))
    generated = titles(page)
    assert len(generated) == 2
    shot = picture(tmp_path, "review-page.png")
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    page.locator("[data-use-cases] > [data-use-case]").nth(0).locator("input[name$='.title']").fill(
        "Depot slotting with the WMS data")
    page.locator("[data-use-cases] > [data-use-case]").nth(1).get_by_role("button", name="Move up").click()
    page.get_by_role("button", name="Add a use case").click()
    added = page.locator("[data-use-cases] > [data-use-case]").nth(2)
    added.locator("input[name$='.title']").fill("Claims triage assistant")
    added.locator("textarea[name$='.problem']").fill("Damage claims take 25 minutes each.")
    added.locator("textarea[name$='.solution']").fill("Sort claims by type and draft the first answer.")
    added.locator("textarea[name$='.expected_impact']").fill("Fewer minutes per claim.")
    added.locator("textarea[name$='.kpis']").fill("minutes per claim")
    added.locator("textarea[name$='.data_needed']").fill("ticket history")
    added.locator("textarea[name$='.risks']").fill("wrong categories")
    added.locator("input[name$='.citations']").fill("S999")
    assert titles(page) == [generated[1], "Depot slotting with the WMS data", "Claims triage assistant"]

    page.get_by_role("button", name="Save the edits").click()
    error = page.locator("p.field-error").filter(has_text="'S999' is not a passage of this run")
    expect(error).to_be_visible()
    expect(page.locator("[data-error-summary]")).to_contain_text("Nothing was saved")
    assert titles(page) == [generated[1], "Depot slotting with the WMS data", "Claims triage assistant"]  # kept
    fixed = page.locator("[data-use-cases] > [data-use-case]").nth(2).locator("input[name$='.citations']")
    expect(fixed).to_have_attribute("aria-invalid", "true")
    fixed.fill("S1")
    start = len(served.llm.requests)
    page.get_by_role("button", name="Approve and write the report").click()

    expect(page.get_by_role("status")).to_contain_text("Approved 3 use cases")
    expect(page.locator('[data-field="status"]')).to_have_text("succeeded", timeout=WAIT_MS)
    report = page.frame_locator("iframe.report")
    expect(report.locator("body")).to_contain_text("Claims triage assistant", timeout=WAIT_MS)
    expect(report.locator("body")).to_contain_text("Depot slotting with the WMS data")
    keys = [call_key(r) for r in served.llm.requests[start:]]
    assert sorted(k for k in keys if k.startswith("part_b")) == ["part_b:1", "part_b:2", "part_b:3"]
    assert "use_cases" not in keys and "evidence" not in keys
    page.close()


def test_the_use_case_form_works_without_javascript(browser: Browser, served: Served, tmp_path: Path) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, served.base_url, KEY)
    start_reviewed_run(page, served, tmp_path, "Plain Review Co")
    for _ in range(120):  # no live updates without JavaScript: the reader reloads
        if page.locator("form[data-use-case-editor]").count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(page.locator("form[data-use-case-editor]")).to_be_visible()
    generated = titles(page)
    items = page.locator("[data-use-cases] > [data-use-case]")
    expect(items).to_have_count(3)  # two use cases and the blank entry for adding one
    items.nth(1).locator("input[name$='.position']").fill("0")  # the second goes first
    items.nth(0).get_by_label("Drop this use case").check()
    blank = items.nth(2)
    blank.locator("input[name$='.title']").fill("Returns forecasting by depot")
    blank.locator("textarea[name$='.problem']").fill("Returns are planned by hand.")
    blank.locator("textarea[name$='.solution']").fill("Forecast returns per depot weekly.")
    blank.locator("textarea[name$='.expected_impact']").fill("Fewer idle vans.")
    for name in ("kpis", "data_needed", "risks"):
        blank.locator(f"textarea[name$='.{name}']").fill("one")
    blank.locator("input[name$='.citations']").fill("S1")
    page.get_by_role("button", name="Save the edits").click()

    expect(page.get_by_role("status")).to_contain_text("Saved 2 use cases")
    assert titles(page) == [generated[1], "Returns forecasting by depot"]
    page.get_by_role("button", name="Approve and write the report").click()
    expect(page.get_by_role("status")).to_contain_text("Approved 2 use cases")
    context.close()
