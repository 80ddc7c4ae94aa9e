"""Form providers' own webhooks: `POST /v1/webhooks/typeform` and `POST /v1/webhooks/tally`.

Each verifies its provider's signature over the raw body (CASEBOOK_TYPEFORM_SECRET,
CASEBOOK_TALLY_SECRET), reads the answers as submission fields (casebook.server.providers),
turns file answers into documents by URL, and then goes the way of every submission. A
replayed delivery (the same event id) answers 200 with the run it made.

Before these routes existed, `/v1/webhooks/typeform` and `/v1/webhooks/tally` were ordinary
sources of the Standard Webhooks route; a request that carries Standard Webhooks headers and
not the provider's signature, or any request while the provider's secret is unset, is still
served that way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from casebook.server import providers, schemas
from casebook.server.accept import webhook_key
from casebook.server.context import ServerContext, get_context
from casebook.server.errors import ApiError
from casebook.server.intake import Intake, parse_json, remote_document
from casebook.server.routes_intake import REPLAYED, accept_intake, standard_webhook
from casebook.server.security import limit_address

router = APIRouter(prefix="/v1", tags=["intake"])
Ctx = Annotated[ServerContext, Depends(get_context)]


def _body(description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }


@router.post(
    "/webhooks/typeform",
    status_code=202,
    response_model=schemas.Accepted,
    responses={**schemas.ERRORS, **REPLAYED},
    openapi_extra=_body("Typeform's form_response payload, signed with Typeform-Signature"),
    dependencies=[Depends(limit_address)],
    summary="Typeform's webhook (Typeform-Signature)",
)
async def typeform(request: Request, ctx: Ctx) -> JSONResponse:
    secret = ctx.settings.typeform_secret
    header = request.headers.get("typeform-signature")
    if secret is None or (header is None and "webhook-signature" in request.headers):
        return await standard_webhook(request, ctx, "typeform")
    return await _provider(
        request,
        ctx,
        "typeform",
        providers.typeform_signature_ok,
        providers.from_typeform,
        secret.get_secret_value(),
        header,
    )


@router.post(
    "/webhooks/tally",
    status_code=202,
    response_model=schemas.Accepted,
    responses={**schemas.ERRORS, **REPLAYED},
    openapi_extra=_body("Tally's FORM_RESPONSE payload, signed with Tally-Signature"),
    dependencies=[Depends(limit_address)],
    summary="Tally's webhook (Tally-Signature)",
)
async def tally(request: Request, ctx: Ctx) -> JSONResponse:
    secret = ctx.settings.tally_secret
    header = request.headers.get("tally-signature")
    if secret is None or (header is None and "webhook-signature" in request.headers):
        return await standard_webhook(request, ctx, "tally")
    return await _provider(
        request, ctx, "tally", providers.tally_signature_ok, providers.from_tally, secret.get_secret_value(), header
    )


async def _provider(
    request: Request,
    ctx: ServerContext,
    source: str,
    verify: Callable[[str, bytes, str | None], bool],
    read: Callable[[Any, dict[str, str] | None, bytes], providers.ProviderIntake],
    secret: str,
    header: str | None,
) -> JSONResponse:
    body = await request.body()
    try:
        if not verify(secret, body, header):
            name = "Typeform-Signature" if source == "typeform" else "Tally-Signature"
            missing = header is None
            raise ApiError(
                401,
                "bad_signature",
                f"missing {name} header" if missing else f"the {name} does not match this server's secret",
            )
        payload = parse_json(body, ctx, f"the {source} payload")
        try:
            found = read(payload, ctx.mappings.names(source), body)
        except ValueError as exc:
            raise ApiError(422, "invalid_submission", f"not a {source} delivery: {exc}") from None
        if len(found.remote) > ctx.options.max_files:
            raise ApiError(413, "too_many_files", f"at most {ctx.options.max_files} files per submission")
        auth = "typeform" if source == "typeform" else None
        remote = [remote_document(f"files[{i}]", d.url, d.name, ctx, auth=auth) for i, d in enumerate(found.remote)]
    except ApiError as exc:
        ctx.metrics.submission("webhook", "bad_signature" if exc.status == 401 else "rejected")
        raise
    intake = Intake(found.data, [], remote)
    return await accept_intake(ctx, intake, "webhook", key=webhook_key(source, found.delivery_id), webhook=True)
