"""Part B: one section per use case, each written by its own LLM call (the run makes them concurrently)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from casebook.llm import LLMClient, StepModel
from casebook.models import Evidence, Submission, UseCase
from casebook.report.normalise import normalise_markdown
from casebook.report.written import lead_facts, plan_items, score_items
from casebook.steps.linking import link_uncited
from casebook.steps.prompts import (
    messages,
    render_passages,
    render_submission,
    render_use_case,
    system_prompt,
)


async def write_use_case_section(
    llm: LLMClient,
    model: StepModel,
    submission: Submission,
    use_case: UseCase,
    number: int,
    evidence: Evidence,
    tone: str = "",
    passages: int = 8,
    *,
    texts: Mapping[str, str] | None = None,
) -> str:
    """The section the model writes; `texts` are the run's passages in full, by id, against which
    its uncited statements are linked (the evidence's own texts when not given)."""
    cited = [p for p in evidence.passages if p.source_id in use_case.citations][:passages]
    related = [p for p in evidence.passages if p not in cited][: max(0, passages - len(cited))]
    user = (
        f"{render_submission(submission)}\n\n{render_use_case(use_case, number)}\n\n"
        f"Passages:\n\n{render_passages(cited + related)}"
    )
    text = await llm.chat("part_b", model, messages(system_prompt("part_b"), user, tone), item=number)
    # what it states without a citation: cited where a passage supports it, dropped where it is a
    # share or an amount that nothing holds (`casebook.steps.linking`)
    full = texts if texts is not None else {p.source_id: p.text for p in evidence.passages}
    text = link_uncited(text, full, render_submission(submission)).markdown
    return section_markdown(text, use_case, number)


def section_from_use_case(use_case: UseCase, number: int) -> str:
    """A section set from the use case's own fields, with no call (a model set with
    `part_b_from = "use_cases"`): the parts a model would write, each from its field."""

    said: list[str] = []  # a small model repeats a field in another ("Revenue" as a KPI and as data)

    def fresh(text: str) -> bool:
        key = " ".join(text.casefold().split()).rstrip(".")
        if not key or key in said:
            return False
        said.append(key)
        return True

    def items(values: list[str]) -> str:
        return "\n".join(f"- {v.strip()}" for v in values if fresh(v))

    def prose(text: str) -> str:
        return text.strip() if fresh(text) else ""

    parts = [
        ("Problem", prose(use_case.problem)),
        ("Solution", prose(use_case.solution)),
        ("Expected impact", prose(use_case.expected_impact)),
        ("Implementation plan", items(plan_items(use_case))),
        ("KPIs", items(use_case.kpis)),
        ("Data and systems", items(use_case.data_needed)),
        ("Risks and mitigations", items(use_case.risks)),
    ]
    body = "\n\n".join(f"#### {name}\n\n{text}" for name, text in parts if text)
    return section_markdown(body, use_case, number)


def section_markdown(text: str, use_case: UseCase, number: int) -> str:
    """The model's section under the pipeline's own heading, after the pipeline's lead."""
    body = section_body(text, use_case, number)
    return f"### {number}. {use_case.title}\n\n{use_case_lead(use_case, body)}"


def section_body(text: str, use_case: UseCase, number: int) -> str:
    """The model's section, its headings at level 4 (5 below them), its own title and source
    lists left out (`casebook.report.normalise`)."""
    titles = (use_case.title, f"Use case {number}", f"Use case {number}: {use_case.title}")
    return normalise_markdown(text, level=4, deepest=5, drop_titles=titles)


_PROBLEM = re.compile(r"^#{1,6}\s*\**\s*(?:the\s+)?problem\b[^\n]*\n+(?P<body>(?:(?!#).*\S.*\n?)+)", re.I | re.M)


def use_case_lead(use_case: UseCase, body: str) -> str:
    """The section as the reader needs it whatever the model wrote: the technique, the scores
    with their reasons, and the cited problem when the model's text has no Problem part."""
    lines = [lead_facts(use_case), "\n".join(f"- {item}" for item in score_items(use_case))]
    if _PROBLEM.search(body) is None:
        lines.append(f"#### Problem\n\n{use_case.problem.strip()}")
    return "\n\n".join([*lines, body]).strip()


def number_section(section: str, number: int, title: str) -> str:
    """A section written for one position, headed for another (the list was reordered)."""
    first, _, rest = section.strip().partition("\n")
    if not first.startswith("### "):
        return section
    return f"### {number}. {title}\n{rest}"


def assemble_part_b(sections: list[str]) -> str:
    return "\n\n".join(s.strip() for s in sections) + "\n"
