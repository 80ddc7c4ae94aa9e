"""The HTTP API and webhook intake (`casebook serve`): FastAPI over the same calls as the CLI.

    create_app(settings=None, server=None) -> FastAPI      OpenAPI at /docs and /openapi.json

Decisions:
- Keys: every /v1 route but webhooks needs `Authorization: Bearer <key>` (CASEBOOK_API_KEYS,
  compared with hmac.compare_digest against every configured key, never logged). No usable
  credentials: 401 with WWW-Authenticate; a key that is not configured: 403.
- No keys configured: the server refuses to start, unless --insecure-no-auth (or
  CASEBOOK_INSECURE_NO_AUTH=true) says so explicitly; it then warns at start.
- Webhooks authenticate by Standard Webhooks signature alone (CASEBOOK_WEBHOOK_SECRET, 5 min
  tolerance); without a secret they answer 503. The webhook id is the run's idempotency key,
  so the run is the durable record of ids seen: a replayed id answers 409 `replayed` with the
  run id and changes nothing (see routes_intake).
- Every submission is stored (create_run) and queued (Engine.enqueue) before the 202; an
  Idempotency-Key (per company) gives the same run and the same 202, marked
  `Idempotent-Replayed: true`.
- Rate limits per key and per client address (`limits`, memory:// per process by default,
  redis:// to share them between replicas); 429 with Retry-After.
- /health, /ready and /metrics are open (no key), for probes and scrapers on the inside.

Modules: app (wiring, lifespan: one Engine a process), options (settings adapter), security
(keys, rate limits), middleware (headers, size cap, last-resort 500), intake and
routes_intake (submissions, webhooks), mapping (webhook fields), runs and routes_runs
(status, events, report, cancel, retry, storage), routes_ops (health, ready, metrics),
metrics, errors, schemas, testing (run it in a thread or a process; sign webhooks).
"""

from typing import Any

__all__ = ["ServerSettings", "create_app"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: a `--workers` child unpickles its HTTP protocol class from
    # casebook.server.protocol, and must answer uvicorn's health pings before it loads the app.
    if name == "create_app":
        from casebook.server.app import create_app

        return create_app
    if name == "ServerSettings":
        from casebook.server.options import ServerSettings

        return ServerSettings
    raise AttributeError(f"module 'casebook.server' has no attribute {name!r}")
