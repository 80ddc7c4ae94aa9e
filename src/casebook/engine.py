"""Durable runs on DBOS Transact: the only module that knows the workflow engine.

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

import asyncio
import contextlib
import logging
import secrets
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from dbos import (
    DBOS,
    DBOSClient,
    DBOSConfig,
    EnqueueOptions,
    Serializer,
    SetWorkflowID,
    SetWorkflowTimeout,
    StepOptions,
    WorkflowStatus,
    WorkflowStatusString,
)
from dbos import error as dbos_errors
from sqlalchemy.exc import SQLAlchemyError

from casebook import checkpoints
from casebook.config import Settings, get_settings
from casebook.errors import (
    CasebookError,
    ConfigError,
    EngineError,
    EngineUnavailable,
    LLMError,
    RunError,
    RunInterrupted,
    RunNotFound,
)
from casebook.executors import CLI, WORKER, ExecutorInfo, Executors, pid_gone, sqlalchemy_url
from casebook.llm.failures import recount
from casebook.logs import get_logger
from casebook.models import RunStatus
from casebook.runs.attempts import AttemptState, Latest, Plan, outcome, plan, settle
from casebook.runs.manifest import Manifest, utcnow
from casebook.runs.pipeline import Listener, RunContext, StepCaller, run_step
from casebook.runs.runner import execute, find_run, load_manifest
from casebook.shutdown import shutdown
from casebook.sqlite_writes import Checkpointer, WriterTurns, sqlite_path
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
# A client of this process's own: reads that must never be recorded as a workflow's steps.
_client: DBOSClient | None = None
_stop_requested = threading.Event()

# The engine's words for an attempt's state, in casebook's (`casebook.runs.attempts`).
_STATES: dict[str, AttemptState] = {
    WorkflowStatusString.ENQUEUED.value: "queued",
    WorkflowStatusString.DELAYED.value: "queued",
    WorkflowStatusString.PENDING.value: "running",
    WorkflowStatusString.SUCCESS.value: "returned",
    WorkflowStatusString.ERROR.value: "failed",
    WorkflowStatusString.CANCELLED.value: "cancelled",
    WorkflowStatusString.MAX_RECOVERY_ATTEMPTS_EXCEEDED.value: "abandoned",
}
_CANCELLED = WorkflowStatusString.CANCELLED.value
_P = ParamSpec("_P")
_T = TypeVar("_T")


class _JsonCheckpoints(Serializer):
    """What DBOS records (inputs, step results, events, outcomes, errors) as JSON, never pickle
    (`casebook.checkpoints`). DBOS still reads rows an older casebook stored with pickle (their
    `serialization` column says so), so runs in flight across the upgrade go on."""

    def name(self) -> str:
        return "casebook_json"

    def serialize(self, data: Any) -> str:
        if isinstance(data, dbos_errors.DBOSMaxStepRetriesExceeded):
            data = recount(data.errors) or data  # what the step's caller raises live
        return checkpoints.dumps(data)

    def deserialize(self, serialized_data: str) -> Any:
        return checkpoints.loads(serialized_data)


SERIALIZER = _JsonCheckpoints()


def _as_casebook_error(exc: BaseException) -> CasebookError:
    """The engine's own exception as casebook's: EngineUnavailable when its database does not
    answer, RunNotFound for a workflow it does not hold, EngineError for any other refusal."""
    if isinstance(exc, SQLAlchemyError | sqlite3.Error):
        error: CasebookError = EngineUnavailable(
            f"the workflow database cannot be reached ({type(exc).__name__}): try again shortly"
        )
    elif isinstance(exc, dbos_errors.DBOSNonExistentWorkflowError):
        error = RunNotFound(f"the workflow engine holds no such attempt: {exc}")
    else:
        error = EngineError(f"the workflow engine refused: {exc}")
    error.__cause__ = exc
    return error


def _translated(func: Callable[_P, _T]) -> Callable[_P, _T]:
    """The engine's own exceptions as casebook's (`_as_casebook_error`)."""

    @wraps(func)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return func(*args, **kwargs)
        except (SQLAlchemyError, sqlite3.Error, dbos_errors.DBOSException) as exc:
            raise _as_casebook_error(exc) from exc

    return call


BACKSTOP_CHECKPOINT_PAGES = 10_000  # SQLite's own default is 1,000 (about 4 MB)


def _transaction_engine(url: str, timeout_s: float) -> sa.Engine:
    """A connection to the workflow database whose transactions casebook opens and commits
    itself (`Engine.insert_attempts`), waiting at most `timeout_s` to connect or for SQLite's
    write lock. On SQLite the driver is told to leave transactions alone (it would otherwise
    commit at a savepoint's release) and each one begins IMMEDIATE, taking the write lock at
    once, as DBOS's own connections do."""
    if not url.startswith("sqlite"):
        return sa.create_engine(
            sqlalchemy_url(url),
            pool_size=1,
            pool_pre_ping=True,
            connect_args={"connect_timeout": max(1, round(timeout_s))},
        )
    engine = sa.create_engine(url, pool_size=1)

    @sa.event.listens_for(engine, "connect")
    def connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        dbapi_conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")
        # the log is copied back by a Checkpointer thread; this is the backstop should it stop
        dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_CHECKPOINT_PAGES}")

    @sa.event.listens_for(engine, "begin")
    def begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class _QuietCancellations(logging.Filter):
    """DBOS logs "Exception encountered in asynchronous workflow" when a cancelled run's execution
    ends; the run's own status already says it was cancelled (or timed out), so that line goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        cancelled = (dbos_errors.DBOSAwaitedWorkflowCancelledError, dbos_errors.DBOSWorkflowCancelledError)
        return not isinstance(exc, cancelled)


logging.getLogger("dbos").addFilter(_QuietCancellations())


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


SQLITE_BUSY_TIMEOUT_S = 30.0  # as DBOS's own SQLite connections (PRAGMA busy_timeout=30000)


def _prepare_sqlite(url: str) -> None:
    """WAL mode: about 1 ms a step instead of about 18 ms with the default journal."""
    if not url.startswith("sqlite:///"):
        return
    path = Path(url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    # the switch takes the file's exclusive lock: another process starting at the same moment
    # (a worker and `casebook submit`) is waited for as long as DBOS's own connections wait
    db = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S)
    try:
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode=WAL")
    finally:
        db.close()


_migrated: set[str] = set()


def prepare_database(settings: Settings) -> None:
    """Create or upgrade the workflow database's tables (a no-op when they are current)."""
    url = database_url(settings)
    if url not in _migrated:
        _prepare_sqlite(url)
        DBOS.migrate(url)
        executors = Executors(url, settings.executor_timeout_s)
        try:
            executors.create_table()
        finally:
            executors.close()
        _migrated.add(url)


def worker_executor_id(settings: Settings) -> str:
    return settings.executor_id or f"worker-{socket.gethostname()}"


def cli_executor_id() -> str:
    """Unique to this process: no other process ever recovers under it."""
    import os

    return f"cli-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


# -- the workflow ----------------------------------------------------------------------------


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, LLMError) and exc.transient


def _step_caller(settings: Settings) -> Callable[[RunContext], StepCaller]:
    def make(ctx: RunContext) -> StepCaller:
        async def call(name: str) -> None:
            await shutdown.gate()  # once this process stops, no step starts
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
    status = _latest_status(_client, workflow_id) if _client is not None else None
    if status is None or status.status != _CANCELLED:
        return "taken_over"
    return "timed_out" if _timed_out(status) else "cancelled"


def _timed_out(status: Any) -> bool:
    deadline = status.workflow_deadline_epoch_ms
    ended = status.updated_at or int(time.time() * 1000)
    return deadline is not None and ended >= deadline - 1000


async def _publish(manifest: Manifest) -> None:
    """The progress event. From a step it is not recorded; from the workflow body (a run's normal
    end only) it is a recorded step, in the same place on every replay."""
    try:
        await DBOS.set_event_async(PROGRESS, progress_event(manifest))
    except Exception as exc:
        get_logger(run_id=manifest.run_id).warning("could not publish a progress event", reason=str(exc))
    listener = _listeners.get(DBOS.workflow_id or "")
    if listener is not None:
        await listener(manifest)


@DBOS.workflow(name=WORKFLOW)
async def run_workflow(company_slug: str, run_id: str) -> dict[str, Any]:
    settings = _launched_settings or get_settings()
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


# -- processes that run workflows --------------------------------------------------------------


def request_stop() -> None:
    """From a signal handler: the first call stops the process gracefully, a second at once."""
    shutdown.request()
    _stop_requested.set()


def stop_requested() -> bool:
    return shutdown.stopping


def wait_for_stop() -> None:
    """Block until `request_stop` (the signal handlers of a worker)."""
    while not _stop_requested.wait(1.0):
        pass


@contextlib.contextmanager
def launched(settings: Settings, *, executor_id: str, take_queued_work: bool) -> Iterator[None]:
    """DBOS launched in this process; with take_queued_work it dequeues runs like a worker.

    On the way out (a signal, the end of a command) the process stops gracefully: it takes no
    new work, steps in flight get CASEBOOK_SHUTDOWN_GRACE_S to finish, and the runs still
    executing are stopped resumable (`casebook.shutdown`)."""
    url = database_url(settings)
    prepare_database(settings)
    kind = WORKER if take_queued_work else CLI
    executors = Executors(url, settings.executor_timeout_s)
    executors.register(executor_id, kind)
    config: DBOSConfig = {
        "name": APP_NAME,
        "system_database_url": url,
        "application_version": APP_VERSION,
        "executor_id": executor_id,
        "log_level": "DEBUG" if settings.log_level == "DEBUG" else "WARNING",
        "notification_listener_polling_interval_sec": 0.1,
        "serializer": SERIALIZER,
    }
    global _launched_settings, _client
    _launched_settings = settings
    shutdown.reset()
    _stop_requested.clear()
    DBOS(config=config)
    DBOS.listen_queues([QUEUE] if take_queued_work else [])
    _client = DBOSClient(system_database_url=url, serializer=SERIALIZER)
    beating = threading.Event()
    heart = threading.Thread(
        target=_heartbeat, args=(beating, executors, executor_id, kind), name="casebook-heartbeat", daemon=True
    )
    try:
        DBOS.launch()
        DBOS.register_queue(
            QUEUE,
            global_concurrency=settings.max_concurrent_runs,
            worker_concurrency=settings.worker_concurrency,
            polling_interval_sec=0.2,
            on_conflict="always_update",
        )
        heart.start()
        yield
    finally:
        _stop(settings.shutdown_grace_s)
        beating.set()
        if heart.is_alive():
            heart.join(timeout=10)
        with contextlib.suppress(Exception):  # the database may be what failed
            executors.stopped(executor_id)
        executors.close()
        _client.destroy()
        _client, _launched_settings = None, None


def _stop(grace_s: float) -> None:
    """No new work (the queue stops at once), steps in flight finish within the grace period,
    then DBOS is torn down."""
    if not shutdown.executing:
        DBOS.destroy()
        return
    destroyer = threading.Thread(
        target=DBOS.destroy, kwargs={"workflow_completion_timeout_sec": int(grace_s) + 40}, daemon=True
    )
    destroyer.start()  # stops dequeuing first, then waits for the runs below to stop
    shutdown.drain(grace_s)
    destroyer.join()


def _heartbeat(stop: threading.Event, executors: Executors, me: str, kind: str) -> None:
    log = get_logger(executor=me)
    while not stop.wait(max(0.1, executors.timeout_s / 4)):
        try:
            if not executors.beat(me):
                log.warning("this process was taken for dead and its runs handed on; it goes on afresh")
                executors.register(me, kind)
            if kind == WORKER and not shutdown.stopping and _client is not None:
                for dead in executors.claim_dead(me):
                    handed = _hand_over(_client, dead)
                    log.warning("took over the runs of a silent worker", silent=dead, runs=handed)
        except Exception as exc:
            log.warning("heartbeat failed", reason=f"{type(exc).__name__}: {exc}")


def _hand_over(client: DBOSClient, executor_id: str) -> list[str]:
    """Put an executor's unfinished attempts on the workers' queue; they resume from their checkpoints."""
    pending = client.list_workflows(
        name=WORKFLOW,
        status=[WorkflowStatusString.PENDING.value],
        executor_id=executor_id,
        load_input=False,
        load_output=False,
    )
    for status in pending:
        client.resume_workflow(status.workflow_id, queue_name=QUEUE)
    return [s.workflow_id for s in pending]


def serve_worker(settings: Settings, stop: threading.Event | None = None) -> None:
    """Take runs from the queue until stopped (`request_stop`, or `stop` set)."""
    with launched(settings, executor_id=worker_executor_id(settings), take_queued_work=True):
        (stop or _stop_requested).wait()


def plan_here(settings: Settings, run_id: str, *, resume: bool) -> RunView:
    """How this process would go on with a run (`.plan`); RunError when it must not (`resume`
    of a run that is running elsewhere, or queued for live workers)."""
    with Engine(settings) as eng:
        view = eng.view(run_id)
        step = view.plan.step
        if resume and step == "running":
            where = view.executor.describe() if view.executor else f"{view.executor_id} looks alive"
            raise RunError(
                f"run {run_id} is running on {view.executor_id} ({where}): wait for it, or "
                f"`casebook cancel {run_id}` first"
            )
        if resume and step == "queued" and eng.executors.live_workers():
            raise RunError(f"run {run_id} is queued and live workers will take it: `casebook status {run_id}`")
        return view


async def run_here(
    settings: Settings, manifest: Manifest, listener: Listener | None = None, *, resume: bool = False
) -> Manifest:
    """Run a run in this process until it ends, or until this process is stopped (SIGINT,
    SIGTERM: the run stays resumable; `stop_requested()` then says so).

    The next attempt runs here; an attempt orphaned by a process that is gone (or queued with
    no live worker, on `resume`) is cancelled first. An attempt alive elsewhere is followed."""
    async with _signals():
        view = await asyncio.to_thread(plan_here, settings, manifest.run_id, resume=resume)
        current = view.plan
        if current.step == "done":
            return view.manifest
        if current.step == "running" or (current.step == "queued" and not resume):
            return await _follow(settings, manifest, current.workflow_id, listener)
        if current.step in ("orphaned", "queued"):  # its process is gone / no worker will take it
            await asyncio.to_thread(_cancel_attempt, current.workflow_id)
        workflow_id = current.workflow_id
        if current.step != "start":
            workflow_id = f"{manifest.run_id}.{len(view.manifest.workflow_ids) + 1}"
        return await _run_attempt(settings, view.manifest, workflow_id, listener)


async def _run_attempt(settings: Settings, manifest: Manifest, workflow_id: str, listener: Listener | None) -> Manifest:
    named = await asyncio.to_thread(_name_attempt, settings, manifest, workflow_id)
    if listener is not None:
        _listeners[workflow_id] = listener
    try:
        with SetWorkflowID(workflow_id), SetWorkflowTimeout(settings.run_timeout_s):
            handle = await DBOS.start_workflow_async(run_workflow, manifest.company_slug, manifest.run_id)
        await handle.get_result()
    except asyncio.CancelledError:
        if not shutdown.stopping:
            raise
    except Exception as exc:  # the attempt ended in the engine: settle says how
        get_logger(run_id=manifest.run_id).debug("attempt ended in the engine", reason=str(exc))
    finally:
        _listeners.pop(workflow_id, None)
    with Engine(settings) as eng:
        try:
            return eng.view(manifest.run_id).manifest
        except CasebookError as exc:  # storage unreadable: the engine's record says how it ended
            get_logger(run_id=manifest.run_id).error("cannot read the run's manifest", reason=str(exc))
            return settle(named, eng.latest(named))


async def _follow(settings: Settings, manifest: Manifest, workflow_id: str, listener: Listener | None) -> Manifest:
    """Wait for an attempt that runs elsewhere, showing its progress; bounded by the run's limit."""
    deadline = time.monotonic() + settings.run_timeout_s + settings.shutdown_grace_s
    with Engine(settings) as eng:
        while time.monotonic() < deadline:
            view = await asyncio.to_thread(eng.view, manifest.run_id)
            if not view.live or view.manifest.workflow_ids[-1:] != [workflow_id]:
                return view.manifest
            if shutdown.stopping:
                where = f"on {view.executor_id}" if view.executor_id else "in the queue"
                raise RunError(f"stopped waiting: run {manifest.run_id} goes on {where} (`casebook status` follows it)")
            if listener is not None:
                await listener(view.manifest)
            await asyncio.sleep(1.0)
        raise RunError(f"run {manifest.run_id} did not end within CASEBOOK_RUN_TIMEOUT_S: `casebook status` says where")


@contextlib.asynccontextmanager
async def _signals() -> AsyncIterator[None]:
    """SIGINT and SIGTERM stop this process gracefully (a second one at once)."""
    loop = asyncio.get_running_loop()
    grace = (_launched_settings or get_settings()).shutdown_grace_s
    draining: list[asyncio.Task[None]] = []

    def on_signal() -> None:
        first = shutdown.request()
        _stop_requested.set()
        if first:
            draining.append(loop.create_task(asyncio.to_thread(shutdown.drain, grace)))

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await asyncio.gather(*draining, return_exceptions=True)  # the stopped runs have saved their state


def _cancel_attempt(workflow_id: str) -> None:
    assert _client is not None
    with contextlib.suppress(dbos_errors.DBOSNonExistentWorkflowError):
        _client.cancel_workflow(workflow_id)


def _name_attempt(settings: Settings, manifest: Manifest, workflow_id: str) -> Manifest:
    """The manifest (as settled from the engine's record) names the attempt before the engine
    hears of it; a retry finds it there."""
    company = Storage(settings.storage_url).company_by_slug(manifest.company_slug)
    current = manifest.model_copy(deep=True)
    if current.workflow_ids[-1:] != [workflow_id]:
        current.workflow_ids.append(workflow_id)
    if current.status.finished:
        current.status, current.error, current.ended = RunStatus.queued, None, None
    current.save(company)
    return current


def _latest_status(client: DBOSClient | None, workflow_id: str, *, output: bool = False) -> WorkflowStatus | None:
    if client is None or not workflow_id:
        return None
    found = client.list_workflows(workflow_ids=[workflow_id], load_input=False, load_output=output)
    return found[0] if found else None


def _as_latest(status: WorkflowStatus) -> Latest:
    """The engine's record of an attempt in casebook's words. A state this engine version does not
    name counts as running: nothing is started or taken over on a guess."""
    error = status.error
    return Latest(
        status.workflow_id,
        _STATES.get(status.status, "running"),
        status.executor_id,
        status.output,
        f"{error}" if isinstance(error, CasebookError) else (f"{type(error).__name__}: {error}" if error else None),
        status.status == _CANCELLED and _timed_out(status),
        engine_status=status.status,
    )


def _run_of(status: WorkflowStatus) -> tuple[str, str] | None:
    """(company slug, run id) from an attempt's input, when it is one of casebook's runs."""
    args = status.input.get("args") if isinstance(status.input, dict) else None
    if not args or len(args) != 2 or not all(isinstance(a, str) for a in args):
        return None
    slug, run_id = args
    if status.workflow_id != run_id and not status.workflow_id.startswith(f"{run_id}."):
        return None
    return slug, run_id


# -- clients: submit, inspect, cancel, hand over ---------------------------------------------------


@dataclass
class RunView:
    manifest: Manifest  # settled: its status is the run's real one
    engine_status: str | None
    executor_id: str | None
    progress: dict[str, Any] | None
    executor: ExecutorInfo | None = None
    plan: Plan = field(default_factory=lambda: Plan("start", ""))
    hint: str | None = None  # what to do when the run's process is gone
    live: bool = False  # its latest attempt is queued or running in the engine

    @property
    def status(self) -> RunStatus:
        """The run's status: the one answer, for the CLI, the API and the web pages alike."""
        return self.manifest.status


@dataclass(frozen=True)
class NewAttempt:
    """An attempt to insert (`Engine.insert_attempts`), its id already named in the manifest."""

    company_slug: str
    run_id: str
    workflow_id: str


@dataclass(frozen=True)
class Attempt:
    """The latest attempt of a run, as the engine lists it (newest runs first)."""

    company_slug: str
    run_id: str
    latest: Latest


class Engine:
    """Talks to the system database without running workflows: for submit, status, cancel, the API."""

    @_translated
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        url = database_url(settings)
        prepare_database(settings)
        self._client = DBOSClient(system_database_url=url, serializer=SERIALIZER)
        self.executors = Executors(url, settings.executor_timeout_s)
        self._batches: sa.Engine | None = None  # insert_attempts' own connection, made when first used
        self._turns: WriterTurns | None = None  # on SQLite, with the connection
        self._checkpoints: Checkpointer | None = None

    def close(self) -> None:
        self._client.destroy()
        self.executors.close()
        if self._checkpoints is not None:
            self._checkpoints.stop()
        if self._batches is not None:
            self._batches.dispose()
        if self._turns is not None:
            self._turns.close()

    @_translated
    def ping(self) -> None:
        """EngineUnavailable unless the workflow database answers."""
        self._client.check_connection()

    @_translated
    def has_attempt(self, workflow_id: str) -> bool:
        """Whether the engine holds this attempt (it was inserted)."""
        return bool(self._client.list_workflows(workflow_ids=[workflow_id], load_input=False, load_output=False))

    @_translated
    def run_of_attempt(self, workflow_id: str) -> tuple[str, str] | None:
        """(company slug, run id) of the run an attempt belongs to, from the engine's record."""
        found = self._client.list_workflows(workflow_ids=[workflow_id], load_input=True, load_output=False)
        return _run_of(found[0]) if found else None

    @_translated
    def recent(self, limit: int) -> list[Attempt]:
        """The latest attempt of each run among the newest `limit` attempts, newest first."""
        latest: dict[str, Attempt] = {}
        for status in self._client.list_workflows(name=WORKFLOW, sort_desc=True, limit=limit, load_output=True):
            run = _run_of(status)
            if run is not None and run[1] not in latest:  # newest first: the first seen is the latest
                latest[run[1]] = Attempt(run[0], run[1], _as_latest(status))
        return list(latest.values())

    def _options(self, workflow_id: str) -> EnqueueOptions:
        return {
            "workflow_name": WORKFLOW,
            "queue_name": QUEUE,
            "workflow_id": workflow_id,
            "app_version": APP_VERSION,
            "workflow_timeout": self.settings.run_timeout_s,
        }

    @_translated
    def insert_attempt(self, company_slug: str, run_id: str, workflow_id: str) -> None:
        """Put an attempt on the workers' queue (its id already named in the manifest)."""
        self._client.enqueue(self._options(workflow_id), company_slug, run_id)

    @_translated
    def insert_attempts(self, attempts: Sequence[NewAttempt]) -> list[CasebookError | None]:
        """Put many attempts on the queue in one transaction: one commit (one flush of the
        database's log) for all of them. An insert the database refuses fails alone: its error
        (as casebook's) stands in its place in the answer, None means inserted. When the
        transaction itself fails (the database is unreachable, locked, or the commit fails)
        nothing was inserted and that error is raised for all.

        All are inserted at once; only when one insert fails is the batch inserted again, each
        insert in a savepoint of its own (undone alone when it fails)."""
        with self._write_turn():
            return self._insert_together(attempts)

    def _insert_together(self, attempts: Sequence[NewAttempt]) -> list[CasebookError | None]:
        refused = False
        try:
            with self._batch_engine().begin() as conn:
                for attempt in attempts:
                    try:
                        self._enqueue_in(conn, attempt)
                    except (SQLAlchemyError, dbos_errors.DBOSException):
                        refused = True
                        raise
            return [None] * len(attempts)
        except (SQLAlchemyError, dbos_errors.DBOSException):
            if not refused:
                raise  # the transaction, not an insert: nothing of it was inserted
        return self._insert_each(attempts)

    def _insert_each(self, attempts: Sequence[NewAttempt]) -> list[CasebookError | None]:
        outcomes: list[CasebookError | None] = []
        with self._batch_engine().begin() as conn:
            for attempt in attempts:
                try:
                    with conn.begin_nested():
                        self._enqueue_in(conn, attempt)
                    outcomes.append(None)
                except (SQLAlchemyError, dbos_errors.DBOSException) as exc:
                    if conn.invalidated or not conn.in_transaction():
                        raise  # the connection, not this insert: the whole transaction is gone
                    refused = EngineError(f"the workflow database refused this attempt ({type(exc).__name__})")
                    refused.__cause__ = exc
                    outcomes.append(refused if isinstance(exc, SQLAlchemyError) else _as_casebook_error(exc))
        return outcomes

    def _enqueue_in(self, conn: sa.Connection, attempt: NewAttempt) -> None:
        self._client.enqueue_in_transaction(
            conn, self._options(attempt.workflow_id), attempt.company_slug, attempt.run_id
        )

    def _batch_engine(self) -> sa.Engine:
        if self._batches is None:
            url = database_url(self.settings)
            path = sqlite_path(url)
            if path is not None and self._turns is None:
                self._turns, self._checkpoints = WriterTurns(path), Checkpointer(path)
                self._checkpoints.start()
            self._batches = _transaction_engine(url, self.settings.database_timeout_s)
        return self._batches

    def _write_turn(self) -> contextlib.AbstractContextManager[None]:
        """This process's turn at SQLite's write lock (`casebook.sqlite_writes`); PostgreSQL queues its own."""
        self._batch_engine()
        return self._turns.turn() if self._turns is not None else contextlib.nullcontext()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @_translated
    def latest(self, manifest: Manifest) -> Latest | None:
        if not manifest.workflow_ids:
            return None
        workflow_id = manifest.workflow_ids[-1]
        status = _latest_status(self._client, workflow_id, output=True)
        return Latest(workflow_id, None) if status is None else _as_latest(status)

    def alive(self, executor_id: str | None) -> tuple[bool, ExecutorInfo | None]:
        """Whether an executor runs; one never heard of counts as alive unless it is a process
        of this machine that is gone (nothing is taken from it on a guess)."""
        if not executor_id:
            return False, None
        info = self.executors.info(executor_id)
        if info is not None:
            return info.alive, info
        prefix = f"cli-{socket.gethostname()}-"
        if executor_id.startswith(prefix):  # cli-<host>-<pid>, or cli-<host>-<pid>-<tag>
            pid = executor_id.removeprefix(prefix).split("-")[0]
            if pid.isdigit() and pid_gone(socket.gethostname(), int(pid)):
                return False, None
        return True, None

    @_translated
    def view(self, run_id: str) -> RunView:
        """What run X is: its manifest settled with the engine's record of its latest attempt
        (`casebook.runs.attempts.settle`), how it goes on, and what to do when its process is gone.
        RunNotFound for an unknown run."""
        company = find_run(self.settings, run_id)
        manifest = load_manifest(company, run_id)
        latest = self.latest(manifest)
        executor_id = latest.executor_id if latest else None
        alive, info = self.alive(executor_id) if latest is not None and latest.state == "running" else (True, None)
        progress = None
        if latest is not None and latest.state is not None:
            progress = self._client.get_event(latest.workflow_id, PROGRESS, timeout_seconds=0)
        view = _settled(manifest, latest, progress)
        view.executor, view.plan = info, plan(view.manifest, latest, alive)
        view.hint = self._hint(view)
        return view

    def _hint(self, view: RunView) -> str | None:
        run_id, step = view.manifest.run_id, view.plan.step
        if step == "orphaned":
            gone = view.executor.describe() if view.executor else f"{view.executor_id} is gone"
            if (view.executor_id or "").startswith("cli-"):
                return f"its process is gone ({gone}): `casebook resume {run_id}` continues it"
            return (
                f"its worker is gone ({gone}): live workers take its runs over after "
                f"CASEBOOK_EXECUTOR_TIMEOUT_S ({self.settings.executor_timeout_s:g} s); "
                f"`casebook worker --executor-id {view.executor_id}` or `casebook resume {run_id}` continues it now"
            )
        if step == "queued" and not self.executors.live_workers():
            return f"no live `casebook worker` on this database: start one, or `casebook resume {run_id}` runs it here"
        return None

    def list_runs(self, limit: int = 50) -> list[RunView]:
        """The runs of the newest `limit` attempts, newest first, each settled as `view` settles it."""
        views = []
        storage = Storage(self.settings.storage_url)
        for attempt in self.recent(limit):
            company = storage.company_by_slug(attempt.company_slug)
            if not company.exists(f"runs/{attempt.run_id}.json"):
                continue
            views.append(_settled(load_manifest(company, attempt.run_id), attempt.latest, None))
        return views

    @_translated
    def enqueue(self, manifest: Manifest) -> str:
        """Put a run on the workers' queue: its first attempt, or the next of one that ended.

        Idempotent: a run that is queued, running or done is never queued again; an attempt
        orphaned by a process that is gone is handed to the workers as it is."""
        view = self.view(manifest.run_id)
        step, workflow_id = view.plan.step, view.plan.workflow_id
        if step == "orphaned":
            self._client.resume_workflow(workflow_id, queue_name=QUEUE)
            return workflow_id
        if step not in ("start", "new"):
            return workflow_id
        _name_attempt(self.settings, view.manifest, workflow_id)
        self.insert_attempt(manifest.company_slug, manifest.run_id, workflow_id)
        return workflow_id

    @_translated
    def retry(self, run_id: str) -> Manifest:
        """The API's retry: the run goes on, on the workers' queue (RunError when it cannot)."""
        view = self.view(run_id)
        step = view.plan.step
        if step == "done":
            raise RunError(f"run {run_id} already succeeded: GET its report")
        if view.manifest.status.waiting:
            raise RunError(f"run {run_id} waits for review: POST /v1/runs/{run_id}/approve releases it")
        if step == "running":
            raise RunError(
                f"run {run_id} is running on {view.executor_id}: it needs no retry "
                f"(if that machine is gone, `casebook recover {view.executor_id}` hands its runs over)"
            )
        if step == "queued":
            raise RunError(f"run {run_id} is already in the queue: a worker will take it")
        self.enqueue(view.manifest)
        return self.view(run_id).manifest

    @_translated
    def cancel(self, run_id: str) -> Manifest:
        """Cancel the run's current attempt; what it finished is kept, and resume goes on from there."""
        view = self.view(run_id)
        manifest = view.manifest
        if manifest.status.finished:
            raise RunError(f"run {run_id} already ended ({manifest.status.value})")
        if manifest.workflow_ids:
            with contextlib.suppress(dbos_errors.DBOSNonExistentWorkflowError):
                self._client.cancel_workflow(manifest.workflow_ids[-1])
        manifest.status, manifest.error, manifest.current_step = RunStatus.cancelled, "cancelled", None
        manifest.ended = utcnow()
        for state in manifest.steps.values():
            if state.state == "running":
                state.state, state.started = "pending", None
        manifest.save(find_run(self.settings, run_id))
        return manifest

    @_translated
    def hand_over(self, executor_id: str, *, force: bool = False) -> list[str]:
        """Queue an executor's unfinished runs so that live workers take them (RunError when it
        is alive, unless forced: it would run them at the same time)."""
        alive, info = self.alive(executor_id)
        if alive and info is not None and not force:
            raise RunError(
                f"{info.describe()}: its runs are running there. Stop it first, or "
                f"`casebook recover {executor_id} --force` if it is stuck"
            )
        return _hand_over(self._client, executor_id)


def _settled(manifest: Manifest, latest: Latest | None, progress: dict[str, Any] | None) -> RunView:
    """The run as it is: the manifest settled with the engine's record (`settle`, the one rule)."""
    settle(manifest, latest)
    live = latest is not None and latest.live and manifest.workflow_ids[-1:] == [latest.workflow_id]
    return RunView(
        manifest,
        latest.engine_status if latest else None,
        latest.executor_id if latest else None,
        progress,
        live=live,
    )
