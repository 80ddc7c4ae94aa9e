"""Operations: liveness, readiness (database reachable, storage writable) and Prometheus metrics."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from casebook.server import schemas
from casebook.server.context import ServerContext, blocking, get_context

router = APIRouter(tags=["operations"])
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
    checks = {
        "database": await blocking(_check_database, ctx),
        "storage": await blocking(_check_storage, ctx),
    }
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ok else "not_ready", "checks": checks}, status_code=200 if ok else 503)


def _check_database(ctx: ServerContext) -> str:
    try:
        ctx.engine.client.check_connection()
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
    body = await blocking(ctx.metrics.render, ctx.engine, ctx.storage)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
