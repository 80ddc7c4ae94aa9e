"""One run, step by step: each step's result is an artifact in storage, written before the
step counts as done, so a resumed run loads what it has and pays for nothing twice.

This module knows storage and the steps; it knows nothing of the CLI, HTTP or the workflow engine.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import structlog

from casebook.config import Settings
from casebook.corpus import INDEX_FILE, SourceFile, ingest_documents
from casebook.deliver import (
    DeliveryConfig,
    collect_final_files,
    deliver_run,
    destinations_for,
    merge_outcomes,
    pending,
)
from casebook.errors import BudgetExceeded, CasebookError
from casebook.index import PassageIndex
from casebook.llm import LLMClient, ModelSet, UsageLedger
from casebook.logs import get_logger, log_metric
from casebook.manifest import STEPS, Manifest, utcnow
from casebook.models import Evidence, RunStatus, Skipped, Submission, UseCase
from casebook.render import Branding, ReportTemplate
from casebook.render.run import render_run, run_template
from casebook.steps import (
    assemble_part_b,
    assemble_report,
    consolidate,
    extract_evidence,
    gather_passages,
    generate_use_cases,
    style_pass,
    verify_citations,
    write_part_a,
    write_use_case_section,
)
from casebook.storage import CompanyStorage

Listener = Callable[[Manifest], Awaitable[None]]
StepFunc = Callable[["RunContext"], Awaitable[None]]
LLM_STEPS = frozenset({"evidence", "use_cases", "part_a", "part_b", "consolidate"})


@dataclass
class RunContext:
    settings: Settings
    company: CompanyStorage
    manifest: Manifest
    submission: Submission
    model_set: ModelSet
    llm: LLMClient
    ledger: UsageLedger
    listener: Listener | None = None
    deadline_epoch: float | None = None  # the whole run's time limit, when the engine sets one

    @cached_property
    def template(self) -> ReportTemplate:
        """The report template: its structure for rendering, its tone for the prompts."""
        return run_template(self.company, self.run_id, self.submission.report_template, self.settings.report_template)

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    def work(self, name: str) -> str:
        """Path of one of the run's intermediate artifacts."""
        return f"runs/{self.run_id}/{name}"

    _last_event: tuple[Any, ...] | None = field(default=None, init=False, repr=False)
    _last_event_at: float = field(default=0.0, init=False, repr=False)

    async def publish(self) -> None:
        """Write the manifest, then tell the listener (the engine's progress events, a live display).

        Progress within a state (tokens, k of N) is told at most once a second; a change of
        status or step state is told at once. Only a finished run's manifest is fsynced: the
        step artifacts, not the manifest, are what a resumed run trusts.
        """
        manifest = self.manifest
        manifest.metrics["tokens"] = self.ledger.totals()
        manifest.metrics["cost_usd"] = round(self.ledger.spent_usd, 6)
        manifest.save(self.company, sync=manifest.status.finished)
        if self.listener is None:
            return
        signature = (manifest.status, manifest.current_step, *(s.state for s in manifest.steps.values()))
        now = time.monotonic()
        if signature == self._last_event and now - self._last_event_at < 1.0:
            return
        self._last_event, self._last_event_at = signature, now
        await self.listener(manifest)


def stage_inputs(company: CompanyStorage, run_id: str, sources: list[SourceFile]) -> None:
    """Keep the run's documents with the run, so it can be resumed on any machine."""
    for i, source in enumerate(sources):
        company.write_bytes(f"runs/{run_id}/inputs/{i:04d}", source.data)
    names = [s.name for s in sources]
    company.write_json(f"runs/{run_id}/inputs/names.json", names)


def staged_inputs(company: CompanyStorage, run_id: str) -> list[SourceFile]:
    names = company.read_json(f"runs/{run_id}/inputs/names.json")
    return [
        SourceFile(name=name, data=company.read_bytes(f"runs/{run_id}/inputs/{i:04d}")) for i, name in enumerate(names)
    ]


StepCaller = Callable[[str], Awaitable[None]]


async def execute_run(ctx: RunContext, call_step: StepCaller | None = None) -> Manifest:
    """Run every step not yet done; ends with the manifest's final status.

    `call_step(name)` runs one step through `run_step`; the workflow engine passes its own,
    which checkpoints each step, and the default calls `run_step` directly.
    """
    with structlog.contextvars.bound_contextvars(company=ctx.submission.company_name, run_id=ctx.run_id):
        return await _execute(ctx, call_step or (lambda name: run_step(ctx, name)))


async def _execute(ctx: RunContext, call_step: StepCaller) -> Manifest:
    log = get_logger()
    manifest = ctx.manifest
    manifest.status, manifest.error = RunStatus.running, None
    manifest.started = manifest.started or utcnow()
    t0 = time.monotonic() - float(manifest.metrics.get("pipeline_duration") or 0)
    try:
        for group in PLAN:
            await _run_group([call_step(name) for name in group])
        manifest.status = RunStatus.succeeded
    except BudgetExceeded as exc:
        manifest.status, manifest.error = RunStatus.budget_exceeded, str(exc)
        log.warning("run stopped: budget exceeded", reason=str(exc))
        await _notify_failure(ctx, log)
    except CasebookError as exc:
        manifest.status, manifest.error = RunStatus.failed, str(exc)
        log.error("run failed", reason=str(exc))
        if manifest.steps["deliver"].state != "failed":
            await _notify_failure(ctx, log)
    except asyncio.CancelledError:
        if ctx.deadline_epoch is not None and time.time() >= ctx.deadline_epoch - 1:
            manifest.status, manifest.error = RunStatus.failed, "run timed out (CASEBOOK_RUN_TIMEOUT_S)"
        else:
            manifest.status, manifest.error = RunStatus.cancelled, "cancelled"
        raise
    except Exception as exc:  # an engine error (a step timeout, a cancelled workflow): recorded, then raised
        manifest.status, manifest.error = _engine_status(exc)
        timed_out = ctx.deadline_epoch is not None and time.time() >= ctx.deadline_epoch - 1
        if manifest.status is RunStatus.cancelled and timed_out:
            manifest.status, manifest.error = RunStatus.failed, "run timed out (CASEBOOK_RUN_TIMEOUT_S)"
        log.error("run stopped", reason=manifest.error)
        raise
    finally:
        manifest.ended = utcnow()
        manifest.current_step = None
        manifest.metrics["pipeline_duration"] = round(time.monotonic() - t0, 3)
        manifest.save(ctx.company)
        try:
            await ctx.publish()
        except Exception as exc:  # the manifest is saved; only the progress event was lost
            log.warning("could not publish the final progress event", reason=str(exc))
        _log_metrics(log, manifest)
    return manifest


async def run_step(ctx: RunContext, name: str) -> None:
    """Run one step unless it is done, keeping its state in the manifest."""
    func = STEP_FUNCS[name]
    log = get_logger(company=ctx.submission.company_name, run_id=ctx.run_id)
    state = ctx.manifest.steps[name]
    if state.state == "done":
        return
    number = STEPS.index(name) + 1
    ctx.manifest.current_step = name
    state.state, state.started, state.error = "running", utcnow(), None
    state.model = ctx.model_set.for_step(name).model if name in LLM_STEPS and ctx.model_set.has_step(name) else None
    await ctx.publish()
    log.info(f"[STEP {number}/{len(STEPS)}] {name}", step=number, total_steps=len(STEPS))
    try:
        await func(ctx)
    except BaseException as exc:
        state.state, state.error, state.ended = "failed", str(exc) or type(exc).__name__, utcnow()
        await ctx.publish()
        raise
    state.state, state.ended = "done", utcnow()
    await ctx.publish()


async def _run_group(calls: list[Awaitable[None]]) -> None:
    """Run a group's steps concurrently; let every one finish before reporting a failure."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise next((e for e in errors if isinstance(e, BudgetExceeded)), errors[0])


# -- the steps: load inputs from storage, call the step, store the result --------------------


async def step_ingest(ctx: RunContext) -> None:
    sources = staged_inputs(ctx.company, ctx.run_id)
    earlier: list[Skipped] = []  # files a Drive download could not use
    if ctx.company.exists(ctx.work("inputs/skipped.json")):
        earlier = [Skipped.model_validate(s) for s in ctx.company.read_json(ctx.work("inputs/skipped.json"))]
    report = await asyncio.to_thread(ingest_documents, ctx.company, sources, ctx.settings, pre_skipped=earlier)
    ctx.manifest.inputs = report.files
    ctx.manifest.skipped = report.skipped
    ctx.manifest.index_fingerprint = report.fingerprint
    ctx.manifest.metrics["upload_size"] = round(report.bytes_total / 1024, 1)  # KB, as the original
    ctx.company.write_json(
        f"vector_ids/index_{ctx.run_id}.json",
        {
            "run_id": ctx.run_id,
            "index": f"{ctx.company.slug}/{INDEX_FILE}",
            "engine": "sqlite-fts5-bm25",
            "fingerprint": report.fingerprint,
            "documents": report.documents,
            "chunks": report.chunks,
        },
    )
    if report.documents == 0:
        reasons = "; ".join(f"{s.file}: {s.reason}" for s in report.skipped) or "no files were given"
        raise CasebookError(
            f"no usable documents ({reasons}): give PDF, Word, Excel, PowerPoint, CSV, text or HTML files"
        )


async def step_evidence(ctx: RunContext) -> None:
    if ctx.company.exists(ctx.work("evidence.json")):
        return
    with ctx.company.local_file(INDEX_FILE, write_back=False) as path, PassageIndex(path) as index:
        passages = gather_passages(
            index, ctx.submission, limit=ctx.settings.evidence_passages, chars=ctx.settings.passage_chars
        )
    evidence = await extract_evidence(
        ctx.llm,
        ctx.model_set.for_step("evidence"),
        ctx.submission,
        passages,
        ctx.template.tone,
        themes=ctx.settings.evidence_themes,
        facts=ctx.settings.evidence_facts,
    )
    ctx.company.write_text(ctx.work("evidence.json"), evidence.model_dump_json(indent=2))


def load_evidence(ctx: RunContext) -> Evidence:
    return Evidence.model_validate_json(ctx.company.read_bytes(ctx.work("evidence.json")))


def load_use_cases(ctx: RunContext) -> list[UseCase]:
    return [UseCase.model_validate(u) for u in ctx.company.read_json(ctx.work("use_cases.json"))]


async def step_use_cases(ctx: RunContext) -> None:
    if ctx.company.exists(ctx.work("use_cases.json")):
        return
    use_cases = await generate_use_cases(
        ctx.llm, ctx.model_set.for_step("use_cases"), ctx.submission, load_evidence(ctx), ctx.template.tone
    )
    ctx.company.write_json(ctx.work("use_cases.json"), [u.model_dump() for u in use_cases])
    ctx.manifest.metrics["use_cases_count"] = len(use_cases)


async def step_part_a(ctx: RunContext) -> None:
    target = f"part_a/report_draft_{ctx.run_id}.md"
    if ctx.company.exists(target):
        return
    text = await write_part_a(
        ctx.llm,
        ctx.model_set.for_step("part_a"),
        ctx.submission,
        load_evidence(ctx),
        load_use_cases(ctx),
        ctx.template.tone,
    )
    ctx.company.write_text(target, text + "\n")
    ctx.manifest.metrics["part_a_length"] = len(text)


async def step_part_b(ctx: RunContext) -> None:
    target = f"part_b/report_enhanced_{ctx.run_id}.md"
    if ctx.company.exists(target):
        return
    evidence, use_cases = load_evidence(ctx), load_use_cases(ctx)
    model = ctx.model_set.for_step("part_b")
    limit = asyncio.Semaphore(ctx.settings.part_b_concurrency)
    state = ctx.manifest.steps["part_b"]
    done = sum(ctx.company.exists(ctx.work(f"part_b/{i:02d}.md")) for i in range(1, len(use_cases) + 1))

    async def one(number: int, use_case: UseCase) -> None:
        nonlocal done
        path = ctx.work(f"part_b/{number:02d}.md")
        if ctx.company.exists(path):
            return
        async with limit:
            text = await write_use_case_section(
                ctx.llm,
                model,
                ctx.submission,
                use_case,
                number,
                evidence,
                ctx.template.tone,
                ctx.settings.part_b_passages,
            )
        ctx.company.write_text(path, text)
        done += 1
        state.progress = f"{done}/{len(use_cases)}"
        await ctx.publish()

    state.progress = f"{done}/{len(use_cases)}"
    results = await asyncio.gather(*(one(i, uc) for i, uc in enumerate(use_cases, start=1)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:  # the sections that finished are kept; a resume writes only the rest
        raise next((e for e in errors if isinstance(e, BudgetExceeded)), errors[0])
    sections = [ctx.company.read_text(ctx.work(f"part_b/{i:02d}.md")) for i in range(1, len(use_cases) + 1)]
    ctx.company.write_text(target, assemble_part_b(sections))


async def step_consolidate(ctx: RunContext) -> None:
    if ctx.company.exists(ctx.work("report.md")):
        return
    part_a = ctx.company.read_text(f"part_a/report_draft_{ctx.run_id}.md")
    part_b = ctx.company.read_text(f"part_b/report_enhanced_{ctx.run_id}.md")
    use_cases = load_use_cases(ctx)
    if ctx.company.exists(ctx.work("summary.md")):
        summary = ctx.company.read_text(ctx.work("summary.md"))
    else:
        summary = await consolidate(
            ctx.llm, ctx.model_set.for_step("consolidate"), ctx.submission, part_a, use_cases, ctx.template.tone
        )
        ctx.company.write_text(ctx.work("summary.md"), summary)
    if ctx.model_set.has_step("style"):
        if ctx.company.exists(ctx.work("summary.styled.md")):
            summary = ctx.company.read_text(ctx.work("summary.styled.md"))
        else:
            summary = await style_pass(ctx.llm, ctx.model_set.for_step("style"), summary, ctx.template.tone)
            ctx.company.write_text(ctx.work("summary.styled.md"), summary)
    report = assemble_report(
        submission=ctx.submission,
        run_id=ctx.run_id,
        created=ctx.manifest.created,
        summary=summary,
        part_a=part_a,
        part_b=part_b,
        use_cases=use_cases,
    )
    ctx.company.write_text(ctx.work("report.md"), report)


async def step_verify(ctx: RunContext) -> None:
    draft = ctx.company.read_text(ctx.work("report.md"))
    with ctx.company.local_file(INDEX_FILE, write_back=False) as path, PassageIndex(path) as index:
        verified = verify_citations(draft, load_evidence(ctx), index)
    ctx.company.write_text(ctx.work("report.verified.md"), verified.markdown)
    ctx.manifest.metrics["citations_total"] = verified.citations_total
    ctx.manifest.metrics["citations_valid"] = verified.citations_valid
    ctx.manifest.metrics["citations_removed"] = verified.removed


async def step_finalize(ctx: RunContext) -> None:
    """The Markdown first, then HTML, PDF and Word, each written atomically; the .ready marker last.

    Safe to repeat: a resumed finalize writes the same files again.
    """
    text = ctx.company.read_text(ctx.work("report.verified.md"))
    name = f"final/FINAL_REPORT_{ctx.run_id}"
    ctx.company.write_text(f"{name}.md", text)
    files = [f"{name}.md"]
    formats = [f.strip() for f in ctx.settings.report_formats.split(",") if f.strip()]
    if formats:
        s = ctx.settings
        started = time.monotonic()
        files += await asyncio.to_thread(
            render_run,
            ctx.company,
            ctx.run_id,
            markdown=text,
            submission=ctx.submission,
            template=ctx.template,
            formats=formats,
            branding=Branding(s.brand_name, s.brand_logo, s.brand_primary, s.brand_accent),
        )
        ctx.manifest.metrics["render_duration"] = round(time.monotonic() - started, 3)
    ctx.company.write_text(f"{name}.ready", json.dumps({"run_id": ctx.run_id, "files": files}))
    ctx.manifest.final_report = f"{name}.md"
    ctx.manifest.metrics["final_report_size"] = len(text)


async def step_deliver(ctx: RunContext) -> None:
    """Send the final files to every destination not yet done; each outcome goes in the manifest."""
    todo = pending(destinations_for(ctx.settings, ctx.submission.deliver), ctx.manifest.deliveries)
    if not todo:
        return
    outcomes = await deliver_run(
        todo,
        collect_final_files(ctx.company, ctx.run_id),
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


async def _notify_failure(ctx: RunContext, log: Any) -> None:
    """Tell callback destinations that the run ended without a report (`run.failed`)."""
    try:
        hooks = [d for d in destinations_for(ctx.settings, ctx.submission.deliver) if d.kind == "callback"]
        if hooks:
            outcomes = await deliver_run(
                hooks,
                {},
                run_id=ctx.run_id,
                company_slug=ctx.company.slug,
                company_name=ctx.submission.company_name,
                status=ctx.manifest.status.value,
                error=ctx.manifest.error,
                config=DeliveryConfig.from_settings(ctx.settings),
            )
            ctx.manifest.deliveries = merge_outcomes(ctx.manifest.deliveries, outcomes)
    except CasebookError as exc:
        log.error("could not send run.failed", reason=str(exc))


def _log_metrics(log: Any, manifest: Manifest) -> None:
    units = {
        "upload_size": "KB",
        "use_cases_count": "count",
        "part_a_length": "characters",
        "final_report_size": "characters",
        "pipeline_duration": "seconds",
        "cost_usd": "USD",
        "citations_total": "count",
        "citations_valid": "count",
    }
    for name, unit in units.items():
        if name in manifest.metrics:
            log_metric(log, name, manifest.metrics[name], unit)
    tokens = manifest.metrics.get("tokens") or {}
    if "total_tokens" in tokens:
        log_metric(log, "tokens", tokens["total_tokens"], "tokens")


STEP_FUNCS: dict[str, StepFunc] = {
    "ingest": step_ingest,
    "evidence": step_evidence,
    "use_cases": step_use_cases,
    "part_a": step_part_a,
    "part_b": step_part_b,
    "consolidate": step_consolidate,
    "verify": step_verify,
    "finalize": step_finalize,
    "deliver": step_deliver,
}
# Steps in order; the steps of one group run concurrently (Part A does not wait for Part B).
PLAN: tuple[tuple[str, ...], ...] = (
    ("ingest",),
    ("evidence",),
    ("use_cases",),
    ("part_a", "part_b"),
    ("consolidate",),
    ("verify",),
    ("finalize",),
    ("deliver",),
)


def _engine_status(exc: Exception) -> tuple[RunStatus, str]:
    name = type(exc).__name__
    if "Cancelled" in name:
        return RunStatus.cancelled, "cancelled"
    if "Timeout" in name:
        return RunStatus.failed, f"timed out: {exc}"
    return RunStatus.failed, f"{name}: {exc}"
