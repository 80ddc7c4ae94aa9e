"""What a run's LLM calls used and cost, and the budget guard in front of every call.

One `UsageLedger` is shared by all calls of a run. Before a call, `reserve` books its
worst case (estimated prompt tokens + max_tokens at the model's price) and refuses the
call if spent + booked + worst case would pass the budget; after it, `settle` replaces
the booking with the real usage, or `release` drops it when the call failed.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from casebook.errors import BudgetExceeded
from casebook.llm.prices import PriceTable
from casebook.logs import get_logger

CHARS_PER_TOKEN_ESTIMATE = 3  # conservative: real text averages ~4 characters per token


def estimate_tokens(chars: int) -> int:
    return math.ceil(max(chars, 0) / CHARS_PER_TOKEN_ESTIMATE)


@dataclass
class CallUsage:
    step: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    seconds: float
    estimated: bool = False  # the endpoint reported no usage: tokens estimated from characters


@dataclass(frozen=True)
class Reservation:
    id: int
    step: str
    model: str
    prompt_tokens_estimate: int
    max_tokens: int
    worst_usd: float | None  # None: price unknown, not enforced


class UsageLedger:
    def __init__(
        self,
        prices: PriceTable,
        budget_usd: float | None = None,
        spent_usd: float = 0.0,
        tokens: Mapping[str, Any] | None = None,
    ) -> None:
        """`spent_usd` and `tokens` (an earlier `totals()`: prompt and completion tokens, calls,
        and `by_step`) seed what the earlier attempts of a resumed run used; the cost counts
        against the budget, and every figure of `totals()` goes on from them."""
        self.prices = prices
        self.budget_usd = budget_usd
        self.calls: list[CallUsage] = []
        self._seed_usd = float(spent_usd)
        seed = dict(tokens or {})
        self._seed = _figures(seed)
        self._seed_by_step = {
            str(step): _figures(figures)
            for step, figures in (seed.get("by_step") or {}).items()
            if isinstance(figures, Mapping)
        }
        self._spent = float(spent_usd)
        self._open: dict[int, Reservation] = {}
        self._ids = itertools.count(1)
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    @property
    def spent_usd(self) -> float:
        return self._spent

    @property
    def reserved_usd(self) -> float:
        with self._lock:
            return sum(r.worst_usd or 0.0 for r in self._open.values())

    def reserve(self, step: str, model: str, prompt_chars: int, max_tokens: int) -> Reservation:
        prompt_estimate = estimate_tokens(prompt_chars)
        worst = self.prices.cost(model, prompt_estimate, max_tokens)
        with self._lock:
            if worst is None:
                warn = model not in self._warned
                self._warned.add(model)
            else:
                warn = False
                if self.budget_usd is not None:
                    reserved = sum(r.worst_usd or 0.0 for r in self._open.values())
                    if self._spent + reserved + worst > self.budget_usd:
                        raise BudgetExceeded(
                            f"budget reached before step {step}: spent ${self._spent:.4f} of the "
                            f"${self.budget_usd:.4f} budget (${reserved:.4f} more held by calls in "
                            f"flight), and the next call to {model} could cost up to ${worst:.4f}. "
                            "Raise the budget with --budget-usd (or CASEBOOK_BUDGET_USD), or pick "
                            "a cheaper --model-set.",
                            spent_usd=self._spent,
                            budget_usd=self.budget_usd,
                        )
            reservation = Reservation(
                id=next(self._ids),
                step=step,
                model=model,
                prompt_tokens_estimate=prompt_estimate,
                max_tokens=max_tokens,
                worst_usd=worst,
            )
            self._open[reservation.id] = reservation
        if warn:
            get_logger().warning(
                f"no price known for model {model}: its cost is not counted and the budget "
                "is not enforced for it; add it to a prices file (CASEBOOK_PRICES_FILE)",
                llm_step=step,
                model=model,
            )
        return reservation

    def settle(self, reservation: Reservation, usage: CallUsage) -> None:
        with self._lock:
            self._open.pop(reservation.id, None)
            self.calls.append(usage)
            if usage.cost_usd is not None:
                self._spent += usage.cost_usd

    def release(self, reservation: Reservation) -> None:
        with self._lock:
            self._open.pop(reservation.id, None)

    def totals(self) -> dict[str, Any]:
        """Token and cost totals and a break-down by step, both going on from the seed.

        `cost_usd` sums the known costs; `cost_complete` is False when some call's model
        had no price. `tokens_estimated` is True when some endpoint reported no usage."""
        with self._lock:
            calls = list(self.calls)
        overall = _add(self._seed, _sum(calls))
        overall["cost_usd"] = round(_sum(calls)["cost_usd"] + self._seed_usd, 8)
        by_step = {step: dict(figures) for step, figures in self._seed_by_step.items()}
        for step in dict.fromkeys(call.step for call in calls):
            mine = _sum([call for call in calls if call.step == step])
            by_step[step] = _add(by_step[step], mine) if step in by_step else mine
        overall["by_step"] = by_step
        return overall


_COUNTS = ("calls", "prompt_tokens", "completion_tokens")


def _figures(seed: Mapping[str, Any]) -> dict[str, Any]:
    """The summable part of an earlier `totals()` (or of one of its steps)."""
    figures: dict[str, Any] = {name: int(seed.get(name) or 0) for name in _COUNTS}
    figures["total_tokens"] = figures["prompt_tokens"] + figures["completion_tokens"]
    figures["cost_usd"] = round(float(seed.get("cost_usd") or 0.0), 8)
    figures["cost_complete"] = bool(seed.get("cost_complete", True))
    figures["tokens_estimated"] = bool(seed.get("tokens_estimated", False))
    figures["seconds"] = round(float(seed.get("seconds") or 0.0), 3)
    return figures


def _add(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    total: dict[str, Any] = {name: int(a[name]) + int(b[name]) for name in _COUNTS}
    total["total_tokens"] = total["prompt_tokens"] + total["completion_tokens"]
    total["cost_usd"] = round(float(a["cost_usd"]) + float(b["cost_usd"]), 8)
    total["cost_complete"] = bool(a["cost_complete"]) and bool(b["cost_complete"])
    total["tokens_estimated"] = bool(a["tokens_estimated"]) or bool(b["tokens_estimated"])
    total["seconds"] = round(float(a["seconds"]) + float(b["seconds"]), 3)
    return total


def _sum(calls: list[CallUsage]) -> dict[str, Any]:
    prompt = sum(call.prompt_tokens for call in calls)
    completion = sum(call.completion_tokens for call in calls)
    return {
        "calls": len(calls),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cost_usd": round(sum(call.cost_usd or 0.0 for call in calls), 8),
        "cost_complete": all(call.cost_usd is not None for call in calls),
        "tokens_estimated": any(call.estimated for call in calls),
        "seconds": round(sum(call.seconds for call in calls), 3),
    }
