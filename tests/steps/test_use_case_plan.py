"""The technique a small model's use case uses is chosen from its problem, unlike the others'."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from casebook.models import TECHNIQUES
from casebook.steps.constrain import use_case_list_model
from casebook.steps.tidy import tidy
from casebook.steps.use_case_plan import choose_technique, compose_title, title_phrases


def test_the_problem_names_its_technique() -> None:
    assert choose_technique("Volumes in Venlo were forecast week by week by hand", []) == "forecasting"
    assert choose_technique("9 FTE match carrier invoices against PODs by hand", []) == (
        "document understanding/extraction"
    )
    assert choose_technique("11 planners build tours in Excel; empty kilometres are 19%", []) == (
        "optimisation/scheduling"
    )
    assert choose_technique("Cross-dock handling in Rotterdam caused 3,565 damage claims", []) == "anomaly detection"


def test_a_technique_taken_gives_way_to_the_next_that_fits() -> None:
    problem = "Customers ask by phone and email where their shipment is: 14% of tickets"
    first = choose_technique(problem, [])
    second = choose_technique(problem, [first])
    assert first != second and second in TECHNIQUES
    assert choose_technique("nothing that any signal names", list(TECHNIQUES[:3])) == TECHNIQUES[3]


def test_the_schema_allows_only_the_chosen_technique_and_brief_texts() -> None:
    model = use_case_list_model(["S1"], 1, technique="forecasting", brief=True)
    good = {
        "title": "Weekly volume forecast for Venlo",
        "technique": "forecasting",
        "problem": "Volumes are forecast by hand [S1].",
        "solution": "A model forecasts next week's volumes per customer.",
        "expected_impact": "Fewer agency hours booked at short notice.",
        "impact": 4, "effort": 3, "value": 4,
        "impact_reason": "Agency labour is a large cost.", "effort_reason": "Data exists.",
        "value_reason": "Pays back within a year.",
        "horizon": "0-6 months", "kpis": ["MAPE"], "data_needed": ["Volumes"], "risks": ["Drift"],
        "citations": ["S1"],
    }  # fmt: skip
    model.model_validate({"use_cases": [good]})
    with pytest.raises(ValidationError):
        model.model_validate({"use_cases": [{**good, "technique": "retrieval assistant"}]})
    with pytest.raises(ValidationError):
        model.model_validate({"use_cases": [{**good, "expected_impact": "5"}]})  # a score is no sentence
    with pytest.raises(ValidationError):
        model.model_validate({"use_cases": [{**good, "impact_reason": "x" * 121}]})


@pytest.mark.parametrize(
    ("written", "tidied"),
    [
        (
            "The agent answers questions quickly and accurately, which can help",
            "The agent answers questions quickly and accurately.",
        ),
        (
            "It frees the planners each day. This can be done by using Excel, and other data ",
            "It frees the planners each day.",
        ),
        ("Answers customers in seconds他们 instead of hours.", "Answers customers in seconds instead of hours."),
        ("A finished sentence.", "A finished sentence."),
        ("Fewer manual checks", "Fewer manual checks."),
    ],
)
def test_a_cut_or_drifting_field_ends_on_a_whole_sentence(written: str, tidied: str) -> None:
    assert tidy(written) == tidied


def test_a_problem_the_pipeline_states_costs_the_model_one_character() -> None:
    model = use_case_list_model(["S1"], 1, technique="forecasting", brief=True, problem_given=True)
    schema = model.model_json_schema()["$defs"]["UseCase"]["properties"]
    assert schema["problem"]["maxLength"] == 1 and schema["kpis"]["maxItems"] == 2
    answer = {
        "title": "Weekly volume forecast for Venlo", "technique": "forecasting",
        "problem": "A model that does not keep lengths wrote a whole problem here.",
        "solution": "A model forecasts next week's volumes per customer.",
        "expected_impact": "Fewer agency hours booked at short notice.",
        "impact": 4, "effort": 3, "value": 4, "impact_reason": "Large cost.", "effort_reason": "Data exists.",
        "value_reason": "Pays back.", "horizon": "0-6 months", "kpis": ["MAPE"], "data_needed": ["Volumes"],
        "risks": ["Drift"], "citations": ["S1"],
    }  # fmt: skip
    parsed = model.model_validate({"use_cases": [answer]})
    assert parsed.use_cases[0].problem == "A"  # type: ignore[attr-defined]  # cut, not refused: the pipeline sets it


def test_title_phrases_are_the_problems_own_words_naming_work_not_events() -> None:
    problem = (
        "Temporary agency labour rose to EUR 6.2 million, because volumes in Venlo were forecast week by "
        "week by hand [S5]."
    )
    weight = {w: 1.0 for w in ("temporari", "agenc", "labour", "volum", "venlo", "week", "hand", "forecast")}
    phrases = title_phrases(problem, weight)
    assert "temporary agency labour" in phrases  # lower-cased: capitalised only as the sentence's start
    assert "volumes in Venlo" in phrases  # a name keeps its capital
    assert not [p for p in phrases if "rose" in p or "EUR" in p or "6.2" in p or p.split()[-1] in ("by", "the")]
    taken = ["Forecast of temporary agency labour"]
    assert "temporary agency labour" not in title_phrases(problem, weight, exclude=taken)
    assert compose_title("forecasting", "temporary agency labour") == "Forecasting for temporary agency labour"


def test_a_solution_that_restates_its_problem_is_asked_for_again() -> None:
    from casebook.models import Evidence, Passage, UseCase
    from casebook.steps.use_case_checks import check_use_cases

    passage = Passage(source_id="S1", chunk_id="c1", file="a.md", page=None, text="Volumes are forecast by hand.")
    problem = "Volumes in Venlo are forecast week by week by hand [S1]."
    uc = UseCase(
        title="Weekly volume forecast for Venlo", technique="forecasting", problem=problem,
        solution="Volumes in Venlo are forecast week by week by hand.", expected_impact="Fewer agency hours.",
        impact=4, effort=3, value=4, horizon="0-6 months", kpis=["MAPE"], data_needed=["Volumes"],
        risks=["Drift"], citations=["S1"],
    )  # fmt: skip
    found = check_use_cases([uc], Evidence(passages=[passage]))
    assert [f.reason for f in found if "restates its problem" in f.reason]
    assert not any(f.about_title for f in found if "restates" in f.reason)


def test_a_summary_that_copies_its_own_instructions_is_asked_for_again() -> None:
    from casebook.models import Submission
    from casebook.steps.consolidate import summary_problems

    summary = (
        "Northwind should start with forecasting in Venlo, where agency hours cost most this year.\n\n"
        "### Recommendations\n\n1. Keep every passage id citation in square brackets, such as [S3], next to the "
        "statements it supports, and add none that do not appear in the material given."
    )
    problems = summary_problems(summary, "", Submission.parse({"company_name": "Northwind"}))
    assert any("its own instructions" in p for p in problems), problems


def test_a_score_reason_that_repeats_another_is_left_out() -> None:
    from casebook.models import UseCase
    from casebook.steps.tidy import tidy_use_case

    said = "The assistant helps the operations team resolve issues in their data and systems quickly."
    uc = UseCase(
        title="Issue assistant for operations", technique="retrieval assistant", problem="Issues cost time [S1].",
        solution="It reads the issue list and suggests the fix that worked before.", expected_impact="Faster fixes.",
        impact=4, effort=2, value=4, impact_reason=said, effort_reason=said, value_reason="Two years of tickets exist.",
        horizon="0-6 months", kpis=["Time to fix"], data_needed=["Issue list"], risks=["Stale answers"],
        citations=["S1"],
    )  # fmt: skip
    tidied = tidy_use_case(uc)
    assert tidied.impact_reason == said and tidied.effort_reason == "" and tidied.value_reason


def test_when_every_phrase_is_another_titles_single_words_of_its_own_are_offered() -> None:
    problem = "Across the network, agency labour cost EUR 6.2 million, and overtime averaged 11% of hours [S5]."
    weight = {"overtim": 3.0, "network": 1.0, "agenc": 1.0, "labour": 1.0, "hour": 0.5}
    taken = ["Forecasting for agency labour across the network", "Forecasting for hours"]
    assert title_phrases(problem, weight, exclude=taken) == ["overtime"]


def test_a_field_ending_in_a_bracket_without_a_full_stop_is_no_whole_sentence() -> None:
    assert tidy("It books agency staff early (two days ahead)") == "It books agency staff early (two days ahead)."
    assert tidy("It books agency staff early (two days ahead).") == "It books agency staff early (two days ahead)."


def test_a_title_names_its_ai_only_with_more_than_the_words_ai_use_case() -> None:
    from casebook.models import UseCase
    from casebook.steps.use_cases import _names_its_ai

    def named(title: str) -> bool:
        uc = UseCase(
            title=title, technique="conversational agent", problem="Slow answers [S1].", solution="An agent answers.",
            expected_impact="Fewer calls.", impact=3, effort=2, value=3, horizon="0-6 months", kpis=["Calls"],
            data_needed=["Tickets"], risks=["Wrong answers"], citations=["S1"],
        )  # fmt: skip
        return _names_its_ai(uc)

    assert not named("AI Use Case: Customer Service Audit 2025")
    assert named("Conversational agent for shipment questions") and named("Shipment status assistant")
