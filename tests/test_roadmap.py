"""The roadmap's phases and dates answer the client's stated timing."""

from __future__ import annotations

from datetime import date

from casebook.models import UseCase
from casebook.roadmap import plan_roadmap, roadmap_lines, stated_deadline

NORTHWIND = (
    "We want a practical, prioritised set of AI use cases for our 2026-2028 programme (budget EUR 1.8 "
    "million). We prefer use cases that support our people, and we need at least three that can be in "
    "production by the end of 2026."
)


def case(title: str, horizon: str, effort: int = 2, value: int = 3) -> UseCase:
    return UseCase(
        title=f"Use case {title}",
        technique="forecasting",
        problem="p [S1].",
        solution="An AI model.",
        expected_impact="x",
        impact=3,
        effort=effort,
        value=value,
        horizon=horizon,  # type: ignore[arg-type]
        kpis=["k"],
        data_needed=["d"],
        risks=["r"],
        citations=["S1"],
    )


def test_the_deadline_and_its_count_are_read_from_the_expectations() -> None:
    deadline = stated_deadline(NORTHWIND)
    assert deadline is not None and (deadline.year, deadline.count) == (2026, 3)
    assert deadline.text.startswith("We prefer") and deadline.text.endswith("by the end of 2026")
    assert stated_deadline("A phased roadmap") is None


def test_pilots_in_a_later_year_start_the_first_phase_that_year() -> None:
    cases = [case("A", "0-6 months"), case("B", "12-24 months")]
    roadmap = plan_roadmap(cases, date(2025, 11, 20), "Pilots in 2026, scale-up after.")
    assert roadmap.start == date(2026, 1, 1)
    assert [(p.number, p.start, p.end) for p in roadmap.phases] == [
        (1, date(2026, 1, 1), date(2026, 7, 1)),
        (3, date(2027, 1, 1), date(2028, 1, 1)),
    ]
    assert "starts in Jan 2026" in roadmap.notes[0]


def test_a_plan_that_meets_the_deadline_says_so() -> None:
    cases = [case(t, "0-6 months") for t in "ABC"] + [case("D", "12-24 months")]
    roadmap = plan_roadmap(cases, date(2026, 3, 1), NORTHWIND)
    assert roadmap.start == date(2026, 3, 1)  # 2026 is this year: the programme starts now
    assert roadmap.notes[-1].endswith("This plan meets it: use cases 1, 2, 3 finish by the end of 2026.")


def test_a_plan_that_misses_the_deadline_names_the_pilots_to_start_first() -> None:
    cases = [
        case("Slow", "12-24 months", effort=5, value=5),
        case("Quick", "6-12 months", effort=1, value=3),
        case("Middle", "12-24 months", effort=3, value=4),
        case("Easy", "12-24 months", effort=1, value=4),
    ]
    lines = "\n".join(roadmap_lines(cases, date(2026, 3, 1), NORTHWIND))
    assert "### Phase 2: 6-12 months (Sep 2026 – Feb 2027)" in lines
    assert "### Phase 3: 12-24 months (Mar 2027 – Feb 2028)" in lines
    phase3 = [line for line in lines.split("### Phase 3")[1].splitlines() if line.startswith("- ")]
    assert phase3 == [  # most value first, then least effort
        "- 1. Use case Slow (value 5/5, effort 5/5)",
        "- 4. Use case Easy (value 4/5, effort 1/5)",
        "- 3. Use case Middle (value 4/5, effort 3/5)",
    ]
    assert "On these horizons 0 finish by the end of 2026" in lines
    assert lines.rstrip().endswith("pilot the use cases with the least effort first: 4, 2, 3.")
