"""The usage ledger: reservations, the budget guard, totals, resumed runs."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from casebook.errors import BudgetExceeded
from casebook.llm import CallUsage, UsageLedger, load_prices


def usage(step: str, model: str, prompt: int, completion: int, cost: float | None) -> CallUsage:
    return CallUsage(step, model, prompt, completion, cost, 0.5)


def test_reserve_settle_release() -> None:
    ledger = UsageLedger(load_prices(), budget_usd=1.0)
    first = ledger.reserve("evidence", "gpt-4o-mini", 3000, 1000)
    assert first.prompt_tokens_estimate == 1000  # chars / 3
    assert first.worst_usd == pytest.approx((1000 * 0.15 + 1000 * 0.60) / 1e6)
    assert ledger.reserved_usd == pytest.approx(first.worst_usd)
    ledger.settle(first, usage("evidence", "gpt-4o-mini", 800, 200, 0.0002))
    assert ledger.reserved_usd == 0
    assert ledger.spent_usd == pytest.approx(0.0002)
    second = ledger.reserve("part_b", "gpt-4o-mini", 30, 10)
    ledger.release(second)
    ledger.release(second)  # twice is harmless
    assert ledger.reserved_usd == 0
    assert ledger.spent_usd == pytest.approx(0.0002)
    assert len(ledger.calls) == 1


def test_budget_counts_calls_in_flight() -> None:
    ledger = UsageLedger(load_prices(), budget_usd=0.02)
    # gpt-4.1: 1000 output tokens at $8/M = $0.008 worst case each
    held = [ledger.reserve("part_b", "gpt-4.1", 0, 1000) for _ in range(2)]
    with pytest.raises(BudgetExceeded) as info:
        ledger.reserve("part_b", "gpt-4.1", 0, 1000)
    assert info.value.budget_usd == 0.02
    assert info.value.spent_usd == 0.0
    message = str(info.value)
    assert "--budget-usd" in message
    assert "$0.0200" in message and "spent $0.0000" in message
    ledger.release(held[0])
    ledger.reserve("part_b", "gpt-4.1", 0, 1000)  # fits again


def test_seeded_spend_counts_against_budget() -> None:
    ledger = UsageLedger(
        load_prices(),
        budget_usd=0.01,
        spent_usd=0.0095,
        tokens={"prompt_tokens": 1000, "completion_tokens": 500},
    )
    assert ledger.spent_usd == pytest.approx(0.0095)
    with pytest.raises(BudgetExceeded, match=r"spent \$0\.0095"):
        ledger.reserve("style", "gpt-4o-mini", 3000, 1000)
    totals = ledger.totals()
    assert totals["prompt_tokens"] == 1000
    assert totals["total_tokens"] == 1500
    assert totals["cost_usd"] == pytest.approx(0.0095)


def test_unknown_price_is_not_enforced_and_warned_once() -> None:
    ledger = UsageLedger(load_prices(), budget_usd=0.000001)
    with capture_logs() as logs:
        a = ledger.reserve("part_b", "mystery-model", 10_000, 10_000)
        b = ledger.reserve("part_b", "mystery-model", 10_000, 10_000)
    assert a.worst_usd is None and b.worst_usd is None
    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert len(warnings) == 1
    assert "mystery-model" in warnings[0]["event"]


def test_totals_by_step_and_completeness() -> None:
    ledger = UsageLedger(load_prices())
    for step, model, cost in [
        ("evidence", "gpt-4o-mini", 0.001),
        ("part_b", "gpt-4o-mini", 0.002),
        ("part_b", "mystery-model", None),
    ]:
        reservation = ledger.reserve(step, model, 100, 100)
        ledger.settle(reservation, usage(step, model, 100, 50, cost))
    totals = ledger.totals()
    assert totals["calls"] == 3
    assert totals["prompt_tokens"] == 300
    assert totals["completion_tokens"] == 150
    assert totals["total_tokens"] == 450
    assert totals["cost_usd"] == pytest.approx(0.003)
    assert totals["cost_complete"] is False
    assert totals["by_step"]["evidence"]["cost_complete"] is True
    assert totals["by_step"]["part_b"]["calls"] == 2
    assert totals["by_step"]["part_b"]["cost_complete"] is False


async def test_rate_limiter_is_shared_per_endpoint_in_a_process() -> None:
    from casebook.llm.client import _limiter_for

    assert _limiter_for("http://a/v1", None) is None
    first = _limiter_for("http://a/v1", 30)
    assert first is _limiter_for("http://a/v1", 30)
    assert first is not _limiter_for("http://b/v1", 30)
    assert first is not None and first.max_rate == 30 and first.time_period == 60


def test_a_resumed_ledger_goes_on_from_every_figure_of_the_earlier_attempts() -> None:
    first = UsageLedger(load_prices())
    for step in ("evidence", "part_b", "part_b"):
        reservation = first.reserve(step, "gpt-4o-mini", 100, 100)
        first.settle(reservation, usage(step, "gpt-4o-mini", 100, 50, 0.001))
    earlier = first.totals()
    resumed = UsageLedger(load_prices(), spent_usd=earlier["cost_usd"], tokens=earlier)
    reservation = resumed.reserve("part_b", "gpt-4o-mini", 100, 100)
    resumed.settle(reservation, usage("part_b", "gpt-4o-mini", 10, 5, 0.0001))
    totals = resumed.totals()
    assert totals["calls"] == 4 and totals["prompt_tokens"] == 310 and totals["completion_tokens"] == 155
    assert totals["total_tokens"] == 465 and totals["cost_usd"] == pytest.approx(0.0031)
    assert totals["by_step"]["part_b"]["calls"] == 3 and totals["by_step"]["part_b"]["total_tokens"] == 315
    assert totals["by_step"]["evidence"]["total_tokens"] == 150
