"""Durable runs on DBOS Transact: the only module that knows the workflow engine.

Every run is one workflow, `casebook.run(company_slug, run_id)`. Each pipeline step runs as a
DBOS step (checkpointed, retried after transient failures, with a timeout); the steps
themselves stay plain functions in `casebook.runs.pipeline`. The system database is a SQLite file
beside the storage root by default, or PostgreSQL (`CASEBOOK_DATABASE_URL`) so that workers on
many machines share one queue.

Sharp edges, handled here:
- DBOS versions workflows by a hash of their source unless told otherwise, which strands
  in-flight runs after any redeploy: APP_VERSION pins it. Bump it only when a change makes old
  checkpoints unreadable (a step renamed, removed or reordered), after draining the queue.
- A worker's pending runs are recovered when a process with the same executor id starts:
  workers get a stable id (CASEBOOK_EXECUTOR_ID, else `worker-<hostname>`); one-off `casebook
  run` processes get `cli-<hostname>-<pid>`, so no other process takes their run by surprise.
- Calls in flight at a crash run again: every step writes its artifact before it counts as
  done, and finalize / delivery are safe to repeat.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbos import (
    DBOS,
    DBOSClient,
    DBOSConfig,
    EnqueueOptions,
    SetWorkflowID,
    SetWorkflowTimeout,
    StepOptions,
)
from dbos._context import get_local_dbos_context
from dbos._error import DBOSMaxStepRetriesExceeded

from casebook.config import Settings, get_settings
from casebook.errors import ConfigError, LLMError, RunError
from casebook.models import RunStatus
from casebook.runs.manifest import Manifest
from casebook.runs.pipeline import Listener, RunContext, StepCaller, run_step
from casebook.runs.runner import execute, find_run, load_manifest
from casebook.storage import Storage

APP_NAME = "casebook"
APP_VERSION = "casebook-2"  # 2: the review step (the quality gate) before deliver
QUEUE = "casebook-runs"
WORKFLOW = "casebook.run"
PROGRESS = "progress"

# Listeners of runs executing in this process (the CLI's live display), by workflow id.
_listeners: dict[str, Listener] = {}
# The settings this process was launched with; workflows recovered or dequeued here use them.
_launched_settings: Settings | None = None


def database_url(settings: Settings) -> str:
    if settings.database_url:
        url = settings.database_url
        if not url.startswith(("sqlite:///", "postgresql://", "postgres://", "postgresql+psycopg://")):
            raise ConfigError(f"CASEBOOK_DATABASE_URL {url.split('@')[-1]!r} is not sqlite:///PATH or postgresql://…")
        return url
    storage = Storage(settings.storage_url)
    if storage.is_local:
        return f"sqlite:///{storage.root}.casebook.sqlite"
    return f"sqlite:///{Path('casebook.sqlite').resolve()}"


def _prepare_sqlite(url: str) -> None:
    """WAL mode: about 1 ms a step instead of about 18 ms with the default journal."""
    if not url.startswith("sqlite:///"):
        return
    path = Path(url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")


_migrated: set[str] = set()


def _migrate(url: str) -> None:
    """Create or upgrade the system database's tables (a DBOS client never does it itself)."""
    if url not in _migrated:
        _prepare_sqlite(url)
        DBOS.migrate(url)
        _migrated.add(url)


def worker_executor_id(settings: Settings) -> str:
    return settings.executor_id or f"worker-{socket.gethostname()}"


def cli_executor_id() -> str:
    return f"cli-{socket.gethostname()}-{os.getpid()}"


# -- the workflow ----------------------------------------------------------------------------


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, LLMError) and exc.transient


def _step_caller(settings: Settings) -> Any:
    def make(ctx: RunContext) -> StepCaller:
        async def call(name: str) -> None:
            options: StepOptions = {
                "name": f"casebook.{name}",
                "retries_allowed": settings.step_max_attempts > 1,
                "max_attempts": settings.step_max_attempts,
                "interval_seconds": settings.step_retry_interval_s,
                "backoff_rate": 2.0,
                "should_retry": _is_transient,
                "preemptible": True,
                "timeout_seconds": settings.step_timeout_s,
            }
            try:
                await DBOS.run_step_async(options, run_step, ctx, name)
            except DBOSMaxStepRetriesExceeded as exc:
                raise (exc.errors[-1] if exc.errors else exc) from None  # the cause, not the wrapper

        return call

    return make


async def _publish(manifest: Manifest) -> None:
    # From a step this records no checkpoint; from the workflow body it is a checkpointed step,
    # which is deterministic because the body publishes only before and after the step groups.
    await DBOS.set_event_async(PROGRESS, progress_event(manifest))
    listener = _listeners.get(DBOS.workflow_id or "")
    if listener is not None:
        await listener(manifest)


@DBOS.workflow(name=WORKFLOW)
async def run_workflow(company_slug: str, run_id: str) -> str:
    settings = _launched_settings or get_settings()
    context = get_local_dbos_context()
    deadline_ms = context.workflow_deadline_epoch_ms if context else None
    manifest = await execute(
        settings,
        company_slug,
        run_id,
        listener=_publish,
        step_caller=_step_caller(settings),
        deadline_epoch=deadline_ms / 1000 if deadline_ms else None,
    )
    return manifest.status.value


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


# -- processes that run workflows --------------------------------------------------------------


@contextmanager
def launched(settings: Settings, *, executor_id: str, take_queued_work: bool) -> Iterator[None]:
    """DBOS launched in this process; with take_queued_work it dequeues runs like a worker."""
    url = database_url(settings)
    _prepare_sqlite(url)
    config: DBOSConfig = {
        "name": APP_NAME,
        "system_database_url": url,
        "application_version": APP_VERSION,
        "executor_id": executor_id,
        "log_level": "DEBUG" if settings.log_level == "DEBUG" else "WARNING",
        "notification_listener_polling_interval_sec": 0.1,
    }
    global _launched_settings
    _launched_settings = settings
    DBOS(config=config)
    if not take_queued_work:
        DBOS.listen_queues([])
    try:
        DBOS.launch()
        DBOS.register_queue(
            QUEUE,
            global_concurrency=settings.max_concurrent_runs,
            worker_concurrency=settings.worker_concurrency,
            polling_interval_sec=0.2,
            on_conflict="always_update",
        )
        yield
    finally:
        DBOS.destroy()
        _launched_settings = None


async def run_here(settings: Settings, manifest: Manifest, listener: Listener | None = None) -> Manifest:
    """Start (or attach to) a run's workflow in this process and wait for it to end."""
    if _reload(settings, manifest).status is RunStatus.succeeded:
        return _reload(settings, manifest)  # e.g. a repeated idempotent submission
    workflow_id = _next_workflow_id(settings, manifest)
    if listener is not None:
        _listeners[workflow_id] = listener
    try:
        with SetWorkflowID(workflow_id), SetWorkflowTimeout(settings.run_timeout_s):
            handle = await DBOS.start_workflow_async(run_workflow, manifest.company_slug, manifest.run_id)
        await handle.get_result()
    except Exception as exc:  # the workflow itself failed: timeout, cancellation, engine error
        return await _record_engine_failure(settings, manifest, exc)
    finally:
        _listeners.pop(workflow_id, None)
    return _reload(settings, manifest)


async def recover_here(
    settings: Settings, manifest: Manifest, owner: str, listener: Listener | None = None
) -> Manifest:
    """Take over the pending attempt of a dead one-off process and finish it here.

    DBOS replays the attempt's finished steps from their checkpoints; only the steps that were
    in flight at the crash run again.
    """
    workflow_id = manifest.workflow_ids[-1]
    if listener is not None:
        _listeners[workflow_id] = listener
    try:
        handles = await asyncio.to_thread(DBOS._recover_pending_workflows, [owner])
        handle = next((h for h in handles if h.get_workflow_id() == workflow_id), None)
        if handle is None:
            raise RunError(f"run {manifest.run_id} has no pending attempt to recover on {owner}")
        await asyncio.to_thread(handle.get_result)
    except RunError:
        raise
    except Exception as exc:
        return await _record_engine_failure(settings, manifest, exc)
    finally:
        _listeners.pop(workflow_id, None)
    return _reload(settings, manifest)


def executor_gone(executor_id: str | None) -> bool:
    """True when the executor is a one-off process of this machine that no longer exists."""
    prefix = f"cli-{socket.gethostname()}-"
    if not executor_id or not executor_id.startswith(prefix):
        return False
    try:
        os.kill(int(executor_id.removeprefix(prefix)), 0)
    except ProcessLookupError:
        return True
    except (ValueError, PermissionError):
        return False
    return False


def _next_workflow_id(settings: Settings, manifest: Manifest) -> str:
    """The first attempt runs under the run id; a resumed finished attempt gets a new one."""
    company = Storage(settings.storage_url).company_by_slug(manifest.company_slug)
    manifest = load_manifest(company, manifest.run_id)
    if not manifest.workflow_ids:
        workflow_id = manifest.run_id
    elif manifest.status in (RunStatus.queued, RunStatus.running):
        return manifest.workflow_ids[-1]  # attach to (or recover) the same attempt
    else:
        workflow_id = f"{manifest.run_id}.{len(manifest.workflow_ids) + 1}"
    manifest.workflow_ids.append(workflow_id)
    manifest.save(company)
    return workflow_id


def _reload(settings: Settings, manifest: Manifest) -> Manifest:
    company = Storage(settings.storage_url).company_by_slug(manifest.company_slug)
    return load_manifest(company, manifest.run_id)


async def _record_engine_failure(settings: Settings, manifest: Manifest, exc: Exception) -> Manifest:
    """The workflow ended without recording its end (it was cancelled before it started a step)."""
    current = _reload(settings, manifest)
    if current.status in (RunStatus.queued, RunStatus.running, RunStatus.cancelled):
        status = None
        if current.workflow_ids:
            found = await DBOS.list_workflows_async(workflow_ids=[current.workflow_ids[-1]], load_input=False)
            status = found[0] if found else None
        deadline = status.workflow_deadline_epoch_ms if status else None
        if deadline is not None and time.time() * 1000 >= deadline - 1000:
            current.status, current.error = RunStatus.failed, "run timed out (CASEBOOK_RUN_TIMEOUT_S)"
        elif current.status is not RunStatus.cancelled:
            current.status, current.error = RunStatus.cancelled, "cancelled"
        current.current_step = None
        company = Storage(settings.storage_url).company_by_slug(current.company_slug)
        current.save(company)
    return current


def serve_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Take runs from the queue until stopped (SIGINT / SIGTERM)."""
    with launched(settings, executor_id=worker_executor_id(settings), take_queued_work=True):
        asyncio.run(_wait(stop))


async def _wait(stop: asyncio.Event | None) -> None:
    await (stop or asyncio.Event()).wait()


# -- clients: submit, inspect, cancel, hand over ---------------------------------------------------


@dataclass
class RunView:
    manifest: Manifest
    engine_status: str | None
    executor_id: str | None
    progress: dict[str, Any] | None


class Engine:
    """Talks to the system database without running workflows: for submit, status, cancel, the API."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        url = database_url(settings)
        _migrate(url)
        self.client = DBOSClient(system_database_url=url)

    def close(self) -> None:
        self.client.destroy()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def enqueue(self, manifest: Manifest) -> str:
        """Put a run on the queue: a new run, or a new attempt of one that failed or was cancelled.

        Idempotent: a run that is queued, running or done is never queued again.
        """
        current = _reload(self.settings, manifest)
        if current.workflow_ids and current.status in (RunStatus.queued, RunStatus.running, RunStatus.succeeded):
            return current.workflow_ids[-1]
        workflow_id = _next_workflow_id(self.settings, manifest)
        options: EnqueueOptions = {
            "workflow_name": WORKFLOW,
            "queue_name": QUEUE,
            "workflow_id": workflow_id,
            "app_version": APP_VERSION,
            "workflow_timeout": self.settings.run_timeout_s,
        }
        self.client.enqueue(options, manifest.company_slug, manifest.run_id)
        return workflow_id

    def view(self, run_id: str) -> RunView:
        company = find_run(self.settings, run_id)
        manifest = load_manifest(company, run_id)
        if not manifest.workflow_ids:
            return RunView(manifest, None, None, None)
        workflow_id = manifest.workflow_ids[-1]
        found = self.client.list_workflows(workflow_ids=[workflow_id], load_input=False, load_output=False)
        status = found[0] if found else None
        progress = self.client.get_event(workflow_id, PROGRESS, timeout_seconds=0) if status else None
        return RunView(
            manifest,
            status.status if status else None,
            status.executor_id if status else None,
            progress,
        )

    def list_runs(self, limit: int = 50) -> list[RunView]:
        views = []
        for status in self.client.list_workflows(name=WORKFLOW, sort_desc=True, limit=limit, load_output=False):
            if status.input is None or len(status.input["args"]) != 2:
                continue
            slug, run_id = status.input["args"]
            if status.workflow_id != run_id and not status.workflow_id.startswith(f"{run_id}."):
                continue
            company = Storage(self.settings.storage_url).company_by_slug(slug)
            if not company.exists(f"runs/{run_id}.json"):
                continue
            manifest = load_manifest(company, run_id)
            if manifest.workflow_ids and manifest.workflow_ids[-1] != status.workflow_id:
                continue  # an earlier attempt; the latest one is listed
            views.append(RunView(manifest, status.status, status.executor_id, None))
        return views

    def cancel(self, run_id: str) -> Manifest:
        company = find_run(self.settings, run_id)
        manifest = load_manifest(company, run_id)
        if manifest.status.finished:
            raise RunError(f"run {run_id} already ended ({manifest.status.value})")
        if manifest.workflow_ids:
            self.client.cancel_workflow(manifest.workflow_ids[-1])
        manifest.status, manifest.error, manifest.current_step = RunStatus.cancelled, "cancelled", None
        manifest.save(company)
        return manifest

    def hand_over(self, executor_id: str) -> list[str]:
        """Queue a dead executor's unfinished runs so that live workers take them."""
        pending = self.client.list_workflows(
            name=WORKFLOW, status=["PENDING"], executor_id=executor_id, load_output=False
        )
        for status in pending:
            self.client.resume_workflow(status.workflow_id, queue_name=QUEUE)
        return [s.workflow_id for s in pending]
