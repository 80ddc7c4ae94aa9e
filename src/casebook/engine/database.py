"""The workflow database: the engine's names and version, what DBOS records (JSON), its errors in
casebook's words, the database's URL and tables, and the ids of the processes that run workflows.
"""

from __future__ import annotations

import logging
import secrets
import socket
import sqlite3
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from dbos import DBOS, Serializer, WorkflowStatusString
from dbos import error as dbos_errors
from sqlalchemy.exc import SQLAlchemyError

from casebook import checkpoints
from casebook.config import Settings
from casebook.errors import CasebookError, ConfigError, EngineError, EngineUnavailable, RunNotFound
from casebook.executors import Executors, sqlalchemy_url
from casebook.llm.failures import recount
from casebook.runs.attempts import AttemptState
from casebook.sqlite_writes import use_wal
from casebook.storage import Storage

APP_NAME = "casebook"
APP_VERSION = "casebook-2"  # 2: the review step (the quality gate) before deliver
QUEUE = "casebook-runs"
WORKFLOW = "casebook.run"
PROGRESS = "progress"

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
        use_wal(db, SQLITE_BUSY_TIMEOUT_S)
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
