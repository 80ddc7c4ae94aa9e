"""Server-sent events of a run's state while it goes on: the API's `/v1/runs/{id}/events` and the
run page's live updates share this loop.

An event is sent when the state changes (`progress`), and one last one when the run ends or stops
at a gate (`end`); a comment every KEEPALIVE_S keeps proxies from closing the stream. The state is
read again every EVENT_INTERVAL_S; a read the database does not answer is tried at the next tick.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

from casebook.errors import RunError
from casebook.server.context import ServerContext
from casebook.server.errors import ApiError

EVENT_INTERVAL_S = 0.5
KEEPALIVE_S = 15.0
State = dict[str, Any]


def run_events_response(
    request: Request,
    ctx: ServerContext,
    run_id: str,
    first: State,
    read: Callable[..., State],
    *,
    ended: Callable[[State], bool],
    changes: Callable[[State], Any] = lambda state: state,
) -> StreamingResponse:
    """The stream of `read(ctx.engine, ctx.storage, run_id)` from `first` on (read before the
    response, so a missing run is a 404, not an empty stream); `changes` is what of a state counts
    as a change (durations tick by themselves)."""
    return StreamingResponse(
        _stream(request, ctx, run_id, first, read, ended, changes),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _stream(
    request: Request,
    ctx: ServerContext,
    run_id: str,
    state: State,
    read: Callable[..., State],
    ended: Callable[[State], bool],
    changes: Callable[[State], Any],
) -> AsyncIterator[str]:
    sent: Any = None
    last_write = time.monotonic()
    seq = 0
    yield "retry: 2000\n\n"
    while True:
        if sent is None or changes(state) != sent:
            seq += 1
            done = ended(state)
            data = json.dumps(state, separators=(",", ":"), default=str)
            yield f"id: {seq}\nevent: {'end' if done else 'progress'}\ndata: {data}\n\n"
            sent, last_write = changes(state), time.monotonic()
            if done:
                return
        elif time.monotonic() - last_write > KEEPALIVE_S:
            yield ": keep-alive\n\n"
            last_write = time.monotonic()
        await asyncio.sleep(EVENT_INTERVAL_S)
        if await request.is_disconnected():
            return
        try:
            state = await ctx.database(read, ctx.engine, ctx.storage, run_id)
        except RunError:
            return
        except ApiError:  # the database did not answer this time: the next poll asks again
            continue
