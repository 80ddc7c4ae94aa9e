"""LLMClient with the real OpenAI SDK against FakeOpenAIServer over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, Field
from structlog.testing import capture_logs

from casebook.errors import BudgetExceeded, LLMError
from casebook.llm import LLMClient, StepModel, UsageLedger, load_prices
from casebook.testing import FakeOpenAIServer, FakeResponse
from casebook.testing.answers import schema_answer
from casebook.testing.wire import error_body
from tests.engine.procs import wait_for

MINI = StepModel("gpt-4o-mini", 300, 0.2)
MESSAGES = [
    {"role": "system", "content": "You write grounded reports."},
    {"role": "user", "content": "Use case: invoice matching. Sources: [S1] AP data, [S2] ERP."},
]
SECRET = "sk-test-SECRET123456"


@pytest.fixture(autouse=True)
def _no_real_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-from-env-never-used")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as running:
        yield running


def client_for(
    server: FakeOpenAIServer, book: UsageLedger | None = None, **kwargs: Any
) -> LLMClient:
    kwargs.setdefault("max_retries", 2)
    kwargs.setdefault("timeout_s", 5)
    return LLMClient(
        base_url=server.base_url,
        api_key=kwargs.pop("api_key", "sk-test-local"),
        ledger=book or UsageLedger(load_prices()),
        **kwargs,
    )


class UseCase(BaseModel):
    title: str
    summary: str = Field(min_length=20)
    citations: list[str] = Field(min_length=1)


# ------------------------------------------------------------------------------ retries


async def test_429_with_retry_after_then_success(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeResponse(status=429, headers={"Retry-After": "1"}))
    async with client_for(server) as client:
        started = time.perf_counter()
        answer = await client.chat("part_b", MINI, MESSAGES)
        waited = time.perf_counter() - started
    assert "[S1]" in answer
    assert waited >= 0.95
    assert server.calls == 2
    assert server.wait_completed(1) == 1


async def test_500_then_success(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeResponse(status=500))
    book = UsageLedger(load_prices())
    async with client_for(server, book) as client:
        assert await client.chat("part_a", MINI, MESSAGES)
    assert server.calls == 2
    assert len(book.calls) == 1  # one logical call, retried inside the SDK


async def test_retries_exhausted(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeResponse(status=500), FakeResponse(status=503))
    book = UsageLedger(load_prices(), budget_usd=1.0)
    async with client_for(server, book, max_retries=1) as client:
        with pytest.raises(LLMError) as info:
            await client.chat("part_a", MINI, MESSAGES)
    message = str(info.value)
    assert "step part_a" in message and "HTTP 503" in message and "2 attempts" in message
    assert "127.0.0.1" in message
    assert server.calls == 2
    assert book.calls == [] and book.reserved_usd == 0  # the booking was released


async def test_timeout(server: FakeOpenAIServer) -> None:
    server.enqueue(
        FakeResponse(content="late", delay_s=2.0), FakeResponse(content="late", delay_s=2.0)
    )
    async with client_for(server, timeout_s=0.5, max_retries=1) as client:
        with pytest.raises(LLMError, match="timed out") as info:  # had it waited, both answers were in
            await client.chat("use_cases", MINI, MESSAGES)
    assert "CASEBOOK_LLM_TIMEOUT_S" in str(info.value)
    assert server.calls == 2


async def test_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = LLMClient(
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key=None,
        ledger=UsageLedger(load_prices()),
        max_retries=0,
    )
    async with client:
        with pytest.raises(LLMError) as info:
            await client.chat("evidence", MINI, MESSAGES)
    message = str(info.value)
    assert "connection refused" in message and "OPENAI_BASE_URL" in message


# ------------------------------------------------------------------------------ errors


async def test_401_does_not_leak_the_key(
    server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    echo = error_body(401, f"Incorrect API key provided: {SECRET}.")
    server.enqueue(FakeResponse(status=401, body=echo))
    caplog.set_level(logging.DEBUG)
    with capture_logs() as logs:
        async with client_for(server, api_key=SECRET) as client:
            with pytest.raises(LLMError) as info:
                await client.chat("evidence", MINI, MESSAGES)
    message = str(info.value)
    assert "OPENAI_API_KEY" in message and "401" in message
    assert SECRET not in message
    assert SECRET not in repr(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert SECRET not in json.dumps(logs, default=str)
    assert SECRET not in caplog.text
    assert server.requests[0]["messages"] == MESSAGES  # the key is a header, not in the body


async def test_404_unknown_model(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeResponse(status=404))
    async with client_for(server) as client:
        with pytest.raises(LLMError, match="unknown model gpt-4o-mini") as info:
            await client.chat("evidence", MINI, MESSAGES)
    assert "--model-set" in str(info.value)


async def test_malformed_response_body(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeResponse(body="{this is not json"))
    async with client_for(server) as client:
        with pytest.raises(LLMError, match="not a usable Chat Completions response"):
            await client.chat("evidence", MINI, MESSAGES)


# ------------------------------------------------------------------------------ structured


async def test_malformed_json_then_valid_repairs_once(server: FakeOpenAIServer) -> None:
    server.enqueue('{"title": "Invoice matching", "summary": ')
    book = UsageLedger(load_prices())
    async with client_for(server, book) as client:
        use_case = await client.structured("use_cases", MINI, MESSAGES, UseCase)
    assert isinstance(use_case, UseCase)
    assert use_case.citations == ["S1", "S2"]
    assert server.calls == 2
    repair = server.requests[1]["messages"]
    assert repair[-2]["role"] == "assistant"
    assert "not valid JSON" in repair[-1]["content"]
    assert [call.step for call in book.calls] == ["use_cases", "use_cases"]


async def test_invalid_twice_is_an_error(server: FakeOpenAIServer) -> None:
    server.enqueue('{"title": "x"}', '{"title": "x", "summary": "short"}')
    async with client_for(server) as client:
        with pytest.raises(LLMError) as info:
            await client.structured("use_cases", MINI, MESSAGES, UseCase)
    message = str(info.value)
    assert message.startswith(
        "step use_cases: the model's answer did not match the schema after one repair:"
    )
    assert "summary" in message
    assert server.calls == 2


async def test_json_schema_rejected_falls_back_to_json_object(server: FakeOpenAIServer) -> None:
    refusal = error_body(
        400, "Invalid parameter: 'response_format' of type 'json_schema' is not supported."
    )
    server.enqueue(FakeResponse(status=400, body=refusal))
    async with client_for(server) as client:
        first = await client.structured("part_b", MINI, MESSAGES, UseCase)
        second = await client.structured("part_b", MINI, MESSAGES, UseCase)
        assert client.json_mode == "json_object"
    assert first == second
    assert [r["response_format"]["type"] for r in server.requests] == [
        "json_schema",
        "json_object",
        "json_object",  # remembered: no second json_schema attempt
    ]
    system = server.requests[1]["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith("You write grounded reports.")
    assert '"additionalProperties": false' in system["content"]


async def test_fallback_then_repair_keeps_the_schema_in_the_prompt(
    server: FakeOpenAIServer,
) -> None:
    refusal = error_body(400, "response_format json_schema is not supported by this server")
    server.enqueue(FakeResponse(status=400, body=refusal), '{"title": 1}')
    async with client_for(server) as client:
        use_case = await client.structured("part_b", MINI, MESSAGES, UseCase)
    assert isinstance(use_case, UseCase)
    assert server.calls == 3
    repair = server.requests[2]
    assert repair["response_format"] == {"type": "json_object"}
    assert "```json" in repair["messages"][0]["content"]
    assert repair["messages"][-2] == {"role": "assistant", "content": '{"title": 1}'}


# ------------------------------------------------------------------------------ streaming, budget


async def test_streaming_with_usage(server: FakeOpenAIServer) -> None:
    book = UsageLedger(load_prices())
    async with client_for(server, book) as client:
        streamed = await client.chat("consolidate", MINI, MESSAGES, stream=True)
        plain = await client.chat("consolidate", MINI, MESSAGES)
    assert streamed == plain
    request = server.requests[0]
    assert request["stream"] is True
    assert request["stream_options"] == {"include_usage": True}
    first, second = book.calls
    assert not first.estimated
    assert (first.prompt_tokens, first.completion_tokens) == (
        second.prompt_tokens,
        second.completion_tokens,
    )
    assert first.cost_usd is not None and first.cost_usd > 0


async def test_budget_stops_before_any_request(server: FakeOpenAIServer) -> None:
    book = UsageLedger(load_prices(), budget_usd=0.001)
    async with client_for(server, book) as client:
        with pytest.raises(BudgetExceeded) as info:
            await client.chat("consolidate", StepModel("gpt-5", 24000, 1.0), MESSAGES)
    assert server.calls == 0
    assert "--budget-usd" in str(info.value)
    assert book.reserved_usd == 0


async def test_unknown_model_price_over_http(server: FakeOpenAIServer) -> None:
    book = UsageLedger(load_prices(), budget_usd=0.001)
    with capture_logs() as logs:
        async with client_for(server, book) as client:
            await client.chat("part_b", StepModel("mystery-model", 300, 0.2), MESSAGES)
    assert book.calls[0].cost_usd is None
    assert any(e["log_level"] == "warning" and "mystery-model" in e["event"] for e in logs)


# ------------------------------------------------------------------------------ the server itself


async def test_models_route(server: FakeOpenAIServer) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{server.base_url}/models")
    assert response.status_code == 200
    assert response.json()["data"][0]["object"] == "model"


async def test_server_as_a_process_counts_calls(tmp_path: Path) -> None:
    counter = tmp_path / "calls.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "casebook.testing.openai_server",
            "--port",
            "0",
            "--counter-file",
            str(counter),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        client = LLMClient(base_url=base_url, api_key=None, ledger=UsageLedger(load_prices()))
        async with client:
            await client.chat("evidence", MINI, MESSAGES)
            await client.structured("use_cases", MINI, MESSAGES, UseCase)
        # a call is counted once its answer is fully sent, which the client can read first
        wait_for(lambda: counter.exists() and len(counter.read_text().splitlines()) >= 2, 10, "two counted calls")
        lines = [json.loads(line) for line in counter.read_text().splitlines()]
    finally:
        process.terminate()
        process.wait(timeout=5)
    assert process.returncode == 0
    assert len(lines) == 2
    assert lines[0]["step_hint"] == MESSAGES[-1]["content"][:80]
    assert len(lines[0]["sha"]) == 64 and lines[0]["sha"] == lines[1]["sha"]


async def test_concurrent_calls_share_one_ledger() -> None:
    arrivals: list[float] = []

    def slow_answer(request: dict[str, Any]) -> Any:
        arrivals.append(time.monotonic())
        return FakeResponse(content=schema_answer(request), delay_s=2.0)

    with FakeOpenAIServer(slow_answer) as slow:
        book = UsageLedger(load_prices())
        async with client_for(slow, book) as client:
            answers = await asyncio.gather(
                *(client.structured("part_b", MINI, MESSAGES, UseCase) for _ in range(8))
            )
    assert len(answers) == 8 and slow.wait_completed(8) == 8
    # in flight together: all eight arrived before the first could have been answered
    assert max(arrivals) - min(arrivals) < 2.0
    assert book.totals()["by_step"]["part_b"]["calls"] == 8
    assert book.reserved_usd == 0


async def test_budget_with_calls_in_flight() -> None:
    # gpt-4.1, max_tokens 1000: worst case ~$0.008 a call; $0.02 lets two run at once
    model = StepModel("gpt-4.1", 1000, 0.2)
    with FakeOpenAIServer(delay_s=0.2) as slow:
        book = UsageLedger(load_prices(), budget_usd=0.02)
        async with client_for(slow, book) as client:
            results = await asyncio.gather(
                *(client.chat("part_b", model, MESSAGES) for _ in range(4)),
                return_exceptions=True,
            )
    refused = [r for r in results if isinstance(r, BudgetExceeded)]
    assert len(refused) == 2 and slow.calls == 2
    assert book.spent_usd <= 0.02


def test_length_limits_stay_in_the_schema_for_llama_cpp() -> None:
    from casebook.llm import strict_json_schema
    from casebook.models import UseCase

    for_openai = json.dumps(strict_json_schema(UseCase))
    for_llama = strict_json_schema(UseCase, keep_lengths=True)
    assert "maxLength" not in for_openai and "at most 800 characters" in for_openai
    assert for_llama["properties"]["problem"]["maxLength"] == 800
    assert for_llama["properties"]["kpis"]["items"]["maxLength"] == 200
