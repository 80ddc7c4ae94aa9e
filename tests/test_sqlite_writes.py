"""`casebook.sqlite_writes`: writers of one SQLite file take turns (a waiter in another process
is woken when the holder lets go, not after a sleep), and the write-ahead log is copied back by
a thread of its own while the insert connection leaves it alone (a real database, real processes)."""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from casebook import sqlite_writes
from casebook.config import Settings
from casebook.engine import BACKSTOP_CHECKPOINT_PAGES, Engine, NewAttempt, database_url
from casebook.errors import EngineUnavailable
from casebook.sqlite_writes import Checkpointer, WriterTurns, sqlite_path, use_wal
from tests.engine.procs import wait_for


def _take_turn(db: str, asked: multiprocessing.synchronize.Event, log: str) -> None:
    turns = WriterTurns(db)
    asked.set()
    with turns.turn(60), open(log, "a") as out:
        out.write("second\n")


def _die_holding(db: str, holding: multiprocessing.synchronize.Event) -> None:
    turns = WriterTurns(db)
    with turns.turn(60):
        holding.set()
        os._exit(3)  # no release: the kernel drops the lock with the process


def test_a_writer_in_another_process_gets_its_turn_only_once_the_holder_lets_go(tmp_path: Path) -> None:
    db, log = str(tmp_path / "w.sqlite"), tmp_path / "order.log"
    turns = WriterTurns(db)
    context = multiprocessing.get_context("spawn")
    asked = context.Event()
    with turns.turn(60):
        other = context.Process(target=_take_turn, args=(db, asked, str(log)))
        other.start()
        assert asked.wait(60)
        assert other.is_alive() and not log.exists()  # it waits in the kernel, holding nothing
        log.write_text("first\n")
    other.join(60)
    assert other.exitcode == 0
    assert log.read_text().splitlines() == ["first", "second"]
    turns.close()


def test_a_turn_held_too_long_is_refused_in_time(tmp_path: Path) -> None:
    db = str(tmp_path / "w.sqlite")
    holder, waiter = WriterTurns(db), WriterTurns(db)  # two open files: as two processes
    with holder.turn(60), pytest.raises(EngineUnavailable, match=r"write turn for 0\.2 s"), waiter.turn(0.2):
        raise AssertionError("the turn was taken twice")
    with waiter.turn(0.2):  # free again once the holder lets go
        pass
    holder.close()
    waiter.close()


def test_a_holder_that_dies_leaves_the_turn_free(tmp_path: Path) -> None:
    db = str(tmp_path / "w.sqlite")
    context = multiprocessing.get_context("spawn")
    holding = context.Event()
    holder = context.Process(target=_die_holding, args=(db, holding))
    holder.start()
    holder.join(60)
    assert holding.is_set() and holder.exitcode == 3
    turns = WriterTurns(db)
    with turns.turn(60):
        pass
    turns.close()


def test_the_insert_connection_leaves_the_log_to_the_checkpoint_thread(tmp_path: Path) -> None:
    settings = Settings(storage_url=str(tmp_path / "out"), database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    path = sqlite_path(database_url(settings))
    assert path is not None
    with Engine(settings) as engine:
        engine.insert_attempts([NewAttempt("co", "warm-up", "warm-up")])  # opens the connection
        checkpointer = engine._checkpoints
        assert checkpointer is not None and checkpointer._thread is not None
        batch = [NewAttempt("co", f"run-{i:04d}", f"run-{i:04d}") for i in range(400)]
        assert engine.insert_attempts(batch) == [None] * 400
        with engine._batch_engine().connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert pages == BACKSTOP_CHECKPOINT_PAGES > 1000  # it does not copy the log back itself
        before = checkpointer.checkpoints
        wait_for(lambda: checkpointer.checkpoints >= before + 2, 30, "two checkpoint rounds")
        # the database file alone, without its log, holds every insert: the thread copied them
        alone = tmp_path / "alone.sqlite"
        shutil.copyfile(path, alone)
        with sqlite3.connect(alone) as db:
            held = db.execute("SELECT count(*) FROM workflow_status").fetchone()[0]
        assert held == 401
    assert checkpointer._thread is None  # closing the engine stops the thread


def test_a_checkpointer_stops_and_a_postgres_url_has_no_file() -> None:
    assert sqlite_path("postgresql://u@h/db") is None
    assert sqlite_path("sqlite:////var/db/casebook.sqlite") == "/var/db/casebook.sqlite"
    checkpointer = Checkpointer("/nonexistent/dir/x.sqlite", every_s=0.01)
    checkpointer.start()
    checkpointer.stop()  # a database it cannot open does not keep it from stopping
    assert checkpointer.checkpoints == 0


def test_a_switch_to_wal_refused_while_another_connection_reads_is_made_once_it_is_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two ingests opening a new store at once: one connection's switch was refused at once
    ("database is locked") and the ingest failed. Now it looks again until the other lets go."""
    path = tmp_path / "store.sqlite"
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("CREATE TABLE t (x)")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()  # holds the file's shared lock
    switcher = sqlite3.connect(path, isolation_level=None, timeout=0.0, check_same_thread=False)
    refused = threading.Event()
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        refused.set()  # the switch was refused and will be tried again
        real_sleep(seconds)

    monkeypatch.setattr(sqlite_writes.time, "sleep", sleep)
    errors: list[BaseException] = []

    def switch() -> None:
        try:
            use_wal(switcher, 30)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=switch)
    thread.start()
    assert refused.wait(30)
    reader.execute("COMMIT")
    thread.join(30)
    assert errors == [] and not thread.is_alive()
    assert switcher.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reader.close()
    switcher.close()
