"""Bounded waits: slow headers and stalled bodies are cut off, large uploads take turns, and a
database that stops answering gives 503 + Retry-After (and a not-ready /ready) instead of hangs."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.server.api import AUTH, KEY, MD, Api, files_json, running_api
from tests.server.stall_proxy import StallProxy


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    settings = {"header_timeout_s": 0.5, "body_timeout_s": 0.5}
    with running_api(tmp_path_factory.mktemp("bounds"), settings=settings) as running:
        yield running


def connect(api: Api) -> socket.socket:
    host, port = api.base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    return sock


def read_all_until_answer(sock: socket.socket) -> bytes:
    """The first answer's status line and headers (the connection stays open: keep-alive)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes the connection (the socket's 30 s timeout is the bound)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_connection_that_never_finishes_its_headers_is_closed(api: Api) -> None:
    idle = connect(api)
    partial = connect(api)
    partial.sendall(b"POST /v1/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
    with idle, partial:
        assert read_all(idle) == b""  # closed by the server, never answered
        assert read_all(partial) == b""
    with httpx.Client(base_url=api.base_url) as c:  # and the server still serves others
        assert c.get("/health").status_code == 200


def test_a_body_that_stops_arriving_is_408(api: Api) -> None:
    sock = connect(api)
    head = (
        "POST /v1/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {KEY}\r\nContent-Length: 1000\r\n\r\n"
    )
    sock.sendall(head.encode() + b'{"company_name": "Stall')
    with sock:
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"request_timeout" in answer


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_large_uploads_take_turns(tmp_path: Path) -> None:
    boundary = "casebook-test-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="company_name"\r\n\r\nTurns Co\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="doc"; filename="big.md"\r\n'
        "Content-Type: text/markdown\r\n\r\n"
    ).encode() + MD * 1000 + f"\r\n--{boundary}--\r\n".encode()
    assert len(body) > 0.05 * 1024 * 1024
    head = (
        "POST /v1/submissions HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Authorization: Bearer {KEY}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    headers = {**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    settings = {"max_large_uploads": 1, "large_upload_mb": 0.05, "large_upload_wait_s": 0.5}
    with running_api(tmp_path, settings=settings) as api, httpx.Client(base_url=api.base_url, timeout=30) as c:
        slots = api.app.state.ctx.uploads
        holder = connect(api)
        holder.sendall(head + body[:1000])  # takes the one slot, then its body trickles in
        wait_for(lambda: slots._semaphore is not None and slots._semaphore.locked())
        waited = c.post("/v1/submissions", content=body, headers=headers)
        small = c.post("/v1/submissions", headers=AUTH, json={"company_name": "Small Co",
                                                              "files": files_json(("a.md", MD))})
        holder.sendall(body[1000:])  # the held upload finishes and gives its slot back
        with holder:
            held = read_all_until_answer(holder)
        after = c.post("/v1/submissions", content=body, headers=headers)
    assert waited.status_code == 503 and waited.json()["error"]["code"] == "busy", waited.text
    assert waited.headers["retry-after"]
    assert small.status_code == 202  # small bodies never wait for a slot
    assert held.startswith(b"HTTP/1.1 202"), held[:200]
    assert after.status_code == 202, after.text


def test_a_database_that_stops_answering_gives_503_not_a_hang(tmp_path: Path, pg_database: str) -> None:
    body = {"company_name": "Outage Co", "files": files_json(("a.md", MD))}
    keyed = {**AUTH, "Idempotency-Key": "outage-1"}
    real = urlsplit(pg_database)  # a fresh database on the tests' PostgreSQL (tests/postgres.py)
    with StallProxy(real.hostname or "127.0.0.1", real.port or 5432) as proxy:
        url = urlunsplit(real._replace(netloc=f"{real.username}@127.0.0.1:{proxy.port}"))
        with running_api(tmp_path, settings={"database_url": url}) as api, \
                httpx.Client(base_url=api.base_url, timeout=httpx.Timeout(15)) as c:
            before = c.post("/v1/submissions", json={**body, "company_name": "Before Co"}, headers=AUTH)
            assert before.status_code == 202, before.text
            assert c.get("/ready").status_code == 200
            proxy.stall()
            try:
                ready = c.get("/ready")
                submitted = c.post("/v1/submissions", json=body, headers=keyed)
                status = c.get(before.json()["status_url"], headers=AUTH)
            finally:
                proxy.resume()
            resent = c.post("/v1/submissions", json=body, headers=keyed)
            after = c.get("/ready")
    # /ready answered by its own bound (0.8 s), not by the stalled database: the check says so.
    assert ready.status_code == 503, ready.text
    assert ready.json()["checks"]["database"] == "timeout: no answer within 0.8 s", ready.text
    assert ready.headers["retry-after"]
    assert ready.json()["checks"]["storage"] == "ok"
    assert submitted.status_code == 503 and submitted.headers["retry-after"], submitted.text
    assert submitted.json()["error"]["code"] == "queue_unavailable"
    assert "same Idempotency-Key" in submitted.json()["error"]["message"]
    assert status.status_code == 503 and status.json()["error"]["code"] == "database_unavailable"
    assert resent.status_code == 202 and resent.json()["run_id"] == submitted.json()["error"]["run_id"]
    assert after.status_code == 200
