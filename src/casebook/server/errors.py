"""Every error answer is JSON `{"error": {"code", "message"}}`: a reason, never a traceback."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from casebook.errors import (
    CasebookError,
    ConfigError,
    DriveError,
    EngineUnavailable,
    IdempotencyConflict,
    InputError,
    LimitExceeded,
    RunError,
    RunNotFound,
    StorageError,
)
from casebook.logs import get_logger, mask

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    502: "bad_gateway",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(Exception):
    """An answer other than success, with a stable machine-readable code and a reason."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.extra = extra


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(error_body(code, mask(message), **extra), status_code=status, headers=headers)


def from_casebook_error(exc: CasebookError) -> ApiError:
    """The library's errors as answers: the user's input 422, an unknown run 404, storage 503."""
    message = str(exc)
    if isinstance(exc, RunNotFound):  # the library's message names the storage root: not for clients
        return ApiError(404, "run_not_found", "no run with this id: the run_id comes from the submission's answer")
    if isinstance(exc, EngineUnavailable):
        return ApiError(
            503,
            "database_unavailable",
            "the workflow database cannot be reached: try again shortly",
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, RunError):
        return ApiError(409, "run_state", message)
    if isinstance(exc, LimitExceeded):
        return ApiError(422, "not_allowed", message, field=exc.field)
    if isinstance(exc, IdempotencyConflict):  # the key is bound to an earlier, different request
        return ApiError(409, "idempotency_conflict", message, idempotency_key=exc.key, run_id=exc.run_id)
    if isinstance(exc, InputError | ConfigError):
        return ApiError(422, "invalid_submission", message)
    if isinstance(exc, DriveError):
        return ApiError(502, "drive_unavailable", f"{message}; try again later")
    if isinstance(exc, StorageError):
        return ApiError(503, "storage_unavailable", "storage cannot be read or written right now; try again")
    return ApiError(500, "internal", "the server could not complete the request; it was logged")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers, **exc.extra)

    @app.exception_handler(CasebookError)
    async def _casebook(request: Request, exc: CasebookError) -> JSONResponse:
        api = from_casebook_error(exc)
        if api.status >= 500:
            get_logger().error("request failed", path=request.url.path, reason=mask(str(exc)))
        return error_response(api.status, api.code, api.message, api.headers, **api.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "request"
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return error_response(422, "invalid_request", "; ".join(parts)[:2000] or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, detail, dict(exc.headers or {}))
