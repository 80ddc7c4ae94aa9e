"""What the routes share: settings, the one Engine (DBOS client) of the app, limiter, metrics."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import anyio.to_thread
from fastapi import Request

from casebook.config import Settings
from casebook.engine import Engine
from casebook.server.options import ServerOptions
from casebook.storage import Storage

if TYPE_CHECKING:
    from casebook.server.mapping import Mappings
    from casebook.server.metrics import Metrics
    from casebook.server.security import RateLimiter

T = TypeVar("T")


@dataclass
class ServerContext:
    settings: Settings
    options: ServerOptions
    engine: Engine
    storage: Storage
    limiter: RateLimiter
    metrics: Metrics
    mappings: Mappings
    _key_locks: dict[str, tuple[asyncio.Lock, int]] = field(default_factory=dict)

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


async def get_context(request: Request) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


async def blocking(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run storage and database work in the thread pool, never on the event loop."""
    return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))
