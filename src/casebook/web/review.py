"""The run page's use-case editor: a plain form (it works without JavaScript) whose fields are
named `use_cases.<n>.<field>`; lists are one item a line, citations separated by commas. Checked
by the API's own checks (casebook.runs.review), each problem shown next to its field; Save keeps
the edits, Approve keeps them and lets the run go on."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from casebook.errors import CasebookError, InputError
from casebook.logs import get_logger
from casebook.server.context import ServerContext, blocking, get_context
from casebook.server.errors import ApiError, from_casebook_error
from casebook.server.routes_review import review
from casebook.web.pages import RunId, Signed, see_other
from casebook.web.session import CSRF_FIELD, csrf_valid
from casebook.web.state import WebState, flash, web_state
from casebook.web.views import FIELDS, LISTS, run_page_state

router = APIRouter(include_in_schema=False)
Ctx = Annotated[ServerContext, Depends(get_context)]
Web = Annotated[WebState, Depends(web_state)]
MAX_ITEMS = 60  # form entries read (use cases, with the blank one for adding)
_NAME = re.compile(r"^use_cases\.(\d{1,3})\.([a-z_]+)$")
_ERROR_KEY = re.compile(r"^use_cases\[(\d+)\](?:\.([a-z_]+))?")


def read_form(items: list[tuple[str, str]]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The use cases the form holds, in the order its positions give (dropped and blank entries
    left out): what to check, and each entry's text (with its form number) to show again."""
    entries: dict[int, dict[str, str]] = {}
    for name, value in items:
        match = _NAME.match(name)
        if match is None:
            continue
        number, field = int(match.group(1)), match.group(2)
        if number not in entries and len(entries) >= MAX_ITEMS:
            continue
        entries.setdefault(number, {})[field] = value
    kept = []
    for number, entry in entries.items():
        if entry.get("drop") or not any(entry.get(f, "").strip() for f in ("title", "problem", "solution")):
            continue  # dropped, or the blank entry for adding one left empty
        kept.append((_position(entry.get("position"), number), number, entry))
    kept.sort(key=lambda k: (k[0], k[1]))
    use_cases = [_use_case(entry) for _, _, entry in kept]
    shown = [{**{f: entry.get(f, "") for f in FIELDS}, "form_number": str(number)} for _, number, entry in kept]
    return use_cases, shown


def _position(value: str | None, number: int) -> float:
    try:
        return float(value) if value not in (None, "") else 1000.0 + number
    except ValueError:
        return 1000.0 + number


def _use_case(entry: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name in FIELDS:
        text = entry.get(name, "")
        if name in LISTS:
            item[name] = [line.strip() for line in text.splitlines() if line.strip()]
        elif name == "citations":
            item[name] = [c for c in re.split(r"[\s,;]+", text) if c]
        elif name in ("impact", "effort", "value"):
            item[name] = int(text) if text.strip().isdigit() else text
        else:
            item[name] = text
    return item


def field_problems(exc: InputError, shown: list[dict[str, str]]) -> dict[str, str]:
    """The checker's problems (`use_cases[2].kpis[0]`) keyed as the form's fields
    (`use_cases.<form number>.kpis`), the first of each."""
    found: dict[str, str] = {}
    for key, message in exc.fields.items():
        match = _ERROR_KEY.match(key)
        if match is None or int(match.group(1)) >= len(shown):
            found.setdefault("form", f"{key}: {message}")
            continue
        number = shown[int(match.group(1))]["form_number"]
        field = match.group(2) or "title"
        text = message[:1].upper() + message[1:]
        found.setdefault(f"use_cases.{number}.{field}", text)
    return found


@router.post("/app/runs/{run_id}/use-cases")
async def save(request: Request, run_id: RunId, ctx: Ctx, web: Web, viewer: Signed) -> Response:
    form = await request.form(max_files=0, max_fields=MAX_ITEMS * 16, max_part_size=16_384)
    if not csrf_valid(request, str(form.get(CSRF_FIELD) or "")):
        flash(request, "That form had expired, so nothing was saved: make the edits again.", "error")
        return see_other(f"/app/runs/{run_id}")
    approve = form.get("action") == "approve"
    items, shown = read_form([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
    by = f"web {viewer.identity[:16]}"
    try:
        async with ctx.serialised(f"review:{run_id}"):
            await blocking(review, ctx, run_id, items, approve=approve, by=by)
    except InputError as exc:
        state = await ctx.database(run_page_state, ctx.engine, ctx.storage, run_id)
        problems = field_problems(exc, shown)
        if exc.fields.get("use_cases"):
            problems.setdefault("form", "Keep at least one use case, and at most 20.")
        return web.render(request, "run.html", code=422, run=state, review_values=shown, review_errors=problems)
    except (ApiError, CasebookError) as exc:
        flash(request, (exc if isinstance(exc, ApiError) else from_casebook_error(exc)).message, "error")
        return see_other(f"/app/runs/{run_id}")
    get_logger(run_id=run_id).info("use cases saved from the web app", approved=approve, user=viewer.identity[:16])
    if approve:
        flash(request, f"Approved {len(items)} use cases: the run goes on and writes the report around them.")
    else:
        flash(request, f"Saved {len(items)} use cases. Approve when they are right.")
    return see_other(f"/app/runs/{run_id}")
