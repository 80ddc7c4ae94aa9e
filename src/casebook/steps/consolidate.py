"""Consolidate: the content model writes the executive summary and recommendations, an optional
cheaper style pass polishes them, and the report is assembled around Part A and Part B.

The model never rewrites Part A or Part B wholesale: that is where long reports lose sections
and citations. It writes the parts that need the whole picture; the rest is assembled as written.
"""

from __future__ import annotations

from datetime import datetime

from casebook.llm import LLMClient, StepModel
from casebook.models import Submission, UseCase
from casebook.report.normalise import normalise_markdown
from casebook.steps.prompts import (
    messages,
    render_submission,
    render_use_case,
    system_prompt,
)

HORIZONS = ("0-6 months", "6-12 months", "12-24 months")


async def consolidate(
    llm: LLMClient,
    model: StepModel,
    submission: Submission,
    part_a: str,
    use_cases: list[UseCase],
    tone: str = "",
) -> str:
    cases = "\n\n".join(render_use_case(uc, i) for i, uc in enumerate(use_cases, start=1))
    user = f"{render_submission(submission)}\n\nPart A:\n\n{part_a}\n\nUse cases:\n\n{cases}"
    text = await llm.chat("consolidate", model, messages(system_prompt("consolidate"), user, tone))
    return text.strip()


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
    lines += ["## Roadmap", "", *roadmap(use_cases)]
    return "\n".join(lines).rstrip() + "\n"


def portfolio_table(use_cases: list[UseCase]) -> list[str]:
    rows = ["| # | Use case | Impact | Effort | Value | Horizon |", "|---|---|---|---|---|---|"]
    for i, uc in enumerate(use_cases, start=1):
        title = uc.title.replace("|", "/")
        rows.append(f"| {i} | {title} | {uc.impact}/5 | {uc.effort}/5 | {uc.value}/5 | {uc.horizon} |")
    return rows


def roadmap(use_cases: list[UseCase]) -> list[str]:
    lines: list[str] = []
    for phase, horizon in enumerate(HORIZONS, start=1):
        chosen = [(i, uc) for i, uc in enumerate(use_cases, start=1) if uc.horizon == horizon]
        if not chosen:
            continue
        lines += [f"### Phase {phase}: {horizon}", ""]
        chosen.sort(key=lambda pair: (-pair[1].value, pair[1].effort))
        lines += [f"- {i}. {uc.title} (value {uc.value}/5, effort {uc.effort}/5)" for i, uc in chosen]
        lines.append("")
    return lines
