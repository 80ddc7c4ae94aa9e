"""Revise: one section of the report written again, told what a reader found wrong with it
(a sentence cut mid-way, a paragraph said twice, an empty heading …). `finalize` asks once per
section that has such a finding; the answer is normalised like the section's first version."""

from __future__ import annotations

from casebook.llm import LLMClient, StepModel
from casebook.models import Passage
from casebook.steps.capped import ask_capped, capped_model
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
    prose_chars: int | None = None,
) -> str:
    """The section (`executive_summary`, `part_a` or `part_b:N`) written again without `problems`;
    with `prose_chars`, as capped JSON (`casebook.steps.capped`) no longer than the section was
    (give or take `prose_chars`)."""
    kind, _, number = section.partition(":")
    listed = "\n".join(f"- {p}" for p in problems)
    user = f"Problems:\n{listed}\n\nSection:\n\n{text.strip() or '(empty)'}\n\nPassages:\n\n{render_passages(passages)}"
    asked = messages(system_prompt("revise"), user, tone)
    item = int(number) if number else None
    if prose_chars is None:
        return (await llm.chat(REVISE_STEPS[kind], model, asked, item=item)).strip()
    asked[1]["content"] += "\n\nAnswer with JSON: the section's Markdown, headings included, in one field."
    chars = len(text) + prose_chars
    schema = capped_model("Revision", {"text": "The section written again, in Markdown"}, chars)
    return str((await ask_capped(llm, REVISE_STEPS[kind], model, asked, schema, chars, item=item))["text"])
