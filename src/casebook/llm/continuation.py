"""Answers cut at max_tokens: how a text answer is continued, and the error when it stays cut."""

from __future__ import annotations

from typing import Any

from casebook.errors import LLMError
from casebook.llm.modelsets import StepModel

CONTINUE = (
    "Your answer above was cut off at the length limit. Continue it exactly from where it "
    "stopped: do not repeat anything already written, add no preamble or comment, and finish it."
)
_MIN_OVERLAP = 5  # characters, starting at a word: "Venlo," repeated; not "s" or "the"
_MAX_OVERLAP = 600


def continue_messages(messages: list[dict[str, Any]], so_far: str) -> list[dict[str, Any]]:
    """The conversation with the cut answer as the assistant's turn and a request to go on."""
    return [*messages, {"role": "assistant", "content": so_far}, {"role": "user", "content": CONTINUE}]


def join_continuation(so_far: str, more: str) -> str:
    """`so_far` + `more`, without the part of `more` that repeats the end of `so_far`.

    Models asked to continue often start by repeating the last words they wrote, or start
    again from the top; the repeat is dropped, a restart replaces what came before.
    """
    if not more.strip():
        return so_far
    head = so_far.lstrip()[:60]
    if len(head) >= 40 and more.lstrip().startswith(head):
        return more  # the model started again from the beginning
    stripped = more.lstrip()
    limit = min(len(so_far), len(stripped), _MAX_OVERLAP)
    for size in range(limit, _MIN_OVERLAP - 1, -1):
        start = len(so_far) - size
        at_word = start == 0 or not so_far[start - 1].isalnum()
        if at_word and so_far.endswith(stripped[:size]):
            more = stripped[size:]
            break
    if so_far and more and not so_far[-1].isspace() and not more[0].isspace() and so_far[-1] in ".!?:;,)":
        more = " " + more  # a new sentence or clause after punctuation: words stay apart
    return so_far + more


def cut_error(step: str, model: StepModel, limit: int, rounds: int, *, continued: bool) -> LLMError:
    """The error of a step whose answer stayed cut: which step, and which settings to raise."""
    tried = (
        f"after {rounds} continuation{'s' if rounds != 1 else ''}"
        if continued
        else f"after {rounds} retr{'ies' if rounds != 1 else 'y'} with a larger limit"
    )
    where = f"model set {model.set_name!r}" if model.set_name else "the model set"
    entry = f"{step} = {{ max_tokens = {model.max_tokens * 2} }}"
    hint = (
        f" (e.g. `{entry}` under [{model.set_name}] in a file named by CASEBOOK_MODEL_SETS_FILE)"
        if model.set_name
        else ""
    )
    return LLMError(
        f"step {step}: the answer of {model.model} was still cut off at max_tokens={limit} {tried}; "
        f"raise max_tokens for {step!r} in {where}{hint}, or CASEBOOK_LLM_LENGTH_RETRIES"
    )
