"""The web app `casebook serve` serves beside the API: sign-in, the intake form, the runs list and
a run's page with its live timeline and review. Server-rendered (Jinja2), a little plain JS that
the pages work without, the same library calls as the API.

    install(app, settings, options)   # from create_app, before the outer middleware
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from casebook.config import Settings
from casebook.errors import CasebookError
from casebook.server.errors import ApiError, from_casebook_error
from casebook.server.options import ServerOptions
from casebook.web import actions, intake, pages, review
from casebook.web.session import WebSessions, is_web_path, session_secret
from casebook.web.state import WebState, web_state

__all__ = ["install"]
Handler = Callable[[Request, Any], Awaitable[Response]]


def install(app: FastAPI, settings: Settings, options: ServerOptions) -> None:
    state = WebState.create(settings, options)
    app.state.web = state
    app.include_router(pages.router)
    app.include_router(actions.router)
    app.include_router(intake.router)
    app.include_router(review.router)
    app.add_api_route("/static/brand.css", _brand_css, include_in_schema=False)  # before the mount
    app.add_api_route("/static/brand-logo", _brand_logo, include_in_schema=False)
    static = resources.files("casebook.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.add_exception_handler(pages.SignInNeeded, _sign_in_needed)  # type: ignore[arg-type]
    for kind in (ApiError, CasebookError, StarletteHTTPException, RequestValidationError):
        _page_for_web_paths(app, kind)
    max_age = int(settings.session_hours * 3600)
    app.add_middleware(WebSessions, secret=session_secret(settings, options), max_age=max_age)


async def _brand_css(request: Request) -> Response:
    return Response(web_state(request).brand.stylesheet(), media_type="text/css", headers=_CACHED)


async def _brand_logo(request: Request) -> Response:
    brand = web_state(request).brand
    if brand.logo is None:
        return Response(status_code=404)
    return Response(brand.logo, media_type=brand.logo_type, headers=_CACHED)


_CACHED = {"Cache-Control": "public, max-age=300"}


async def _sign_in_needed(request: Request, exc: pages.SignInNeeded) -> Response:
    if request.headers.get("accept", "").startswith("text/event-stream") or request.method != "GET":
        return Response("sign in again", status_code=401, media_type="text/plain")
    return pages.see_other(f"/?next={exc.path}")


def _page_for_web_paths(app: FastAPI, kind: type[Exception]) -> None:
    """Errors on the web app's paths as a page; on the API's, the JSON answer as before."""
    api_handler: Handler = app.exception_handlers[kind]  # type: ignore[assignment]

    async def handler(request: Request, exc: Any) -> Response:
        if not is_web_path(request.url.path):
            return await api_handler(request, exc)
        status, message, headers = _describe(exc)
        state = web_state(request)
        return state.render(request, "error.html", code=status, headers=headers, message=message, status=status)

    app.add_exception_handler(kind, handler)


def _describe(exc: Exception) -> tuple[int, str, dict[str, str]]:
    if isinstance(exc, CasebookError):
        exc = from_casebook_error(exc)
    if isinstance(exc, ApiError):
        return exc.status, exc.message, exc.headers
    if isinstance(exc, StarletteHTTPException):
        messages = {404: "There is no page here.", 405: "This page cannot be used that way."}
        detail = exc.detail if isinstance(exc.detail, str) else ""
        return exc.status_code, messages.get(exc.status_code, detail), dict(exc.headers or {})
    return 422, "The address has a value this page cannot use.", {}
