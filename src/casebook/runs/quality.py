"""The report check in a run. `finalize` checks the verified report (`casebook.report.check`);
each section with a finding that writing it again can fix — the executive summary, Part A, one
use case's Part B section — is revised once, told the findings; the report is put together again
with the revised sections, verified again, and checked again; what is left goes into the
manifest (`checks`). Every answer is stored under `runs/<run>/check/` before it is used, so a
finalize that runs again (a resumed run) pays for no revision twice, and never revises twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from casebook.config import Settings
from casebook.errors import BudgetExceeded, RunError
from casebook.logs import get_logger
from casebook.models import Evidence, Finding, ReportChecks, Submission, UseCase
from casebook.render.run import run_template
from casebook.render.template import ReportTemplate
from casebook.report import check_report, normalise_markdown
from casebook.report.sections import replace_section, section_text
from casebook.runs.context import RunContext
from casebook.runs.manifest import Manifest
from casebook.steps.part_b import section_body
from casebook.steps.revise import revise_section
from casebook.storage import CompanyStorage

# Findings that writing the section again can fix, and the sections the pipeline writes with a model.
REVISABLE = frozenset({"empty_section", "repeated_paragraph", "cut_sentence", "heading_paragraph"})
_MODEL_STEP = {"executive_summary": "consolidate", "part_a": "part_a", "part_b": "part_b"}
Verify = Callable[[RunContext, str, str], Awaitable[Any]]  # (ctx, draft, folder) -> VerifiedReport


def findings_in(ctx: RunContext, markdown: str, use_cases: list[UseCase], template: ReportTemplate) -> list[Finding]:
    return check_report(
        markdown,
        use_cases=use_cases,
        citations=ctx.manifest.citations(),
        min_supported=ctx.settings.min_supported,
        template=template,
    )


def check_finished_run(settings: Settings, company: CompanyStorage, manifest: Manifest) -> list[Finding]:
    """`casebook check RUN`: the findings in a run's final report, as finalize would find them."""
    if not manifest.final_report or not company.exists(manifest.final_report):
        raise RunError(
            f"run {manifest.run_id} has no final report yet (it is {manifest.status.value}): "
            f"`casebook status {manifest.run_id}` shows where it is"
        )
    submission = Submission.model_validate(manifest.submission)
    template = run_template(company, manifest.run_id, submission.report_template, settings.report_template)
    return check_report(
        company.read_text(manifest.final_report),
        use_cases=_use_cases(company, manifest.run_id),
        citations=manifest.citations(),
        min_supported=settings.min_supported,
        template=template,
    )


def revision_plan(findings: list[Finding]) -> dict[str, list[str]]:
    """The sections to write again, each with what is wrong with it."""
    plan: dict[str, list[str]] = {}
    for f in findings:
        if f.kind in REVISABLE and f.section.partition(":")[0] in _MODEL_STEP:
            excerpt = f" (\u201c{f.excerpt}\u201d)" if f.excerpt else ""
            plan.setdefault(f.section, []).append(f"{f.message}{excerpt}")
    return plan


async def checked_report(ctx: RunContext, verify: Verify) -> str:
    """The report finalize writes: the verified one, or its revision; records `manifest.checks`.
    Storage is read and written in worker threads (`ctx.files`), never on the event loop."""
    files = ctx.files
    done = ctx.work("check/done.json")
    if await files.exists(done):
        record = await files.read_json(done)
        ctx.manifest.checks = ReportChecks.model_validate(record["checks"])
        return await files.read_text(ctx.work(record["report"]))
    template = await ctx.load_template()
    use_cases = await asyncio.to_thread(_use_cases, ctx.company, ctx.run_id)
    report = "report.verified.md"
    text = await files.read_text(ctx.work(report))
    findings = findings_in(ctx, text, use_cases, template)
    plan = revision_plan(findings)
    if ctx.model_set.part_b_from == "use_cases":  # the pipeline set those sections: no model call mends them
        plan = {section: problems for section, problems in plan.items() if not section.startswith("part_b")}
    revised: list[str] = []
    if plan:
        draft = await files.read_text(ctx.work("report.md"))
        evidence = Evidence.model_validate_json(await files.read_bytes(ctx.work("evidence.json")))
        for section, problems in plan.items():
            try:
                draft = await _revise(ctx, draft, section, problems, use_cases, evidence, template)
            except BudgetExceeded as exc:  # a revision is an improvement: the report is written without it
                get_logger().warning("report check: no budget left to revise", section=section, reason=str(exc))
                break
            revised.append(section)
    if revised:
        await files.write_text(ctx.work("check/report.md"), draft)
        verified = await verify(ctx, draft, "check/")
        report = "check/report.verified.md"
        await files.write_text(ctx.work(report), verified.markdown)
        text = verified.markdown
        ctx.manifest.metrics.update(verified.metrics())
        after = findings_in(ctx, text, use_cases, template)
    else:
        after = findings
    checks = ReportChecks(findings=after, regenerated=revised, found_before=len(findings))
    await files.write_json(done, {"report": report, "checks": checks.model_dump(mode="json")})
    ctx.manifest.checks = checks
    ctx.manifest.metrics["check_findings"] = len(after)
    return text


async def _revise(
    ctx: RunContext,
    draft: str,
    section: str,
    problems: list[str],
    use_cases: list[UseCase],
    evidence: Evidence,
    template: ReportTemplate,
) -> str:
    """The draft with one section written again (the answer kept, so it is asked for once)."""
    kind, _, number = section.partition(":")
    body = section_text(draft, section) or ""
    path = ctx.work(f"check/{section.replace(':', '-')}.md")
    if await ctx.files.exists(path):
        answer = await ctx.files.read_text(path)
    else:
        model = ctx.model_set.for_step(_MODEL_STEP[kind])
        passages = _passages(ctx, evidence, use_cases, body, section)
        answer = await revise_section(
            ctx.llm, model, section, body, problems, passages, template.tone, prose_chars=ctx.model_set.prose_chars
        )
        await ctx.files.write_text(path, answer)
    if kind == "part_b":
        if not 1 <= int(number) <= len(use_cases):
            return draft
        return replace_section(draft, section, section_body(answer, use_cases[int(number) - 1], int(number)))
    return replace_section(draft, section, normalise_markdown(answer, level=3, drop_titles=_titles(kind)))


def _titles(kind: str) -> tuple[str, ...]:
    if kind == "executive_summary":
        return ("Executive summary", "Summary")
    return ("Part A", "Part A: Company analysis", "Company analysis")


def _passages(ctx: RunContext, evidence: Evidence, use_cases: list[UseCase], body: str, section: str) -> list[Any]:
    """The passages the section cites, then (for a use case) those its use case cites, up to the step's limit."""
    kind, _, number = section.partition(":")
    wanted = [p for p in evidence.passages if f"[{p.source_id}]" in body]
    if kind == "part_b" and number.isdigit():
        if 1 <= int(number) <= len(use_cases):
            cited = use_cases[int(number) - 1].citations
            wanted += [p for p in evidence.passages if p.source_id in cited and p not in wanted]
        limit = ctx.settings.part_b_passages
    else:
        limit = ctx.settings.evidence_passages
    return (wanted or evidence.passages)[:limit]


def _use_cases(company: CompanyStorage, run_id: str) -> list[UseCase]:
    path = f"runs/{run_id}/use_cases.json"
    if not company.exists(path):
        return []
    return [UseCase.model_validate(u) for u in company.read_json(path)]
