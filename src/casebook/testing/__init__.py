"""Test helpers that ship with casebook: fake Chat Completions endpoints.

FakeLLM (in-process, httpx.MockTransport) and FakeOpenAIServer (real loopback HTTP,
also `python -m casebook.testing.openai_server`) share one wire-format module.
"""

from __future__ import annotations

from typing import Any

from casebook.testing.answers import schema_answer, source_ids
from casebook.testing.fake_llm import FakeLLM
from casebook.testing.wire import FakeResponse, item_of, step_of

__all__ = ["FakeLLM", "FakeOpenAIServer", "FakeResponse", "item_of", "schema_answer", "source_ids", "step_of"]


def __getattr__(name: str) -> Any:
    # imported lazily so `python -m casebook.testing.openai_server` runs without a warning
    if name == "FakeOpenAIServer":
        from casebook.testing.openai_server import FakeOpenAIServer

        return FakeOpenAIServer
    raise AttributeError(name)
