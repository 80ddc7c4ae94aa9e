"""The workflow `casebook.run` (registered with DBOS under that name when this module is
imported), the caller that runs each pipeline step as a DBOS step, and the progress event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from dbos import DBOS, StepOptions
from dbos import error as dbos_errors

import casebook.engine.state as state
from casebook.config import Settings, get_settings
from casebook.engine.attempts import _latest_status, _timed_out
from casebook.engine.database import _CANCELLED, PROGRESS, WORKFLOW
from casebook.errors import CasebookError, LLMError, RunInterrupted
from casebook.llm.failures import recount
from casebook.logs import get_logger
from casebook.runs.attempts import outcome
from casebook.runs.manifest import Manifest
from casebook.runs.pipeline import RunContext, StepCaller, run_step
from casebook.runs.runner import execute
from casebook.shutdown import shutdown


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, LLMError) and exc.transient


def step_options(settings: Settings, name: str) -> StepOptions:
    """What every pipeline step runs with: transient failures retried with backoff, a timeout."""
    return {
        "name": f"casebook.{name}",
        "retries_allowed": settings.step_max_attempts > 1,
        "max_attempts": settings.step_max_attempts,
        "interval_seconds": settings.step_retry_interval_s,
        "backoff_rate": 2.0,
        "should_retry": _is_transient,
        "preemptible": True,
        "timeout_seconds": settings.step_timeout_s,
    }


def _step_caller(settings: Settings) -> Callable[[RunContext], StepCaller]:
    def make(ctx: RunContext) -> StepCaller:
        async def call(name: str) -> None:
            await shutdown.gate()  # once this process stops, no step starts
            options = step_options(settings, name)
            with shutdown.in_flight():
                try:
                    await DBOS.run_step_async(options, run_step, ctx, name)
                except dbos_errors.DBOSMaxStepRetriesExceeded as exc:
                    raise (recount(exc.errors) or exc) from None  # the cause, counting every request
                except dbos_errors.DBOSStepTimeoutError:
                    raise CasebookError(
                        f"step {name} ran longer than CASEBOOK_STEP_TIMEOUT_S ({settings.step_timeout_s:g} s): "
                        "raise it, or find what makes the step slow (the model endpoint's speed, the documents' size)"
                    ) from None
                except (dbos_errors.DBOSWorkflowCancelledError, dbos_errors.DBOSWorkflowConflictIDError) as exc:
                    reason = await asyncio.to_thread(_interruption, DBOS.workflow_id or "")
                    raise RunInterrupted(f"run {ctx.run_id} {reason.replace('_', ' ')}", reason=reason) from exc

        return call

    return make


def _interruption(workflow_id: str) -> str:
    """Why the engine stopped an attempt: timed_out, cancelled, or taken_over by another process."""
    status = _latest_status(state.client, workflow_id) if state.client is not None else None
    if status is None or status.status != _CANCELLED:
        return "taken_over"
    return "timed_out" if _timed_out(status) else "cancelled"


async def _publish(manifest: Manifest) -> None:
    """The progress event. From a step it is not recorded; from the workflow body (a run's normal
    end only) it is a recorded step, in the same place on every replay."""
    try:
        await DBOS.set_event_async(PROGRESS, progress_event(manifest))
    except Exception as exc:
        get_logger(run_id=manifest.run_id).warning("could not publish a progress event", reason=str(exc))
    listener = state.listeners.get(DBOS.workflow_id or "")
    if listener is not None:
        await listener(manifest)


@DBOS.workflow(name=WORKFLOW)
async def run_workflow(company_slug: str, run_id: str) -> dict[str, Any]:
    settings = state.launched_settings or get_settings()
    with shutdown.running():
        try:
            manifest = await execute(
                settings,
                company_slug,
                run_id,
                listener=_publish,
                step_caller=_step_caller(settings),
                attempt=DBOS.workflow_id,
            )
        except RunInterrupted as exc:
            if isinstance(exc.__cause__, BaseException):
                raise exc.__cause__ from None  # the engine's own signal: it parks this execution
            raise
    return outcome(manifest)


def progress_event(manifest: Manifest) -> dict[str, Any]:
    step = manifest.current_step
    tokens = manifest.metrics.get("tokens") or {}
    return {
        "run_id": manifest.run_id,
        "status": manifest.status.value,
        "step": step,
        "step_number": manifest.step_number,
        "total_steps": len(manifest.steps),
        "step_progress": manifest.steps[step].progress if step in manifest.steps else None,
        "tokens": tokens.get("total_tokens", 0),
        "cost_usd": manifest.metrics.get("cost_usd") or 0.0,
    }
