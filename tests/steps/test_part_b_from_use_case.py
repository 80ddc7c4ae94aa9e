"""A Part B section set from its use case: every part under its heading, nothing said twice."""

from __future__ import annotations

from casebook.models import UseCase
from casebook.report.check import check_report
from casebook.steps.part_b import section_from_use_case


def test_a_field_repeated_in_another_is_said_once_and_the_check_finds_nothing() -> None:
    uc = UseCase(
        title="Weekly volume forecast for Venlo", technique="forecasting",
        problem="Volumes in Venlo are forecast week by week by hand [S1].",
        solution="A model forecasts next week's volumes per customer from two years of orders.",
        expected_impact="A model forecasts next week's volumes per customer from two years of orders.",
        impact=4, effort=3, value=4, horizon="0-6 months",
        kpis=["Temporary agency labour", "Forecast error"], data_needed=["Temporary agency labour", "Revenue"],
        risks=["Revenue", "Drift after a new customer arrives"], citations=["S1"],
    )  # fmt: skip
    section = section_from_use_case(uc, 1)
    assert section.count("- Temporary agency labour") == 1 and section.count("- Revenue") == 1
    assert section.count("A model forecasts next week's volumes") == 1
    assert "#### Expected impact" not in section  # nothing left to say under it: no empty heading
    for heading in ("Problem", "Solution", "Implementation plan", "KPIs", "Data and systems", "Risks and mitigations"):
        assert f"#### {heading}" in section
    report = f"# Report\n\n## Part B: Use cases in depth\n\n{section}\n"
    assert not [f for f in check_report(report, use_cases=[uc]) if f.section.startswith("part_b")]
