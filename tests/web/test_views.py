"""What the run page shows from a run's view, without a server: the note for a run whose
process is gone, the brand's colours kept readable."""

from __future__ import annotations

from limits import parse

from casebook.config import Settings
from casebook.engine import RunView
from casebook.runs.manifest import Manifest
from casebook.web.brand import Brand, contrast, text_colour
from casebook.web.state import WebState
from casebook.web.views import page_state


def test_a_run_whose_process_is_gone_says_what_to_do_on_its_page() -> None:
    manifest = Manifest(run_id="r1", company_name="Gone Ltd", company_slug="gone-ltd", submission={},
                        model_set="cheap", status="running", current_step="evidence", workflow_ids=["r1"])
    hint = "its worker is gone (worker-a: last heartbeat 300 s ago): `casebook resume r1` continues it now"
    state = page_state(RunView(manifest, "PENDING", "worker-a", None, hint=hint), [])
    assert state["hint"] == hint and state["actions"] == ["cancel"]
    settings = Settings()
    web = WebState(settings, Brand.from_settings(settings), frozenset(), False, parse("1/minute"), parse("1/minute"))
    page = web.env.get_template("run.html").render(run={**state, "review": None}, review_values=None,
                                                    review_errors={}, brand=web.brand, csrf="", flash=None)
    assert "Its process is gone" in page and "`casebook resume r1` continues it now" in page


def test_brand_colours_are_darkened_until_text_reads_on_white() -> None:
    pale = Brand(name="Pale", primary="#ffe066", accent="#aaffaa", logo=None, logo_type=None)
    css = pale.stylesheet()
    for colour in ("#ffe066", "#aaffaa"):
        shown = text_colour(colour)
        assert f"-text:{shown}" in css and contrast(shown, "#ffffff") >= 4.5
    assert text_colour("#1f4e79") == "#1f4e79"  # already readable: kept as it is
    assert "--on-brand:#000000" in css  # black text on a pale brand bar
