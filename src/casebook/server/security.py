"""Who may call: bearer API keys (constant-time, never logged) and rate limits per key and address.

401 means no usable credentials were sent (no header, or not `Bearer <key>`); 403 means a key
was sent and it is not one of the configured keys. Both say nothing about which keys exist.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from typing import Annotated

from fastapi import Depends, Request
from limits import RateLimitItem, storage, strategies
from limits.aio import strategies as aio_strategies

from casebook.server.context import ServerContext, get_context
from casebook.server.errors import ApiError
from casebook.server.options import ServerOptions


class RateLimiter:
    """A sliding window per identity (`limits`, O(1)): memory:// per process, redis:// shared.

    memory:// counters use `limits`' asyncio storage, made on the server's event loop: its
    expiry runs as a task, where the threaded storage started a new thread (and waited on the
    event loop for it to start) every 10 ms under load."""

    def __init__(self, options: ServerOptions) -> None:
        self.per_key = options.limit_per_key
        self.per_address = options.limit_per_address
        url = options.rate_limit_storage_url
        self._async: aio_strategies.SlidingWindowCounterRateLimiter | None = None
        self._sync: strategies.SlidingWindowCounterRateLimiter | None = None
        if url.startswith("memory://"):
            self._async = aio_strategies.SlidingWindowCounterRateLimiter(
                storage.storage_from_string("async+" + url)
            )
        else:
            self._sync = strategies.SlidingWindowCounterRateLimiter(storage.storage_from_string(url))

    async def _hit(self, item: RateLimitItem, scope: str, identity: str) -> bool:
        if self._async is not None:
            return await self._async.hit(item, scope, identity)
        assert self._sync is not None
        return self._sync.hit(item, scope, identity)

    async def check(self, item: RateLimitItem, scope: str, identity: str) -> None:
        if not await self._hit(item, scope, identity):
            raise await self._refused(item, scope, identity)

    async def check_spent(self, item: RateLimitItem, scope: str, identity: str) -> None:
        """429 when the window is used up, without counting this request (see `spend`)."""
        if self._async is not None:
            allowed = await self._async.test(item, scope, identity)
        else:
            assert self._sync is not None
            allowed = self._sync.test(item, scope, identity)
        if not allowed:
            raise await self._refused(item, scope, identity)

    async def spend(self, item: RateLimitItem, scope: str, identity: str) -> None:
        """Count one event (e.g. a failed sign-in) against the window."""
        await self._hit(item, scope, identity)

    async def _refused(self, item: RateLimitItem, scope: str, identity: str) -> ApiError:
        if self._async is not None:
            stats = await self._async.get_window_stats(item, scope, identity)
        else:
            assert self._sync is not None
            stats = self._sync.get_window_stats(item, scope, identity)
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        return ApiError(
            429,
            "rate_limited",
            f"too many requests from this {scope}: at most {item} — retry in {retry} s",
            headers={"Retry-After": str(retry)},
        )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def check_address(request: Request, ctx: ServerContext) -> None:
    await ctx.limiter.check(ctx.limiter.per_address, "address", client_address(request))


def authenticate(request: Request, options: ServerOptions) -> str:
    """The caller's identity for rate limiting: a digest of its key, never the key itself."""
    if not options.auth_required:
        return "anonymous:" + client_address(request)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401,
            "unauthorized",
            "send an API key: `Authorization: Bearer <key>`",
            headers={"WWW-Authenticate": 'Bearer realm="casebook"'},
        )
    identity = key_identity(token.encode(), options.api_keys)
    if identity is None:
        raise ApiError(403, "forbidden", "this API key is not valid for this server")
    return identity


def key_identity(presented: bytes, keys: tuple[bytes, ...]) -> str | None:
    """The identity of a configured key (a digest, never the key), or None for any other key."""
    matched = False
    for key in keys:  # every key is compared: the time taken says nothing about which matched
        matched |= hmac.compare_digest(presented, key)
    return "key:" + hashlib.sha256(presented).hexdigest()[:32] if matched else None


async def require_api_key(request: Request, ctx: Annotated[ServerContext, Depends(get_context)]) -> str:
    """Every /v1 route but webhooks: the address's limit, then the key, then the key's limit."""
    await check_address(request, ctx)
    identity = authenticate(request, ctx.options)
    if identity.startswith("key:"):
        await ctx.limiter.check(ctx.limiter.per_key, "key", identity)
    return identity


async def limit_address(request: Request, ctx: Annotated[ServerContext, Depends(get_context)]) -> None:
    """Dependency of the webhook route: they authenticate by signature, limited per address."""
    await check_address(request, ctx)


ApiKey = Annotated[str, Depends(require_api_key)]
