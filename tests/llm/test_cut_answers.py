"""Answers cut at max_tokens (finish_reason `length`) are continued or asked again, never kept cut."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, Field

from casebook.errors import BudgetExceeded, LLMError
from casebook.llm import StepModel, UsageLedger, get_model_set, load_prices
from casebook.llm.continuation import CONTINUE, join_continuation
from casebook.testing import FakeLLM, FakeOpenAIServer, FakeResponse

MINI = StepModel("gpt-4o-mini", 500, 0.2, set_name="cheap")
MESSAGES = [
    {"role": "system", "content": "You write grounded reports."},
    {"role": "user", "content": "Where are the depots? [S1] Tilburg, Venlo, Duisburg, Rotterdam."},
]


class Depots(BaseModel):
    names: list[str] = Field(min_length=1)


def ledger(**kwargs: Any) -> UsageLedger:
    return UsageLedger(load_prices(), **kwargs)


@pytest.fixture(autouse=True)
def _no_real_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-from-env-never-used")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")


async def test_a_cut_text_answer_is_continued_and_joined() -> None:
    fake = FakeLLM()
    fake.enqueue(
        FakeResponse(content="Northwind runs four sites (Tilburg, Venlo,", finish_reason="length"),
        FakeResponse(content="Tilburg, Venlo, Duisburg and Rotterdam) [S1]."),
    )
    book = ledger()
    async with fake.llm_client(book) as client:
        text = await client.chat("part_a", MINI, MESSAGES)
    assert text == "Northwind runs four sites (Tilburg, Venlo, Duisburg and Rotterdam) [S1]."
    assert len(fake.requests) == 2 and len(book.calls) == 2  # both calls are paid and booked
    follow = fake.requests[1]["messages"]
    assert follow[:2] == MESSAGES
    assert follow[2] == {"role": "assistant", "content": "Northwind runs four sites (Tilburg, Venlo,"}
    assert follow[3] == {"role": "user", "content": CONTINUE}


async def test_a_text_answer_that_stays_cut_fails_the_step_and_names_the_settings() -> None:
    fake = FakeLLM(lambda request: FakeResponse(content="and so on, and so on,", finish_reason="length"))
    async with fake.llm_client(ledger(), length_retries=2) as client:
        with pytest.raises(LLMError) as info:
            await client.chat("part_b", MINI, MESSAGES)
    message = str(info.value)
    assert message.startswith("step part_b:")
    assert "max_tokens=500" in message and "after 2 continuations" in message
    assert "part_b = { max_tokens = 1000 }" in message and "[cheap]" in message
    assert "CASEBOOK_MODEL_SETS_FILE" in message and "CASEBOOK_LLM_LENGTH_RETRIES" in message
    assert len(fake.requests) == 3  # the answer, then two continuations
    assert not info.value.transient  # asking the same again would be cut again


async def test_a_continuation_that_would_pass_the_budget_stops_before_it_is_sent() -> None:
    fake = FakeLLM()
    fake.enqueue(FakeResponse(content="Cut " * 2000, finish_reason="length"))  # 2000 tokens, $0.016
    expensive = StepModel("gpt-4.1", 4000, 0.2)
    # the first call's worst case is $0.032; after it, $0.016 spent + the next worst case $0.036 > $0.04
    book = ledger(budget_usd=0.04)
    async with fake.llm_client(book) as client:
        with pytest.raises(BudgetExceeded):
            await client.chat("part_a", expensive, MESSAGES)
    assert len(fake.requests) == 1


async def test_a_cut_json_answer_is_asked_again_with_twice_the_limit_and_never_continued() -> None:
    fake = FakeLLM()
    cut = '{"names": ["Tilburg", "Ven'
    fake.enqueue(FakeResponse(content=cut, finish_reason="length"), {"names": ["Tilburg", "Venlo"]})
    async with fake.llm_client(ledger()) as client:
        answer = await client.structured("use_cases", MINI, MESSAGES, Depots)
    assert answer.names == ["Tilburg", "Venlo"]
    assert [r["max_tokens"] for r in fake.requests] == [500, 1000]
    assert fake.requests[1]["messages"] == fake.requests[0]["messages"]  # the same question again
    assert cut not in json.dumps(fake.requests[1])  # the cut JSON is not sent back to be continued


async def test_a_cut_json_answer_is_not_kept_even_when_it_parses() -> None:
    fake = FakeLLM()
    fake.enqueue(
        FakeResponse(content={"names": ["Tilburg"]}, finish_reason="length"),
        {"names": ["Tilburg", "Venlo", "Duisburg", "Rotterdam"]},
    )
    async with fake.llm_client(ledger()) as client:
        answer = await client.structured("use_cases", MINI, MESSAGES, Depots)
    assert len(answer.names) == 4 and len(fake.requests) == 2


async def test_a_json_answer_that_stays_cut_fails_with_the_settings_named() -> None:
    fake = FakeLLM(lambda request: FakeResponse(content='{"names": ["Til', finish_reason="length"))
    model = get_model_set("local").for_step("use_cases")
    async with fake.llm_client(ledger(), length_retries=2) as client:
        with pytest.raises(LLMError) as info:
            await client.structured("use_cases", model, MESSAGES, Depots)
    message = str(info.value)
    assert [r["max_tokens"] for r in fake.requests] == [2048, 4096, 8192]
    assert "step use_cases" in message and "max_tokens=8192" in message and "2 retries with a larger limit" in message
    assert "under [local]" in message and "use_cases = { max_tokens = 4096 }" in message


async def test_no_length_retries_means_a_cut_answer_fails_at_once() -> None:
    fake = FakeLLM()
    fake.enqueue(FakeResponse(content="Cut mid-", finish_reason="length"))
    async with fake.llm_client(ledger(), length_retries=0) as client:
        with pytest.raises(LLMError, match="after 0 continuations"):
            await client.chat("consolidate", MINI, MESSAGES)
    assert len(fake.requests) == 1


async def test_a_streamed_answer_is_continued_over_real_http() -> None:
    with FakeOpenAIServer() as server:
        server.enqueue(
            FakeResponse(content="The warehouse in Venlo averaged 104 picks", finish_reason="length"),
            FakeResponse(content=" per labour hour [S1]."),
        )
        client = server_client(server)
        async with client:
            text = await client.chat("part_b", MINI, MESSAGES, stream=True)
        streamed = [r.get("stream") for r in server.requests]
    assert text == "The warehouse in Venlo averaged 104 picks per labour hour [S1]."
    assert streamed == [True, True]


async def test_an_empty_continuation_that_stops_ends_the_answer() -> None:
    fake = FakeLLM()
    fake.enqueue(FakeResponse(content="Done [S1].", finish_reason="length"), FakeResponse(content=""))
    async with fake.llm_client(ledger()) as client:
        assert await client.chat("part_a", MINI, MESSAGES) == "Done [S1]."


def server_client(server: Any) -> Any:
    from casebook.llm import LLMClient

    return LLMClient(base_url=server.base_url, api_key="sk-test-local", ledger=ledger(), max_retries=0, timeout_s=5)


@pytest.mark.parametrize(
    ("so_far", "more", "joined"),
    [
        ("sites (Tilburg, Venlo,", " Duisburg)", "sites (Tilburg, Venlo, Duisburg)"),
        ("sites (Tilburg, Venlo,", "Duisburg)", "sites (Tilburg, Venlo, Duisburg)"),
        ("sites (Tilburg, Venlo,", " Venlo, Duisburg)", "sites (Tilburg, Venlo, Duisburg)"),
        ("the rate of", " of the year", "the rate of of the year"),  # too short to count as a repeat
        ("The depots are Tilburg and Ven", "lo.", "The depots are Tilburg and Venlo."),
        (
            "First sentence. Second one is cut at",
            "Second one is cut at the limit.",
            "First sentence. Second one is cut at the limit.",
        ),
        (
            "A report that starts like this and goes on for a while before it is cut",
            "A report that starts like this and goes on for a while before it is cut, and ends here.",
            "A report that starts like this and goes on for a while before it is cut, and ends here.",
        ),
        ("Ends here.", "", "Ends here."),
    ],
)
def test_join_continuation(so_far: str, more: str, joined: str) -> None:
    assert join_continuation(so_far, more) == joined
