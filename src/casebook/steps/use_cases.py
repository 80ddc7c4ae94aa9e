"""Use cases: exactly N distinct, structured AI use cases, each citing the evidence."""

from __future__ import annotations

from casebook.llm import LLMClient, StepModel
from casebook.models import Evidence, Submission, UseCase
from casebook.steps.constrain import use_case_list_model
from casebook.steps.prompts import (
    messages,
    render_evidence,
    render_passages,
    render_submission,
    system_prompt,
)


async def generate_use_cases(
    llm: LLMClient, model: StepModel, submission: Submission, evidence: Evidence, tone: str = ""
) -> list[UseCase]:
    n = submission.use_cases_count
    answer_model = use_case_list_model([p.source_id for p in evidence.passages], n)
    user = (
        f"{render_submission(submission)}\n\nEvidence by theme:\n\n{render_evidence(evidence)}"
        f"\n\nPassages:\n\n{render_passages(evidence.passages)}\n\nWrite exactly {n} use cases."
    )
    answer = await llm.structured(
        "use_cases", model, messages(system_prompt("use_cases", n=n), user, tone), answer_model
    )
    return [UseCase.model_validate(uc.model_dump()) for uc in answer.use_cases]  # type: ignore[attr-defined]
