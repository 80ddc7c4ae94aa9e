"""Flushing written files to disk for many threads at once (group sync).

    sync_paths(["/data/runs/r1/inputs/0000", "/data/runs/r1/inputs"])   # on disk when it returns

On Linux one syncfs(2) of the filesystem that holds the paths flushes every file and folder
written on it so far, data and metadata, to the disk. Threads that ask while none runs start
one; a thread that asks while one runs waits for the next, which covers its writes too (they
came before it asked), so however many threads ask at once, the disk commits about twice,
instead of once for each file of each thread (an fsync costs as much CPU as writing the file,
and each one waits for a commit of its own). A failed syncfs fails every caller it was to serve.

Where syncfs is missing (not Linux), or the paths are on more than one filesystem, each path
is fsynced on its own, as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from collections.abc import Callable, Sequence

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_SYNCFS: Callable[[int], int] | None = getattr(_libc, "syncfs", None)


def fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def syncfs_path(path: str) -> None:
    """Flush the whole filesystem that holds `path` (OSError when the kernel reports a failure)."""
    assert _SYNCFS is not None
    fd = os.open(path, os.O_RDONLY)
    try:
        if _SYNCFS(fd) != 0:
            error = ctypes.get_errno()
            raise OSError(error, os.strerror(error), path)
    finally:
        os.close(fd)


class SyncGroup:
    """The callers of one filesystem: tickets in the order they ask; each round of `flush`
    covers every ticket handed out before it started."""

    def __init__(self, flush: Callable[[str], None]) -> None:
        self.flush = flush
        self.rounds = 0  # flushes made (the tests read it)
        self._changed = threading.Condition()
        self._asked = 0  # tickets handed out
        self._covered = 0  # every ticket up to this one is served by a finished round
        self._running = False
        self._failed: list[tuple[int, int, OSError]] = []  # (after, up to) ticket ranges of failed rounds

    @property
    def waiting(self) -> int:
        """Callers not yet served (the tests read it)."""
        with self._changed:
            return self._asked - self._covered

    def sync(self, path: str) -> None:
        """Returns once a flush that started after this call has ended; raises its OSError."""
        with self._changed:
            self._asked += 1
            ticket = self._asked
            while self._covered < ticket:
                if self._running:
                    self._changed.wait()
                    continue
                self._running, after, upto = True, self._covered, self._asked
                self._changed.release()
                error: OSError | None = None
                try:
                    self.flush(path)
                except OSError as exc:
                    error = exc
                finally:
                    self._changed.acquire()
                    self.rounds += 1
                    self._running, self._covered = False, upto
                    if error is not None:
                        self._failed = [*self._failed[-63:], (after, upto, error)]
                    self._changed.notify_all()
            for after, upto, failure in self._failed:
                if after < ticket <= upto:
                    raise OSError(failure.errno, failure.strerror, failure.filename)


_groups: dict[int, SyncGroup] = {}
_groups_lock = threading.Lock()


def sync_paths(paths: Sequence[str]) -> None:
    """Every path (file or folder, written already) on disk when this returns; OSError if not."""
    if not paths:
        return
    devices = {os.stat(p).st_dev for p in paths}
    if _SYNCFS is None or len(devices) != 1:
        for path in paths:
            fsync_path(path)
        return
    [device] = devices
    with _groups_lock:
        group = _groups.get(device)
        if group is None:
            group = _groups[device] = SyncGroup(syncfs_path)
    group.sync(paths[0])
