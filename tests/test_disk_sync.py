"""Group sync: threads that ask while a flush runs are served by one flush after it, a failed
flush fails exactly the callers it was to serve, and the real syncfs path flushes files."""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from casebook.disk_sync import SyncGroup, sync_paths
from casebook.errors import StorageError
from casebook.storage import Storage


class Flushes:
    """A flush that waits until the test lets it go, recording the path it was given."""

    def __init__(self, fail_round: int | None = None) -> None:
        self.go = threading.Semaphore(0)
        self.started = threading.Semaphore(0)
        self.fail_round = fail_round
        self.calls = 0

    def __call__(self, path: str) -> None:
        self.calls += 1
        self.started.release()
        self.go.acquire()
        if self.calls == self.fail_round:
            raise OSError(errno.EIO, "Input/output error", path)


def callers(group: SyncGroup, count: int, errors: dict[int, BaseException], first: int = 0) -> list[threading.Thread]:
    def call(i: int) -> None:
        try:
            group.sync(f"/path/{i}")
        except OSError as exc:
            errors[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(first, first + count)]
    for t in threads:
        t.start()
    return threads


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Wait for a state the threads reach by themselves (bounded: 10,000 checks, 1 ms apart)."""
    pause = threading.Event()
    for _ in range(10_000):
        if condition():
            return
        pause.wait(0.001)
    raise AssertionError(f"never happened: {what}")


def test_callers_that_arrive_during_a_flush_share_the_next_one() -> None:
    flushes = Flushes()
    group = SyncGroup(flushes)
    errors: dict[int, BaseException] = {}
    [first] = callers(group, 1, errors)
    assert flushes.started.acquire(timeout=30)  # the first flush runs, for the first caller only
    later = callers(group, 5, errors, first=1)
    wait_until(lambda: group.waiting == 6, "five more callers waiting")
    flushes.go.release()  # the first flush ends; one of the five starts the second, for all five
    assert flushes.started.acquire(timeout=30)
    flushes.go.release()
    for t in [first, *later]:
        t.join(timeout=30)
    assert group.rounds == 2 and flushes.calls == 2 and group.waiting == 0 and not errors


def test_a_failed_flush_fails_the_callers_it_served_and_the_next_ones_succeed() -> None:
    flushes = Flushes(fail_round=2)
    group = SyncGroup(flushes)
    errors: dict[int, BaseException] = {}
    [first] = callers(group, 1, errors)
    assert flushes.started.acquire(timeout=30)
    second = callers(group, 3, errors, first=1)
    wait_until(lambda: group.waiting == 4, "three more callers waiting")
    flushes.go.release()
    first.join(timeout=30)
    assert flushes.started.acquire(timeout=30)  # the second flush, which fails
    flushes.go.release()
    for t in second:
        t.join(timeout=30)
    assert sorted(errors) == [1, 2, 3]  # the three the failed flush was to serve; the first was served before
    assert all(isinstance(e, OSError) and e.errno == errno.EIO for e in errors.values())
    errors.clear()
    [third] = callers(group, 1, errors, first=4)
    assert flushes.started.acquire(timeout=30)
    flushes.go.release()
    third.join(timeout=30)
    assert not errors and group.rounds == 3


def test_real_files_are_flushed_and_a_missing_one_is_a_storage_error(tmp_path: Path) -> None:
    files = [tmp_path / f"f{i}" for i in range(3)]
    for f in files:
        f.write_bytes(b"written")
    sync_paths([str(f) for f in files] + [str(tmp_path)])  # one syncfs for all (or fsyncs elsewhere)
    company = Storage(str(tmp_path / "outputs")).company("Sync Co")
    company.write_bytes("runs/a.json", b"{}", sync=False)
    company.sync_files(["runs/a.json"])
    with pytest.raises(StorageError, match="cannot write"):
        company.sync_files(["runs/missing.json"])
