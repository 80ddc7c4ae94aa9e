"""The step table: each step's function, the steps in the order the pipeline runs them, and the
steps that call a model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from casebook.runs.context import RunContext
from casebook.runs.stages.check import step_finalize, step_review, step_verify
from casebook.runs.stages.consolidate import step_consolidate
from casebook.runs.stages.delivery import step_deliver
from casebook.runs.stages.gather import step_evidence, step_ingest
from casebook.runs.stages.part_a import step_part_a
from casebook.runs.stages.part_b import step_part_b
from casebook.runs.stages.use_cases import step_use_cases

StepFunc = Callable[[RunContext], Awaitable[None]]
LLM_STEPS = frozenset({"evidence", "use_cases", "part_a", "part_b", "consolidate"})


STEP_FUNCS: dict[str, StepFunc] = {
    "ingest": step_ingest,
    "evidence": step_evidence,
    "use_cases": step_use_cases,
    "part_a": step_part_a,
    "part_b": step_part_b,
    "consolidate": step_consolidate,
    "verify": step_verify,
    "finalize": step_finalize,
    "review": step_review,
    "deliver": step_deliver,
}
# Steps in order; the steps of one group run concurrently (Part A does not wait for Part B).
PLAN: tuple[tuple[str, ...], ...] = (
    ("ingest",),
    ("evidence",),
    ("use_cases",),
    ("part_a", "part_b"),
    ("consolidate",),
    ("verify",),
    ("finalize",),
    ("review",),
    ("deliver",),
)
