"""The playbook: a small model's use case takes its scores, horizon, KPIs, data and risks from
rules a reader can see, and keeps only the prose of its own that states nothing unfounded."""

from __future__ import annotations

from casebook.steps.playbook import PLAYS, UseCaseDraft, own_prose, scores, use_case_from_draft

COSTLY = (
    "Temporary agency labour rose to EUR 6.2 million from EUR 5.1 million, because volumes in Venlo were "
    "forecast by hand [S4]."
)
MEASURED = "Cross-dock handling in Rotterdam caused 3,565 claims [S2]."
PLAIN = "Customers praise friendly and knowledgeable agents [S6]."
PASSAGE = "The operations team listed the data and system issues that cost the most time or cause the most errors."


def test_impact_follows_what_the_problem_states_and_effort_the_technique() -> None:
    costly, measured, plain = scores(COSTLY, "forecasting"), scores(MEASURED, "anomaly detection"), scores(
        PLAIN, "conversational agent"
    )
    assert costly.impact > measured.impact > plain.impact
    assert "EUR 6.2" in costly.impact_reason and "3,565" in measured.impact_reason
    assert "no figure" in plain.impact_reason
    assert (costly.effort, measured.effort) == (PLAYS["forecasting"].effort, PLAYS["anomaly detection"].effort)
    # the horizon follows the effort, so the roadmap has more than one phase
    assert scores(PLAIN, "document understanding/extraction").horizon == "0-6 months"
    assert scores(PLAIN, "forecasting").horizon == "6-12 months"
    assert scores(PLAIN, "computer vision").horizon == "12-24 months"
    assert costly.value >= measured.value  # more impact for the same effort is worth more
    assert scores(PLAIN, "no such technique").effort == 3  # the generic play


def test_own_prose_refuses_scores_copies_and_unfounded_figures() -> None:
    stated = [COSTLY, "Targets: 95% on-time delivery"]
    assert not own_prose("5, effort 1, impact 5.", [PASSAGE], stated)
    assert not own_prose(f"It works because {PASSAGE.lower()}", [PASSAGE], stated)  # eight words copied
    assert not own_prose("Planners reach 100% on-time delivery with the forecast in hand.", [PASSAGE], stated)
    assert own_prose("Planners book agency staff a week ahead, towards the 95% on-time target.", [PASSAGE], stated)
    assert own_prose("Agency labour falls back from EUR 6.2 million as bookings move ahead.", [PASSAGE], stated)


def test_a_use_case_from_a_draft_keeps_good_prose_and_replaces_the_rest() -> None:
    good = UseCaseDraft(
        title="Weekly volume forecast for Venlo",
        solution="A forecasting model predicts next week's volumes at Venlo so planners book agency staff ahead.",
    )
    uc = use_case_from_draft(
        good,
        technique="forecasting",
        problem=COSTLY,
        citations=["S4"],
        passages=[PASSAGE],
        intake="Respect GDPR and involve the works council.",
    )
    play = PLAYS["forecasting"]
    assert uc.solution == good.solution and uc.expected_impact == play.impact
    assert uc.kpis == list(play.kpis) and uc.data_needed == list(play.data)
    assert any("Works council" in r for r in uc.risks) and any("GDPR" in r for r in uc.risks)
    assert (uc.impact, uc.effort, uc.horizon) == (5, play.effort, "6-12 months")
    assert uc.problem == COSTLY and uc.citations == ["S4"] and uc.technique == "forecasting"
    copied = good.model_copy(update={"solution": f"A forecasting model helps because {PASSAGE.lower()}"})
    assert use_case_from_draft(
        copied, technique="forecasting", problem=COSTLY, citations=["S4"], passages=[PASSAGE], intake=""
    ).solution == play.solution


def test_a_solution_must_speak_of_its_problem_and_its_technique() -> None:
    from casebook.steps.playbook import about

    off_topic = "The AI system can help automate the process of managing consignment orders, reducing errors."
    fitting = "A forecasting model predicts next week's volumes at Venlo so agency labour is booked ahead."
    assert not about(off_topic, COSTLY, "forecasting")
    assert about(fitting, COSTLY, "forecasting")
    assert not about("A model predicts the weather in Spain for the sales team.", COSTLY, "forecasting")


def test_a_seed_neither_restates_another_problem_nor_leans_on_the_sentence_before() -> None:
    from casebook.steps.evidence_extract import leans_on_previous as _leans
    from casebook.steps.use_case_seed import restates as _restates

    assert _leans("Agents then attach the image to an email by hand.")
    assert _leans("Second, waiting time at customers averaged 38 minutes per stop.")
    assert not _leans("Temporary agency labour rose to EUR 6.2 million.")
    assert _leans("… Each Thursday they estimate the next week's volumes per customer.")
    from casebook.models import UseCase

    forecast = UseCase(
        title="Forecasting for agency labour", technique="forecasting", problem=COSTLY, solution="-",
        expected_impact="-", impact=5, effort=3, value=4, horizon="6-12 months", kpis=["-"], data_needed=["-"],
        risks=["-"], citations=["S4"],
    )  # fmt: skip
    assert _restates("Across the network, agency labour cost EUR 6.2 million.", [forecast])  # the same figure
    assert _restates("When volumes are underestimated, agency staff are booked at a premium.", [forecast])
    assert not _restates(MEASURED, [forecast])


def test_a_solution_that_speaks_of_another_use_cases_work_is_not_kept() -> None:
    from casebook.steps.playbook import borrows

    transfers = "Around 22% of consignments are transferred between hubs, adding delay or damage [S1]."
    others = ["Forecasting temporary agency labour", COSTLY]
    strayed = "A retrieval assistant helps manage temporary agency labour with data on transfers and damage."
    assert borrows(strayed, transfers, others)
    assert not borrows("A retrieval assistant finds why consignments are transferred between hubs.", transfers, others)


def test_no_play_text_reads_as_cut_to_the_report_check() -> None:
    """The playbook's words go into the report as they are: `casebook check` must find none of
    them cut mid-sentence ("The manuals … it should answer from" once was)."""
    from casebook.report.check import is_cut
    from casebook.steps.playbook import _GENERIC

    for play in [*PLAYS.values(), _GENERIC]:
        for item in (*play.kpis, *play.data, *play.risks):
            assert not is_cut(item, item=True), item
        for prose in (play.solution, play.impact, f"{play.effort_reason}."):
            assert not is_cut(prose), prose


def test_a_slot_without_a_pain_in_any_theme_starts_from_a_pain_its_passages_state() -> None:
    from casebook.models import Evidence, EvidenceItem, Passage, Theme
    from casebook.steps.use_case_seed import choose_seed

    passages = [
        Passage(source_id="S1", chunk_id="c1", file="a.md", page=None, text="We expect revenue of EUR 160 million."),
        Passage(
            source_id="S2",
            chunk_id="c2",
            file="b.md",
            page=None,
            text="Revenue grew in 2025. Route planners rebuild every tour by hand in Excel, which takes 3 hours a day.",
        ),
    ]
    theme = Theme(
        name="Costs and revenue",
        summary="",
        items=[EvidenceItem(fact="We expect revenue of EUR 160 million.", quote="We expect revenue", source="S1")],
    )
    evidence = Evidence(themes=[theme], passages=passages)
    seed = choose_seed(evidence, theme, passages, [])
    assert seed == "Route planners rebuild every tour by hand in Excel, which takes 3 hours a day [S2]."
