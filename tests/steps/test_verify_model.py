"""The model check: doubtful pairs go to the cheap model in batches; its verdicts come back keyed."""

from __future__ import annotations

import json

import pytest

from casebook.llm import StepModel, UsageLedger, load_prices
from casebook.steps.claims import normalise
from casebook.steps.verify import Doubt
from casebook.steps.verify_model import BATCH, judge
from casebook.testing import FakeLLM

MODEL = StepModel("gpt-4o-mini", 1024, 0.0, set_name="cheap")


@pytest.fixture(autouse=True)
def _no_real_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-from-env-never-used")


async def test_doubtful_pairs_are_judged_in_batches() -> None:
    doubts = [Doubt(f"Claim number {i} about planning.", f"S{i}", f"Passage {i}.", 0.5) for i in range(14)]

    def answer(request: dict) -> dict:
        pairs = request["messages"][-1]["content"].count("\nSentence: ")
        verdicts = [{"id": n, "supported": n % 2 == 1} for n in range(1, pairs + 1)]
        return {"verdicts": [*verdicts, {"id": 99, "supported": True}]}

    fake = FakeLLM(answer)
    async with fake.llm_client(UsageLedger(load_prices())) as client:
        verdicts = await judge(client, MODEL, doubts)
    assert len(fake.requests) == 2  # 12 pairs, then 2
    first = fake.requests[0]
    assert first["model"] == "gpt-4o-mini" and first["response_format"]["type"] == "json_schema"
    assert "Pair 12\nSentence: Claim number 11" in first["messages"][-1]["content"]
    assert "supports the sentence" in json.dumps(first["messages"][0])
    assert len(verdicts) == 14  # the out-of-range id 99 is ignored
    assert verdicts[(normalise("Claim number 0 about planning."), "S0")] is True
    assert verdicts[(normalise("Claim number 1 about planning."), "S1")] is False
    assert verdicts[(normalise(doubts[BATCH].claim), doubts[BATCH].key)] is True  # first of the second batch
