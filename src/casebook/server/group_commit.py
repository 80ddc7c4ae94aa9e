"""Group commit of new runs' workflows: requests that arrive together are queued in one
database transaction.

    writer = GroupCommit(ctx.engine, timeout_s=5)
    await writer.insert(NewAttempt(slug, run_id, run_id))   # returns once committed, or raises

A `Batcher` (`casebook.server.batching`) over `Engine.insert_attempts`: one transaction for the
inserts waiting when the writer is free, one commit (one flush of the database's log) for them
all. An insert that fails fails only its own request; a transaction that fails (the database
unreachable, locked) fails the requests in it.

A request that stops waiting (its deadline, a client gone) does not take its insert back: the
run it stored is queued all the same. A transaction that takes longer than the database timeout
is abandoned as other database calls are (its thread finishes or fails on its own, and may still
queue those runs, whose requests were answered 503 with their run id) and the writer goes on
with the next batch, so a connection that hangs never stops the queue for good.
"""

from __future__ import annotations

from anyio import CapacityLimiter

from casebook.engine import Engine, NewAttempt
from casebook.errors import CasebookError, EngineUnavailable
from casebook.server.batching import MAX_BATCH, Batcher


def _late() -> EngineUnavailable:
    return EngineUnavailable("the workflow database did not answer in time: try again shortly")


class GroupCommit(Batcher[NewAttempt, None]):
    def __init__(
        self,
        engine: Engine,
        *,
        timeout_s: float,
        limiter: CapacityLimiter | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        super().__init__(
            self._insert, name="queue", timeout_s=timeout_s, late=_late, limiter=limiter, max_batch=max_batch
        )
        self.engine = engine

    def _insert(self, attempts: list[NewAttempt]) -> list[CasebookError | None]:
        return self.engine.insert_attempts(attempts)

    async def insert(self, attempt: NewAttempt) -> None:
        """Returns once `attempt` is committed; raises its own error, or its transaction's."""
        await self.submit(attempt)
