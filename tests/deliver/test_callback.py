"""Callbacks: Standard Webhooks signatures checked by the library's own verifier, retries with
backoff against a real loopback receiver, and refusals that send nothing at all.

Only loopback traffic is allowed here. Every test runs with connections and name lookups
watched: anything that would reach beyond loopback fails the test instead of being sent.
"""

from __future__ import annotations

import base64
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpcore
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from casebook.deliver import (
    CallbackRefused,
    CallbackTarget,
    DeliveryConfig,
    Destination,
    FolderTarget,
    check_url,
    deliver_run,
)
from casebook.deliver import callback as callback_module
from casebook.deliver.callback import address_refusal, send_callback
from casebook.testing.fake_drive import make_tls_certificate

SECRET = "whsec_" + base64.b64encode(b"casebook-test-signing-secret-32b").decode()
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class Receiver:
    """A webhook receiver on 127.0.0.1 answering scripted statuses (then 200)."""

    def __init__(
        self, statuses: list[int] | None = None, tls: tuple[Path, Path] | None = None
    ) -> None:
        self.statuses = list(statuses or [])
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, host: str = "127.0.0.1", path: str = "/hooks/casebook?token=SECRET-TOKEN") -> str:
        return f"{self.scheme}://{host}:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def watched_network(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Records every connection and lookup; one beyond loopback fails the test unsent."""
    seen: dict[str, list[Any]] = {"connect": [], "resolve": []}
    connect = httpcore.AnyIOBackend.connect_tcp

    async def guarded_connect(self: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        seen["connect"].append(host)
        if host not in LOOPBACK:
            raise AssertionError(f"a test tried to connect to {host}")
        return await connect(self, host, port, *args, **kwargs)

    getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        seen["resolve"].append(name)
        if name not in LOOPBACK:
            raise AssertionError(f"a test tried to look up {host}")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    return seen


def config(**overrides: Any) -> DeliveryConfig:
    values: dict[str, Any] = {
        "callback_secret": SECRET,
        "callback_attempts": 3,
        "callback_backoff_s": 0.01,
        "callback_max_backoff_s": 0.05,
        "callback_timeout_s": 5,
    }
    values.update(overrides)
    return DeliveryConfig(**values)


PAYLOAD = {"type": "run.completed", "timestamp": "2026-11-25T12:00:00Z", "data": {"run_id": "r1"}}


async def test_event_is_signed_per_standard_webhooks(receiver: Receiver) -> None:
    target = CallbackTarget(url=receiver.url())
    outcome = await send_callback(
        target, "run.completed", PAYLOAD, msg_id="r1:run.completed", config=config()
    )
    assert outcome.status == "done" and outcome.attempts == 1, outcome.error
    assert outcome.event == "run.completed"
    assert (
        outcome.destination
        == f"callback:http://127.0.0.1:{receiver.server.server_address[1]}/hooks/casebook"
    )
    assert "SECRET-TOKEN" not in outcome.model_dump_json()  # the query is never recorded

    headers, body = receiver.requests[0]
    assert Webhook(SECRET).verify(body, headers) == PAYLOAD
    assert headers["webhook-id"] == "r1:run.completed"
    assert headers["content-type"] == "application/json"
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body.replace(b"r1", b"r2"), headers)
    other = "whsec_" + base64.b64encode(b"another-secret-another-secret-32").decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(body, headers)


async def test_a_500_is_retried_with_the_same_webhook_id() -> None:
    server = Receiver(statuses=[500, 503])
    try:
        outcome = await send_callback(
            CallbackTarget(url=server.url()),
            "run.completed",
            PAYLOAD,
            msg_id="r1:run.completed",
            config=config(),
        )
    finally:
        server.close()
    assert outcome.status == "done" and outcome.attempts == 3
    assert [h["webhook-id"] for h, _ in server.requests] == ["r1:run.completed"] * 3
    for headers, body in server.requests:
        assert Webhook(SECRET).verify(body, headers) == PAYLOAD


async def test_retries_stop_and_the_failure_is_recorded() -> None:
    server = Receiver(statuses=[500] * 10)
    try:
        outcome = await send_callback(
            CallbackTarget(url=server.url()),
            "run.failed",
            PAYLOAD,
            msg_id="r1:run.failed",
            config=config(callback_attempts=4),
        )
    finally:
        server.close()
    assert outcome.status == "failed" and outcome.attempts == 4 and len(server.requests) == 4
    assert "HTTP 500" in (outcome.error or "")


@pytest.mark.parametrize(
    ("status", "reason"),
    [(400, "HTTP 400"), (410, "HTTP 410"), (307, "redirects are not followed")],
)
async def test_client_errors_and_redirects_are_not_retried(
    status: int, reason: str, watched_network: dict[str, list[Any]]
) -> None:
    server = Receiver(statuses=[status])
    try:
        outcome = await send_callback(
            CallbackTarget(url=server.url()),
            "run.completed",
            PAYLOAD,
            msg_id="r1:run.completed",
            config=config(),
        )
    finally:
        server.close()
    assert outcome.status == "failed" and outcome.attempts == 1 and len(server.requests) == 1
    assert reason in (outcome.error or "")
    assert watched_network["connect"] == ["127.0.0.1"]  # the redirect's Location was not visited


async def test_an_unreachable_receiver_is_retried_then_recorded() -> None:
    outcome = await send_callback(
        CallbackTarget(url="http://127.0.0.1:9/hook"),
        "run.completed",
        PAYLOAD,
        msg_id="r1:run.completed",
        config=config(),
    )
    assert outcome.status == "failed" and outcome.attempts == 3
    assert "cannot reach http://127.0.0.1:9/hook" in (outcome.error or "")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.1/hook", "only allowed to loopback"),
        ("http://example.com/hook", "only allowed to loopback"),
        ("http://192.168.1.20:8080/hook", "only allowed to loopback"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://10.0.0.1/hook", "private"),
        ("https://172.16.5.4/hook", "private"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
        ("https://[fd00::1]/hook", "private"),
        ("https://100.64.0.1/hook", "private or reserved"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://224.0.0.1/hook", "multicast"),
        ("ftp://example.com/hook", "must be https"),
        ("file:///etc/passwd", "must be https"),
    ],
)
async def test_refused_urls_send_nothing(
    url: str, reason: str, watched_network: dict[str, list[Any]]
) -> None:
    with pytest.raises(CallbackRefused, match=reason):
        check_url(url, allow_private=False)
    target = CallbackTarget.model_construct(url=url)  # as if it had passed an earlier check
    outcome = await send_callback(
        target, "run.completed", PAYLOAD, msg_id="r1:run.completed", config=config()
    )
    assert outcome.status == "failed" and outcome.attempts == 0
    assert reason in (outcome.error or "")
    assert watched_network == {"connect": [], "resolve": []}


async def test_link_local_stays_refused_when_private_networks_are_allowed(
    watched_network: dict[str, list[Any]],
) -> None:
    allowed = config(callback_allow_private=True)
    with pytest.raises(ValueError, match="link-local"):
        CallbackTarget(url="https://169.254.169.254/latest/meta-data/")
    target = CallbackTarget.model_construct(url="https://169.254.169.254/latest/meta-data/")
    outcome = await send_callback(target, "run.completed", PAYLOAD, msg_id="x", config=allowed)
    assert outcome.status == "failed" and "link-local" in (outcome.error or "")
    # a private address is then allowed (checked without connecting: nothing listens there)
    assert address_refusal("10.0.0.1", loopback_only=False, allow_private=True) is None
    assert address_refusal("10.0.0.1", loopback_only=True, allow_private=True) is not None
    check_url("https://10.0.0.1/hook", allow_private=True)
    assert watched_network == {"connect": [], "resolve": []}


@pytest.mark.parametrize(
    "answers", [["10.0.0.7"], ["93.184.216.34", "10.0.0.7"], ["169.254.169.254"]]
)
async def test_every_resolved_address_is_checked_before_connecting(
    answers: list[str], watched_network: dict[str, list[Any]]
) -> None:
    asked: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers

    target = CallbackTarget(url="https://hooks.customer.test/casebook")
    outcome = await send_callback(
        target, "run.completed", PAYLOAD, msg_id="x", config=config(), resolver=resolver
    )
    assert outcome.status == "failed" and "resolves to" in (outcome.error or "")
    assert asked == ["hooks.customer.test"]  # the guard sits in the connection path
    assert watched_network["connect"] == []


async def test_https_goes_to_the_checked_address_with_the_host_name_for_tls(tmp_path: Path) -> None:
    cert, key = make_tls_certificate(tmp_path)
    server = Receiver(tls=(cert, key))
    pinned: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        pinned.append(host)
        return ["127.0.0.1"]

    try:
        outcome = await send_callback(
            CallbackTarget(url=server.url(host="localhost")),
            "run.completed",
            PAYLOAD,
            msg_id="r1:run.completed",
            config=config(callback_ca_certs=str(cert)),
            resolver=resolver,
        )
    finally:
        server.close()
    assert outcome.status == "done", outcome.error
    assert pinned == ["localhost"]
    headers, body = server.requests[0]
    assert headers["host"].startswith("localhost:")
    assert Webhook(SECRET).verify(body, headers) == PAYLOAD


async def test_no_secret_means_no_unsigned_callback(receiver: Receiver) -> None:
    outcome = await send_callback(
        CallbackTarget(url=receiver.url()),
        "run.completed",
        PAYLOAD,
        msg_id="x",
        config=config(callback_secret=None),
    )
    assert outcome.status == "failed" and "CASEBOOK_CALLBACK_SECRET" in (outcome.error or "")
    assert receiver.requests == []


async def test_deliver_run_sends_completed_with_links_and_failed_without_files(
    receiver: Receiver, tmp_path: Path
) -> None:
    files = {"FINAL_REPORT_r1.md": b"# Report", "FINAL_REPORT_r1.ready": b"{}"}
    destinations: list[Destination] = [
        FolderTarget(path=str(tmp_path / "out")),
        CallbackTarget(url=receiver.url()),
    ]
    common: dict[str, Any] = {
        "run_id": "r1",
        "company_slug": "acme-1234",
        "company_name": "Acme",
        "config": config(),
    }
    outcomes = await deliver_run(
        destinations,
        files,
        status="succeeded",
        report_links=["s3://bucket/acme-1234/final/FINAL_REPORT_r1.md"],
        **common,
    )
    assert [o.status for o in outcomes] == ["done", "done"]
    headers, body = receiver.requests[-1]
    event = Webhook(SECRET).verify(body, headers)
    assert headers["webhook-id"] == "r1:run.completed" and event["type"] == "run.completed"
    data = event["data"]
    assert (
        data["run_id"] == "r1" and data["status"] == "succeeded" and data["company_name"] == "Acme"
    )
    assert data["report"]["files"] == ["FINAL_REPORT_r1.md"]
    assert data["report"]["links"][0] == "s3://bucket/acme-1234/final/FINAL_REPORT_r1.md"
    assert (tmp_path / "out" / "acme-1234" / "FINAL_REPORT_r1.md").as_uri() in data["report"][
        "links"
    ]
    assert data["deliveries"][0]["kind"] == "folder" and data["deliveries"][0]["status"] == "done"

    # a failed run: no files anywhere, one run.failed event
    failed = await deliver_run(
        destinations, {}, status="failed", error="part_b: HTTP 500", **common
    )
    assert [(o.kind, o.status) for o in failed] == [("callback", "done")]
    headers, body = receiver.requests[-1]
    event = Webhook(SECRET).verify(body, headers)
    assert headers["webhook-id"] == "r1:run.failed" and event["type"] == "run.failed"
    assert event["data"]["error"] == "part_b: HTTP 500" and event["data"]["report"]["files"] == []


def test_resolve_host_is_the_system_resolver_for_loopback_names() -> None:
    import anyio

    assert "127.0.0.1" in anyio.run(callback_module.resolve_host, "localhost", 80)
