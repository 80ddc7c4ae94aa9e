"""A checked submission stored as a run, then queued: what a 202 promises.

Order: the documents and the submission are written and flushed to disk, then the manifest,
which already names the run's first workflow (the run id), flushed too (`create_runs`, for the
requests that arrive together at once: `ServerContext.stores`); then the workflow is inserted in
the database, together with those of other requests that arrive at the same time
(`casebook.server.group_commit`: one transaction, each insert in a savepoint of its own). A
resend inserts a missing workflow through `Engine.enqueue`. A crash can stop this anywhere,
and every place it can stop is repaired:

- before the manifest exists: nothing was promised (no 202), a resend starts afresh;
- manifest without a workflow id, or with one the database does not hold (the crash came
  between the two writes): a resend with the same Idempotency-Key (or webhook id) checks the
  database and queues it, and every server start-up queues such runs (`reconcile_queued`);
- both written: a resend gets the same run, `Idempotent-Replayed: true`.

Webhook deliveries are keyed by source and delivery id alone (not by company), so a replayed
delivery id finds its run whatever the payload says; the database's workflow row (whose input
names the company) is the index.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from casebook.config import Settings
from casebook.deliver.base import CallbackTarget, DeliveryConfig, parse_destinations
from casebook.deliver.callback import callback_policy, check_url
from casebook.engine import Engine, NewAttempt
from casebook.errors import CasebookError, EngineError, LimitExceeded
from casebook.fetch import RemoteDocument
from casebook.logs import get_logger
from casebook.models import RunStatus, SourceFile, Submission
from casebook.netguard import Refused, checked_addresses
from casebook.runs.manifest import Manifest
from casebook.runs.runner import StagedRun, idempotent_run_id, stage_run, storage_at
from casebook.server.context import ServerContext, database_unavailable
from casebook.server.errors import ApiError
from casebook.storage import Storage

WEBHOOK_SCOPE = "webhooks"
RESOLVE_TIMEOUT_S = 2.0
ALONE_BYTES = 256 * 1024  # documents larger in all are written in a thread of their own


@dataclass
class Accepted:
    manifest: Manifest
    replayed: bool  # the idempotency key (or webhook id) had already made this run


def webhook_key(source: str, delivery_id: str) -> str:
    """The run's key for a delivery: the id as sent, or its hash when it is long or odd."""
    key = f"webhook:{source}:{delivery_id}"
    if len(key) > 255 or not delivery_id.isprintable():
        key = f"webhook:{source}:sha256:{hashlib.sha256(delivery_id.encode()).hexdigest()}"
    return key


async def accept(
    ctx: ServerContext,
    submission: Submission,
    sources: list[SourceFile],
    remote: list[RemoteDocument],
    *,
    key: str | None,
    budget_usd: float | None,
    scope: str | None = None,
) -> Accepted:
    """Store and queue (or find) the run; ApiError 503 when the database does not answer."""
    deadline = time.monotonic() + ctx.settings.database_timeout_s
    if scope is not None and key is not None:
        found = await ctx.database(_recorded_run, ctx.engine, ctx.settings, idempotent_run_id(scope, key))
        if found is not None:
            queued, now = await _queue(ctx, found, deadline, key)
            return Accepted(queued, replayed=not now)
    await check_callback_hosts(ctx, submission)
    stage = functools.partial(_stage, ctx, submission, sources, remote, key, budget_usd, scope)
    manifest, existed = await ctx.store(stage, alone=stored_alone(submission, sources, remote))
    queued, now = await _queue(ctx, manifest, deadline, key, fresh=not existed)
    # A resend that had to queue its run gets the 202 the first request could not give.
    return Accepted(queued, replayed=existed and not now)


async def _queue(
    ctx: ServerContext, manifest: Manifest, deadline: float, key: str | None, *, fresh: bool = False
) -> tuple[Manifest, bool]:
    """The run queued (or found queued), and True when it was queued now."""
    try:
        if fresh and manifest.workflow_ids == [manifest.run_id]:  # its first workflow: group commit
            await _insert_first(ctx, manifest, deadline)
            return manifest, True
        return await ctx.database(
            queue_if_missing,
            ctx.engine,
            ctx.settings,
            manifest,
            writes=True,
            timeout=max(0.5, deadline - time.monotonic()),
        )
    except ApiError as exc:
        reason, headers = exc.code, exc.headers
    except EngineError as exc:  # the database refused the insert, or did not answer
        reason, headers = type(exc.__cause__ or exc).__name__, {"Retry-After": "5"}
    except CasebookError:
        raise
    except Exception as exc:  # the engine's own error (a locked or unreachable database)
        reason, headers = type(exc).__name__, {"Retry-After": "5"}
    get_logger(run_id=manifest.run_id).error("run stored, not queued", reason=reason)
    again = "send it again with the same Idempotency-Key" if key else f"POST /v1/runs/{manifest.run_id}/retry"
    raise ApiError(
        503,
        "queue_unavailable",
        f"run {manifest.run_id} is stored but could not be queued right now: {again} in a few seconds",
        run_id=manifest.run_id,
        headers=headers,
    )


async def _insert_first(ctx: ServerContext, manifest: Manifest, deadline: float) -> None:
    """A new run's first workflow (the run id, which its manifest already names) inserted by the
    group commit; ApiError 503 when that does not happen before the deadline."""
    attempt = NewAttempt(manifest.company_slug, manifest.run_id, manifest.run_id)
    try:
        await asyncio.wait_for(ctx.queue.insert(attempt), max(0.5, deadline - time.monotonic()))
    except TimeoutError:
        get_logger(run_id=manifest.run_id).warning("queue insert timed out")
        raise database_unavailable() from None


def stored_alone(submission: Submission, sources: list[SourceFile], remote: list[RemoteDocument]) -> bool:
    """Whether staging this run could hold up the others stored with it: a Drive folder is
    downloaded at intake, or its documents are large to write."""
    downloads = bool(submission.google_drive_link) and not sources and not remote
    return downloads or sum(len(s.data) for s in sources) > ALONE_BYTES


def _stage(
    ctx: ServerContext,
    submission: Submission,
    sources: list[SourceFile],
    remote: list[RemoteDocument],
    key: str | None,
    budget_usd: float | None,
    scope: str | None,
) -> StagedRun:
    """Blocking: the run checked and its inputs written (`create_runs` flushes and records it)."""
    return stage_run(
        ctx.settings,
        submission,
        sources,
        budget_usd=budget_usd,
        idempotency_key=key,
        remote=remote,
        from_client=True,
        key_scope=scope,
        record_workflow=True,
    )


def ensure_queued(engine: Engine, settings: Settings, manifest: Manifest) -> Manifest:
    """Blocking: a run marked queued has its workflow in the database (inserted now if not)."""
    return queue_if_missing(engine, settings, manifest)[0]


def queue_if_missing(engine: Engine, settings: Settings, manifest: Manifest) -> tuple[Manifest, bool]:
    """The run's manifest, and True when its workflow had to be inserted now."""
    company = storage_at(settings.storage_url).company_by_slug(manifest.company_slug)
    current = manifest if not manifest.workflow_ids else Manifest.load(company, manifest.run_id)
    if current.status is not RunStatus.queued:
        return current, False  # running or ended: a retry is asked for explicitly
    if current.workflow_ids:
        workflow_id = current.workflow_ids[-1]
        if engine.has_attempt(workflow_id):
            return current, False
        get_logger(run_id=current.run_id).warning("run was recorded as queued but not queued: queuing it")
        current.workflow_ids.pop()  # recorded by an enqueue that never reached the database
        current.save(company)
    workflow_id = engine.enqueue(current)
    if workflow_id not in current.workflow_ids:
        current.workflow_ids.append(workflow_id)
    return current, True


def _recorded_run(engine: Engine, settings: Settings, workflow_id: str) -> Manifest | None:
    """The run whose first workflow has this id, found through the workflow's input."""
    found = engine.run_of_attempt(workflow_id)
    if found is None:
        return None
    slug, run_id = found
    company = Storage(settings.storage_url).company_by_slug(slug)
    if not company.exists(f"runs/{run_id}.json"):
        return None
    return Manifest.load(company, run_id)


async def check_callback_hosts(ctx: ServerContext, submission: Submission) -> None:
    """A submission's callback host resolved now, and refused (422) if it resolves to an
    address callbacks may not reach. A name that does not resolve yet is checked again when
    the callback is sent."""
    if not submission.deliver:
        return
    config = DeliveryConfig.from_settings(ctx.settings)
    for index, item in enumerate(submission.deliver):
        try:
            [target] = parse_destinations([item], config, untrusted=True)
        except (CasebookError, ValueError):
            continue  # create_run names the problem
        if not isinstance(target, CallbackTarget):
            continue
        url = check_url(target.url, allow_private=config.callback_allow_private, allow_loopback=False)
        policy = callback_policy(
            loopback_only=url.scheme == "http", allow_private=config.callback_allow_private, allow_loopback=False
        )
        try:
            await asyncio.wait_for(checked_addresses(url.host, url.port or 443, policy), RESOLVE_TIMEOUT_S)
        except Refused as exc:
            raise LimitExceeded(f"deliver[{index}]: {exc}", field=f"deliver[{index}]") from None
        except Exception as exc:  # not resolvable now: checked again when the callback is sent
            get_logger().info("callback host not resolvable at intake", host=url.host, error=type(exc).__name__)


def reconcile_queued(engine: Engine, settings: Settings, grace_s: float) -> list[str]:
    """Blocking: queue every run left `queued` without its workflow (a crash between the
    writes), older than `grace_s` (younger ones may still be on their way). Returns their ids."""
    storage = Storage(settings.storage_url)
    cutoff = datetime.now(UTC) - timedelta(seconds=grace_s)
    queued: list[str] = []
    for slug in storage.companies():
        try:
            company = storage.company_by_slug(slug)
        except CasebookError:
            continue
        for name in company.list("runs"):
            if not name.endswith(".json"):
                continue
            try:
                manifest = Manifest.load(company, name.removesuffix(".json"))
            except (CasebookError, ValueError, OSError):
                continue
            if manifest.status is not RunStatus.queued or manifest.created > cutoff:
                continue
            if queue_if_missing(engine, settings, manifest)[1]:
                queued.append(manifest.run_id)
    return queued
