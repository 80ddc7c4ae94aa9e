"""The Chat Completions wire format, shared by FakeLLM (in-process) and FakeOpenAIServer.

A handler (or a scripted queue) turns a parsed request body into a reply: the answer
text, a dict (sent as its JSON text), or a `FakeResponse` for errors, delays, raw bodies.
`render` turns that into status, headers and body bytes (JSON or SSE).
"""

from __future__ import annotations

import itertools
import json
import math
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

CREATED = 1_700_000_000  # fixed timestamp: payloads are deterministic apart from ids
CHARS_PER_TOKEN = 4
STREAM_PIECE_CHARS = 24

_ERRORS = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", None, "You are not allowed to use this resource."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    408: ("timeout", None, "Request timed out."),
    429: ("rate_limit_exceeded", "rate_limit_exceeded", "Rate limit reached. Please retry."),
    500: ("server_error", None, "The server had an error while processing your request."),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded."),
}


@dataclass
class FakeResponse:
    """A scripted HTTP reply.

    status != 200: an error; `body` (dict -> JSON, str/bytes raw) or an OpenAI-style error.
    status == 200 with `body`: that raw body (e.g. malformed JSON) instead of a completion.
    status == 200 without `body`: a normal completion whose answer is `content`.
    `delay_s` waits before answering (longer than the client timeout -> a timeout);
    `usage=False` leaves usage out of the completion; `finish_reason` is reported as given.
    """

    status: int = 200
    headers: dict[str, str] | None = None
    body: str | bytes | dict[str, Any] | None = None
    content: str | dict[str, Any] | None = None
    delay_s: float = 0.0
    usage: bool = True
    finish_reason: str = "stop"


Reply = str | dict[str, Any] | FakeResponse
TAGS = "_casebook"  # the X-Casebook-* headers, as the fakes record them beside the body


def tag_request(body: dict[str, Any], headers: Any) -> dict[str, Any]:
    """The parsed body with the client's X-Casebook-Step / -Item headers under `_casebook`.

    Only the fakes add it (the body on the wire never holds it), so handlers and tests can tell
    which step a request belongs to without matching prompt wording: see `step_of`.
    """
    step = headers.get("X-Casebook-Step")
    item = headers.get("X-Casebook-Item")
    if isinstance(body, dict) and step:
        body[TAGS] = {"step": step, "item": int(item) if item and item.isdigit() else None}
    return body


def step_of(request: dict[str, Any]) -> str:
    """The step a recorded request belongs to ("evidence", "part_b" …), or "" if untagged."""
    return str((request.get(TAGS) or {}).get("step") or "")


def item_of(request: dict[str, Any]) -> int | None:
    """The item of a step's request (Part B: the use case number), if the client gave one."""
    value = (request.get(TAGS) or {}).get("item")
    return int(value) if value is not None else None
Handler = Callable[[dict[str, Any]], Reply]


@dataclass
class Rendered:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    events: list[bytes] | None = None  # SSE events, when streaming
    delay_s: float = 0.0


def estimate_tokens(chars: int) -> int:
    return max(1, math.ceil(chars / CHARS_PER_TOKEN)) if chars else 0


def message_text(request: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for message in request.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts += [str(p.get("text", "")) for p in content if isinstance(p, dict)]
    return texts


def prompt_tokens(request: dict[str, Any]) -> int:
    messages = request.get("messages") or []
    return sum(estimate_tokens(len(t)) for t in message_text(request)) + 3 * len(messages)


def usage_for(request: dict[str, Any], content: str) -> dict[str, int]:
    prompt, completion = prompt_tokens(request), estimate_tokens(len(content))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def completion_payload(
    request: dict[str, Any],
    content: str,
    *,
    call_id: str,
    include_usage: bool = True,
    finish_reason: str = "stop",
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": call_id,
        "object": "chat.completion",
        "created": CREATED,
        "model": str(request.get("model", "fake")),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "system_fingerprint": "fp_casebook_fake",
    }
    if include_usage:
        payload["usage"] = usage_for(request, content)
    return payload


def chunk_payloads(
    request: dict[str, Any],
    content: str,
    *,
    call_id: str,
    include_usage: bool = True,
    finish_reason: str = "stop",
) -> list[dict[str, Any]]:
    """The chunks of a streamed answer; the usage chunk (no choices) only when the request
    asked for it with stream_options.include_usage."""
    model = str(request.get("model", "fake"))

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": call_id,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    chunks = [chunk({"role": "assistant", "content": ""}, None)]
    for start in range(0, len(content), STREAM_PIECE_CHARS):
        chunks.append(chunk({"content": content[start : start + STREAM_PIECE_CHARS]}, None))
    chunks.append(chunk({}, finish_reason))
    wants_usage = bool((request.get("stream_options") or {}).get("include_usage"))
    if include_usage and wants_usage:
        chunks.append(
            {
                "id": call_id,
                "object": "chat.completion.chunk",
                "created": CREATED,
                "model": model,
                "choices": [],
                "usage": usage_for(request, content),
            }
        )
    return chunks


def sse_events(chunks: Iterable[dict[str, Any]]) -> list[bytes]:
    events = [f"data: {json.dumps(c, ensure_ascii=False)}\n\n".encode() for c in chunks]
    return [*events, b"data: [DONE]\n\n"]


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    kind, code, default = _ERRORS.get(status, ("api_error", None, f"HTTP {status}"))
    return {"error": {"message": message or default, "type": kind, "param": None, "code": code}}


def _as_bytes(body: str | bytes | dict[str, Any]) -> bytes:
    if isinstance(body, dict):
        return json.dumps(body).encode()
    return body if isinstance(body, bytes) else body.encode()


def _content_text(content: str | dict[str, Any] | None) -> str:
    if isinstance(content, dict):
        return json.dumps(content, ensure_ascii=False)
    return content or ""


def render(request: dict[str, Any], reply: Reply, *, call_id: str) -> Rendered:
    """HTTP status, headers and body for `reply` to `request`."""
    response = reply if isinstance(reply, FakeResponse) else FakeResponse(content=reply)
    headers = {"x-request-id": f"req_{call_id}"}
    headers.update(response.headers or {})
    if response.status != 200 or response.body is not None:
        body = response.body if response.body is not None else error_body(response.status)
        headers.setdefault("content-type", "application/json")
        return Rendered(response.status, headers, _as_bytes(body), delay_s=response.delay_s)
    text = _content_text(response.content)
    if request.get("stream"):
        chunks = chunk_payloads(
            request,
            text,
            call_id=call_id,
            include_usage=response.usage,
            finish_reason=response.finish_reason,
        )
        headers["content-type"] = "text/event-stream"
        return Rendered(200, headers, events=sse_events(chunks), delay_s=response.delay_s)
    payload = completion_payload(
        request,
        text,
        call_id=call_id,
        include_usage=response.usage,
        finish_reason=response.finish_reason,
    )
    headers["content-type"] = "application/json"
    return Rendered(200, headers, _as_bytes(payload), delay_s=response.delay_s)


def models_payload(names: Iterable[str] = ("fake-model",)) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": CREATED, "owned_by": "casebook"}
            for name in names
        ],
    }


@dataclass
class Script:
    """Scripted replies (used first, in order), then the handler. Thread-safe."""

    handler: Handler
    queue: deque[Reply] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def enqueue(self, *answers: Reply) -> None:
        with self._lock:
            self.queue.extend(answers)

    def reply(self, request: dict[str, Any]) -> tuple[Reply, str]:
        """Record `request`; its reply and a call id."""
        with self._lock:
            self.requests.append(request)
            scripted = self.queue.popleft() if self.queue else None
            call_id = f"chatcmpl-fake{next(self._ids):06d}"
        if scripted is not None:
            return scripted, call_id
        return self.handler(request), call_id
