"""Part A: company context, readiness assessment and themes, as Markdown."""

from __future__ import annotations

from casebook.llm import LLMClient, StepModel
from casebook.models import Evidence, Submission, UseCase
from casebook.steps.prompts import (
    messages,
    render_evidence,
    render_passages,
    render_submission,
    system_prompt,
)


async def write_part_a(
    llm: LLMClient,
    model: StepModel,
    submission: Submission,
    evidence: Evidence,
    use_cases: list[UseCase],
    tone: str = "",
) -> str:
    titles = "\n".join(f"{i}. {uc.title}" for i, uc in enumerate(use_cases, start=1))
    user = (
        f"{render_submission(submission)}\n\nEvidence by theme:\n\n{render_evidence(evidence)}"
        f"\n\nPassages:\n\n{render_passages(evidence.passages)}\n\nProposed use cases:\n{titles}"
    )
    text = await llm.chat("part_a", model, messages(system_prompt("part_a"), user, tone))
    return text.strip()
