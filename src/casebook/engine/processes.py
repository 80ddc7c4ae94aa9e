"""The processes that run workflows: DBOS launched in this process (`launched`), its graceful
stop, its heartbeat and the hand-over of silent workers' runs, a worker (`serve_worker`), and a
run in this process (`plan_here`, `run_here`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections.abc import AsyncIterator, Iterator

from dbos import DBOS, DBOSClient, DBOSConfig, SetWorkflowID, SetWorkflowTimeout
from dbos import error as dbos_errors

import casebook.engine.state as state
from casebook.config import Settings, get_settings
from casebook.engine.attempts import _hand_over, _name_attempt
from casebook.engine.client import Engine, RunView
from casebook.engine.database import (
    APP_NAME,
    APP_VERSION,
    QUEUE,
    SERIALIZER,
    database_url,
    prepare_database,
    worker_executor_id,
)
from casebook.engine.workflow import run_workflow
from casebook.errors import CasebookError, RunError
from casebook.executors import CLI, WORKER, Executors
from casebook.logs import get_logger
from casebook.runs.attempts import settle
from casebook.runs.manifest import Manifest
from casebook.runs.pipeline import Listener
from casebook.shutdown import shutdown


def request_stop() -> None:
    """From a signal handler: the first call stops the process gracefully, a second at once."""
    shutdown.request()
    state.stop_requested.set()


def stop_requested() -> bool:
    return shutdown.stopping


def wait_for_stop() -> None:
    """Block until `request_stop` (the signal handlers of a worker)."""
    while not state.stop_requested.wait(1.0):
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
    state.launched_settings = settings
    shutdown.reset()
    state.stop_requested.clear()
    DBOS(config=config)
    DBOS.listen_queues([QUEUE] if take_queued_work else [])
    state.client = DBOSClient(system_database_url=url, serializer=SERIALIZER)
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
        state.client.destroy()
        state.client, state.launched_settings = None, None


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
            if kind == WORKER and not shutdown.stopping and state.client is not None:
                for dead in executors.claim_dead(me):
                    handed = _hand_over(state.client, dead)
                    log.warning("took over the runs of a silent worker", silent=dead, runs=handed)
        except Exception as exc:
            log.warning("heartbeat failed", reason=f"{type(exc).__name__}: {exc}")


def serve_worker(settings: Settings, stop: threading.Event | None = None) -> None:
    """Take runs from the queue until stopped (`request_stop`, or `stop` set)."""
    with launched(settings, executor_id=worker_executor_id(settings), take_queued_work=True):
        (stop or state.stop_requested).wait()


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
        state.listeners[workflow_id] = listener
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
        state.listeners.pop(workflow_id, None)
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
    grace = (state.launched_settings or get_settings()).shutdown_grace_s
    draining: list[asyncio.Task[None]] = []

    def on_signal() -> None:
        first = shutdown.request()
        state.stop_requested.set()
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
    assert state.client is not None
    with contextlib.suppress(dbos_errors.DBOSNonExistentWorkflowError):
        state.client.cancel_workflow(workflow_id)
