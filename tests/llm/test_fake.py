"""LLMClient against FakeLLM (in-process), plus schema_answer and the strict schema."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field
from structlog.testing import capture_logs

from casebook.errors import BudgetExceeded, LLMError
from casebook.llm import StepModel, UsageLedger, extract_json, load_prices, strict_json_schema
from casebook.testing import FakeLLM, FakeResponse, schema_answer

MINI = StepModel("gpt-4o-mini", 500, 0.2)
MESSAGES = [
    {"role": "system", "content": "You write grounded reports."},
    {"role": "user", "content": "Sources: [S3] sales data. [S7] CRM notes. [S3] again. [S9] ERP."},
]


@pytest.fixture(autouse=True)
def _no_real_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-from-env-never-used")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")


class Claim(BaseModel):
    text: str = Field(min_length=25, description="One sentence")
    confidence: float = Field(ge=0, le=1)
    citations: list[str] = Field(min_length=1, max_length=3)


class Evidence(BaseModel):
    company: str
    kind: Literal["internal", "public"]
    claims: list[Claim] = Field(min_length=3, max_length=5)
    rank: int = Field(ge=10, le=20)
    note: str | None = None


def ledger(**kwargs: Any) -> UsageLedger:
    return UsageLedger(load_prices(), **kwargs)


async def test_chat_records_usage_cost_and_history() -> None:
    fake = FakeLLM()
    fake.enqueue("First answer [S3].")
    book = ledger(budget_usd=1.0)
    async with fake.llm_client(book) as client:
        first = await client.chat("evidence", MINI, MESSAGES)
        second = await client.chat("consolidate", MINI, MESSAGES)
    assert first == "First answer [S3]."
    assert "[S3]" in second and "[S7]" in second  # schema_answer cites the first two ids
    assert len(fake.requests) == 2
    request = fake.requests[0]
    assert request["model"] == "gpt-4o-mini"
    assert request["messages"] == MESSAGES
    assert request["max_tokens"] == 500
    assert request["temperature"] == 0.2
    assert [call.step for call in book.calls] == ["evidence", "consolidate"]
    call = book.calls[0]
    assert call.prompt_tokens > 0 and call.completion_tokens > 0
    assert not call.estimated
    expected = load_prices().cost("gpt-4o-mini", call.prompt_tokens, call.completion_tokens)
    assert call.cost_usd == pytest.approx(expected)
    assert book.spent_usd == pytest.approx(sum(c.cost_usd or 0 for c in book.calls))
    assert book.totals()["by_step"]["evidence"]["calls"] == 1


async def test_structured_happy_path() -> None:
    fake = FakeLLM()
    async with fake.llm_client(ledger()) as client:
        evidence = await client.structured("evidence", MINI, MESSAGES, Evidence)
    assert isinstance(evidence, Evidence)
    assert 3 <= len(evidence.claims) <= 5
    assert evidence.claims[0].citations == ["S3", "S7"]
    assert 10 <= evidence.rank <= 20
    response_format = fake.requests[0]["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "Evidence"
    assert response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"] == strict_json_schema(Evidence)


async def test_structured_tolerates_fences_and_handler_dicts() -> None:
    answer = {"company": "Acme", "kind": "public", "claims": [], "rank": 12, "note": None}
    claim = {"text": "A sentence that is long enough.", "confidence": 0.5, "citations": ["S1"]}
    answer["claims"] = [claim] * 3
    fake = FakeLLM(handler=lambda request: answer)
    fake.enqueue("```json\n" + json.dumps(answer) + "\n```")
    async with fake.llm_client(ledger()) as client:
        fenced = await client.structured("evidence", MINI, MESSAGES, Evidence)
        plain = await client.structured("evidence", MINI, MESSAGES, Evidence)
    assert fenced == plain
    assert fenced.company == "Acme"
    assert len(fake.requests) == 2  # no repair needed


async def test_repair_once_with_the_validation_error() -> None:
    fake = FakeLLM()
    fake.enqueue('{"company": "Acme", "kind": "other"}')
    async with fake.llm_client(ledger()) as client:
        evidence = await client.structured("evidence", MINI, MESSAGES, Evidence)
    assert isinstance(evidence, Evidence)
    assert len(fake.requests) == 2
    repair = fake.requests[1]["messages"]
    assert repair[:2] == MESSAGES
    assert repair[2] == {"role": "assistant", "content": '{"company": "Acme", "kind": "other"}'}
    assert repair[3]["role"] == "user"
    assert "kind" in repair[3]["content"] and "JSON" in repair[3]["content"]


async def test_retry_through_the_sdk_with_mock_transport() -> None:
    fake = FakeLLM()
    fake.enqueue(FakeResponse(status=429, headers={"retry-after-ms": "10"}), "ok after a 429")
    async with fake.llm_client(ledger(), max_retries=2) as client:
        assert await client.chat("part_b", MINI, MESSAGES) == "ok after a 429"
    assert len(fake.requests) == 2


async def test_missing_usage_is_estimated_and_flagged() -> None:
    fake = FakeLLM()
    fake.enqueue(FakeResponse(content="x" * 300, usage=False))
    book = ledger()
    async with fake.llm_client(book) as client:
        await client.chat("style", MINI, MESSAGES)
    call = book.calls[0]
    assert call.estimated
    assert call.completion_tokens == 100  # 300 chars / 3
    assert book.totals()["tokens_estimated"] is True


async def test_empty_answer_cut_at_max_tokens_is_an_error() -> None:
    fake = FakeLLM()
    fake.enqueue(FakeResponse(content="", finish_reason="length"))
    async with fake.llm_client(ledger()) as client:
        with pytest.raises(LLMError, match="max_tokens"):
            await client.chat("part_a", MINI, MESSAGES)


async def test_reasoning_models_get_max_completion_tokens() -> None:
    fake = FakeLLM()
    async with fake.llm_client(ledger()) as client:
        await client.chat("part_b", StepModel("gpt-5", 16000, 1.0), MESSAGES)
    request = fake.requests[0]
    assert request["max_completion_tokens"] == 16000
    assert "max_tokens" not in request and "temperature" not in request


async def test_budget_stops_before_the_request() -> None:
    fake = FakeLLM()
    async with fake.llm_client(ledger(budget_usd=0.001)) as client:
        with pytest.raises(BudgetExceeded, match="--budget-usd"):
            await client.chat("consolidate", StepModel("gpt-5", 16000, 1.0), MESSAGES)
    assert fake.requests == []


async def test_unknown_model_price() -> None:
    fake = FakeLLM()
    book = ledger(budget_usd=0.0001)  # not enforced for a model without a price
    with capture_logs() as logs:
        async with fake.llm_client(book) as client:
            await client.chat("part_b", StepModel("mystery-model", 100, 0.2), MESSAGES)
            await client.chat("part_b", StepModel("mystery-model", 100, 0.2), MESSAGES)
    assert [call.cost_usd for call in book.calls] == [None, None]
    assert book.totals()["cost_complete"] is False
    warnings = [e for e in logs if e["log_level"] == "warning" and "no price" in e["event"]]
    assert len(warnings) == 1
    infos = [e for e in logs if e["log_level"] == "info" and e.get("llm_step") == "part_b"]
    assert len(infos) == 2 and infos[0]["cost_usd"] is None


# ------------------------------------------------------------------------------ helpers


def test_schema_answer_is_valid_and_deterministic() -> None:
    schema = strict_json_schema(Evidence)
    request = {
        "messages": MESSAGES,
        "response_format": {"type": "json_schema", "json_schema": {"name": "E", "schema": schema}},
    }
    first, second = schema_answer(request), schema_answer(request)
    assert first == second
    Evidence.model_validate(first)
    # without sources in the prompt: citations still satisfy minItems
    bare = {**request, "messages": [{"role": "user", "content": "no sources"}]}
    Evidence.model_validate(schema_answer(bare))


def test_schema_answer_plain_text_cites_two_sources() -> None:
    text = schema_answer({"messages": MESSAGES})
    assert isinstance(text, str)
    assert "[S3]" in text and "[S7]" in text and "[S9]" not in text


def test_strict_schema_shape() -> None:
    class Inner(BaseModel):
        a: int
        b: str = "x"

    class Outer(BaseModel):
        inner: Inner = Field(description="the inner one")
        items: list[Inner]
        name: str = Field(min_length=3, max_length=9)

    schema = strict_json_schema(Outer)

    def objects(node: Any) -> list[dict[str, Any]]:
        found = []
        if isinstance(node, dict):
            if node.get("type") == "object":
                found.append(node)
            for value in node.values():
                found += objects(value)
        elif isinstance(node, list):
            for value in node:
                found += objects(value)
        return found

    for node in objects(schema):
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])
    assert "$ref" not in schema["properties"]["inner"]  # $ref with a sibling is inlined
    assert schema["properties"]["inner"]["description"] == "the inner one"
    assert "minLength" not in schema["properties"]["name"]
    assert "at least 3 characters" in schema["properties"]["name"]["description"]
    assert "default" not in json.dumps(schema)


@pytest.mark.parametrize(
    "text",
    ['{"a": 1}', '```json\n{"a": 1}\n```', '```\n{"a": 1}\n```', 'Here you go:\n{"a": 1}\nThanks'],
)
def test_extract_json(text: str) -> None:
    assert extract_json(text) == {"a": 1}


def test_extract_json_rejects_garbage() -> None:
    with pytest.raises(json.JSONDecodeError):
        extract_json("not json at all")


async def test_refusal_is_a_clear_error() -> None:
    refusal = {
        "id": "chatcmpl-x",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "refusal": "I can't help."},
                "finish_reason": "stop",
            }
        ],
    }
    fake = FakeLLM()
    fake.enqueue(FakeResponse(body=refusal))
    async with fake.llm_client(ledger()) as client:
        with pytest.raises(LLMError, match="refused to answer: I can't help"):
            await client.chat("part_b", MINI, MESSAGES)
