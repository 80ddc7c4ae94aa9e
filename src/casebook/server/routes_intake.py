"""Submissions in: `POST /v1/submissions` (API key) and `POST /v1/webhooks/{source}` (signature).

Both check everything, store the submission and its documents, and queue the run before
answering 202; a client that never got the answer sends the same Idempotency-Key (or the
provider the same delivery) and gets the same run, never a second one.

Webhook replays: a delivery's id (Standard Webhooks `webhook-id`, Typeform's `event_id`,
Tally's `eventId`) is the run's key, per source and whatever the payload's company, so the
run itself is the durable record of ids seen (shared by every replica, kept as long as the
run). A replayed delivery answers 200 with that run (senders retry anything else) and changes
nothing, except that a run whose queueing a crash interrupted is queued now. A Standard
Webhooks signature covers the id, timestamp and body, and the timestamp must be within 5
minutes of the server's clock. The generic route takes JSON, or the original's multipart
form (`json_data` plus files), signed over the raw body.
"""

from __future__ import annotations

import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import JSONResponse
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from casebook.logs import get_logger
from casebook.server import schemas
from casebook.server.accept import WEBHOOK_SCOPE, accept, webhook_key
from casebook.server.context import ServerContext, blocking, get_context
from casebook.server.errors import ApiError
from casebook.server.intake import (
    Intake,
    check_files,
    confirmation_code,
    intake_from_json,
    parse_json,
    parse_submission,
    read_intake,
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
        pattern=r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$",
        description="The same key (per company) gives the same run: 1-255 printable ASCII characters",
    ),
]
FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "company_name": {"type": "string"},
        "company_info": {"type": "string"},
        "use_cases_count": {"type": "string"},
        "json_data": {"type": "string", "description": "The original form's JSON"},
        "file_url": {"type": "string", "description": "A document by https URL (repeatable)"},
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
    },
}
_BODIES: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/SubmissionIn"}},
            "multipart/form-data": {"schema": FORM_SCHEMA},
        },
    }
}
REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {"model": schemas.Accepted, "description": "A replayed delivery: the run it already made"}
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
    return await accept_intake(ctx, intake, "api", key=_key(idempotency_key))


async def standard_webhook(request: Request, ctx: ServerContext, source: str) -> JSONResponse:
    """A delivery signed by Standard Webhooks (CASEBOOK_WEBHOOK_SECRET), JSON or form."""
    if ctx.options.webhook_secret is None:
        raise ApiError(
            503,
            "webhooks_disabled",
            "webhooks are not configured on this server (CASEBOOK_WEBHOOK_SECRET)",
        )
    body = await request.body()
    headers = dict(request.headers)
    try:
        _verify(ctx.options.webhook_secret, body, headers)
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media in ("multipart/form-data", "application/x-www-form-urlencoded"):
            intake = await read_intake(request, ctx)  # the body is read already: parsed, not read again
        elif len(body) > INLINE_CHECK_BYTES:  # decoding megabytes: off the event loop
            intake = await blocking(_json_intake, ctx, source, body)
        else:
            intake = _json_intake(ctx, source, body)
    except ApiError as exc:
        ctx.metrics.submission("webhook", "bad_signature" if exc.status == 401 else "rejected")
        raise
    key = webhook_key(source, headers["webhook-id"])
    return await accept_intake(ctx, intake, "webhook", key=key, webhook=True)


@router.post(
    "/webhooks/{source}",
    status_code=202,
    response_model=schemas.Accepted,
    responses={**schemas.ERRORS, **REPLAYED},
    openapi_extra=_BODIES,
    dependencies=[Depends(limit_address)],
    summary="A form provider's webhook (Standard Webhooks signature)",
)
async def webhook(
    request: Request,
    ctx: Ctx,
    source: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="The form provider")],
) -> JSONResponse:
    return await standard_webhook(request, ctx, source)


def _verify(secret: str, body: bytes, headers: dict[str, str]) -> None:
    try:
        Webhook(secret).verify(body, headers, json_parse=False)
    except (WebhookVerificationError, ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(401, "bad_signature", _signature_reason(exc)) from None


def _json_intake(ctx: ServerContext, source: str, body: bytes) -> Intake:
    payload = parse_json(body, ctx, "the webhook payload")
    return intake_from_json(ctx.mappings.to_submission_data(source, payload), ctx)


async def accept_intake(
    ctx: ServerContext, intake: Intake, channel: str, *, key: str | None, webhook: bool = False
) -> JSONResponse:
    """Check the submission and files, then store and queue it: 202, or 200 for a replayed delivery."""
    try:
        submission, budget = parse_submission(intake.data)
        if sum(len(s.data) for s in intake.sources) > INLINE_CHECK_BYTES:
            sources = await blocking(check_files, intake.sources, ctx.options.max_file_bytes)
        else:  # sniffing a few KB costs less than the hop to a thread
            sources = check_files(intake.sources, ctx.options.max_file_bytes)
        scope = WEBHOOK_SCOPE if webhook else None
        if key is None:
            accepted = await accept(ctx, submission, sources, intake.remote, key=None, budget_usd=budget)
        else:
            async with ctx.serialised(key):
                accepted = await accept(
                    ctx, submission, sources, intake.remote, key=key, budget_usd=budget, scope=scope
                )
    except Exception:
        ctx.metrics.submission(channel, "rejected")
        raise
    manifest = accepted.manifest
    body = accepted_body(manifest.run_id, manifest.company_slug, manifest.status.value)
    ctx.metrics.submission(channel, "replayed" if accepted.replayed else "accepted")
    get_logger(run_id=manifest.run_id, company=manifest.company_name).info(
        "submission accepted",
        channel=channel,
        replayed=accepted.replayed,
        documents=len(sources),
        document_urls=len(intake.remote),
    )
    headers = {"Location": body["status_url"]}
    if accepted.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=200 if accepted.replayed and webhook else 202, headers=headers)


def accepted_body(run_id: str, slug: str, status: str = "queued") -> dict[str, Any]:
    base = f"/v1/runs/{run_id}"
    return {
        "run_id": run_id,
        "confirmation_code": confirmation_code(run_id),
        "status_url": base,
        "events_url": f"{base}/events",
        "report_url": f"{base}/report",
        "company_slug": slug,
        "status": status,
    }


def _key(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or not value.isprintable():
        raise ApiError(422, "invalid_idempotency_key", "Idempotency-Key must be 1-255 printable characters")
    return value


def _signature_reason(exc: Exception) -> str:
    text = str(exc)
    if "Missing required headers" in text:
        return "missing webhook-id, webhook-timestamp or webhook-signature header"
    if "too old" in text or "too new" in text:
        return "webhook-timestamp is more than 5 minutes from the server's clock: resend with a fresh signature"
    return "the webhook signature does not match this server's secret"
