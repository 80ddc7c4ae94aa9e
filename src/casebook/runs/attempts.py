"""A run's attempts: what its status really is, and how it goes on.

A run is one or more attempts, each a workflow of the engine; the manifest lists their ids
(`workflow_ids`, the last is current). The manifest says what the run's own code wrote;
the engine's record of the latest attempt says whether that code is still running, and
how it ended when the manifest could not be written (a full disk, a killed process). Both
are read here, without the engine or storage: the engine passes what it found, in casebook's
own words (`AttemptState`), never the engine's.

`settle` is the one place that decides a run's status from the two; `run_status` is the same
rule for when only the engine's record is at hand (the metrics' counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from casebook.models import RunStatus
from casebook.runs.manifest import Manifest

# What the engine says of an attempt: waiting in the queue, running, or ended — returned (its
# code ended and returned `outcome`), failed (it raised), cancelled (or timed out), abandoned
# (recovered too many times: its process kept dying).
AttemptState = Literal["queued", "running", "returned", "failed", "cancelled", "abandoned"]
LIVE_STATES: tuple[AttemptState, ...] = ("queued", "running")
TIMED_OUT = "run timed out (CASEBOOK_RUN_TIMEOUT_S)"


@dataclass(frozen=True)
class Latest:
    """The engine's record of the run's latest attempt."""

    workflow_id: str
    state: AttemptState | None  # None: the engine has no record of it (it was never started)
    executor_id: str | None = None
    output: Any = None  # what the attempt returned (see `outcome`)
    error: str | None = None  # the exception it ended with
    timed_out: bool = False  # it was cancelled because the whole-run limit passed
    engine_status: str | None = None  # the engine's own word for the state, shown as it is

    @property
    def live(self) -> bool:
        return self.state in LIVE_STATES


def outcome(manifest: Manifest) -> dict[str, Any]:
    """What an attempt returns to the engine: the run's end even if its manifest write failed."""
    metrics = manifest.metrics
    return {
        "status": manifest.status.value,
        "error": manifest.error,
        "tokens": metrics.get("tokens"),
        "cost_usd": metrics.get("cost_usd"),
    }


def returned_status(output: Any) -> str | None:
    """The run status an attempt returned (a dict from `outcome`, a bare string before it)."""
    value = output.get("status") if isinstance(output, dict) else output
    return str(value) if value is not None else None


def settle(manifest: Manifest, latest: Latest | None) -> Manifest:
    """The manifest with the status the run really has (in memory; nothing is written).

    - a newer attempt is queued or running: `queued` / `running`, whatever the last one wrote
      (unless the run succeeded: that is never continued); an attempt back in the queue (its
      process was gone, and it was handed to the workers) is `queued` too;
    - the manifest still says queued/running but the attempt ended: how it ended (the
      engine's error, its cancellation or timeout, or what it returned).
    """
    if latest is None or not manifest.workflow_ids or latest.workflow_id != manifest.workflow_ids[-1]:
        return manifest
    if manifest.status is RunStatus.succeeded:
        return manifest  # a run that succeeded is never continued
    if manifest.status.finished:
        if latest.live:
            manifest.status = RunStatus.queued if latest.state == "queued" else RunStatus.running
            manifest.error = None
        return manifest
    if latest.state == "queued":  # e.g. an orphaned attempt handed to the workers
        manifest.status = RunStatus.queued
        return manifest
    if latest.live or latest.state is None:
        return manifest
    status, error = _ended(latest)
    if status is not None:
        manifest.status, manifest.error, manifest.current_step = status, error, None
    if isinstance(latest.output, dict):  # the usage its lost manifest write did not keep
        tokens, cost = latest.output.get("tokens") or {}, latest.output.get("cost_usd")
        known = manifest.metrics.get("tokens") or {}
        if int(tokens.get("total_tokens") or 0) > int(known.get("total_tokens") or 0):
            manifest.metrics["tokens"] = tokens
            manifest.metrics["cost_usd"] = max(float(cost or 0.0), float(manifest.metrics.get("cost_usd") or 0.0))
    return manifest


def run_status(latest: Latest) -> RunStatus:
    """The run's status from the engine's record alone (its manifest unread): how `settle`
    would end a run whose manifest still said queued or running."""
    if latest.state == "queued" or latest.state is None:
        return RunStatus.queued
    if latest.state == "running":
        return RunStatus.running
    return _ended(latest)[0] or RunStatus.failed


def _ended(latest: Latest) -> tuple[RunStatus | None, str | None]:
    if latest.state == "failed":
        return RunStatus.failed, latest.error or "the run stopped with an engine error: see the worker's log"
    if latest.state == "cancelled":
        return (RunStatus.failed, TIMED_OUT) if latest.timed_out else (RunStatus.cancelled, "cancelled")
    if latest.state == "abandoned":
        return RunStatus.failed, (
            "the run was recovered too many times (its process kept dying): see the worker's log, "
            "then `casebook resume` tries again"
        )
    if latest.state == "returned":
        output = latest.output
        try:
            status = RunStatus(returned_status(output) or "")
        except ValueError:
            return None, None
        return status, output.get("error") if isinstance(output, dict) else None
    return None, None


Step = Literal["done", "start", "new", "queued", "running", "orphaned"]


@dataclass(frozen=True)
class Plan:
    """How the run goes on: `start` the attempt the manifest names (the engine never got it),
    a `new` attempt (the last one ended), or it is `queued` / `running` (on `executor_id`,
    alive) / `orphaned` (running on an executor that is gone) / `done` (it succeeded)."""

    step: Step
    workflow_id: str
    executor_id: str | None = None


def plan(manifest: Manifest, latest: Latest | None, executor_alive: bool) -> Plan:
    """`manifest` settled with `latest`; `executor_alive` says whether latest's executor lives."""
    if manifest.status is RunStatus.succeeded and (latest is None or not latest.live):
        return Plan("done", manifest.workflow_ids[-1] if manifest.workflow_ids else manifest.run_id)
    if not manifest.workflow_ids:
        return Plan("start", manifest.run_id)
    if latest is None or latest.state is None:
        return Plan("start", manifest.workflow_ids[-1])
    if latest.state == "queued":
        return Plan("queued", latest.workflow_id, latest.executor_id)
    if latest.state == "running":
        return Plan("running" if executor_alive else "orphaned", latest.workflow_id, latest.executor_id)
    return Plan("new", f"{manifest.run_id}.{len(manifest.workflow_ids) + 1}")
