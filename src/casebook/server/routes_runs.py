"""Runs out: status, live progress (SSE), the report, cancel and retry; a company's storage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from casebook.engine import RunView
from casebook.runs.manifest import Manifest
from casebook.runs.runner import approve_run
from casebook.server import schemas
from casebook.server.context import ServerContext, blocking, get_context
from casebook.server.errors import ApiError
from casebook.server.routes_intake import accepted_body
from casebook.server.runs import REPORT_TYPES, describe, readable
from casebook.server.security import ApiKey
from casebook.server.sse import run_events_response

router = APIRouter(prefix="/v1", tags=["runs"])
Ctx = Annotated[ServerContext, Depends(get_context)]
RunId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,80}$", description="The run id")]


@router.get(
    "/runs/{run_id}",
    response_model=schemas.RunOut,
    responses=schemas.ERRORS,
    summary="A run's status",
)
async def get_run(run_id: RunId, ctx: Ctx, _: ApiKey) -> dict[str, Any]:
    return await ctx.database(describe, ctx.engine, ctx.storage, run_id)


@router.get(
    "/runs/{run_id}/events",
    responses={200: {"content": {"text/event-stream": {}}}, **schemas.ERRORS},
    summary="Server-Sent Events of a run's progress until it ends",
)
async def run_events(run_id: RunId, request: Request, ctx: Ctx, _: ApiKey) -> StreamingResponse:
    first = await ctx.database(describe, ctx.engine, ctx.storage, run_id)  # 404 before the stream starts
    return run_events_response(
        request, ctx, run_id, first, describe, ended=lambda body: body["status"] not in ("queued", "running")
    )


@router.get(
    "/runs/{run_id}/report",
    responses={
        200: {"content": {t.split(";")[0]: {} for t in REPORT_TYPES.values()}},
        **schemas.ERRORS,
    },
    summary="The final report (Markdown; html, pdf or docx where they were made)",
)
async def get_report(
    run_id: RunId,
    ctx: Ctx,
    _: ApiKey,
    format: Annotated[str, Query(pattern="^(md|html|pdf|docx)$", description="md, html, pdf or docx")] = "md",
) -> Response:
    view = await ctx.database(ctx.engine.view, run_id)  # the run's status: its one authority
    data, name = await blocking(read_report, ctx, view, format)
    return Response(
        data,
        media_type=REPORT_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def read_report(ctx: ServerContext, view: RunView, fmt: str) -> tuple[bytes, str]:
    manifest, run_id = view.manifest, view.manifest.run_id
    company = ctx.storage.company_by_slug(manifest.company_slug)
    if not readable(view.status) or not manifest.final_report:
        raise ApiError(
            409,
            "report_not_ready",
            f"run {run_id} is {view.status.value}: its report exists once it has succeeded",
        )
    path = manifest.final_report.removesuffix(".md") + f".{fmt}"
    if not company.exists(path):
        raise ApiError(
            404,
            "format_not_available",
            f"no {fmt} report for run {run_id}: this run made only Markdown"
            if fmt != "md"
            else f"the report file of run {run_id} is missing from storage",
        )
    return company.read_bytes(path), path.rsplit("/", 1)[-1]


@router.post(
    "/runs/{run_id}/cancel",
    response_model=schemas.RunOut,
    responses=schemas.ERRORS,
    summary="Cancel a queued or running run; what it finished is kept",
)
async def cancel_run(run_id: RunId, ctx: Ctx, _: ApiKey) -> dict[str, Any]:
    await ctx.database(ctx.engine.cancel, run_id)
    return await ctx.database(describe, ctx.engine, ctx.storage, run_id)


@router.post(
    "/runs/{run_id}/retry",
    status_code=202,
    response_model=schemas.Accepted,
    responses=schemas.ERRORS,
    summary="Queue a failed, cancelled or stopped run again; it resumes where it stopped",
)
async def retry_run(run_id: RunId, ctx: Ctx, _: ApiKey) -> JSONResponse:
    manifest = await ctx.database(_requeue, ctx, run_id)
    body = accepted_body(manifest.run_id, manifest.company_slug)
    return JSONResponse(body, status_code=202, headers={"Location": body["status_url"]})


@router.post(
    "/runs/{run_id}/approve",
    status_code=202,
    response_model=schemas.Accepted,
    responses=schemas.ERRORS,
    summary="Approve a run that waits for review: needs_review (its report is marked ready and delivered) or "
    "awaiting_review (it goes on with its use cases as they are, or as edited)",
)
async def approve(run_id: RunId, ctx: Ctx, key: ApiKey) -> JSONResponse:
    async with ctx.serialised(f"review:{run_id}"):  # not while an edit of its use cases is being saved
        manifest = await blocking(_approve, ctx, run_id, key)
    body = accepted_body(manifest.run_id, manifest.company_slug)
    return JSONResponse(body, status_code=202, headers={"Location": body["status_url"]})


def _approve(ctx: ServerContext, run_id: str, key: str) -> Manifest:
    manifest = approve_run(ctx.settings, run_id, by=f"api {key[:16]}")  # RunError: 409, unknown run: 404
    ctx.engine.enqueue(manifest)  # an attempt that runs only what is left: the .ready marker, delivery
    return manifest


def _requeue(ctx: ServerContext, run_id: str) -> Manifest:
    """The run goes on from where it stopped, on the workers' queue (409 when it needs no retry)."""
    return ctx.engine.retry(run_id)


@router.get(
    "/companies/{slug}/storage",
    response_model=schemas.StorageOut,
    responses=schemas.ERRORS,
    summary="Files and bytes per folder of a company's storage",
)
async def company_storage(
    slug: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,70}$")],
    ctx: Ctx,
    _: ApiKey,
) -> dict[str, Any]:
    return await blocking(_storage_stats, ctx, slug)


def _storage_stats(ctx: ServerContext, slug: str) -> dict[str, Any]:
    company = ctx.storage.company_by_slug(slug)
    if not company.fs.exists(company.root):
        raise ApiError(404, "company_not_found", f"no company {slug!r} in this storage")
    stats = company.stats()
    return {
        "company_slug": slug,
        "folders": {name: {"files": s.files, "bytes": s.bytes} for name, s in stats.items()},
        "total_files": sum(s.files for s in stats.values()),
        "total_bytes": sum(s.bytes for s in stats.values()),
    }
