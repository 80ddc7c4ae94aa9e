"""Sign-in and sign-out, the runs list and a run's page, with its live events and its report."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from casebook.logs import get_logger
from casebook.server.context import ServerContext, blocking, get_context
from casebook.server.errors import ApiError
from casebook.server.routes_runs import read_report
from casebook.server.runs import REPORT_TYPES
from casebook.server.security import check_address, client_address, key_identity
from casebook.web.events import stream
from casebook.web.listing import STATUSES, list_page
from casebook.web.session import CSRF_FIELD, Viewer, csrf_valid, sign_in, sign_out
from casebook.web.state import WebState, web_state
from casebook.web.views import run_page_state

router = APIRouter(include_in_schema=False)
Ctx = Annotated[ServerContext, Depends(get_context)]
Web = Annotated[WebState, Depends(web_state)]
RunId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,80}$")]
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'self'"
)


class SignInNeeded(Exception):
    """The page needs a signed-in session: answered with a redirect to the sign-in page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


async def require_viewer(request: Request, ctx: Ctx, web: Web) -> Viewer:
    """Every /app page: the address's rate limit, then a signed-in session."""
    await check_address(request, ctx)
    found = web.viewer(request)
    if found is None:
        raise SignInNeeded(request.url.path)
    return found


Signed = Annotated[Viewer, Depends(require_viewer)]


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a page of this app, never another site."""
    if value and value.startswith("/app/") and "//" not in value and "\\" not in value:
        return value
    return "/app/runs"


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/")
async def home(request: Request, ctx: Ctx, web: Web, next: str | None = None) -> Response:
    await check_address(request, ctx)
    if web.viewer(request) is not None:
        return see_other(safe_next(next))
    return web.render(request, "signin.html", next=safe_next(next))


@router.post("/signin")
async def signin(request: Request, ctx: Ctx, web: Web) -> Response:
    await check_address(request, ctx)
    form = await request.form(max_files=0, max_fields=8, max_part_size=8192)
    target = safe_next(str(form.get("next") or ""))
    if not csrf_valid(request, str(form.get(CSRF_FIELD) or "")):
        message = "This sign-in form has expired. It has been reloaded: enter your key again."
        return web.render(request, "signin.html", code=403, error=message, next=target)
    if web.viewer(request) is not None:
        return see_other(target)
    address = client_address(request)
    try:
        await ctx.limiter.check_spent(web.signin_limit, "address", address)
    except ApiError as exc:
        retry = exc.headers.get("Retry-After", "60")
        message = f"Too many wrong keys from this address: try again in {retry} s."
        return web.render(request, "signin.html", code=429, headers=exc.headers, error=message, next=target)
    presented = str(form.get("api_key") or "").strip()
    identity = key_identity(presented.encode(), ctx.options.api_keys) if presented else None
    if identity is None:
        await ctx.limiter.spend(web.signin_limit, "address", address)
        get_logger().warning("web sign-in refused", address=address)
        message = "This key is not valid for this server. Use one of the keys in CASEBOOK_API_KEYS."
        return web.render(request, "signin.html", code=401, error=message, next=target)
    sign_in(request, identity)
    get_logger().info("web sign-in", user=identity[:16])
    return see_other(target)


@router.post("/signout")
async def signout(request: Request, web: Web) -> Response:
    form = await request.form(max_files=0, max_fields=4, max_part_size=1024)
    if csrf_valid(request, str(form.get(CSRF_FIELD) or "")):
        sign_out(request)
    return see_other("/")


@router.get("/app")
async def app_home(_: Signed) -> Response:
    return see_other("/app/runs")


@router.get("/app/runs")
async def runs(
    request: Request,
    ctx: Ctx,
    web: Web,
    _: Signed,
    status: Annotated[str | None, Query(max_length=40)] = None,
    company: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    status = status if status in STATUSES else None
    company = (company or "").strip() or None
    listing = await ctx.database(list_page, ctx.engine, status=status, company=company, page=page)
    query = "&".join(f"{k}={quote(v)}" for k, v in (("status", status), ("company", company)) if v)
    return web.render(
        request, "runs.html", listing=listing, status=status, company=company, statuses=STATUSES, query=query
    )


@router.get("/app/runs/{run_id}")
async def run_page(request: Request, run_id: RunId, ctx: Ctx, web: Web, _: Signed) -> Response:
    state = await ctx.database(run_page_state, ctx.engine, ctx.storage, run_id)
    values = state["review"]["values"] if state.get("review") else None
    return web.render(request, "run.html", run=state, review_values=values, review_errors={})


@router.get("/app/runs/{run_id}/events")
async def run_events(request: Request, run_id: RunId, ctx: Ctx, _: Signed) -> StreamingResponse:
    first = await ctx.database(run_page_state, ctx.engine, ctx.storage, run_id)  # 404 before the stream
    return stream(request, ctx, run_id, first)


@router.get("/app/runs/{run_id}/report")
async def report(
    run_id: RunId,
    ctx: Ctx,
    _: Signed,
    format: Annotated[str, Query(pattern="^(md|html|pdf|docx)$")] = "md",
    inline: bool = False,
) -> Response:
    view = await ctx.database(ctx.engine.view, run_id)  # the run's status: its one authority
    data, name = await blocking(read_report, ctx, view, format)
    if inline and format == "html":  # shown in the run page's sandboxed frame
        headers = {"Content-Security-Policy": REPORT_CSP, "X-Frame-Options": "SAMEORIGIN"}
        return Response(data, media_type=REPORT_TYPES[format], headers=headers)
    return Response(
        data, media_type=REPORT_TYPES[format], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
