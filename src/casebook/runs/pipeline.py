"""One run, step by step: each step's result is an artifact in storage, written before the
step counts as done, so a resumed run loads what it has and pays for nothing twice.

This module knows storage and the steps; it knows nothing of the CLI, HTTP or the workflow engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable
from typing import Any

import structlog

from casebook.errors import BudgetExceeded, CasebookError, RunInterrupted
from casebook.logs import get_logger, log_metric
from casebook.models import RunStatus
from casebook.runs.context import Listener, RunContext, StepCaller, input_files, stage_inputs, staged_inputs
from casebook.runs.manifest import STEPS, Manifest, utcnow
from casebook.runs.stages import LLM_STEPS, PLAN, STEP_FUNCS, notify_failure
from casebook.storage import CompanyStorage

__all__ = [
    "PLAN",
    "STEP_FUNCS",
    "Listener",
    "RunContext",
    "StepCaller",
    "describe_failure",
    "execute_run",
    "input_files",
    "restore_figures",
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
        return await _execute(ctx, call_step or functools.partial(_run_step_only, ctx))


async def _execute(ctx: RunContext, call_step: StepCaller) -> Manifest:
    """Every exception of a step ends the run `failed` with its message (budget_exceeded for
    the budget), recorded before this returns. Two ways out leave the run unfinished:
    - this process is stopping (the task is cancelled: SIGTERM, Ctrl-C): the manifest is
      saved, nothing is told to the engine, and the run resumes from its last finished step;
    - the engine interrupted the attempt (RunInterrupted): a timeout fails the run; a cancel
      or a take-over is recorded by whoever did it, this attempt writes only if still current.
    """
    log = get_logger()
    manifest = ctx.manifest
    manifest.status, manifest.error, manifest.ended = RunStatus.running, None, None
    manifest.started = manifest.started or utcnow()
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
    except asyncio.CancelledError:
        _stopped(manifest)
        _save_quietly(ctx, log)
        log.warning("run stopped with its process; `casebook resume` or a worker continues it")
        raise
    except RunInterrupted as exc:
        _stopped(manifest)
        if exc.reason != "timed_out":
            if exc.reason == "cancelled" and not ctx.superseded():
                manifest.status, manifest.error, manifest.ended = RunStatus.cancelled, "cancelled", utcnow()
                _save_quietly(ctx, log)
            log.warning("run attempt stopped by the engine", reason=exc.reason)
            raise
        manifest.status, manifest.error = RunStatus.failed, str(exc)
        log.error("run failed", reason=manifest.error)
        await notify_failure(ctx, log)
        await _end(ctx, log, tell=False)
        return manifest
    except BudgetExceeded as exc:
        manifest.status, manifest.error = RunStatus.budget_exceeded, str(exc)
        log.warning("run stopped: budget exceeded", reason=str(exc))
        await notify_failure(ctx, log)
    except Exception as exc:
        manifest.status, manifest.error = RunStatus.failed, describe_failure(exc)
        log.error("run failed", reason=manifest.error)
        if manifest.steps["deliver"].state != "failed":
            await notify_failure(ctx, log)
    await _end(ctx, log, tell=True)
    return manifest


async def _end(ctx: RunContext, log: Any, *, tell: bool) -> None:
    """Record the run's end. A manifest that cannot be written is logged, not raised: the
    engine keeps the outcome, and `status` shows it from there."""
    manifest = ctx.manifest
    manifest.ended = utcnow()
    manifest.current_step = None
    started = manifest.started or manifest.ended
    manifest.metrics["pipeline_duration"] = round((manifest.ended - started).total_seconds(), 3)
    _save_quietly(ctx, log)
    if tell:
        try:
            await ctx.tell()
        except Exception as exc:
            log.warning("could not publish the final progress event", reason=str(exc))
    _log_metrics(log, manifest)


def _stopped(manifest: Manifest) -> None:
    """The steps in flight did not finish: they run again on resume."""
    manifest.current_step = None
    for state in manifest.steps.values():
        if state.state == "running":
            state.state, state.started = "pending", None


def _save_quietly(ctx: RunContext, log: Any) -> None:
    try:
        ctx.save()
    except (CasebookError, OSError) as exc:
        log.error("could not save the run's manifest", reason=str(exc))


def describe_failure(exc: BaseException) -> str:
    """The run's recorded error: our own messages as they are, anything else with its type."""
    if isinstance(exc, CasebookError):
        return str(exc)
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _run_step_only(ctx: RunContext, name: str) -> None:
    await run_step(ctx, name)


async def run_step(ctx: RunContext, name: str) -> dict[str, Any] | None:
    """Run one step unless it is done, keeping its state in the manifest.

    A finished step's figures (the metrics it set) and the run's usage so far are written to
    `runs/<run>/steps/<name>.json` with its result, and returned (the engine checkpoints them),
    so that a later attempt has them even when a manifest write was lost.
    """
    func = STEP_FUNCS[name]
    log = get_logger(company=ctx.submission.company_name, run_id=ctx.run_id)
    state = ctx.manifest.steps[name]
    if state.state == "done":
        return None
    number = STEPS.index(name) + 1
    ctx.manifest.current_step = name
    state.state, state.started, state.error = "running", utcnow(), None
    state.model = ctx.model_set.for_step(name).model if name in LLM_STEPS and ctx.model_set.has_step(name) else None
    before = {k: v for k, v in ctx.manifest.metrics.items() if k not in _RUN_FIGURES}
    await ctx.publish()
    log.info(f"[STEP {number}/{len(STEPS)}] {name}", step=number, total_steps=len(STEPS))
    try:
        await func(ctx)
    except Exception as exc:
        state.state, state.error, state.ended = "failed", describe_failure(exc), utcnow()
        with contextlib.suppress(Exception):  # the step's own error is the one to report
            await ctx.publish()
        raise
    except BaseException:  # cancelled: this process stops, or the engine preempted the step
        state.state, state.started = "pending", None
        raise
    figures = {k: v for k, v in ctx.manifest.metrics.items() if k not in _RUN_FIGURES and before.get(k) != v}
    record = {"step": name, "figures": figures, "usage": ctx.ledger.totals(), "ended": utcnow().isoformat()}
    if figures or not await ctx.files.exists(_record_path(ctx.run_id, name)):
        await ctx.files.write_json(_record_path(ctx.run_id, name), record)
    gate = ctx.manifest.gate
    state.state = "waiting" if gate is not None and gate.step == name else "done"
    state.ended = utcnow()
    await ctx.publish()
    return record


# Figures of the whole run, kept by the run itself rather than by one step.
_RUN_FIGURES = frozenset({"tokens", "cost_usd", "pipeline_duration", "pipeline_active_duration"})


def _record_path(run_id: str, step: str) -> str:
    return f"runs/{run_id}/steps/{step}.json"


def restore_figures(company: CompanyStorage, manifest: Manifest) -> dict[str, Any]:
    """Before an attempt: put back what the finished steps' records hold and the manifest lost
    (a failed write), and return the fullest usage snapshot to seed the ledger with."""
    usage: dict[str, Any] = dict(manifest.metrics.get("tokens") or {})
    usage.setdefault("cost_usd", manifest.metrics.get("cost_usd") or 0.0)
    for name in STEPS:
        path = _record_path(manifest.run_id, name)
        if not company.exists(path):
            continue
        try:
            record = company.read_json(path)
        except (CasebookError, ValueError):
            continue
        for key, value in (record.get("figures") or {}).items():
            manifest.metrics.setdefault(key, value)
        seen = record.get("usage") or {}
        if int(seen.get("total_tokens") or 0) > int(usage.get("total_tokens") or 0):
            usage = dict(seen)
    return usage


async def _run_group(calls: list[Awaitable[Any]]) -> None:
    """Run a group's steps concurrently; let every one finish before reporting a failure.

    A cancellation (this process stopping) wins over the other outcomes: the run is not over."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        for kind in (asyncio.CancelledError, RunInterrupted, BudgetExceeded):
            first = next((e for e in errors if isinstance(e, kind)), None)
            if first is not None:
                raise first
        raise errors[0]


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
