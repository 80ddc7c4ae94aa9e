"""Text the pipeline writes itself into a report, not the model: each Part B section's lead (the
AI technique and horizon, the scores with their reasons, the cited problem when the model wrote
no Problem part), the implementation plan of a section set from its use case, and the
Recommendations the pipeline lists when the model gave none. One place
for their wording, so the report check (`casebook.report.check`) can tell them from model prose:
they are never flagged as a model's repeated or cut text, and never the reason to revise a section.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from casebook.models import UseCase
from casebook.roadmap import HORIZONS

_CITATIONS = re.compile(r"\s*(?:\[(?:S\d+|\d{1,4})\])+")


def lead_facts(use_case: UseCase) -> str:
    facts = []
    if use_case.technique:
        facts.append(f"**AI technique:** {use_case.technique}")
    facts.append(f"**Horizon:** {use_case.horizon}")
    return " · ".join(facts)


def score_items(use_case: UseCase) -> list[str]:
    """The scores with their reasons, one list item's text each (no list marker)."""
    scores = (
        ("Impact", use_case.impact, use_case.impact_reason),
        ("Effort", use_case.effort, use_case.effort_reason),
        ("Value", use_case.value, use_case.value_reason),
    )
    items = []
    for name, score, reason in scores:
        reason = reason.strip().rstrip(".")
        items.append(f"**{name} {score}/5**" + (f": {reason}." if reason else ""))
    return items


def recommendation(number: int, use_case: UseCase) -> str:
    """One recommendation the pipeline writes (no list marker)."""
    return (
        f"Start use case {number}, {use_case.title}, within {use_case.horizon} "
        f"(value {use_case.value}/5, effort {use_case.effort}/5)."
    )


def plan_items(use_case: UseCase) -> list[str]:
    """The implementation plan of a Part B section set from its use case (no list marker)."""
    data = "; ".join(d.strip().rstrip(".") for d in use_case.data_needed[:3])
    kpi = use_case.kpis[0].strip().rstrip(".") if use_case.kpis else "its KPIs"
    technique = use_case.technique or "AI solution"
    return [
        f"Prepare the data it needs: {data}.",
        f"Pilot the {technique} within {use_case.horizon}, measured by {kpi}; "
        "widen it once the pilot meets its target.",
    ]


def readiness_line(company: str, score: float | None, category: str | None) -> str:
    if score is None:
        return ""
    return f"{company} rates its own AI readiness at {score:g}/100" + (f" ({category})." if category else ".")


def summary_paragraphs(use_cases: list[UseCase]) -> list[str]:
    """The executive summary's body the pipeline writes when the model's is still empty (or only a
    run of citation marks) after it was asked again: the problems its first use cases answer (their
    cited facts) and where to start (after the company's own readiness line, `readiness_line`)."""
    first = [uc for _, uc in start_order(use_cases)][:3]
    if not first:
        return []
    groups: list[tuple[str, list[str]]] = []  # (horizon, titles) in start order: each with its own horizon
    for uc in first:
        if groups and groups[-1][0] == uc.horizon:
            groups[-1][1].append(uc.title)
        else:
            groups.append((uc.horizon, [uc.title]))
    when = ", then ".join(f"{_and(titles)}, within {horizon}" for horizon, titles in groups)
    return [
        "Its documents show where AI can help first. " + " ".join(uc.problem.strip() for uc in first),
        f"This report proposes {len(use_cases)} AI use cases; the first to start are {when}.",
    ]


def _and(items: list[str]) -> str:
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1]


def start_order(use_cases: list[UseCase]) -> list[tuple[int, UseCase]]:
    """(number, use case) in the order to start them: the nearest horizon, then the best value for
    the least effort (the recommendations and the summary the pipeline writes)."""
    return sorted(
        enumerate(use_cases, start=1), key=lambda p: (HORIZONS.index(p[1].horizon), -p[1].value, p[1].effort)
    )


def plain(text: str) -> str:
    """A paragraph compared as text: citations (`[S1]` or the verified `[1]`) and spacing aside."""
    return " ".join(_CITATIONS.sub("", text).split()).casefold()


def pipeline_texts(use_cases: Iterable[UseCase]) -> dict[str, set[str]]:
    """Per report section id, the paragraphs and list items the pipeline writes there (`plain`)."""
    found: dict[str, set[str]] = {"executive_summary": set()}
    for number, uc in enumerate(use_cases, start=1):
        found[f"part_b:{number}"] = {plain(t) for t in (lead_facts(uc), *score_items(uc), *plan_items(uc), uc.problem)}
        found["executive_summary"].add(plain(recommendation(number, uc)))
    found["executive_summary"] |= {plain(t) for t in summary_paragraphs(list(use_cases))}
    return found

