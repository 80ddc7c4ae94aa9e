"""Group commit of new runs' workflows: requests that arrive together are queued in one
database transaction.

    writer = GroupCommit(ctx.engine)
    await writer.insert(NewAttempt(slug, run_id, run_id))   # returns once committed, or raises

One task per server process takes every insert waiting when it is free, inserts them in one
transaction (`Engine.insert_attempts`, in a thread) and answers each request from its own
outcome: inserts that arrive while a transaction commits wait for the next one, so a request
waits for at most about two commits however many arrive, and one commit (one flush of the
database's log) serves them all. An insert that fails fails only its own request; a
transaction that fails (the database unreachable, locked) fails the requests in it.

A request that stops waiting (its deadline, a client gone) does not take its insert back: the
run it stored is queued all the same. A transaction that takes longer than the database timeout
is abandoned as other database calls are (its thread finishes or fails on its own, and may still
queue those runs, whose requests were answered 503 with their run id) and the writer goes on
with the next batch, so a connection that hangs never stops the queue for good.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import anyio.to_thread
from anyio import CapacityLimiter

from casebook.engine import Engine, NewAttempt
from casebook.errors import EngineUnavailable
from casebook.logs import get_logger

MAX_BATCH = 256  # inserts in one transaction at most (its statements, and the answer's wait)


@dataclass
class _Pending:
    attempt: NewAttempt
    answer: asyncio.Future[None]


class GroupCommit:
    def __init__(
        self,
        engine: Engine,
        *,
        timeout_s: float,
        limiter: CapacityLimiter | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.engine = engine
        self.timeout_s = timeout_s  # a transaction that takes longer is abandoned (its thread ends on its own)
        self.limiter = limiter  # the threads database calls may take (None: anyio's default)
        self.max_batch = max_batch
        self.batches = 0  # transactions tried so far (the tests read it)
        self._pending: list[_Pending] = []
        self._wake: asyncio.Event | None = None  # made on the server's event loop, when first used
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def insert(self, attempt: NewAttempt) -> None:
        """Returns once `attempt` is committed; raises its own error, or its transaction's."""
        if self._closing:
            raise RuntimeError("the server is stopping: no more inserts")
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done():  # first use, or a writer that died of a bug
            self._wake = asyncio.Event()
            self._task = loop.create_task(self._run(), name="group-commit")
        assert self._wake is not None
        answer: asyncio.Future[None] = loop.create_future()
        self._pending.append(_Pending(attempt, answer))
        self._wake.set()
        await answer

    async def close(self) -> None:
        """Stop the writer once the inserts already waiting are written."""
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
                await self._commit(batch)

    async def _commit(self, batch: list[_Pending]) -> None:
        self.batches += 1
        try:
            outcomes: list[BaseException | None] = list(
                await asyncio.wait_for(
                    anyio.to_thread.run_sync(
                        self.engine.insert_attempts,
                        [p.attempt for p in batch],
                        limiter=self.limiter,
                        abandon_on_cancel=True,
                    ),
                    self.timeout_s,
                )
            )
        except TimeoutError:  # a database that stops answering holds that thread, not the next batches
            get_logger().warning("queue transaction timed out", runs=len(batch), seconds=self.timeout_s)
            late = EngineUnavailable("the workflow database did not answer in time: try again shortly")
            outcomes = [late] * len(batch)
        except Exception as exc:  # the transaction: nothing of it was inserted
            get_logger().warning("queue transaction failed", runs=len(batch), error=type(exc).__name__)
            outcomes = [exc] * len(batch)
        for pending, error in zip(batch, outcomes, strict=True):
            if pending.answer.done():
                continue  # its request stopped waiting; its run is queued all the same (or not)
            if error is None:
                pending.answer.set_result(None)
            else:
                pending.answer.set_exception(error)
