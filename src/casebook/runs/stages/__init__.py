"""The steps of a run as the pipeline calls them: load inputs from storage, call the step
function (casebook.steps), store the result. A step whose artifact exists does nothing, so a
resumed run pays for nothing twice.

The package's modules: `plan` (the step table), `gather` (ingest, evidence), `use_cases`,
`part_a`, `part_b` and `consolidate` (the writing steps, sharing `answers`), `check` (verify,
finalize, review), `delivery` (deliver, and the run.failed notice); `artifacts` reads what
earlier steps stored.
"""

from __future__ import annotations

from casebook.runs.stages.answers import passage_texts
from casebook.runs.stages.artifacts import load_evidence, load_use_cases
from casebook.runs.stages.check import (
    QUALITY_GATE,
    quality_problem,
    step_finalize,
    step_review,
    step_verify,
    verify_draft,
)
from casebook.runs.stages.consolidate import step_consolidate
from casebook.runs.stages.delivery import notify_ended, notify_failure, step_deliver
from casebook.runs.stages.gather import evidence_metrics, step_evidence, step_ingest
from casebook.runs.stages.part_a import step_part_a
from casebook.runs.stages.part_b import step_part_b
from casebook.runs.stages.plan import LLM_STEPS, PLAN, STEP_FUNCS, StepFunc
from casebook.runs.stages.use_cases import StepJournal, step_use_cases

__all__ = [
    "LLM_STEPS",
    "PLAN",
    "QUALITY_GATE",
    "STEP_FUNCS",
    "StepFunc",
    "StepJournal",
    "evidence_metrics",
    "load_evidence",
    "load_use_cases",
    "notify_ended",
    "notify_failure",
    "passage_texts",
    "quality_problem",
    "step_consolidate",
    "step_deliver",
    "step_evidence",
    "step_finalize",
    "step_ingest",
    "step_part_a",
    "step_part_b",
    "step_review",
    "step_use_cases",
    "step_verify",
    "verify_draft",
]
