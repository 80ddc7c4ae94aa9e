"""Evidence: find the passages that matter and have the model pull out facts and quotes by theme."""

from __future__ import annotations

from casebook.documents.index import PassageIndex
from casebook.errors import InputError
from casebook.llm import LLMClient, StepModel
from casebook.models import ITEMS_PER_THEME, MAX_THEMES, Evidence, EvidenceAnswer, Passage, Submission
from casebook.steps.constrain import evidence_answer_model
from casebook.steps.prompts import messages, render_passages, render_submission, system_prompt

# Questions an AI-readiness review asks of any company's documents, one search each.
THEME_QUERIES = (
    "strategy priorities goals targets growth plan",
    "manual process time errors delays backlog workload",
    "customer service complaints tickets satisfaction response",
    "data systems ERP CRM warehouse integration data quality",
    "staff skills training employees hiring change management",
    "revenue costs margin budget spend savings",
    "risk compliance GDPR security regulation policy",
    "forecast planning demand capacity scheduling",
)


def gather_passages(index: PassageIndex, submission: Submission, limit: int = 24, chars: int = 900) -> list[Passage]:
    """Passages for the run, taken round-robin from several searches so every theme is heard.

    Each passage keeps at most `chars` characters: what the model is shown is what it cites.
    """
    queries = [q for q in (submission.report_expectations, submission.company_description) if q]
    queries += THEME_QUERIES
    results = [index.search(q, k=limit) for q in queries]
    chosen: dict[str, Passage] = {}
    for rank in range(limit):
        for hits in results:
            if len(chosen) >= limit:
                break
            if rank < len(hits) and hits[rank].chunk_id not in chosen:
                hit = hits[rank]
                chosen[hit.chunk_id] = Passage(
                    source_id=f"S{len(chosen) + 1}",
                    chunk_id=hit.chunk_id,
                    file=hit.file,
                    page=hit.page,
                    section=hit.section,
                    text=_shorten(hit.text, chars),
                )
    return list(chosen.values())


def _shorten(text: str, chars: int) -> str:
    if len(text) <= chars:
        return text
    return text[:chars].rsplit(" ", 1)[0] + " …"


async def extract_evidence(
    llm: LLMClient,
    model: StepModel,
    submission: Submission,
    passages: list[Passage],
    tone: str = "",
    *,
    themes: int = MAX_THEMES,
    facts: int = ITEMS_PER_THEME,
) -> Evidence:
    if not passages:
        raise InputError("no passages to draw evidence from: the documents gave no searchable text")
    answer_model = evidence_answer_model([p.source_id for p in passages], themes, facts)
    user = f"{render_submission(submission)}\n\nPassages from the company's documents:\n\n{render_passages(passages)}"
    answer = await llm.structured("evidence", model, messages(system_prompt("evidence"), user, tone), answer_model)
    plain = EvidenceAnswer.model_validate(answer.model_dump())
    return Evidence(themes=plain.themes, passages=passages)
