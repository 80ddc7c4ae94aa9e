"""The run page's live updates: server-sent events of the page's state while the run goes on.

An event is sent when the state changes (`progress`), and one last one when the run ends or
stops at a gate (`end`); a comment every KEEPALIVE_S keeps proxies from closing the stream.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request

from casebook.errors import RunError
from casebook.server.context import ServerContext
from casebook.server.errors import ApiError
from casebook.web.views import LIVE, run_page_state

EVENT_INTERVAL_S = 0.5
KEEPALIVE_S = 15.0


def _changes(state: dict[str, Any]) -> dict[str, Any]:
    """The state without what changes by itself (durations tick while nothing happens)."""
    return {**state, "duration": None, "steps": [{**s, "duration": None} for s in state["steps"]]}


async def stream(request: Request, ctx: ServerContext, run_id: str, state: dict[str, Any]) -> AsyncIterator[str]:
    sent: dict[str, Any] | None = None
    last_write = time.monotonic()
    seq = 0
    yield "retry: 2000\n\n"
    while True:
        if sent is None or _changes(state) != sent:
            seq += 1
            ended = state["status"] not in LIVE
            data = json.dumps(state, separators=(",", ":"), default=str)
            yield f"id: {seq}\nevent: {'end' if ended else 'progress'}\ndata: {data}\n\n"
            sent, last_write = _changes(state), time.monotonic()
            if ended:
                return
        elif time.monotonic() - last_write > KEEPALIVE_S:
            yield ": keep-alive\n\n"
            last_write = time.monotonic()
        await asyncio.sleep(EVENT_INTERVAL_S)
        if await request.is_disconnected():
            return
        try:
            state = await ctx.database(run_page_state, ctx.engine, ctx.storage, run_id)
        except RunError:
            return
        except ApiError:  # the database did not answer this time: the next poll asks again
            continue
