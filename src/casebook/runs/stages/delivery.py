"""The deliver step, and telling callback destinations of a run that ended without a report."""

from __future__ import annotations

import asyncio
from typing import Any

from casebook.config import Settings
from casebook.deliver import (
    DeliveryConfig,
    collect_final_files,
    deliver_run,
    destinations_for,
    merge_outcomes,
    pending,
)
from casebook.errors import CasebookError
from casebook.models import Submission
from casebook.runs.context import RunContext
from casebook.runs.manifest import Manifest
from casebook.storage import CompanyStorage


async def step_deliver(ctx: RunContext) -> None:
    """Send the final files to every destination not yet done; each outcome goes in the manifest."""
    todo = pending(destinations_for(ctx.settings, ctx.submission.deliver), ctx.manifest.deliveries)
    if not todo:
        return
    outcomes = await deliver_run(
        todo,
        await asyncio.to_thread(collect_final_files, ctx.company, ctx.run_id),
        run_id=ctx.run_id,
        company_slug=ctx.company.slug,
        company_name=ctx.submission.company_name,
        status="succeeded",
        config=DeliveryConfig.from_settings(ctx.settings),
        report_links=[f"{ctx.settings.storage_url.rstrip('/')}/{ctx.company.slug}/{ctx.manifest.final_report}"],
    )
    ctx.manifest.deliveries = merge_outcomes(ctx.manifest.deliveries, outcomes)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:  # recorded above; a resume retries only these
        raise CasebookError("delivery failed: " + "; ".join(f"{o.destination}: {o.error}" for o in failed))


async def notify_failure(ctx: RunContext, log: Any) -> None:
    """Tell callback destinations that the run ended without a report (`run.failed`)."""
    await notify_ended(ctx.settings, ctx.company, ctx.manifest, ctx.submission, log)


async def notify_ended(
    settings: Settings, company: CompanyStorage, manifest: Manifest, submission: Submission, log: Any
) -> None:
    """`run.failed` to the callback destinations, from what a run has even before it started."""
    try:
        hooks = [d for d in destinations_for(settings, submission.deliver) if d.kind == "callback"]
        if hooks:
            outcomes = await deliver_run(
                hooks,
                {},
                run_id=manifest.run_id,
                company_slug=company.slug,
                company_name=submission.company_name,
                status=manifest.status.value,
                error=manifest.error,
                config=DeliveryConfig.from_settings(settings),
            )
            manifest.deliveries = merge_outcomes(manifest.deliveries, outcomes)
    except CasebookError as exc:
        log.error("could not send run.failed", reason=str(exc))
