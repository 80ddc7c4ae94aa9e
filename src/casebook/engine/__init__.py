"""Durable runs on DBOS Transact: the only package that knows the workflow engine.

Every run is one or more attempts, each a workflow `casebook.run(company_slug, run_id)` whose
id the manifest lists (`workflow_ids`: the run id, then `<run>.2`, `<run>.3` …). Each pipeline
step runs as a DBOS step (checkpointed, retried after transient failures, with a timeout); the
steps stay plain functions in `casebook.runs.pipeline`. The system database is a SQLite file
beside the storage root by default, or PostgreSQL (`CASEBOOK_DATABASE_URL`) so that workers on
many machines share one queue.

What the rest of casebook gets from it, and nothing of DBOS: `prepare_database` (migrate),
`Engine.ping`, the run-state queries (`Engine.view`: the one answer to "what is the status of
run X", `Engine.list_runs`, `Engine.recent` for the metrics), `enqueue` / `retry` / `cancel` /
`hand_over`, and the processes that run workflows (`launched`, `run_here`, `serve_worker`).
Attempt states reach the rest in casebook's words (`casebook.runs.attempts.AttemptState`), and
the engine's exceptions as `RunError` subclasses (`EngineError`, `EngineUnavailable`,
`RunNotFound`). What DBOS records is JSON (`SERIALIZER`, `casebook.checkpoints`), never pickle.
Only DBOS's public API is used (its package exports and `dbos.error`).

Sharp edges, handled here:
- DBOS versions workflows by a hash of their source unless told otherwise, which strands
  in-flight runs after any redeploy: APP_VERSION pins it. Bump it only when a change makes old
  checkpoints unreadable (a step renamed, removed or reordered), after draining the queue.
- A workflow replays its recorded steps in order, so nothing may be recorded on a path that
  a replay does not take: progress events are recorded only on a run's normal end, never when
  it stops with its process or is cancelled (`casebook.shutdown`).
- A worker's pending runs are recovered when a process with the same executor id starts
  (CASEBOOK_EXECUTOR_ID, else `worker-<hostname>`), or, once it is silent for longer than
  CASEBOOK_EXECUTOR_TIMEOUT_S, by a live worker (`casebook.executors`). One-off `casebook run`
  processes get `cli-<hostname>-<pid>-<tag>` and are never taken over: their runs go on with
  `casebook resume`, in the process that asks, as a new attempt.
- Calls in flight at a crash run again: every step writes its artifact before it counts as
  done, and finalize / delivery are safe to repeat.
"""

from __future__ import annotations

from casebook.engine.client import Attempt, Engine, NewAttempt, RunView
from casebook.engine.database import (
    APP_NAME,
    APP_VERSION,
    BACKSTOP_CHECKPOINT_PAGES,
    PROGRESS,
    QUEUE,
    SERIALIZER,
    SQLITE_BUSY_TIMEOUT_S,
    WORKFLOW,
    cli_executor_id,
    database_url,
    prepare_database,
    worker_executor_id,
)
from casebook.engine.processes import (
    launched,
    plan_here,
    request_stop,
    run_here,
    serve_worker,
    stop_requested,
    wait_for_stop,
)
from casebook.engine.workflow import progress_event, run_workflow, step_options

__all__ = [
    "APP_NAME",
    "APP_VERSION",
    "BACKSTOP_CHECKPOINT_PAGES",
    "PROGRESS",
    "QUEUE",
    "SERIALIZER",
    "SQLITE_BUSY_TIMEOUT_S",
    "WORKFLOW",
    "Attempt",
    "Engine",
    "NewAttempt",
    "RunView",
    "cli_executor_id",
    "database_url",
    "launched",
    "plan_here",
    "prepare_database",
    "progress_event",
    "request_stop",
    "run_here",
    "run_workflow",
    "serve_worker",
    "step_options",
    "stop_requested",
    "wait_for_stop",
    "worker_executor_id",
]
