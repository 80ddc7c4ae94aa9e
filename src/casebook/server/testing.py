"""Run the API for tests, examples and benchmarks: in a thread, or as a `casebook serve` process.

with ServerThread(create_app(settings, server)) as base_url: ...
with ServerProcess(env, "--with-worker") as proc: ... proc.kill(); proc.wait()
headers = sign_webhook("whsec_…", body, msg_id="msg_1")
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from standardwebhooks.webhooks import Webhook

# `casebook serve` whether or not cli.py imports cli_serve yet.
SERVE = "import casebook.cli.serve; from casebook.cli import main; main()"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_up(base_url: str, timeout: float, alive: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError("the server stopped before it answered")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{base_url} did not answer /health within {timeout:g} s")


class ServerThread:
    """uvicorn serving an app on loopback in a background thread of this process."""

    def __init__(self, app: Any, port: int | None = None, **config: Any) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        from casebook.server.protocol import HeaderTimeoutProtocol

        options = {"log_level": "warning", "lifespan": "on", "http": HeaderTimeoutProtocol, **config}
        config_ = uvicorn.Config(app, host="127.0.0.1", port=self.port, **options)
        self.server = uvicorn.Server(config_)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server thread did not start (see its log)")
            time.sleep(0.02)
        return self.base_url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


class ServerProcess:
    """`casebook serve` in a child process on a free loopback port."""

    def __init__(self, env: dict[str, str], *args: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.args = [sys.executable, "-c", SERVE, "serve", "--port", str(self.port), *args]
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        # A file, not a pipe: a full pipe would stall the server.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()

    def start(self, timeout: float = 300) -> ServerProcess:
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        alive = lambda: self.proc is not None and self.proc.poll() is None  # noqa: E731
        try:
            wait_until_up(self.base_url, timeout, alive=alive)
        except (RuntimeError, TimeoutError) as exc:
            self.stop()
            raise RuntimeError(f"{exc}: {self.output()}") from None
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        """Everything the process wrote so far (stdout and stderr)."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def __enter__(self) -> ServerProcess:
        # Started already (`ServerProcess(...).start(timeout=…)` then `with`): a second start would
        # leave the first process running, serving the port, unsupervised.
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.log.close()


def sign_webhook(secret: str, body: bytes, *, msg_id: str, timestamp: datetime | None = None) -> dict[str, str]:
    """Standard Webhooks headers for a body, as a form provider would send them."""
    when = timestamp or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, when, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }
