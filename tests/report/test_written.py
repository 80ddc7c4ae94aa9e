"""What the pipeline writes itself: the executive summary's body names each first use case with
its own horizon."""

from __future__ import annotations

from casebook.report.written import summary_paragraphs
from tests.report.test_check import use_case


def test_the_summary_names_each_first_use_case_with_its_own_horizon() -> None:
    soon = use_case("Invoice extraction", "Invoices are matched by hand [S1].")
    also_soon = use_case("Email routing", "Emails are sorted by hand [S2].")
    later = use_case("Labour forecasting", "Agency labour rose to EUR 6.2 million [S3].").model_copy(
        update={"horizon": "6-12 months", "effort": 3}
    )
    body = summary_paragraphs([later, soon, also_soon])
    assert body[1] == (
        "This report proposes 3 AI use cases; the first to start are Invoice extraction and Email routing, "
        "within 0-6 months, then Labour forecasting, within 6-12 months."
    )
    assert summary_paragraphs([soon])[1].endswith("the first to start are Invoice extraction, within 0-6 months.")
