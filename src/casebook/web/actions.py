"""The run page's buttons: cancel, retry or resume, approve. Each is a form with a CSRF token
that answers with the run page again (303), a message on top saying what happened."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from casebook.errors import CasebookError
from casebook.logs import get_logger
from casebook.runs.manifest import Manifest
from casebook.runs.runner import approve_run
from casebook.server.context import ServerContext, get_context
from casebook.server.errors import ApiError, from_casebook_error
from casebook.server.routes_runs import _requeue
from casebook.web.pages import RunId, Signed, see_other
from casebook.web.session import CSRF_FIELD, csrf_valid
from casebook.web.state import flash

router = APIRouter(include_in_schema=False)
Ctx = Annotated[ServerContext, Depends(get_context)]


async def _checked(request: Request) -> bool:
    form = await request.form(max_files=0, max_fields=8, max_part_size=4096)
    if csrf_valid(request, str(form.get(CSRF_FIELD) or "")):
        return True
    flash(request, "That form had expired, so nothing was done: press the button again.", "error")
    return False


@router.post("/app/runs/{run_id}/cancel")
async def cancel(request: Request, run_id: RunId, ctx: Ctx, viewer: Signed) -> Response:
    if await _checked(request):
        try:
            await ctx.database(ctx.engine.cancel, run_id)
        except (ApiError, CasebookError) as exc:
            flash(request, _reason(exc), "error")
        else:
            get_logger(run_id=run_id).info("run cancelled from the web app", user=viewer.identity[:16])
            flash(request, "Run cancelled. What it finished is kept: Resume continues it.")
    return see_other(f"/app/runs/{run_id}")


@router.post("/app/runs/{run_id}/retry")
async def retry(request: Request, run_id: RunId, ctx: Ctx, viewer: Signed) -> Response:
    if await _checked(request):
        try:
            await ctx.database(_requeue, ctx, run_id)
        except (ApiError, CasebookError) as exc:
            flash(request, _reason(exc), "error")
        else:
            get_logger(run_id=run_id).info("run queued again from the web app", user=viewer.identity[:16])
            flash(request, "Run queued again: it goes on from the first step that is not done.")
    return see_other(f"/app/runs/{run_id}")


@router.post("/app/runs/{run_id}/approve")
async def approve(request: Request, run_id: RunId, ctx: Ctx, viewer: Signed) -> Response:
    if await _checked(request):
        try:
            await ctx.database(approve_and_continue, ctx, run_id, f"web {viewer.identity[:16]}")
        except (ApiError, CasebookError) as exc:
            flash(request, _reason(exc), "error")
        else:
            get_logger(run_id=run_id).info("run approved from the web app", user=viewer.identity[:16])
            flash(request, "Approved: the run goes on with the steps that are left.")
    return see_other(f"/app/runs/{run_id}")


def approve_and_continue(ctx: ServerContext, run_id: str, by: str) -> Manifest:
    """Blocking: the gate's approval recorded, then an attempt queued that runs only what is left."""
    manifest = approve_run(ctx.settings, run_id, by=by)
    ctx.engine.enqueue(manifest)
    return manifest


def _reason(exc: ApiError | CasebookError) -> str:
    return (exc if isinstance(exc, ApiError) else from_casebook_error(exc)).message
