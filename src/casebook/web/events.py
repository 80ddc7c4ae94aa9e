"""The run page's live updates: server-sent events of the page's state while the run goes on
(`casebook.server.sse`); a change is what the reader would see change, not a ticking duration."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

from casebook.server.context import ServerContext
from casebook.server.sse import run_events_response
from casebook.web.views import LIVE, run_page_state


def _changes(state: dict[str, Any]) -> dict[str, Any]:
    """The state without what changes by itself (durations tick while nothing happens)."""
    return {**state, "duration": None, "steps": [{**s, "duration": None} for s in state["steps"]]}


def stream(request: Request, ctx: ServerContext, run_id: str, first: dict[str, Any]) -> StreamingResponse:
    return run_events_response(
        request, ctx, run_id, first, run_page_state, ended=lambda state: state["status"] not in LIVE, changes=_changes
    )
