"""The optional model check (CASEBOOK_VERIFY=model): a cheap model says yes or no for the
(sentence, passage) pairs whose lexical score is near the threshold, several pairs a request."""

from __future__ import annotations

from pydantic import BaseModel, Field

from casebook.llm import LLMClient, StepModel
from casebook.steps.claims import normalise
from casebook.steps.prompts import messages, system_prompt
from casebook.steps.verify import Doubt

BATCH = 12  # pairs per request
PASSAGE_CHARS = 1500  # of each passage shown: the part a sentence is usually drawn from


class Verdict(BaseModel):
    id: int = Field(ge=1, description="The pair's number")
    supported: bool = Field(description="True only if the passage supports the sentence")


class Verdicts(BaseModel):
    verdicts: list[Verdict]


async def judge(llm: LLMClient, model: StepModel, doubts: list[Doubt]) -> dict[tuple[str, str], bool]:
    """Verdicts keyed by (normalised sentence, passage key); a pair the model skips keeps its score."""
    verdicts: dict[tuple[str, str], bool] = {}
    for start in range(0, len(doubts), BATCH):
        batch = doubts[start : start + BATCH]
        pairs = "\n\n".join(
            f"Pair {n}\nSentence: {d.claim}\nPassage: {' '.join(d.passage.split())[:PASSAGE_CHARS]}"
            for n, d in enumerate(batch, start=1)
        )
        answer = await llm.structured("verify", model, messages(system_prompt("verify"), pairs), Verdicts)
        for verdict in answer.verdicts:
            if 1 <= verdict.id <= len(batch):
                doubt = batch[verdict.id - 1]
                verdicts[(normalise(doubt.claim), doubt.key)] = verdict.supported
    return verdicts
