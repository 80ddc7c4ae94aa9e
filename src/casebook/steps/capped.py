"""Prose asked as JSON with capped fields: a small model's answer that always ends.

Qwen2.5-Coder-0.5B asked for Part A in Markdown wrote 640 tokens three times over (the answer and
two continuations) without closing it, and the step failed, as a cut answer must (issue #10).
A model set with `prose_chars` asks its prose steps (Part A, the executive summary, a revision)
for JSON instead: one string field per part, each capped at a number of characters that llama.cpp's
grammar enforces, so the answer closes within its token limit; each field is then cut back to its
last whole sentence (`casebook.steps.tidy`), and the pipeline sets the headings and list markers.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, create_model

from casebook.llm import LLMClient, StepModel
from casebook.steps.tidy import tidy

CHARS_PER_TOKEN = 1  # prose runs ~4 characters a token, but a small model's loop ("\n- \n- …") less than 2


def capped_model(
    name: str, fields: dict[str, str], chars: int, lists: dict[str, tuple[int, int]] | None = None
) -> type[BaseModel]:
    """A schema of string fields (`fields`: name → description) of a third of `chars` to `chars`
    characters each (given room, Qwen 0.5B answered "58/100." for a readiness assessment), and of
    lists (`lists`: name → (most items, characters an item), at least half as many items, each a
    sentence)."""
    # the floor is the grammar's (the JSON schema's minLength), not a reason to refuse an answer
    # from an endpoint that keeps no lengths
    spec: dict[str, Any] = {
        key: (str, Field(min_length=1, max_length=chars, description=d, json_schema_extra={"minLength": chars // 3}))
        for key, d in fields.items()
    }
    for key, (items, item_chars) in (lists or {}).items():
        item = Annotated[str, Field(min_length=1, max_length=item_chars, json_schema_extra={"minLength": 40})]
        spec[key] = (
            list[item],
            Field(min_length=1, max_length=items, json_schema_extra={"minItems": max(1, items // 2 + 1)}),
        )
    return create_model(name, **spec)


def model_for(model: StepModel, total_chars: int) -> StepModel:
    """The step's model with a token limit the capped answer always fits in."""
    needed = total_chars // CHARS_PER_TOKEN + 64
    return (
        model
        if model.max_tokens >= needed
        else StepModel(model.model, needed, model.temperature, model.set_name, model.frequency_penalty)
    )


async def ask_capped(
    llm: LLMClient,
    step: str,
    model: StepModel,
    messages: list[dict[str, Any]],
    schema: type[BaseModel],
    total_chars: int,
    *,
    item: int | None = None,
) -> dict[str, Any]:
    """The answer's fields, each string tidied to end on a whole sentence (list items too)."""
    answer = await llm.structured(step, model_for(model, total_chars), messages, schema, item=item)
    tidied: dict[str, Any] = {}
    for key, value in answer.model_dump().items():
        if isinstance(value, list):
            tidied[key] = [tidy(v) for v in value if v.strip()]
        else:
            tidied[key] = tidy(value)
    return tidied
