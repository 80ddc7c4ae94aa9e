"""Clients of the workflow database that run no workflows: submit, inspect, cancel, hand over
(`Engine`), and what they answer (`RunView`, `Attempt`).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from dbos import DBOSClient, EnqueueOptions
from dbos import error as dbos_errors
from sqlalchemy.exc import SQLAlchemyError

from casebook.config import Settings
from casebook.engine.attempts import _as_latest, _hand_over, _latest_status, _name_attempt, _run_of
from casebook.engine.database import (
    APP_VERSION,
    PROGRESS,
    QUEUE,
    SERIALIZER,
    WORKFLOW,
    _as_casebook_error,
    _transaction_engine,
    _translated,
    database_url,
    prepare_database,
)
from casebook.errors import CasebookError, EngineError, RunError
from casebook.executors import ExecutorInfo, Executors, pid_gone
from casebook.models import RunStatus
from casebook.runs.attempts import Latest, Plan, plan, settle
from casebook.runs.manifest import Manifest, utcnow
from casebook.runs.runner import find_run, load_manifest
from casebook.sqlite_writes import Checkpointer, WriterTurns, sqlite_path
from casebook.storage import Storage


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
        if self._turns is None:
            return contextlib.nullcontext()
        return self._turns.turn(self.settings.database_timeout_s)

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
