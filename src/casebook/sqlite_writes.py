"""Many processes writing one SQLite workflow database without stalls (the server's queue inserts).

    turns = WriterTurns(db_path)            # one per process
    with turns.turn(timeout_s=5):           # the write lock is ours once the holder lets go
        ... BEGIN IMMEDIATE … COMMIT ...
    checkpoints = Checkpointer(db_path)     # the log copied back from a thread of its own
    checkpoints.start(); …; checkpoints.stop()

Two things made a request wait for no reason of its own:

- **The write lock.** SQLite has no queue for its write lock: a connection that finds it taken
  sleeps and tries again (1, 2, 5, 10 … 100 ms apart), so with two server processes inserting
  all the time, one could sleep through several of the other's transactions (a queue insert
  took up to 760 ms). Taking a turn first, an exclusive `flock` on a file beside the database,
  which a waiter looks at again every 0.1-1 ms, gives the lock to a waiter within a millisecond
  of the holder letting go. Writers that take no turn (DBOS's own connections in a worker)
  still get the lock as before.
- **Checkpoints.** By default the transaction whose commit takes the log past 1,000 pages copies
  it back into the database file and flushes it, inside that commit: about every 3 seconds of
  submissions one batch of requests waited 100-150 ms for it. The insert connection leaves that
  to `Checkpointer`, a thread that copies the log back every quarter of a second while requests
  go on (PASSIVE: it takes no lock a writer needs). The log stays short, as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator

from casebook.errors import EngineUnavailable
from casebook.logs import get_logger

CHECKPOINT_EVERY_S = 0.25
MAX_PAUSE_S = 0.001  # a waiting writer looks again at least this often (SQLite's own: up to 0.1 s)


def use_wal(db: sqlite3.Connection, timeout_s: float) -> None:
    """Put the database file in WAL mode, if it is not already. Two connections that switch a
    new file at the same moment can be refused at once ("database is locked": SQLite does not
    always wait for the lock this switch needs), so a refused switch looks again, within
    `timeout_s`: by then the other has usually made the switch."""
    deadline, pause = time.monotonic() + timeout_s, 0.01
    while db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or time.monotonic() >= deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


def sqlite_path(url: str) -> str | None:
    """The file of a `sqlite:///` URL, None for any other database."""
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else None


class WriterTurns:
    """Turns at the write lock of one database file, one process at a time."""

    def __init__(self, db_path: str) -> None:
        self.path = f"{db_path}.writer-turn"
        self._fd: int | None = None
        self._opened = threading.Lock()

    @contextlib.contextmanager
    def turn(self, timeout_s: float) -> Iterator[None]:
        """Ours within `timeout_s`, else EngineUnavailable (a holder that hangs holds no one for good).
        A waiter looks again every 0.1-1 ms: a blocking `flock` cannot give up, and a thread
        stuck in one would hold its pool slot for as long as the holder hangs."""
        fd = self._open()
        deadline, pause = time.monotonic() + timeout_s, 0.0001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the kernel frees it should we die
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise EngineUnavailable(
                        f"another process held the workflow database's write turn for {timeout_s:g} s: "
                        "try again shortly"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE_S)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._opened:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _open(self) -> int:
        with self._opened:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            return self._fd


class Checkpointer:
    """A thread that copies the write-ahead log back into the database every `every_s` seconds."""

    def __init__(self, db_path: str, every_s: float = CHECKPOINT_EVERY_S) -> None:
        self.db_path = db_path
        self.every_s = every_s
        self.checkpoints = 0  # checkpoints that ran (the tests read it)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        try:
            db = sqlite3.connect(self.db_path, timeout=5.0, isolation_level=None)
        except sqlite3.Error as exc:  # the backstop (the insert connection's own threshold) stands in
            get_logger().warning("checkpoint thread cannot open the database", error=str(exc))
            return
        try:
            failing = ""  # the last failure, logged once, not every round
            while not self._stop.wait(self.every_s):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
                    failing = ""
                except sqlite3.Error as exc:  # the file gone, a disk error: the next round tries again
                    if str(exc) != failing:
                        failing = str(exc)
                        get_logger().warning("checkpoint failed", error=failing)
        finally:
            db.close()
