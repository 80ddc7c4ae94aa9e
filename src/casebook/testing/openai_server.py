"""FakeOpenAIServer: a real HTTP server on loopback speaking Chat Completions, for tests
and benchmarks. Serves POST /v1/chat/completions (JSON and SSE) and GET /v1/models.

In-process:
    with FakeOpenAIServer(delay_s=0.1) as server:
        client = LLMClient(base_url=server.base_url, api_key=None, ledger=ledger)
        server.enqueue(FakeResponse(status=429, headers={"Retry-After": "1"}))

As a process (prints its base_url as the first line of stdout):
    python -m casebook.testing.openai_server --port 0 --delay 0.5 --counter-file calls.jsonl

With a counter file, every completed call (HTTP 200 fully sent) appends one JSON line
{"step": <X-Casebook-Step>, "item": <X-Casebook-Item or null>, "step_hint": <first 80 chars of the last user message>,
 "sha": <sha256 of the messages>}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import select
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from casebook.testing.answers import schema_answer
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

__all__ = ["FakeOpenAIServer", "FakeResponse", "call_record"]


def call_record(request: dict[str, Any]) -> dict[str, Any]:
    """The counter-file line for a request."""
    messages = request.get("messages") or []
    last_user = next(
        (
            m.get("content")
            for m in reversed(messages)
            if isinstance(m, dict) and m.get("role") == "user"
        ),
        "",
    )
    if not isinstance(last_user, str):
        last_user = json.dumps(last_user, ensure_ascii=False)
    digest = hashlib.sha256(
        json.dumps(messages, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    tags = request.get("_casebook") or {}
    return {"step": tags.get("step") or "", "item": tags.get("item"), "step_hint": last_user[:80], "sha": digest}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, {"content-type": "application/json"}, json.dumps(payload).encode())

    def _peer_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(200, models_payload())
        else:
            self._send_json(404, error_body(404, f"no route GET {self.path}"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, error_body(404, f"no route POST {self.path}"))
            return
        try:
            request = tag_request(json.loads(raw), self.headers)
        except json.JSONDecodeError:
            self._send_json(400, error_body(400, "request body is not JSON"))
            return
        owner = self.server.owner
        try:
            reply, call_id = owner._script.reply(request)
            rendered = render(request, reply, call_id=call_id)
        except Exception as exc:
            self._send_json(500, error_body(500, f"fake handler failed: {exc!r}"))
            return
        delay = owner.delay_s + rendered.delay_s
        if delay:
            time.sleep(delay)
            if self._peer_gone():
                return  # the client gave up (its timeout): not a completed call
        try:
            if rendered.events is None:
                self._send(rendered.status, rendered.headers, rendered.body)
            else:
                self.send_response(rendered.status)
                for name, value in rendered.headers.items():
                    self.send_header(name, value)
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                for event in rendered.events:
                    self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up (e.g. its timeout): not a completed call
        owner._completed(request, rendered.status)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # many concurrent clients connect at once (default 5)
    owner: FakeOpenAIServer


class FakeOpenAIServer:
    def __init__(
        self,
        handler: Handler = schema_answer,
        *,
        delay_s: float = 0.0,
        script: list[Reply] | None = None,
        counter_file: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.delay_s = delay_s
        self.counter_file = Path(counter_file) if counter_file is not None else None
        self._script = Script(handler)
        if script:
            self._script.enqueue(*script)
        self._lock = threading.Lock()
        self.completed = 0
        self.completed_requests: list[dict[str, Any]] = []  # answered in full (the client took the reply)
        self._httpd = _Server((host, port), _Handler)
        self._httpd.owner = self
        self._thread: threading.Thread | None = None
        bound_host, bound_port = self._httpd.server_address[:2]
        self.base_url = f"http://{bound_host!s}:{bound_port}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self._script.requests

    @property
    def calls(self) -> int:
        """Chat completion requests received (answered or not); `completed` counts the
        ones answered with HTTP 200."""
        return len(self._script.requests)

    def enqueue(self, *answers: Reply) -> None:
        self._script.enqueue(*answers)

    def wait_completed(self, count: int, timeout: float = 5.0) -> int:
        """Wait until `count` answers were fully sent (a client may read one before the server
        thread has counted it); returns the count reached."""
        deadline = time.monotonic() + timeout
        while self.completed < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.completed

    def _completed(self, request: dict[str, Any], status: int) -> None:
        if status != 200:
            return
        with self._lock:
            self.completed += 1
            self.completed_requests.append(request)
            if self.counter_file is not None:
                record = call_record(request)
                with self.counter_file.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    out.flush()

    def start(self) -> FakeOpenAIServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="fake-openai-server",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m casebook.testing.openai_server",
        description="A fake OpenAI Chat Completions server answering with schema_answer.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--counter-file", type=Path, default=None)
    args = parser.parse_args(argv)
    server = FakeOpenAIServer(
        delay_s=args.delay, counter_file=args.counter_file, host=args.host, port=args.port
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    print(server.base_url, flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
