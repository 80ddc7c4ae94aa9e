"""FakeLLM: an in-process Chat Completions endpoint on httpx.MockTransport, for tests.

    fake = FakeLLM()                       # answers with schema_answer by default
    fake.enqueue("first answer", FakeResponse(status=429, headers={"Retry-After": "0"}))
    client = LLMClient(base_url=fake.base_url, api_key=None, ledger=ledger,
                       http_client=fake.http_client())
    ...
    fake.requests[0]["messages"]           # what was asked

No sockets, no timeouts (MockTransport does not enforce them): use FakeOpenAIServer
for timeout and real-HTTP behaviour.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import httpx

from casebook.testing.answers import schema_answer, source_ids
from casebook.testing.wire import (
    FakeResponse,
    Handler,
    Reply,
    Script,
    error_body,
    models_payload,
    render,
    tag_request,
)

if TYPE_CHECKING:
    from casebook.llm.client import LLMClient
    from casebook.llm.usage import UsageLedger

__all__ = ["FakeLLM", "FakeResponse", "schema_answer", "source_ids"]


class FakeLLM:
    base_url = "http://fake-llm.invalid/v1"

    def __init__(self, handler: Handler | None = None) -> None:
        self._script = Script(handler or schema_answer)

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self._script.requests

    @property
    def calls(self) -> int:
        return len(self._script.requests)

    def enqueue(self, *answers: Reply) -> None:
        self._script.enqueue(*answers)

    def http_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self._handle))

    def llm_client(self, ledger: UsageLedger, **kwargs: Any) -> LLMClient:
        """An LLMClient wired to this fake (keyword arguments go to LLMClient)."""
        from casebook.llm.client import LLMClient

        kwargs.setdefault("max_retries", 2)
        return LLMClient(
            base_url=self.base_url,
            api_key=kwargs.pop("api_key", None),
            ledger=ledger,
            http_client=self.http_client(),
            **kwargs,
        )

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path.endswith("/models"):
            return httpx.Response(200, json=models_payload())
        if request.method != "POST" or not path.endswith("/chat/completions"):
            return httpx.Response(404, json=error_body(404, f"no route {request.method} {path}"))
        try:
            body = tag_request(json.loads(await request.aread()), request.headers)
        except json.JSONDecodeError:
            return httpx.Response(400, json=error_body(400, "request body is not JSON"))
        try:
            reply, call_id = self._script.reply(body)
            rendered = render(body, reply, call_id=call_id)
        except Exception as exc:  # a failing handler is a 500, as a real server would
            return httpx.Response(500, json=error_body(500, f"fake handler failed: {exc!r}"))
        if rendered.delay_s:
            await asyncio.sleep(rendered.delay_s)
        content = b"".join(rendered.events) if rendered.events is not None else rendered.body
        return httpx.Response(rendered.status, headers=rendered.headers, content=content)
