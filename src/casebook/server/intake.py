"""From a request to a stored, queued run: bodies read, files checked, `create_run`, then queued.

Accepted bodies:
- JSON: the submission's fields (the original's aliases too), documents inline as
  `"files": [{"name": "a.pdf", "content_base64": "…"}]` or by URL as
  `"files": [{"url": "https://…", "name": "optional"}]`;
- multipart/form-data: fields plus files under any field name, as the original accepted,
  or the original's form with a `json_data` field holding the JSON (plain fields win over
  it, whichever alias either uses), `file_url` fields naming documents by URL;
- application/x-www-form-urlencoded: fields only (documents by URL, or inline in json_data).
JSON is nested at most CASEBOOK_MAX_JSON_DEPTH deep (422); a body is at most
CASEBOOK_MAX_REQUEST_MB (413).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from casebook.documents import Unreadable, detect_type
from casebook.errors import URLRefused
from casebook.fetch import RemoteDocument, check_document_url
from casebook.models import SourceFile, Submission
from casebook.server.context import ServerContext, blocking
from casebook.server.errors import ApiError
from casebook.server.mapping import canonical_data
from casebook.server.multipart import read_multipart
from casebook.storage import safe_filename

_JSON_IN_THREAD = 256 * 1024  # parse bigger JSON bodies off the event loop
MAX_FIELDS = 200
MAX_FIELD_BYTES = 2 * 1024 * 1024  # a form field (json_data included)
URL_FIELDS = ("file_url", "file_urls", "document_url", "document_urls")


@dataclass
class Intake:
    data: dict[str, Any]
    sources: list[SourceFile]
    remote: list[RemoteDocument] = field(default_factory=list)


def confirmation_code(run_id: str) -> str:
    """A short code to quote to a person, from the run id: a replay gives the same one."""
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:8].upper()
    return f"CB-{digest[:4]}-{digest[4:]}"


async def read_intake(request: Request, ctx: ServerContext) -> Intake:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        body = await request.body()
        if len(body) > _JSON_IN_THREAD:  # decoding megabytes of JSON and base64 takes a while
            return await blocking(lambda: intake_from_json(parse_json(body, ctx), ctx))
        return intake_from_json(parse_json(body, ctx), ctx)
    if media in ("multipart/form-data", "application/x-www-form-urlencoded"):
        async with ctx.uploads.slot(request):
            return await _from_form(request, ctx)
    raise ApiError(
        415,
        "unsupported_media_type",
        "send application/json, multipart/form-data or application/x-www-form-urlencoded",
    )


def parse_json(body: bytes, ctx: ServerContext, what: str = "the body") -> Any:
    """JSON, nested at most CASEBOOK_MAX_JSON_DEPTH deep; 422 otherwise."""
    try:
        value = json.loads(body)
    except RecursionError:
        value = None
        deep = True
    except ValueError:
        raise ApiError(422, "invalid_json", f"{what} is not valid JSON") from None
    else:
        deep = not depth_within(value, ctx.settings.max_json_depth)
    if deep:
        raise ApiError(
            422, "too_deep", f"{what} is nested more than {ctx.settings.max_json_depth} levels deep"
        )
    return value


def depth_within(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return True


def intake_from_json(payload: Any, ctx: ServerContext) -> Intake:
    if not isinstance(payload, dict):
        raise ApiError(422, "invalid_submission", "the body must be a JSON object of submission fields")
    data = canonical_data(payload)
    items = data.pop("files", None) or []
    if not isinstance(items, list):
        raise ApiError(422, "invalid_files", "`files` must be a list of {name, content_base64} or {url, name} objects")
    if len(items) > ctx.options.max_files:
        raise ApiError(413, "too_many_files", f"at most {ctx.options.max_files} files per submission")
    sources: list[SourceFile] = []
    remote: list[RemoteDocument] = []
    for index, item in enumerate(items):
        if isinstance(item, dict) and "url" in item and "content_base64" not in item:
            remote.append(remote_document(f"files[{index}]", item.get("url"), item.get("name"), ctx))
        else:
            sources.append(_inline_file(index, item, ctx))
    return Intake(data, sources, remote)


def remote_document(
    where: str, url: Any, name: Any, ctx: ServerContext, *, auth: str | None = None
) -> RemoteDocument:
    """A document URL checked without any I/O (scheme, length, address literal); 422 naming it."""
    if name is not None and not isinstance(name, str):
        raise ApiError(422, "invalid_files", f"{where}.name must be a string", field=f"{where}.name")
    try:
        check_document_url(url, allow_private=ctx.settings.fetch_allow_private)
    except URLRefused as exc:
        raise ApiError(422, "invalid_files", f"{where}.url: {exc}", field=f"{where}.url") from None
    clean = safe_filename(name) if isinstance(name, str) and name.strip() else None
    return RemoteDocument(url=str(url).strip(), name=clean, auth=auth)


def _inline_file(index: int, item: Any, ctx: ServerContext) -> SourceFile:
    if not isinstance(item, dict) or not isinstance(item.get("content_base64"), str):
        raise ApiError(
            422, "invalid_files", f"files[{index}] must be an object with name and content_base64, or with url"
        )
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
    files: list[SourceFile] = []
    if request.headers.get("content-type", "").lower().startswith("multipart/"):
        parts = await read_multipart(
            request,
            max_files=ctx.options.max_files,
            max_fields=MAX_FIELDS,
            max_file_bytes=ctx.options.max_file_bytes,
            max_field_bytes=MAX_FIELD_BYTES,
        )
        items = parts.fields
        files = await blocking(parts.read_files)
    else:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES)
        items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    base: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    urls: list[str] = []
    for name, value in items:
        if not value.strip():
            continue  # an empty form field: not given
        if name == "json_data":
            loaded = parse_json(value.encode(), ctx, "json_data")
            if not isinstance(loaded, dict):
                raise ApiError(422, "invalid_submission", "json_data must hold a JSON object")
            base.update(canonical_data(loaded))
        elif name in URL_FIELDS:
            urls += [line.strip() for line in value.splitlines() if line.strip()]
        else:
            fields.update(canonical_data({name: value}))
    inline = intake_from_json({**base, **fields}, ctx)  # a plain field wins over json_data
    remote = inline.remote + [remote_document(f"file_url[{i}]", u, None, ctx) for i, u in enumerate(urls)]
    if len(files) + len(inline.sources) + len(remote) > ctx.options.max_files:
        raise ApiError(413, "too_many_files", f"at most {ctx.options.max_files} files per submission")
    return Intake(inline.data, files + inline.sources, remote)


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
    data = {k: v for k, v in data.items() if v is not None}  # JSON null: not given
    budget = data.pop("budget_usd", None)
    if budget not in (None, ""):
        try:
            budget = None if isinstance(budget, bool) else float(budget)
        except (TypeError, ValueError):
            budget = None
        if budget is None or not 0 < budget < 1e6:
            raise ApiError(
                422,
                "invalid_submission",
                "budget_usd must be a positive number of US dollars",
                field="budget_usd",
            )
    else:
        budget = None
    return Submission.parse(data), budget
