"""Work that requests ask for at the same time, done together in one call on one thread.

    stores = Batcher(store_runs, name="store")        # store_runs(list[T]) -> list[R | error]
    result = await stores.submit(item)                # returns once its batch is done, or raises

One task per server process takes every item waiting when it is free and hands them, in the
order they came, to `work` in a single thread call; each request gets its own item's outcome
(a result, or the exception that stands in its place). Items that arrive while a batch runs
wait for the next one, so a request waits for at most about two batches however many arrive,
and what a batch shares (a flush of the disk, a database commit) is paid once for all of them.
A batch also costs the event loop two thread hand-overs, not two per request: on a 2-core
virtual machine each hand-over is a wake-up of a thread, often on the other (idle) core, and
those wake-ups were a sixth of the CPU at 300 submissions a second.

A request that stops waiting (its deadline, a client gone) does not take its item back. A
batch that takes longer than `timeout_s` is abandoned (its thread finishes or fails on its
own) and the requests in it get `late()`; the next batch goes on, so a call that hangs never
stops the work for good. A batch whose call raises fails every request in it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from casebook.logs import get_logger

T = TypeVar("T")
R = TypeVar("R")
MAX_BATCH = 256  # items in one call at most (its statements, and the answer's wait)


@dataclass
class _Pending(Generic[T, R]):
    item: T
    answer: asyncio.Future[R]


class Batcher(Generic[T, R]):
    def __init__(
        self,
        work: Callable[[list[T]], Sequence[R | BaseException]],
        *,
        name: str,
        timeout_s: float | None = None,
        late: Callable[[], BaseException] | None = None,
        limiter: CapacityLimiter | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.work = work
        self.name = name
        self.timeout_s = timeout_s  # a batch that takes longer is abandoned (its thread ends on its own)
        self.late = late or (lambda: TimeoutError(f"the {name} batch did not finish in time"))
        self.limiter = limiter  # the threads the calls may take (None: anyio's default)
        self.max_batch = max_batch
        self.batches = 0  # batches tried so far (the tests read it)
        self._pending: list[_Pending[T, R]] = []
        self._wake: asyncio.Event | None = None  # made on the server's event loop, when first used
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def submit(self, item: T) -> R:
        """`item`'s outcome once its batch is done: its result, or its (or its batch's) error."""
        if self._closing:
            raise RuntimeError("the server is stopping: no more work")
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done():  # first use, or a writer that died of a bug
            self._wake = asyncio.Event()
            self._task = loop.create_task(self._run(), name=f"batch-{self.name}")
        assert self._wake is not None
        answer: asyncio.Future[R] = loop.create_future()
        self._pending.append(_Pending(item, answer))
        self._wake.set()
        return await answer

    async def close(self) -> None:
        """Stop once the items already waiting are done."""
        self._closing = True
        if self._task is not None and self._wake is not None:
            self._wake.set()
            await self._task

    async def _run(self) -> None:
        assert self._wake is not None
        while not (self._closing and not self._pending):
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
                await self._do(batch)

    async def _do(self, batch: list[_Pending[T, R]]) -> None:
        self.batches += 1
        items = [p.item for p in batch]
        call = anyio.to_thread.run_sync(self.work, items, limiter=self.limiter, abandon_on_cancel=True)
        try:
            outcomes: list[R | BaseException] = list(await asyncio.wait_for(call, self.timeout_s))
        except TimeoutError:  # a call that stops answering holds that thread, not the next batches
            get_logger().warning(f"{self.name} batch timed out", items=len(batch), seconds=self.timeout_s)
            outcomes = [self.late() for _ in batch]
        except Exception as exc:  # the call as a whole: none of it was done
            get_logger().warning(f"{self.name} batch failed", items=len(batch), error=type(exc).__name__)
            outcomes = [exc] * len(batch)
        for pending, outcome in zip(batch, outcomes, strict=True):
            if pending.answer.done():
                continue  # its request stopped waiting; its item is done all the same (or not)
            if isinstance(outcome, BaseException):
                pending.answer.set_exception(outcome)
            else:
                pending.answer.set_result(outcome)
