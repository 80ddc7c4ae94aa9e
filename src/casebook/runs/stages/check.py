"""Checking the report: the verify step (every citation against its passages), finalize (the
report checked and written in every format) and review (the quality gate before release)."""

from __future__ import annotations

import asyncio
import json
import time

from casebook.logs import get_logger
from casebook.models import Evidence, RunStatus
from casebook.render import Branding, writable_formats
from casebook.render.run import render_run
from casebook.runs.context import RunContext
from casebook.runs.manifest import Manifest
from casebook.runs.quality import checked_report
from casebook.runs.stages.artifacts import load_evidence
from casebook.steps import VerifiedReport, verify_citations
from casebook.steps.prompts import render_submission
from casebook.steps.verify import doubtful
from casebook.steps.verify_model import judge


async def step_verify(ctx: RunContext) -> None:
    """Check every cited sentence against its passages; the model check first, when it is on."""
    verified = await verify_draft(ctx, await ctx.files.read_text(ctx.work("report.md")))
    await ctx.files.write_text(ctx.work("report.verified.md"), verified.markdown)
    ctx.manifest.metrics.update(verified.metrics())


async def verify_draft(ctx: RunContext, draft: str, folder: str = "") -> VerifiedReport:
    """A draft report verified (its decisions in `<folder>verify.json`); finalize verifies a revised one too."""
    evidence = await load_evidence(ctx)
    intake = render_submission(ctx.submission)
    verdicts = await _model_verdicts(ctx, draft, evidence, intake)
    verified = await ctx.with_documents(
        lambda index: verify_citations(draft, evidence, index, intake=intake, verdicts=verdicts)
    )
    await ctx.files.write_json(
        ctx.work(f"{folder}verify.json"),
        {"metrics": verified.metrics(), "removed": verified.removed, "sentences": verified.decisions},
    )
    ctx.manifest.metrics["citations_checked_by_model"] = len(verdicts)
    return verified


async def _model_verdicts(ctx: RunContext, draft: str, evidence: Evidence, intake: str) -> dict[tuple[str, str], bool]:
    """CASEBOOK_VERIFY=model: the set's cheap `verify` model judges the doubtful pairs (kept, so a
    resumed step does not ask again). Off for sets without a verify model, such as `local`."""
    if ctx.settings.verify != "model" or not ctx.model_set.has_step("verify"):
        return {}
    cache = ctx.work("verify_model.json")
    if await ctx.files.exists(cache):
        return {(c, k): v for c, k, v in await ctx.files.read_json(cache)}
    doubts = await ctx.with_documents(lambda index: doubtful(draft, evidence, index, intake=intake))
    verdicts = await judge(ctx.llm, ctx.model_set.for_step("verify"), doubts) if doubts else {}
    await ctx.files.write_json(cache, [[c, k, v] for (c, k), v in verdicts.items()])
    return verdicts


async def step_finalize(ctx: RunContext) -> None:
    """The Markdown first, then HTML, PDF and Word, each written atomically (the .ready marker
    comes with review, once the report may be released).

    First the report is checked (`casebook.runs.quality`): a section with a finding is written
    again once, and what is left is recorded. Safe to repeat: a resumed finalize writes the same
    files again, paying for no revision twice.
    """
    text = await checked_report(ctx, verify_draft)
    name = f"final/FINAL_REPORT_{ctx.run_id}"
    await ctx.files.write_text(f"{name}.md", text)
    files = [f"{name}.md"]
    formats, note = writable_formats(f.strip() for f in ctx.settings.report_formats.split(",") if f.strip())
    if note:
        get_logger().warning(note)
    if formats:
        s = ctx.settings
        started = time.monotonic()
        files += await asyncio.to_thread(
            render_run,
            ctx.company,
            ctx.run_id,
            markdown=text,
            submission=ctx.submission,
            template=await ctx.load_template(),
            formats=formats,
            branding=Branding(s.brand_name, s.brand_logo, s.brand_primary, s.brand_accent),
        )
        ctx.manifest.metrics["render_duration"] = round(time.monotonic() - started, 3)
    await ctx.files.write_json(ctx.work("final_files.json"), files)
    ctx.manifest.final_report = f"{name}.md"
    ctx.manifest.metrics["final_report_size"] = len(text)


QUALITY_GATE = "quality"


def quality_problem(manifest: Manifest, min_supported: float) -> str | None:
    """Why the report may not be released without review, or None. Off with min_supported 0."""
    c = manifest.citations()
    if min_supported <= 0 or c is None:
        return None
    if c["supported"] == 0:
        return f"none of the report's {c['total']} citations is supported by the passage it cites"
    if c["supported_share"] < min_supported:
        return (
            f"only {c['supported']} of {c['total']} citations ({c['supported_share']:.0%}) are supported by the "
            f"passage they cite; CASEBOOK_MIN_SUPPORTED is {min_supported:.0%}"
        )
    return None


async def step_review(ctx: RunContext) -> None:
    """The quality gate: a report with too few supported citations waits for a person's approval
    (status needs_review) before it is marked ready and delivered; then the .ready marker."""
    problem = quality_problem(ctx.manifest, ctx.settings.min_supported)
    if problem is not None and not ctx.manifest.approved(QUALITY_GATE):
        ctx.manifest.open_gate(QUALITY_GATE, "review", RunStatus.needs_review, problem)
        return
    name = f"final/FINAL_REPORT_{ctx.run_id}"
    if await ctx.files.exists(ctx.work("final_files.json")):
        files = await ctx.files.read_json(ctx.work("final_files.json"))
    else:  # finalized by an older version, which wrote no list
        files = [f"{name}.{ext}" for ext in ("md", "html", "pdf", "docx") if await ctx.files.exists(f"{name}.{ext}")]
    await ctx.files.write_text(f"{name}.ready", json.dumps({"run_id": ctx.run_id, "files": files}))
