"""`casebook serve`: the HTTP API and webhook intake, optionally with a worker in-process."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from casebook.cli.app import command, err, settings_for_command
from casebook.extras import require

if TYPE_CHECKING:
    import uvicorn

HostOpt = Annotated[str, typer.Option("--host", help="Address to listen on")]
PortOpt = Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on")]
WithWorkerOpt = Annotated[
    bool, typer.Option("--with-worker", help="Also take queued runs in this process (one machine)")
]
InsecureOpt = Annotated[
    bool, typer.Option("--insecure-no-auth", help="Serve /v1 without API keys (trusted networks)")
]
AccessLogOpt = Annotated[bool, typer.Option("--access-log", help="Log every request line")]
WorkersOpt = Annotated[
    int, typer.Option("--workers", min=1, max=32, help="Server processes (limits: per process)")
]


@command
def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    with_worker: WithWorkerOpt = False,
    insecure_no_auth: InsecureOpt = False,
    access_log: AccessLogOpt = False,
    workers: WorkersOpt = 1,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs): submissions, webhooks, status, progress, reports."""
    require("server", "casebook serve")
    import uvicorn

    from casebook import engine
    from casebook.server import create_app  # the web stack is imported by `serve` alone
    from casebook.server.options import server_settings
    from casebook.server.protocol import HeaderTimeoutProtocol

    settings = settings_for_command()
    server = server_settings(settings)
    if insecure_no_auth:
        server = server.model_copy(update={"insecure_no_auth": True})
        os.environ["CASEBOOK_INSECURE_NO_AUTH"] = "true"  # seen by --workers processes too
    app = create_app(settings, server)  # refuses at once without API keys (ConfigError)
    if not server.api_keys:
        err.print("[yellow]warning:[/yellow] /v1 is served WITHOUT authentication")
    if workers > 1:
        engine.prepare_database(settings)  # once, before the processes start
    worker = (
        engine.launched(
            settings, executor_id=engine.worker_executor_id(settings), take_queued_work=True
        )
        if with_worker
        else contextlib.nullcontext()
    )
    err.print(
        f"casebook API on http://{host}:{port} (docs at /docs)"
        + (f", {workers} processes" if workers > 1 else "")
        + (f", worker {engine.worker_executor_id(settings)}" if with_worker else ""),
        highlight=False,
    )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": access_log,
        "log_level": "warning",
        "server_header": False,
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http": HeaderTimeoutProtocol,  # httptools, with a time limit on request headers
        "timeout_graceful_shutdown": 10,
    }
    with worker:
        if with_worker and workers == 1:
            for sig in (signal.SIGINT, signal.SIGTERM):  # while the worker drains: a second signal hurries it
                signal.signal(sig, lambda *_: engine.request_stop())
            _server_with_worker(uvicorn.Config(app, **options)).run()
            grace = settings.shutdown_grace_s
            err.print(
                f"worker {engine.worker_executor_id(settings)} stopping: steps in flight may finish "
                f"(up to {grace:g} s)",
                markup=False,
            )
        else:
            uvicorn.run(
                "casebook.server.app:worker_app" if workers > 1 else app,
                factory=workers > 1,
                workers=workers,
                **options,
            )


def _server_with_worker(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn's server, but a signal also stops the worker in this process gracefully (no new
    step; the steps in flight finish within CASEBOOK_SHUTDOWN_GRACE_S once the server is down).
    uvicorn itself raises the signal again after its shutdown, which would end the process
    before its runs stop resumably: here it is not raised again."""
    import uvicorn

    from casebook import engine

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            engine.request_stop()
            super().handle_exit(sig, frame)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            originals = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in originals.items():
                    signal.signal(sig, handler)

    return Server(config)
