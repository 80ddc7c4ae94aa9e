"""From a request to a stored, queued run: bodies read, files checked, `create_run` then enqueue.

Accepted bodies:
- JSON: the submission's fields (the original's aliases too), documents inline as
  `"files": [{"name": "a.pdf", "content_base64": "…"}]`;
- multipart/form-data: fields plus files under any field name, as the original accepted,
  or the original's form with a `json_data` field holding the JSON (plain fields override it);
- application/x-www-form-urlencoded: fields only (documents must then come inline in json_data).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from casebook.documents import Unreadable, detect_type
from casebook.logs import get_logger
from casebook.models import SourceFile, Submission
from casebook.runs.manifest import Manifest
from casebook.runs.runner import create_run, idempotent_run_id
from casebook.server.context import ServerContext, blocking
from casebook.server.errors import ApiError
from casebook.server.multipart import read_multipart
from casebook.storage import company_slug, safe_filename

_JSON_IN_THREAD = 256 * 1024  # parse bigger JSON bodies off the event loop
MAX_FIELDS = 200
MAX_FIELD_BYTES = 2 * 1024 * 1024  # a form field (json_data included)


@dataclass
class Intake:
    data: dict[str, Any]
    sources: list[SourceFile]


@dataclass
class Accepted:
    manifest: Manifest
    replayed: bool  # the idempotency key had already made this run


def confirmation_code(run_id: str) -> str:
    """A short code to quote to a person, from the run id: a replay gives the same one."""
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:8].upper()
    return f"CB-{digest[:4]}-{digest[4:]}"


async def read_intake(request: Request, ctx: ServerContext) -> Intake:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        body = await request.body()
        if len(body) > _JSON_IN_THREAD:  # decoding megabytes of JSON and base64 takes a while
            return await blocking(lambda: intake_from_json(_json(body), ctx))
        return intake_from_json(_json(body), ctx)
    if media in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _from_form(request, ctx)
    raise ApiError(
        415,
        "unsupported_media_type",
        "send application/json, multipart/form-data or application/x-www-form-urlencoded",
    )


def intake_from_json(payload: Any, ctx: ServerContext) -> Intake:
    if not isinstance(payload, dict):
        raise ApiError(422, "invalid_submission", "the body must be a JSON object of submission fields")
    data = dict(payload)
    inline = data.pop("files", None) or []
    if not isinstance(inline, list) or len(inline) > ctx.options.max_files:
        raise ApiError(
            422 if not isinstance(inline, list) else 413,
            "invalid_files" if not isinstance(inline, list) else "too_many_files",
            f"`files` must be a list of at most {ctx.options.max_files} {{name, content_base64}} objects",
        )
    sources = [_inline_file(i, item, ctx) for i, item in enumerate(inline)]
    return Intake(data, sources)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(422, "invalid_json", "the body is not valid JSON") from None


def _inline_file(index: int, item: Any, ctx: ServerContext) -> SourceFile:
    if not isinstance(item, dict) or not isinstance(item.get("content_base64"), str):
        raise ApiError(422, "invalid_files", f"files[{index}] must be an object with name and content_base64")
    given = item.get("name")
    name = given if isinstance(given, str) and given.strip() else f"document-{index + 1}"
    encoded = item["content_base64"]
    if len(encoded) * 3 // 4 > ctx.options.max_file_bytes + 3:
        raise _file_too_big(name, ctx)
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "invalid_files", f"files[{index}].content_base64 is not valid base64") from None
    return SourceFile(name=name, data=data)


async def _from_form(request: Request, ctx: ServerContext) -> Intake:
    files: list[tuple[str, str, bytes]] = []
    if request.headers.get("content-type", "").lower().startswith("multipart/"):
        parts = await read_multipart(
            request,
            max_files=ctx.options.max_files,
            max_fields=MAX_FIELDS,
            max_file_bytes=ctx.options.max_file_bytes,
            max_field_bytes=MAX_FIELD_BYTES,
        )
        items, files = parts.fields, parts.files
    else:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES)
        items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    data: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    for name, value in items:
        if name == "json_data":
            base = _json(value.encode())
            if not isinstance(base, dict):
                raise ApiError(422, "invalid_submission", "json_data must hold a JSON object")
            data.update(base)
        else:
            fields[name] = value
    data.update(fields)
    inline = intake_from_json(data, ctx)
    sources = [SourceFile(name=filename, data=content) for _, filename, content in files]
    if len(sources) + len(inline.sources) > ctx.options.max_files:
        raise ApiError(413, "too_many_files", f"at most {ctx.options.max_files} files per submission")
    return Intake(inline.data, sources + inline.sources)


def _file_too_big(name: str, ctx: ServerContext) -> ApiError:
    limit = ctx.options.max_file_bytes / 1_048_576
    return ApiError(413, "file_too_large", f"{safe_filename(name)} is over the {limit:g} MB limit per file")


def check_files(sources: list[SourceFile], max_file_bytes: int) -> list[SourceFile]:
    """Sizes capped, types sniffed by content (415 with the reason), names made safe."""
    checked = []
    for source in sources:
        name = safe_filename(source.name)
        if len(source.data) > max_file_bytes:
            raise ApiError(
                413,
                "file_too_large",
                f"{name} is over the {max_file_bytes / 1_048_576:g} MB limit per file",
            )
        try:
            detect_type(name, source.data)
        except Unreadable as exc:
            raise ApiError(415, "unsupported_file", f"{name}: {exc.reason}", file=name) from None
        checked.append(SourceFile(name=name, data=source.data))
    return checked


def parse_submission(data: dict[str, Any]) -> tuple[Submission, float | None]:
    budget = data.pop("budget_usd", None)
    if budget not in (None, ""):
        try:
            budget = float(budget)
        except (TypeError, ValueError):
            budget = -1.0
        if not 0 < budget < 1e6:
            raise ApiError(422, "invalid_submission", "budget_usd must be a positive number of US dollars")
    else:
        budget = None
    return Submission.parse(data), budget


def store_and_enqueue(
    ctx: ServerContext,
    submission: Submission,
    sources: list[SourceFile],
    *,
    key: str | None,
    budget_usd: float | None,
) -> Accepted:
    """Blocking: persist the run (create_run), then queue it, before the caller answers 202.

    With a Drive link and no files, create_run reads the Drive folder first (in this thread).
    """
    if not sources and not submission.google_drive_link:
        raise ApiError(
            422,
            "no_documents",
            "no documents: attach the company's documents as files (multipart) or as `files` "
            "(JSON), or give a google_drive_link",
        )
    replayed = False
    if key is not None:
        slug = company_slug(submission.company_name)
        replayed = ctx.storage.company_by_slug(slug).exists(f"runs/{idempotent_run_id(slug, key)}.json")
    manifest = create_run(ctx.settings, submission, sources, budget_usd=budget_usd, idempotency_key=key)
    if not manifest.workflow_ids:
        try:
            ctx.engine.enqueue(manifest)
        except Exception as exc:  # the database: locked for too long, or unreachable
            get_logger(run_id=manifest.run_id).error("run stored, not queued", error=type(exc).__name__)
            again = "send it again with the same Idempotency-Key" if key else "POST its /retry"
            raise ApiError(
                503,
                "queue_unavailable",
                f"run {manifest.run_id} is stored but could not be queued right now: {again}",
                run_id=manifest.run_id,
                headers={"Retry-After": "5"},
            ) from None
    return Accepted(manifest, replayed and bool(manifest.workflow_ids))
