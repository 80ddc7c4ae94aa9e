"""The intake form: /app/new for a signed-in user, /intake for anyone when CASEBOOK_PUBLIC_INTAKE=1.

The form posts multipart/form-data with the API's field names, and is checked by the very
functions the API uses (`read_intake`, `parse_submission`, `check_files`, `accept` → `create_run`
with the operator's limits): the form only places each message next to its field. A hidden
`form_key` is the run's idempotency key, so a form sent twice (a double click, a reload) makes
one run.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from casebook.errors import CasebookError, InputError, LimitExceeded
from casebook.logs import get_logger
from casebook.runs.admission import builtin_templates, submission_model_sets
from casebook.runs.manifest import Manifest
from casebook.server.accept import accept
from casebook.server.context import ServerContext, blocking, get_context
from casebook.server.errors import ApiError, from_casebook_error
from casebook.server.intake import check_files, confirmation_code, parse_submission, read_intake
from casebook.server.security import check_address, client_address
from casebook.web.pages import Signed, see_other
from casebook.web.session import CSRF_FIELD, CSRF_HEADER, csrf_valid
from casebook.web.state import WebState, web_state

router = APIRouter(include_in_schema=False)
Ctx = Annotated[ServerContext, Depends(get_context)]
Web = Annotated[WebState, Depends(web_state)]
FIELDS = (
    "company_name",
    "company_description",
    "readiness_score",
    "readiness_category",
    "report_expectations",
    "use_cases_count",
    "google_drive_link",
    "report_template",
    "model_set",
    "review_use_cases",
)
FILE_ERRORS = ("too_many_files", "file_too_large", "unsupported_file", "invalid_files", "field_too_large")
_FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass
class FormResult:
    manifest: Manifest | None = None
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    status: int = 200


def _render(request: Request, web: WebState, ctx: ServerContext, result: FormResult, *, public: bool) -> Response:
    values = {"use_cases_count": "7", **result.values}
    values.setdefault("form_key", secrets.token_urlsafe(18))
    return web.render(
        request,
        "new.html",
        code=result.status,
        values=values,
        errors=result.errors,
        public=public,
        action="/intake" if public else "/app/new",
        max_file_mb=ctx.options.max_file_bytes / 1_048_576,
        max_request_bytes=ctx.options.max_request_bytes,
        max_files=ctx.options.max_files,
        templates=builtin_templates(),
        model_sets=sorted(submission_model_sets(ctx.settings)),
    )


@router.get("/app/new")
async def new_form(request: Request, ctx: Ctx, web: Web, _: Signed) -> Response:
    return _render(request, web, ctx, FormResult(), public=False)


@router.post("/app/new")
async def new_submit(request: Request, ctx: Ctx, web: Web, viewer: Signed) -> Response:
    result = await submit_form(request, ctx, channel="web")
    if result.manifest is None:
        return _render(request, web, ctx, result, public=False)
    get_logger(run_id=result.manifest.run_id).info("submission from the web app", user=viewer.identity[:16])
    return see_other(f"/app/runs/{result.manifest.run_id}")


async def _public_only(request: Request, ctx: ServerContext, web: WebState) -> None:
    if not web.settings.public_intake:
        raise ApiError(404, "not_found", "There is no page here.")
    await check_address(request, ctx)


@router.get("/intake")
async def public_form(request: Request, ctx: Ctx, web: Web) -> Response:
    await _public_only(request, ctx, web)
    return _render(request, web, ctx, FormResult(), public=True)


@router.post("/intake")
async def public_submit(request: Request, ctx: Ctx, web: Web) -> Response:
    await _public_only(request, ctx, web)
    await ctx.limiter.check(web.public_limit, "address", client_address(request))
    result = await submit_form(request, ctx, channel="public", public=True)
    if result.manifest is None:
        return _render(request, web, ctx, result, public=True)
    code = confirmation_code(result.manifest.run_id)
    request.session["confirmation"] = {"code": code, "company": result.manifest.company_name}
    return see_other("/intake/sent")


@router.get("/intake/sent")
async def public_sent(request: Request, ctx: Ctx, web: Web) -> Response:
    await _public_only(request, ctx, web)
    sent = request.session.get("confirmation")
    if not isinstance(sent, dict):
        return see_other("/intake")
    return web.render(request, "sent.html", confirmation=sent.get("code"), company=sent.get("company"))


async def submit_form(request: Request, ctx: ServerContext, *, channel: str, public: bool = False) -> FormResult:
    """Check and accept the form: the run, or the values and each field's problem."""
    result = FormResult(status=422)
    try:
        intake = await read_intake(request, ctx)
    except ApiError as exc:
        ctx.metrics.submission(channel, "rejected")
        result.errors = {_where(exc): exc.message}
        result.status = exc.status
        return result
    data = intake.data
    presented = data.pop(CSRF_FIELD, None) or request.headers.get(CSRF_HEADER)
    form_key = str(data.pop("form_key", "") or "")
    result.values = {k: str(v) for k, v in data.items() if k in FIELDS and isinstance(v, str | int | float)}
    result.values["form_key"] = form_key if _FORM_KEY.match(form_key) else secrets.token_urlsafe(18)
    if not csrf_valid(request, presented if isinstance(presented, str) else None):
        result.errors = {"form": "This form had expired, so nothing was sent: send it again."}
        result.status = 403
        return result
    if public:  # a client chooses neither the model set nor a review: the operator's defaults hold
        data.pop("model_set", None)
        data.pop("review_use_cases", None)
    sources = [s for s in intake.sources if s.data or s.name != "files"]  # an empty file input sends a blank part
    try:
        submission, budget = parse_submission(data)
        if not sources and not intake.remote and not submission.google_drive_link:
            raise InputError("add at least one document, or a Google Drive link", fields={"files": "add at least "
                             "one document, or give a Google Drive link below"})
        sources = await blocking(check_files, sources, ctx.options.max_file_bytes)
        key = f"web-form:{result.values['form_key']}"
        async with ctx.serialised(key):
            accepted = await accept(ctx, submission, sources, intake.remote, key=key, budget_usd=budget)
    except (ApiError, CasebookError) as exc:
        ctx.metrics.submission(channel, "rejected")
        result.errors = _field_errors(exc)
        api = exc if isinstance(exc, ApiError) else from_casebook_error(exc)
        result.status = api.status if api.status < 500 else 422
        if api.status >= 500:
            result.errors = {"form": api.message}
        return result
    ctx.metrics.submission(channel, "replayed" if accepted.replayed else "accepted")
    get_logger(run_id=accepted.manifest.run_id, company=accepted.manifest.company_name).info(
        "submission accepted", channel=channel, replayed=accepted.replayed, documents=len(sources)
    )
    return FormResult(manifest=accepted.manifest)


def _field_errors(exc: ApiError | CasebookError) -> dict[str, str]:
    if isinstance(exc, InputError) and exc.fields:
        known = (*FIELDS, "files")
        return {name if name in known else "form": _sentence(msg) for name, msg in exc.fields.items()}
    if isinstance(exc, LimitExceeded):
        name = exc.field.split("[", 1)[0]
        return {name if name in FIELDS else "form": str(exc)}
    if isinstance(exc, ApiError):
        return {_where(exc): exc.message}
    return {"form": from_casebook_error(exc).message}


def _where(exc: ApiError) -> str:
    named = exc.extra.get("field")
    if isinstance(named, str) and named.split("[", 1)[0] in FIELDS:
        return named.split("[", 1)[0]
    return "files" if exc.code in FILE_ERRORS or exc.extra.get("file") else "form"


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text
