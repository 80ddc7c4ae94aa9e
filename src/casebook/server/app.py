"""The ASGI app: `create_app(settings)` wires settings, the one Engine, middleware and routes."""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casebook import __version__
from casebook.config import Settings, get_settings
from casebook.engine import Engine
from casebook.errors import ConfigError, LimitExceeded
from casebook.logs import configure_logging, get_logger, register_secret
from casebook.server import routes_intake, routes_ops, routes_providers, routes_review, routes_runs
from casebook.server.accept import reconcile_queued
from casebook.server.context import ServerContext, UploadSlots
from casebook.server.errors import install_error_handlers
from casebook.server.mapping import Mappings
from casebook.server.metrics import Metrics
from casebook.server.middleware import BodyLimit, BodyTimeout, SecurityHeaders
from casebook.server.openapi import build_openapi
from casebook.server.options import ServerSettings, resolve_options
from casebook.server.protocol import set_header_timeout
from casebook.server.security import RateLimiter
from casebook.storage import Storage


def create_app(settings: Settings | None = None, server: ServerSettings | None = None) -> FastAPI:
    """The API; raises ConfigError at once for settings it cannot serve with (e.g. no API keys)."""
    settings = settings or get_settings()
    options = resolve_options(settings, server)
    provider_secrets = (settings.typeform_secret, settings.typeform_token, settings.tally_secret)
    for secret in (
        *(k.decode() for k in options.api_keys),
        options.webhook_secret,
        *(s.get_secret_value() for s in provider_secrets if s is not None),
    ):
        register_secret(secret)  # masked in every log line, should one ever carry it
    check_startup(settings)
    mappings = Mappings.load(options.webhook_mappings_file)
    metrics = Metrics()
    set_header_timeout(settings.header_timeout_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = options.threads
        engine = await anyio.to_thread.run_sync(_open_engine, settings)
        if settings.test_fault == "exit-before-enqueue":
            _exit_before_enqueue(engine)
        app.state.ctx = ServerContext(
            settings=settings,
            options=options,
            engine=engine,
            storage=Storage(settings.storage_url),
            limiter=RateLimiter(options),
            metrics=metrics,
            mappings=mappings,
            uploads=UploadSlots(
                settings.max_large_uploads, int(settings.large_upload_mb * 1024 * 1024), settings.large_upload_wait_s
            ),
        )
        get_logger().info("server ready", auth=options.auth_required, webhooks=options.webhook_secret is not None)
        gc.freeze()  # what start-up made lives as long as the process: full collections skip it
        reconciling = asyncio.create_task(_reconcile(app.state.ctx))
        try:
            yield
        finally:
            reconciling.cancel()
            await app.state.ctx.stores.close()
            await app.state.ctx.queue.close()
            await anyio.to_thread.run_sync(engine.close)

    app = FastAPI(
        title="casebook",
        version=__version__,
        lifespan=lifespan,
        description="AI-readiness reports: submissions in; status, progress and reports out.",
    )
    install_error_handlers(app)
    app.include_router(routes_providers.router)  # before /v1/webhooks/{source}
    app.include_router(routes_intake.router)
    app.include_router(routes_runs.router)
    app.include_router(routes_review.router)
    app.include_router(routes_ops.router)
    app.openapi = lambda: _openapi(app, settings)  # type: ignore[method-assign]
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.add_middleware(BodyLimit, max_bytes=options.max_request_bytes)
    app.add_middleware(BodyTimeout, seconds=settings.body_timeout_s)
    if options.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(options.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"],
            expose_headers=["Location", "Retry-After", "Idempotent-Replayed"],
            max_age=600,
        )
    if settings.web:
        from casebook.web import install as install_web

        install_web(app, settings, options)
    app.add_middleware(SecurityHeaders)
    return app


def _openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
    if app.openapi_schema is None:
        app.openapi_schema = build_openapi(app, settings)
    return app.openapi_schema


def check_startup(settings: Settings) -> None:
    """What would otherwise fail every run after it had been accepted: refused at start-up."""
    from casebook.runs.admission import check_priced
    from casebook.runs.runner import resolve_model_set

    try:
        default = resolve_model_set(settings, None)
    except ConfigError:
        return  # no endpoint and no local set: each submission is told so
    try:
        check_priced(settings, default)
    except LimitExceeded as exc:
        raise ConfigError(f"the default model set cannot run: {exc}") from None


async def _reconcile(ctx: ServerContext) -> None:
    """Queue the runs a crash left recorded as queued but not in the queue."""
    try:
        queued = await anyio.to_thread.run_sync(
            reconcile_queued, ctx.engine, ctx.settings, ctx.settings.reconcile_grace_s, abandon_on_cancel=True
        )
    except Exception as exc:  # the database or storage is unreachable: the next start-up tries again
        get_logger().warning("could not check for runs left unqueued", error=type(exc).__name__)
        return
    if queued:
        get_logger().warning("queued runs a crash had left unqueued", runs=queued)


def _exit_before_enqueue(engine: Engine) -> None:
    """Tests only (CASEBOOK_TEST_FAULT=exit-before-enqueue): die between the manifest's record of
    the workflow and the workflow's insert, as a crash there would."""

    def insert_attempt(*args: Any, **kwargs: Any) -> Any:
        os._exit(86)

    engine.insert_attempt = insert_attempt  # type: ignore[method-assign]
    engine.insert_attempts = insert_attempt  # type: ignore[method-assign]


def worker_app() -> FastAPI:
    """The app of each `casebook serve --workers N` process: settings and logs as the CLI has them."""
    settings = get_settings()
    configure_logging(settings)
    return create_app(settings)


def _open_engine(settings: Settings) -> Engine:
    """The workflow database made ready, then the app's one client."""
    return Engine(settings)  # creates or upgrades the tables first


class RequestMetrics:
    """Counts answers by route template (never by raw path: ids would explode the label set)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.request(scope["method"], route, status, time.perf_counter() - t0)
