"""`check_report`: what a reader would notice in a finished report."""

from __future__ import annotations

from casebook.models import UseCase
from casebook.report import check_report
from casebook.report.check import is_cut
from casebook.report.written import recommendation

CLEAN = """# AI Readiness Report: Northwind Logistics

_Run r1 · 2026-12-03 · 2 use cases_

## Executive summary

Northwind handles 41,200 shipments a month and matches invoices by hand [1].

### Recommendations

1. Start with invoice matching [1].
2. Then build the shipment status assistant [2].

## Use case portfolio

| # | Use case | Impact | Effort | Value | Horizon |
|---|---|---|---|---|---|
| 1 | Invoice matching assistant | 4/5 | 2/5 | 5/5 | 0-6 months |

## Part A: Company analysis

### Company context

Northwind runs four depots in the Netherlands and Belgium [2].

## Part B: Use cases in depth

### 1. Invoice matching assistant

#### Problem

Nine people match invoices by hand every month, which delays the close [1].

#### KPIs

- Hours spent on matching
- Share of invoices matched without a person

## Roadmap

### Phase 1: 0-6 months

- 1\\. Invoice matching assistant (value 5/5, effort 2/5)

## Sources

1. annual-report.pdf, p. 2 — “Invoice matching is manual”
"""


def use_case(title: str, problem: str, solution: str = "A machine-learning model that matches invoices.") -> UseCase:
    return UseCase(
        title=title,
        problem=problem,
        solution=solution,
        expected_impact="Fewer hours",
        impact=4,
        effort=2,
        value=4,
        horizon="0-6 months",
        kpis=["hours"],
        data_needed=["invoices"],
        risks=["quality"],
        citations=["S1"],
    )


def kinds(findings: list) -> list[tuple[str, str]]:
    return [(f.kind, f.section) for f in findings]


def test_a_clean_report_has_no_findings() -> None:
    cases = [use_case("Invoice matching assistant", "Invoices are matched by hand by nine people.")]
    assert check_report(CLEAN, use_cases=cases, citations={"total": 10, "supported": 9}) == []


def test_a_sentence_cut_mid_way_is_found_in_its_section() -> None:
    report = CLEAN.replace("which delays the close [1].", "which delays the close of the")
    found = check_report(report)
    assert kinds(found) == [("cut_sentence", "part_b:1")]
    assert found[0].excerpt.endswith("delays the close of the")
    assert is_cut("The pilot will reduce the manual")
    assert is_cut("- Hours spent on matching and", item=True)
    assert is_cut("A list item with (an open bracket", item=True)
    assert not is_cut("Hours spent on matching", item=True)
    assert not is_cut("On-time delivery was 91.4% in 2025 [3][4].")
    assert not is_cut("**Cycle time:** from order to invoice")


def test_a_repeated_paragraph_is_found_where_it_is_said_again() -> None:
    said = "Nine people match invoices by hand every month, which delays the close [1]."
    looping = CLEAN.replace("#### KPIs", f"{said.replace('[1]', '[4]')}\n\n#### KPIs")
    found = check_report(looping)
    assert kinds(found) == [("repeated_paragraph", "part_b:1")]
    assert "earlier in this section" in found[0].message
    # across sections, a restated fact is fine; a copied paragraph is not
    fact = "Northwind runs four depots in the Netherlands and Belgium [2]."
    assert check_report(CLEAN.replace("#### KPIs", f"{fact}\n\n#### KPIs")) == []
    paragraph = (
        "Northwind runs four depots in the Netherlands and Belgium, and each depot plans its own labour in "
        "spreadsheets that nobody else sees, so peaks after public holidays surprise every depot manager [2]."
    )
    copied = CLEAN.replace(f"{fact}\n", f"{paragraph}\n").replace("#### KPIs", f"{paragraph}\n\n#### KPIs")
    found = check_report(copied)
    assert kinds(found) == [("repeated_paragraph", "part_b:1")]
    assert "in part_a" in found[0].message


def test_an_empty_section_and_a_paragraph_set_as_heading_are_found() -> None:
    long_heading = "### The company has never measured how long its people spend on invoice matching each month"
    report = CLEAN.replace("### Company context\n", "### Key themes\n\n### Company context\n").replace(
        "#### KPIs", f"{long_heading}\n\n#### KPIs"
    )
    found = kinds(check_report(report))
    assert ("empty_section", "part_a") in found
    assert ("heading_paragraph", "part_b:1") in found


def test_duplicate_and_non_ai_use_cases() -> None:
    cases = [
        use_case("Customer service audit", "Customers wait too long for answers about shipments.", "An audit."),
        use_case("Shipment status assistant", "Customers wait too long for answers about their shipments."),
        use_case("Service quality", "Depot staff plan shifts in spreadsheets.", "A review of service quality."),
        use_case("Customer service audits", "Invoices pile up.", "A predictive model."),
    ]
    found = kinds(check_report(CLEAN, use_cases=cases))
    assert found == [
        ("non_ai_use_case", "use_case:1"),
        ("duplicate_use_case", "use_case:2"),
        ("non_ai_use_case", "use_case:3"),
        ("duplicate_use_case", "use_case:4"),
    ]


def test_citations_below_the_threshold_or_none_at_all() -> None:
    assert kinds(check_report(CLEAN, citations={"total": 10, "supported": 5})) == [
        ("unsupported_citations", "citations")
    ]
    assert check_report(CLEAN, citations={"total": 10, "supported": 5}, min_supported=0) == []
    assert kinds(check_report(CLEAN, citations={"total": 0, "supported": 0})) == [("no_citations", "citations")]


def test_the_text_the_pipeline_writes_is_not_judged_as_the_models() -> None:
    """A use case's lead (its cited problem) and the pipeline's Recommendations are not model
    prose: a model restating the cited problem, or two similar pipeline lines, are no finding."""
    problem = "Nine people match invoices by hand every month, which delays the close [S1]."
    uc = use_case("Invoice matching assistant", problem)
    report = CLEAN.replace(
        "#### Problem\n\nNine people match invoices by hand every month, which delays the close [1].",
        "#### Problem\n\nNine people match invoices by hand every month, which delays the close [1].\n\n"
        "#### Summary\n\n- Nine people match invoices by hand every month, which delays the close [1].",
    ).replace(
        "1. Start with invoice matching [1].\n2. Then build the shipment status assistant [2].",
        f"1. {recommendation(1, uc)}\n2. {recommendation(1, uc)}",
    )
    assert [f.kind for f in check_report(report) if f.kind == "repeated_paragraph"] == [
        "repeated_paragraph",
        "repeated_paragraph",
    ]  # without the use cases, both read as a model saying things twice
    assert [f for f in check_report(report, use_cases=[uc]) if f.kind == "repeated_paragraph"] == []
