"""Which processes run workflows, and whether they are alive: one heartbeat row per executor
in the workflow database (table `casebook_executors`, beside the engine's own tables).

- Every process that runs workflows (a worker, `casebook run`, `casebook resume`) registers
  and beats every `timeout / 4` seconds; a clean exit marks it stopped.
- A worker silent for longer than `CASEBOOK_EXECUTOR_TIMEOUT_S` is dead: one live worker
  claims it (an UPDATE that only one claimer can win: the lease) and hands its runs on.
  The engine's ownership token fences the rest: a worker taken for dead that wakes up
  stops at its next checkpoint, its writes refused.
- Times are the database's clock, so machines with skewed clocks agree on who is silent.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

WORKER, CLI = "worker", "cli"
_DAY = 86400.0

_metadata = sa.MetaData()
_table = sa.Table(
    "casebook_executors",
    _metadata,
    sa.Column("executor_id", sa.String(255), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("beat_at", sa.Float, nullable=False),
    sa.Column("stopped_at", sa.Float, nullable=True),
    sa.Column("taken_over_by", sa.String(255), nullable=True),
    sa.Column("taken_over_at", sa.Float, nullable=True),
)


@dataclass(frozen=True)
class ExecutorInfo:
    executor_id: str
    kind: str
    host: str
    pid: int
    silent_s: float  # seconds since its last heartbeat
    stopped: bool  # it exited cleanly
    taken_over_by: str | None
    alive: bool

    def describe(self) -> str:
        if self.alive:
            return f"{self.executor_id} is alive (heartbeat {self.silent_s:.0f} s ago)"
        if self.stopped:
            return f"{self.executor_id} stopped {self.silent_s:.0f} s ago"
        return f"{self.executor_id} has been silent for {self.silent_s:.0f} s"


def sqlalchemy_url(url: str) -> str:
    """The workflow database's URL as SQLAlchemy takes it (psycopg 3 for PostgreSQL)."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def pid_gone(host: str, pid: int) -> bool:
    """True when the process is of this machine and no longer exists."""
    if host != socket.gethostname() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Executors:
    def __init__(self, url: str, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        sqlite = url.startswith("sqlite")
        self._engine = sa.create_engine(
            sqlalchemy_url(url),
            pool_pre_ping=not sqlite,
            connect_args={"timeout": 30} if sqlite else {"connect_timeout": 10},
        )
        self._now: Any = (
            sa.literal_column("((julianday('now') - 2440587.5) * 86400.0)")
            if sqlite
            else sa.func.extract("epoch", sa.func.clock_timestamp())
        )

    def close(self) -> None:
        self._engine.dispose()

    def create_table(self) -> None:
        """Idempotent, and safe when many processes start at once."""
        try:
            with self._engine.begin() as db:
                db.execute(sa.schema.CreateTable(_table, if_not_exists=True))
        except sa.exc.DBAPIError:  # PostgreSQL: a twin created it between the check and the create
            if not sa.inspect(self._engine).has_table(_table.name):
                raise

    def register(self, executor_id: str, kind: str) -> None:
        """This process is `executor_id` from now on: alive, not stopped, not taken over."""
        values = {
            "kind": kind,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": self._now,
            "beat_at": self._now,
            "stopped_at": None,
            "taken_over_by": None,
            "taken_over_at": None,
        }
        update = sa.update(_table).where(_table.c.executor_id == executor_id).values(values)
        with self._engine.begin() as db:
            if db.execute(update).rowcount == 1:
                return
        try:
            with self._engine.begin() as db:
                db.execute(sa.insert(_table).values(executor_id=executor_id, **values))
        except sa.exc.IntegrityError:  # registered by a twin at the same moment
            with self._engine.begin() as db:
                db.execute(update)

    def beat(self, executor_id: str) -> bool:
        """Renew the heartbeat; False when another process took this one for dead meanwhile."""
        with self._engine.begin() as db:
            updated = db.execute(
                sa.update(_table)
                .where(_table.c.executor_id == executor_id, _table.c.taken_over_by.is_(None))
                .values(beat_at=self._now, stopped_at=None)
            )
        return updated.rowcount == 1

    def stopped(self, executor_id: str) -> None:
        with self._engine.begin() as db:
            db.execute(sa.update(_table).where(_table.c.executor_id == executor_id).values(stopped_at=self._now))

    def info(self, executor_id: str) -> ExecutorInfo | None:
        found = self._select(_table.c.executor_id == executor_id)
        return found[0] if found else None

    def live_workers(self) -> list[ExecutorInfo]:
        return [e for e in self._select(_table.c.kind == WORKER) if e.alive]

    def claim_dead(self, claimer: str) -> list[str]:
        """Workers silent for longer than the timeout that nobody claimed (or whose claimer went
        silent too), now claimed by `claimer`: only one claimer wins each."""
        stale = self._now - self.timeout_s
        claimable = sa.and_(
            _table.c.kind == WORKER,
            _table.c.executor_id != claimer,
            _table.c.beat_at < stale,
            sa.or_(_table.c.taken_over_by.is_(None), _table.c.taken_over_at < stale),
        )
        with self._engine.begin() as db:
            db.execute(sa.delete(_table).where(_table.c.beat_at < self._now - 7 * _DAY))
            db.execute(sa.delete(_table).where(_table.c.kind == CLI, _table.c.beat_at < self._now - _DAY))
            candidates = list(db.execute(sa.select(_table.c.executor_id).where(claimable)).scalars())
        claimed = []
        for executor_id in candidates:
            with self._engine.begin() as db:
                won = db.execute(
                    sa.update(_table)
                    .where(_table.c.executor_id == executor_id, claimable)
                    .values(taken_over_by=claimer, taken_over_at=self._now)
                )
            if won.rowcount == 1:
                claimed.append(executor_id)
        return claimed

    def _select(self, where: Any) -> list[ExecutorInfo]:
        query = sa.select(_table, (self._now - _table.c.beat_at).label("silent")).where(where)
        with self._engine.connect() as db:
            rows = db.execute(query).mappings().all()
        found = []
        for row in rows:
            silent = max(0.0, float(row["silent"]))
            stopped = row["stopped_at"] is not None
            alive = (
                silent <= self.timeout_s
                and not stopped
                and row["taken_over_by"] is None
                and not pid_gone(row["host"], row["pid"])
            )
            found.append(
                ExecutorInfo(
                    row["executor_id"],
                    row["kind"],
                    row["host"],
                    row["pid"],
                    silent,
                    stopped,
                    row["taken_over_by"],
                    alive,
                )
            )
        return found
