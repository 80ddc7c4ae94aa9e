"""Pure ASGI middleware: security headers and a last-resort JSON 500, the request size cap, and
the body timeout (a body that stops arriving for CASEBOOK_BODY_TIMEOUT_S is answered 408).

Pure ASGI (not BaseHTTPMiddleware) so that streamed answers (SSE) and uploads pass through
without buffering, and the cost per request stays a few microseconds.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casebook.logs import get_logger, mask

_API_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]
_NO_STORE = (b"cache-control", b"no-store")
# The interactive docs load Swagger UI / ReDoc from their CDN: allow that, and nothing else.
_DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    b"font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    b"https://cdn.redoc.ly; connect-src 'self'; worker-src blob:; frame-ancestors 'none'",
)
_DOCS = ("/docs", "/redoc")


class SecurityHeaders:
    """Adds security headers to every answer; turns an unexpected exception into a JSON 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(_DOCS)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [h for h in message.get("headers", []) if h[0] != b"cache-control" or not docs]
                names = {h[0].lower() for h in headers}
                extra = [h for h in _API_HEADERS if h[0] not in names]
                if docs:
                    extra = [h for h in extra if h[0] != b"content-security-policy"] + [_DOCS_CSP]
                elif b"cache-control" not in names:
                    extra.append(_NO_STORE)
                message = {**message, "headers": headers + extra}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            get_logger().error(
                "unexpected error",
                path=scope.get("path"),
                error=type(exc).__name__,
                reason=mask(str(exc))[:500],
            )
            if started:
                raise
            body = json.dumps(
                {
                    "error": {
                        "code": "internal",
                        "message": "the server could not complete the request; it was logged",
                    }
                }
            ).encode()
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """413 for a body over the cap: by Content-Length at once, else when the stream passes it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _too_large(send, self.max_bytes)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, _too_large_message(self.max_bytes))
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _too_large_message(max_bytes: int) -> str:
    return (
        f"request body is over the {max_bytes / 1_048_576:g} MB limit: send fewer or smaller files "
        "(the server's CASEBOOK_MAX_REQUEST_MB)"
    )


async def _too_large(send: Send, max_bytes: int) -> None:
    payload: dict[str, Any] = {"error": {"code": "too_large", "message": _too_large_message(max_bytes)}}
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyTimeout:
    """408 when a request body pauses longer than `seconds` before it is complete.

    Only the body is timed: once it has all arrived, waits on `receive` (a streaming answer
    listening for the client to leave) are not.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        complete = False

        async def timed() -> Message:
            nonlocal complete
            if complete:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.seconds)
            except TimeoutError:
                raise HTTPException(
                    408,
                    f"the request body stopped arriving for {self.seconds:g} s: send it again",
                    headers={"Connection": "close"},
                ) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        await self.app(scope, timed, send)
