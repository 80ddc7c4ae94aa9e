"""What the routes share: settings, the one Engine (DBOS client) of the app, limiter, metrics,
and the two bounds on waiting: database calls (503 with Retry-After when the database does not
answer in time) and large uploads (a few at once per process)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Request

from casebook.config import Settings
from casebook.engine import Engine, database_url
from casebook.errors import EngineUnavailable
from casebook.logs import get_logger
from casebook.runs.manifest import Manifest
from casebook.runs.runner import StagedRun, create_runs
from casebook.server.batching import Batcher
from casebook.server.errors import ApiError
from casebook.server.group_commit import GroupCommit
from casebook.server.options import ServerOptions
from casebook.storage import Storage

if TYPE_CHECKING:
    from casebook.server.mapping import Mappings
    from casebook.server.metrics import Metrics
    from casebook.server.security import RateLimiter

T = TypeVar("T")
P = ParamSpec("P")
RETRY_AFTER_S = 5


class UploadSlots:
    """At most `slots` large request bodies read at once; the others wait, then get 503."""

    def __init__(self, slots: int, large_bytes: int, wait_s: float) -> None:
        self.slots = slots
        self.large_bytes = large_bytes
        self.wait_s = wait_s
        self._semaphore: asyncio.Semaphore | None = None

    @contextlib.asynccontextmanager
    async def slot(self, request: Request) -> AsyncIterator[None]:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) <= self.large_bytes:
            yield
            return
        if self._semaphore is None:  # made on the server's event loop
            self._semaphore = asyncio.Semaphore(self.slots)
        try:
            await asyncio.wait_for(self._semaphore.acquire(), self.wait_s)
        except TimeoutError:
            raise ApiError(
                503,
                "busy",
                f"{self.slots} large uploads are already being received here: send it again shortly",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            ) from None
        try:
            yield
        finally:
            self._semaphore.release()


@dataclass
class ServerContext:
    settings: Settings
    options: ServerOptions
    engine: Engine
    storage: Storage
    limiter: RateLimiter
    metrics: Metrics
    mappings: Mappings
    uploads: UploadSlots
    _key_locks: dict[str, tuple[asyncio.Lock, int]] = field(default_factory=dict)
    probes: dict[str, asyncio.Future[Any]] = field(default_factory=dict)  # /ready's checks in flight
    probe_threads: CapacityLimiter = field(default_factory=lambda: CapacityLimiter(4))
    # Database calls get threads of their own: calls stuck on an unreachable database must
    # not take the threads that storage work and other requests need.
    database_threads: CapacityLimiter = field(default_factory=lambda: CapacityLimiter(16))
    # Writes to a SQLite database take one lock: at most 4 at a time from this process (their
    # Python work overlaps), the others wait here in order instead of in SQLite's busy handler
    # (sleeps of up to 100 ms at a time, which made the slowest submissions wait seconds).
    database_writers: CapacityLimiter | None = None
    # New runs' workflows: inserted by one writer, those that arrive together in one transaction.
    queue: GroupCommit = field(init=False)
    # New runs' files: written by one writer, those that arrive together with one flush of the disk.
    stores: Batcher[Callable[[], StagedRun], tuple[Manifest, bool]] = field(init=False)

    def __post_init__(self) -> None:
        if self.database_writers is None:
            sqlite = database_url(self.settings).startswith("sqlite")
            self.database_writers = CapacityLimiter(4) if sqlite else self.database_threads
        self.queue = GroupCommit(self.engine, timeout_s=self.settings.database_timeout_s, limiter=self.database_threads)
        self.stores = Batcher(store_runs, name="store")

    async def store(self, stage: Callable[[], StagedRun], *, alone: bool = False) -> tuple[Manifest, bool]:
        """A new run made (`create_runs`): its manifest, and whether its idempotency key had made
        it before. With the others that arrive together, or `alone` in a thread of its own, for a
        run whose staging takes long (a Drive folder downloaded, large documents written) and
        would hold up the batch."""
        if not alone:
            return await self.stores.submit(stage)
        [made] = await blocking(store_runs, [stage])
        if isinstance(made, Exception):
            raise made
        return made

    @contextlib.asynccontextmanager
    async def serialised(self, key: str) -> AsyncIterator[None]:
        """One request at a time per idempotency key here; the others wait, then reuse the run."""
        lock, users = self._key_locks.get(key, (asyncio.Lock(), 0))
        self._key_locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._key_locks[key]
            if users == 1:
                del self._key_locks[key]
            else:
                self._key_locks[key] = (lock, users - 1)

    async def database(
        self, func: Callable[..., T], *args: Any, timeout: float | None = None, writes: bool = False, **kwargs: Any
    ) -> T:
        """A blocking call that uses the workflow database, answered within the timeout or 503.

        A call that times out is abandoned (its thread finishes or fails on its own); the
        request answers at once with Retry-After.
        """
        limit = timeout if timeout is not None else self.settings.database_timeout_s
        try:
            return await asyncio.wait_for(
                anyio.to_thread.run_sync(
                    functools.partial(func, *args, **kwargs),
                    abandon_on_cancel=True,
                    limiter=self.database_writers if writes else self.database_threads,
                ),
                limit,
            )
        except TimeoutError:
            get_logger().warning("database call timed out", call=getattr(func, "__name__", "?"), seconds=limit)
            raise database_unavailable() from None
        except EngineUnavailable as exc:  # refused, reset, locked: the database, not the request
            cause = type(exc.__cause__ or exc).__name__
            get_logger().warning("database call failed", call=getattr(func, "__name__", "?"), error=cause)
            raise database_unavailable("the workflow database cannot be reached") from None


def database_unavailable(what: str = "the workflow database did not answer in time") -> ApiError:
    return ApiError(
        503,
        "database_unavailable",
        f"{what}: try again shortly",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def get_context(request: Request) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


async def blocking(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run storage and database work in the thread pool, never on the event loop."""
    return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))


def store_runs(stagers: list[Callable[[], StagedRun]]) -> list[tuple[Manifest, bool] | Exception]:
    """Blocking: the runs made together (`create_runs`), each as its manifest and whether its
    idempotency key had made it before, or the error that stands in its place."""
    return [made if isinstance(made, Exception) else (made.manifest, made.existed) for made in create_runs(stagers)]
