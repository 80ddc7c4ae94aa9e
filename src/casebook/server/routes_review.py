"""The use-case review gate over HTTP: read a waiting run's use cases, save a reviewer's edits,
approve them (the run goes on with the edited list)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from casebook.errors import InputError
from casebook.runs.manifest import Manifest
from casebook.runs.review import awaits_review, current_use_cases, save_edits
from casebook.runs.runner import approve_run, find_run, load_manifest
from casebook.server import schemas
from casebook.server.context import ServerContext, blocking, get_context
from casebook.server.errors import ApiError
from casebook.server.intake import parse_json
from casebook.server.security import ApiKey

router = APIRouter(prefix="/v1", tags=["runs"])
Ctx = Annotated[ServerContext, Depends(get_context)]
RunId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,80}$", description="The run id")]
BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UseCasesIn"}}},
    }
}


def use_cases_body(ctx: ServerContext, run_id: str) -> dict[str, Any]:
    """Blocking: a run's use cases as a reviewer sees them (409 before its use_cases step is done)."""
    company = find_run(ctx.settings, run_id)
    manifest = load_manifest(company, run_id)
    items, record = current_use_cases(company, manifest)
    return {
        "run_id": run_id,
        "status": manifest.status.value,
        "editable": awaits_review(manifest),
        "use_cases": [u.model_dump(mode="json") for u in items],
        "edited_at": record.get("edited_at"),
        "edited_by": record.get("edited_by"),
        "status_url": f"/v1/runs/{run_id}",
    }


def review(ctx: ServerContext, run_id: str, items: Any, *, approve: bool, by: str) -> Manifest | None:
    """Blocking: save a reviewer's list (InputError naming the field; RunError when the run does
    not await review), and with `approve` record the approval and queue the attempt that goes on."""
    company = find_run(ctx.settings, run_id)
    if items is not None:
        save_edits(company, run_id, items, by=by)
    if not approve:
        return None
    manifest = approve_run(ctx.settings, run_id, by=by)
    ctx.engine.enqueue(manifest)
    return manifest


@router.get(
    "/runs/{run_id}/use-cases",
    response_model=schemas.UseCasesOut,
    responses=schemas.ERRORS,
    summary="A run's use cases: while it is awaiting_review, the list to review (with the edits saved so far)",
)
async def get_use_cases(run_id: RunId, ctx: Ctx, _: ApiKey) -> dict[str, Any]:
    return await blocking(use_cases_body, ctx, run_id)


@router.post(
    "/runs/{run_id}/use-cases",
    response_model=schemas.UseCasesOut,
    responses={202: {"model": schemas.UseCasesOut, "description": "Saved and approved: the run goes on"},
               **schemas.ERRORS},
    openapi_extra=BODY,
    summary="Save a reviewer's use cases (change, reorder, drop, add) of an awaiting_review run; "
    "with approve, the run goes on with them (202); 409 when the run does not await review",
)
async def post_use_cases(run_id: RunId, request: Request, ctx: Ctx, key: ApiKey) -> JSONResponse:
    payload = parse_json(await request.body(), ctx)
    if not isinstance(payload, dict) or "use_cases" not in payload:
        raise ApiError(422, "invalid_use_cases", 'the body must be {"use_cases": [...], "approve": false|true}',
                       field="use_cases")
    unknown = sorted(set(payload) - {"use_cases", "approve"})
    if unknown:
        raise ApiError(422, "invalid_use_cases", f"unknown field {unknown[0]!r}: send use_cases and approve",
                       field=unknown[0])
    approve = payload.get("approve", False)
    if not isinstance(approve, bool):
        raise ApiError(422, "invalid_use_cases", "approve must be true or false", field="approve")
    async with ctx.serialised(f"review:{run_id}"):
        try:
            await blocking(review, ctx, run_id, payload["use_cases"], approve=approve, by=f"api {key[:16]}")
        except InputError as exc:
            where = next(iter(exc.fields), "use_cases")
            raise ApiError(422, "invalid_use_cases", str(exc), field=where, fields=exc.fields) from None
    body = await blocking(use_cases_body, ctx, run_id)
    return JSONResponse(body, status_code=202 if approve else 200)
