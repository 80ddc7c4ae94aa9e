"""Revise: one section of the report written again, told what a reader found wrong with it
(a sentence cut mid-way, a paragraph said twice, an empty heading …). `finalize` asks once per
section that has such a finding; the answer is normalised like the section's first version."""

from __future__ import annotations

from casebook.llm import LLMClient, StepModel
from casebook.models import Passage
from casebook.steps.prompts import messages, render_passages, system_prompt

# The step label of each kind of section (the X-Casebook-Step header, logs, usage).
REVISE_STEPS = {"executive_summary": "revise_summary", "part_a": "revise_part_a", "part_b": "revise_part_b"}


async def revise_section(
    llm: LLMClient,
    model: StepModel,
    section: str,
    text: str,
    problems: list[str],
    passages: list[Passage],
    tone: str = "",
) -> str:
    """The section (`executive_summary`, `part_a` or `part_b:N`) written again without `problems`."""
    kind, _, number = section.partition(":")
    listed = "\n".join(f"- {p}" for p in problems)
    user = f"Problems:\n{listed}\n\nSection:\n\n{text.strip() or '(empty)'}\n\nPassages:\n\n{render_passages(passages)}"
    asked = messages(system_prompt("revise"), user, tone)
    answer = await llm.chat(REVISE_STEPS[kind], model, asked, item=int(number) if number else None)
    return answer.strip()
