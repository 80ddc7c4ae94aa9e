"""Consolidate: the content model writes the executive summary and recommendations, an optional
cheaper style pass polishes them, and the report is assembled around Part A and Part B.

The model never rewrites Part A or Part B wholesale: that is where long reports lose sections
and citations. It writes the parts that need the whole picture; the rest is assembled as written.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from casebook.llm import LLMClient, StepModel
from casebook.models import Submission, UseCase
from casebook.report.normalise import normalise_markdown
from casebook.report.written import readiness_line, recommendation, start_order, summary_paragraphs
from casebook.roadmap import roadmap_lines
from casebook.steps.capped import ask_capped, capped_model
from casebook.steps.overlap import MIN_WORDS, copied_from, words
from casebook.steps.prompts import (
    asked_again,
    messages,
    render_submission,
    render_use_case,
    system_prompt,
)

SHORT_SUMMARY = "the executive summary is missing or too short"


async def consolidate(
    llm: LLMClient,
    model: StepModel,
    submission: Submission,
    part_a: str,
    use_cases: list[UseCase],
    tone: str = "",
    *,
    rejected: tuple[str, list[str]] | None = None,
    prose_chars: int | None = None,
) -> str:
    """The executive summary and recommendations. `rejected`: an earlier answer and why it was
    rejected (it copied Part A, had no recommendations): the model is told, and writes it again.
    `prose_chars`: asked as capped JSON (`casebook.steps.capped`), the pipeline sets the heading
    and the numbers."""
    cases = "\n\n".join(render_use_case(uc, i) for i, uc in enumerate(use_cases, start=1))
    user = f"{render_submission(submission)}\n\nPart A:\n\n{part_a}\n\nUse cases:\n\n{cases}"
    asked = messages(system_prompt("consolidate"), user, tone)
    if rejected is not None:
        asked += asked_again(*rejected, "the executive summary and the recommendations")
    if prose_chars is None:
        return (await llm.chat("consolidate", model, asked)).strip()
    asked[1]["content"] += (
        "\n\nAnswer with JSON: the executive summary (plain paragraphs, passage ids in square brackets) "
        "and the recommendations, one concrete action each."
    )
    summary_chars, items, item_chars = prose_chars * 3 // 2, 6, 180
    schema = capped_model(
        "Summary",
        {"executive_summary": "The executive summary, without a heading"},
        summary_chars,
        {"recommendations": (items, item_chars)},
    )
    answer = await ask_capped(llm, "consolidate", model, asked, schema, summary_chars + items * item_chars)
    listed = "\n".join(f"{n}. {r}" for n, r in enumerate(answer["recommendations"], start=1))
    return f"{answer['executive_summary']}\n\n### Recommendations\n\n{listed}"


RECOMMENDATIONS = re.compile(r"^#{1,6}\s*\**\s*recommendations?\b.*$", re.IGNORECASE | re.MULTILINE)


def summary_problems(summary: str, part_a: str, submission: Submission) -> list[str]:
    """Why an executive summary may not go into the report as it is (empty when it may)."""
    problems = []
    body, recommendations = split_recommendations(summary)
    if len(words(body)) < MIN_WORDS:
        problems.append(f"{SHORT_SUMMARY}: write three to five short paragraphs")
    if not recommendations:
        problems.append('it has no "### Recommendations" section with numbered recommendations')
    intake = "\n\n".join(t for t in (submission.company_description, submission.report_expectations) if t)
    copied = copied_from(
        summary, {"Part A": part_a, "the intake form": intake, "its own instructions": system_prompt("consolidate")}
    )
    if copied is not None:
        problems.append(copied.reason("the executive summary"))
    return problems


def pipeline_summary(summary: str, submission: Submission, use_cases: list[UseCase]) -> str:
    """The summary with the pipeline's body in place of the model's (`casebook.report.written`),
    the model's recommendations kept."""
    _, recommendations = split_recommendations(summary)
    line = readiness_line(submission.company_name, submission.readiness_score, submission.readiness_category)
    body = "\n\n".join(p for p in [line, *summary_paragraphs(use_cases)] if p)
    return f"{body}\n\n### Recommendations\n\n{recommendations}" if recommendations else body


def split_recommendations(summary: str) -> tuple[str, str]:
    """(the summary before its Recommendations heading, the recommendations' text)."""
    match = RECOMMENDATIONS.search(summary)
    if match is None:
        return summary, ""
    return summary[: match.start()].strip(), summary[match.end() :].strip()


def ensure_recommendations(summary: str, use_cases: list[UseCase]) -> str:
    """A summary whose model wrote no recommendations gets the pipeline's own, from the use
    cases: the best value for the least effort first, each with its horizon."""
    if split_recommendations(summary)[1]:
        return summary
    summary = RECOMMENDATIONS.sub("", summary).strip()
    ranked = start_order(use_cases)
    lines = ["### Recommendations", ""]
    for n, (number, uc) in enumerate(ranked, start=1):
        lines.append(f"{n}. {recommendation(number, uc)}")
    return f"{summary}\n\n" + "\n".join(lines) if summary else "\n".join(lines)


async def style_pass(llm: LLMClient, model: StepModel, text: str, tone: str = "") -> str:
    styled = await llm.chat("style", model, messages(system_prompt("style"), text, tone))
    return styled.strip()


def assemble_report(
    *,
    submission: Submission,
    run_id: str,
    created: datetime,
    summary: str,
    part_a: str,
    part_b: str,
    use_cases: list[UseCase],
) -> str:
    score = f"{submission.readiness_score:g}/100" if submission.readiness_score is not None else "not given"
    title = f"AI Readiness Report: {submission.company_name}"
    lines = [
        f"# {title}",
        "",
        f"_Run {run_id} · {created:%Y-%m-%d} · {len(use_cases)} use cases_",
        "",
        "## Executive summary",
        "",
        normalise_markdown(summary, level=3, drop_titles=("Executive summary", "Summary", title)),
        "",
        "## AI readiness",
        "",
        f"- **Readiness score:** {score}",
        f"- **Category:** {submission.readiness_category or 'not given'}",
    ]
    if submission.report_expectations:
        lines.append(f"- **Report expectations:** {' '.join(submission.report_expectations.split())}")
    lines += ["", "## Use case portfolio", "", *portfolio_table(use_cases), ""]
    part_a_titles = ("Part A", "Part A: Company analysis", "Company analysis", title)
    lines += ["## Part A: Company analysis", "", normalise_markdown(part_a, level=3, drop_titles=part_a_titles), ""]
    lines += ["## Part B: Use cases in depth", "", part_b.strip(), ""]
    lines += ["## Roadmap", "", *roadmap(use_cases, created.date(), submission.report_expectations)]
    return "\n".join(lines).rstrip() + "\n"


def portfolio_table(use_cases: list[UseCase]) -> list[str]:
    rows = ["| # | Use case | Impact | Effort | Value | Horizon |", "|---|---|---|---|---|---|"]
    for i, uc in enumerate(use_cases, start=1):
        title = uc.title.replace("|", "/")
        rows.append(f"| {i} | {title} | {uc.impact}/5 | {uc.effort}/5 | {uc.value}/5 | {uc.horizon} |")
    return rows


def roadmap(use_cases: list[UseCase], created: date | None = None, expectations: str = "") -> list[str]:
    """Phases with dates from the horizons and the client's stated timing (casebook.roadmap)."""
    return roadmap_lines(use_cases, created or datetime.now(UTC).date(), expectations)
