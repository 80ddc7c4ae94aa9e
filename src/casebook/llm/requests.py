"""One Chat Completions request and its answer, through the official SDK.

Kept apart from `client.py` (budget, logging, errors, structured answers): this module
only builds the request body and reads text, finish reason and usage back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import openai

from casebook.llm.failures import UnusableAnswer
from casebook.llm.modelsets import StepModel

_REASONING_PREFIXES = ("gpt-5", "o1", "o3", "o4")
# Which step (and which item of it, e.g. the use case of a Part B call) a request belongs to:
# for logs and proxies in between, and for the fakes, so tests never match on prompt wording.
STEP_HEADER = "X-Casebook-Step"
ITEM_HEADER = "X-Casebook-Item"
Counts = tuple[int, int] | None  # (prompt_tokens, completion_tokens), None if not reported


@dataclass
class Answer:
    text: str
    finish_reason: str | None


def is_reasoning_model(model: str) -> bool:
    """Models that take max_completion_tokens and refuse a temperature."""
    name = model.strip().lower().rsplit("/", 1)[-1]
    return name.startswith(_REASONING_PREFIXES)


def message_chars(messages: list[dict[str, Any]]) -> int:
    total = 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            total += sum(
                len(str(part.get("text", ""))) for part in content if isinstance(part, dict)
            )
    return total


def build_request(
    model: StepModel,
    messages: list[dict[str, Any]],
    response_format: dict[str, Any] | None,
    *,
    step: str | None = None,
    item: int | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = {"model": model.model, "messages": messages}
    if step is not None:
        headers = {STEP_HEADER: step}
        if item is not None:
            headers[ITEM_HEADER] = str(item)
        request["extra_headers"] = headers
    if is_reasoning_model(model.model):
        request["max_completion_tokens"] = model.max_tokens
    else:
        request["max_tokens"] = model.max_tokens
        request["temperature"] = model.temperature
        if model.frequency_penalty is not None:
            request["frequency_penalty"] = model.frequency_penalty
    if response_format is not None:
        request["response_format"] = response_format
    return request


async def send(sdk: openai.AsyncOpenAI, request: dict[str, Any]) -> tuple[Answer, Counts]:
    create = cast(Any, sdk.chat.completions.create)
    completion = await create(**request)
    if not getattr(completion, "choices", None):
        raise UnusableAnswer("the response holds no choices: check OPENAI_BASE_URL")
    choice = completion.choices[0]
    message = choice.message
    text = message.content or ""
    if not text and getattr(message, "refusal", None):
        raise UnusableAnswer(f"the model refused to answer: {message.refusal}")
    usage = completion.usage
    counts = (usage.prompt_tokens, usage.completion_tokens) if usage is not None else None
    return Answer(text=text, finish_reason=choice.finish_reason), counts


async def send_streaming(sdk: openai.AsyncOpenAI, request: dict[str, Any]) -> tuple[Answer, Counts]:
    """Streamed, asking for usage in the last chunk (stream_options.include_usage)."""
    create = cast(Any, sdk.chat.completions.create)
    stream = await create(**request, stream=True, stream_options={"include_usage": True})
    parts: list[str] = []
    finish: str | None = None
    counts: Counts = None
    async with stream:
        async for chunk in stream:
            if chunk.usage is not None:
                counts = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
            for choice in chunk.choices or ():
                if choice.delta is not None and choice.delta.content:
                    parts.append(choice.delta.content)
                if choice.finish_reason:
                    finish = choice.finish_reason
    return Answer(text="".join(parts), finish_reason=finish), counts
