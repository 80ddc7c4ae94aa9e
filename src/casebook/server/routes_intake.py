"""Submissions in: `POST /v1/submissions` (API key) and `POST /v1/webhooks/{source}` (signature).

Both store the submission and its documents and queue the run before answering 202; a
client that never got the answer sends the same Idempotency-Key (or the provider the same
webhook-id) and gets the same run, never a second one.

Webhook replays: the webhook id is the run's idempotency key, so the run itself is the
durable record of ids seen (in storage, shared by every replica, kept as long as the run).
A delivery whose id already made a queued run is answered 409 `replayed` with that run's id
and changes nothing; one whose earlier delivery stopped before the run was queued finishes
that delivery (202). The signature covers the id, timestamp and body, so a replay cannot
change the payload, and the timestamp must be within 5 minutes of the server's clock.
"""

from __future__ import annotations

import binascii
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import JSONResponse
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from casebook.logs import get_logger
from casebook.server import schemas
from casebook.server.context import ServerContext, blocking, get_context
from casebook.server.errors import ApiError
from casebook.server.intake import (
    Intake,
    check_files,
    confirmation_code,
    intake_from_json,
    parse_submission,
    read_intake,
    store_and_enqueue,
)
from casebook.server.security import ApiKey, limit_address

router = APIRouter(prefix="/v1", tags=["intake"])
INLINE_CHECK_BYTES = 64 * 1024
Ctx = Annotated[ServerContext, Depends(get_context)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="The same key (per company) gives the same run",
    ),
]

_BODIES: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/SubmissionIn"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "company_name": {"type": "string"},
                        "company_info": {"type": "string"},
                        "use_cases_count": {"type": "string"},
                        "json_data": {"type": "string", "description": "The original form's JSON"},
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            },
        },
    }
}


@router.post(
    "/submissions",
    status_code=202,
    response_model=schemas.Accepted,
    responses=schemas.ERRORS,
    openapi_extra=_BODIES,
    summary="Submit a company's intake and documents",
)
async def submit(request: Request, ctx: Ctx, _: ApiKey, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    try:
        intake = await read_intake(request, ctx)
    except ApiError:
        ctx.metrics.submission("api", "rejected")
        raise
    return await _accept(ctx, intake, "api", key=_key(idempotency_key))


@router.post(
    "/webhooks/{source}",
    status_code=202,
    response_model=schemas.Accepted,
    responses=schemas.ERRORS,
    dependencies=[Depends(limit_address)],
    summary="A form provider's webhook (Standard Webhooks signature)",
)
async def webhook(
    request: Request,
    ctx: Ctx,
    source: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="The form provider")],
) -> JSONResponse:
    if ctx.options.webhook_secret is None:
        raise ApiError(
            503,
            "webhooks_disabled",
            "webhooks are not configured on this server (CASEBOOK_WEBHOOK_SECRET)",
        )
    body = await request.body()
    headers = dict(request.headers)
    try:
        if len(body) > INLINE_CHECK_BYTES:  # hashing and decoding megabytes: off the event loop
            intake = await blocking(_verified_intake, ctx, source, body, headers)
        else:
            intake = _verified_intake(ctx, source, body, headers)
    except ApiError as exc:
        ctx.metrics.submission("webhook", "bad_signature" if exc.status == 401 else "rejected")
        raise
    webhook_id = headers["webhook-id"]
    return await _accept(ctx, intake, "webhook", key=f"webhook:{source}:{webhook_id}"[:255], webhook=True)


def _verified_intake(ctx: ServerContext, source: str, body: bytes, headers: dict[str, str]) -> Intake:
    assert ctx.options.webhook_secret is not None
    try:
        Webhook(ctx.options.webhook_secret).verify(body, headers, json_parse=False)
    except (WebhookVerificationError, ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(401, "bad_signature", _signature_reason(exc)) from None
    return intake_from_json(ctx.mappings.to_submission_data(source, _loads(body)), ctx)


async def _accept(
    ctx: ServerContext, intake: Intake, channel: str, *, key: str | None, webhook: bool = False
) -> JSONResponse:
    try:
        submission, budget = parse_submission(intake.data)
        if sum(len(s.data) for s in intake.sources) > INLINE_CHECK_BYTES:
            sources = await blocking(check_files, intake.sources, ctx.options.max_file_bytes)
        else:  # sniffing a few KB costs less than the hop to a thread
            sources = check_files(intake.sources, ctx.options.max_file_bytes)
        if key is None:
            accepted = await blocking(store_and_enqueue, ctx, submission, sources, key=None, budget_usd=budget)
        else:
            async with ctx.serialised(key):
                accepted = await blocking(store_and_enqueue, ctx, submission, sources, key=key, budget_usd=budget)
    except Exception:
        ctx.metrics.submission(channel, "rejected")
        raise
    manifest = accepted.manifest
    body = accepted_body(manifest.run_id, manifest.company_slug)
    if accepted.replayed and webhook:
        ctx.metrics.submission(channel, "replayed")
        raise ApiError(
            409,
            "replayed",
            f"this webhook id was already accepted as run {manifest.run_id}",
            run_id=manifest.run_id,
        )
    ctx.metrics.submission(channel, "replayed" if accepted.replayed else "accepted")
    get_logger(run_id=manifest.run_id, company=manifest.company_name).info(
        "submission accepted", channel=channel, replayed=accepted.replayed, documents=len(sources)
    )
    headers = {"Location": body["status_url"]}
    if accepted.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=202, headers=headers)


def accepted_body(run_id: str, slug: str) -> dict[str, Any]:
    base = f"/v1/runs/{run_id}"
    return {
        "run_id": run_id,
        "confirmation_code": confirmation_code(run_id),
        "status_url": base,
        "events_url": f"{base}/events",
        "report_url": f"{base}/report",
        "company_slug": slug,
        "status": "queued",
    }


def _key(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or not value.isprintable():
        raise ApiError(422, "invalid_idempotency_key", "Idempotency-Key must be 1-255 printable characters")
    return value


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(422, "invalid_json", "the webhook payload is not valid JSON") from None


def _signature_reason(exc: Exception) -> str:
    text = str(exc)
    if "Missing required headers" in text:
        return "missing webhook-id, webhook-timestamp or webhook-signature header"
    if "too old" in text or "too new" in text:
        return "webhook-timestamp is more than 5 minutes from the server's clock: resend with a fresh signature"
    return "the webhook signature does not match this server's secret"
