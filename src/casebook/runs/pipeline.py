"""One run, step by step: each step's result is an artifact in storage, written before the
step counts as done, so a resumed run loads what it has and pays for nothing twice.

This module knows storage and the steps; it knows nothing of the CLI, HTTP or the workflow engine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

import structlog

from casebook.errors import BudgetExceeded, CasebookError
from casebook.logs import get_logger, log_metric
from casebook.models import RunStatus
from casebook.runs.context import Listener, RunContext, StepCaller, stage_inputs, staged_inputs
from casebook.runs.manifest import STEPS, Manifest, utcnow
from casebook.runs.stages import LLM_STEPS, PLAN, STEP_FUNCS, notify_failure

__all__ = [
    "PLAN",
    "STEP_FUNCS",
    "Listener",
    "RunContext",
    "StepCaller",
    "execute_run",
    "run_step",
    "stage_inputs",
    "staged_inputs",
]


async def execute_run(ctx: RunContext, call_step: StepCaller | None = None) -> Manifest:
    """Run every step not yet done; ends with the manifest's final status.

    `call_step(name)` runs one step through `run_step`; the workflow engine passes its own,
    which checkpoints each step, and the default calls `run_step` directly.
    """
    with structlog.contextvars.bound_contextvars(company=ctx.submission.company_name, run_id=ctx.run_id):
        return await _execute(ctx, call_step or (lambda name: run_step(ctx, name)))


async def _execute(ctx: RunContext, call_step: StepCaller) -> Manifest:
    log = get_logger()
    manifest = ctx.manifest
    manifest.status, manifest.error = RunStatus.running, None
    manifest.started = manifest.started or utcnow()
    t0 = time.monotonic() - float(manifest.metrics.get("pipeline_duration") or 0)
    try:
        for group in PLAN:
            await _run_group([call_step(name) for name in group])
            if manifest.gate is not None:
                break  # the run ends here, holding no worker; an approval starts the rest
        gate = manifest.gate
        if gate is None:
            manifest.status = RunStatus.succeeded
        else:
            manifest.status, manifest.error = gate.status, None
            log.warning(f"run waits at its {gate.kind} gate: {gate.reason}", gate=gate.kind)
    except BudgetExceeded as exc:
        manifest.status, manifest.error = RunStatus.budget_exceeded, str(exc)
        log.warning("run stopped: budget exceeded", reason=str(exc))
        await notify_failure(ctx, log)
    except CasebookError as exc:
        manifest.status, manifest.error = RunStatus.failed, str(exc)
        log.error("run failed", reason=str(exc))
        if manifest.steps["deliver"].state != "failed":
            await notify_failure(ctx, log)
    except asyncio.CancelledError:
        if ctx.deadline_epoch is not None and time.time() >= ctx.deadline_epoch - 1:
            manifest.status, manifest.error = RunStatus.failed, "run timed out (CASEBOOK_RUN_TIMEOUT_S)"
        else:
            manifest.status, manifest.error = RunStatus.cancelled, "cancelled"
        raise
    except Exception as exc:  # an engine error (a step timeout, a cancelled workflow): recorded, then raised
        manifest.status, manifest.error = _engine_status(exc)
        timed_out = ctx.deadline_epoch is not None and time.time() >= ctx.deadline_epoch - 1
        if manifest.status is RunStatus.cancelled and timed_out:
            manifest.status, manifest.error = RunStatus.failed, "run timed out (CASEBOOK_RUN_TIMEOUT_S)"
        log.error("run stopped", reason=manifest.error)
        raise
    finally:
        manifest.ended = utcnow()
        manifest.current_step = None
        manifest.metrics["pipeline_duration"] = round(time.monotonic() - t0, 3)
        manifest.save(ctx.company)
        try:
            await ctx.publish()
        except Exception as exc:  # the manifest is saved; only the progress event was lost
            log.warning("could not publish the final progress event", reason=str(exc))
        _log_metrics(log, manifest)
    return manifest


async def run_step(ctx: RunContext, name: str) -> None:
    """Run one step unless it is done, keeping its state in the manifest."""
    func = STEP_FUNCS[name]
    log = get_logger(company=ctx.submission.company_name, run_id=ctx.run_id)
    state = ctx.manifest.steps[name]
    if state.state == "done":
        return
    number = STEPS.index(name) + 1
    ctx.manifest.current_step = name
    state.state, state.started, state.error = "running", utcnow(), None
    state.model = ctx.model_set.for_step(name).model if name in LLM_STEPS and ctx.model_set.has_step(name) else None
    await ctx.publish()
    log.info(f"[STEP {number}/{len(STEPS)}] {name}", step=number, total_steps=len(STEPS))
    try:
        await func(ctx)
    except BaseException as exc:
        state.state, state.error, state.ended = "failed", str(exc) or type(exc).__name__, utcnow()
        await ctx.publish()
        raise
    gate = ctx.manifest.gate
    state.state = "waiting" if gate is not None and gate.step == name else "done"
    state.ended = utcnow()
    await ctx.publish()


async def _run_group(calls: list[Awaitable[None]]) -> None:
    """Run a group's steps concurrently; let every one finish before reporting a failure."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise next((e for e in errors if isinstance(e, BudgetExceeded)), errors[0])


def _log_metrics(log: Any, manifest: Manifest) -> None:
    units = {
        "upload_size": "KB",
        "use_cases_count": "count",
        "part_a_length": "characters",
        "final_report_size": "characters",
        "pipeline_duration": "seconds",
        "cost_usd": "USD",
        "citations_total": "count",
        "citations_valid": "count",
        "citations_supported": "count",
        "citations_reattributed": "count",
        "citations_removed": "count",
        "sentences_removed": "count",
        "evidence_items_dropped": "count",
    }
    for name, unit in units.items():
        if name in manifest.metrics:
            log_metric(log, name, manifest.metrics[name], unit)
    tokens = manifest.metrics.get("tokens") or {}
    if "total_tokens" in tokens:
        log_metric(log, "tokens", tokens["total_tokens"], "tokens")


def _engine_status(exc: Exception) -> tuple[RunStatus, str]:
    name = type(exc).__name__
    if "Cancelled" in name:
        return RunStatus.cancelled, "cancelled"
    if "Timeout" in name:
        return RunStatus.failed, f"timed out: {exc}"
    return RunStatus.failed, f"{name}: {exc}"
