"""Operations: liveness, readiness (database reachable, storage writable) and Prometheus metrics."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from casebook.server import schemas
from casebook.server.context import ServerContext, get_context

router = APIRouter(tags=["operations"])
READY_TIMEOUT_S = 0.8
Ctx = Annotated[ServerContext, Depends(get_context)]


@router.get("/health", response_model=schemas.Health, summary="Liveness: the process answers")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/ready",
    response_model=schemas.Ready,
    responses={503: {"model": schemas.Ready}},
    summary="Readiness: the workflow database answers and storage can be written",
)
async def ready(ctx: Ctx) -> JSONResponse:
    database, storage = await asyncio.gather(
        _bounded(ctx, "database", _check_database), _bounded(ctx, "storage", _check_storage)
    )
    checks = {"database": database, "storage": storage}
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not_ready", "checks": checks},
        status_code=200 if ok else 503,
        headers=None if ok else {"Retry-After": "5"},
    )


async def _bounded(ctx: ServerContext, name: str, check: Callable[[ServerContext], str]) -> str:
    """The check's answer, or "timeout" after READY_TIMEOUT_S: /ready answers within a second."""
    # One probe of each kind in flight: while the database does not answer, requests share
    # the pending probe instead of piling up threads.
    probe = ctx.probes.get(name)
    if probe is None or probe.done():
        probe = asyncio.ensure_future(
            anyio.to_thread.run_sync(check, ctx, abandon_on_cancel=True, limiter=ctx.probe_threads)
        )
        ctx.probes[name] = probe
    try:
        return await asyncio.wait_for(asyncio.shield(probe), READY_TIMEOUT_S)
    except TimeoutError:
        return f"timeout: no answer within {READY_TIMEOUT_S:g} s"


def _check_database(ctx: ServerContext) -> str:
    try:
        ctx.engine.ping()
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok"


def _check_storage(ctx: ServerContext) -> str:
    """Write and delete a hidden file at the storage root (no company folder is made)."""
    fs, root = ctx.storage.fs, ctx.storage.root
    path = f"{root}/.ready-probe-{uuid.uuid4().hex}"
    try:
        if ctx.storage.is_local:
            fs.makedirs(root, exist_ok=True)
        fs.pipe_file(path, b"ok")
        fs.rm_file(path)
    except Exception as exc:
        return f"not writable: {type(exc).__name__}"
    return "ok"


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
async def metrics(ctx: Ctx) -> Response:
    body = await ctx.database(ctx.metrics.render, ctx.engine, ctx.storage)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
