"""Stopping a process that runs workflows, gracefully: no new step starts, the steps in flight
get a grace period to finish (and be checkpointed), then the runs still executing are stopped
where a restart of the worker (same executor id) or `casebook resume` picks them up.

The engine's step caller asks `gate()` before each step and counts itself in `in_flight()`;
the workflow body registers its task with `running()`. Nothing here knows the workflow engine,
and nothing here writes to it: a stopped run records nothing but its manifest.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from casebook.logs import get_logger


class Shutdown:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.stopping = False  # no new step starts
        self.hurry = False  # a second signal: stop the steps in flight now
        self._in_flight = 0
        self._tasks: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]]] = {}

    def reset(self) -> None:
        """A fresh state for a process (or a test) that launches the engine again."""
        with self._cond:
            self.stopping = self.hurry = False

    def request(self) -> bool:
        """A stop was asked for (a signal); True the first time, False when it hurries one."""
        with self._cond:
            first = not self.stopping
            self.stopping = True
            self.hurry = not first
            self._cond.notify_all()
            return first

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Around a workflow body: its task is stopped when the process stops."""
        task = asyncio.current_task()
        assert task is not None
        key = id(task)
        with self._cond:
            self._tasks[key] = (asyncio.get_running_loop(), task)
        try:
            yield
        finally:
            with self._cond:
                self._tasks.pop(key, None)
                self._cond.notify_all()

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        """Around one step's execution, retries included."""
        with self._cond:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    async def gate(self) -> None:
        """Before a step: once stopping, wait here until the workflow's task is stopped."""
        if self.stopping:
            await asyncio.get_running_loop().create_future()  # resolved never: cancelled by drain()

    @property
    def executing(self) -> int:
        with self._cond:
            return len(self._tasks)

    def drain(self, grace_s: float) -> None:
        """Blocking. Stop taking steps, let those in flight finish for up to `grace_s` (or until
        `request()` is called again), then cancel every workflow task and wait for them to
        unwind (each saves its manifest on the way out)."""
        log = get_logger()
        with self._cond:
            self.stopping = True
            busy, runs = self._in_flight, len(self._tasks)
        if runs:
            log.warning("stopping: no new steps; steps in flight may finish", runs=runs, steps=busy, grace_s=grace_s)
        deadline = time.monotonic() + grace_s
        with self._cond:
            while self._in_flight and not self.hurry and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
            unfinished = self._in_flight
        if unfinished:
            log.warning("stopping the steps still in flight; they run again on resume", steps=unfinished)
        stopped: set[int] = set()
        deadline = time.monotonic() + 30
        with self._cond:  # a run that started meanwhile is stopped too
            while self._tasks and (left := deadline - time.monotonic()) > 0:
                for key, (loop, task) in list(self._tasks.items()):
                    if key not in stopped:
                        stopped.add(key)
                        with contextlib.suppress(RuntimeError):  # its loop closed: nothing to stop
                            loop.call_soon_threadsafe(task.cancel)
                self._cond.wait(min(left, 1.0))


# This process's one instance: signals, the step caller and the workflow body share it.
shutdown = Shutdown()
