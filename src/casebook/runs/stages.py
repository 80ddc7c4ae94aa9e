"""The steps of a run as the pipeline calls them: load inputs from storage, call the step
function (casebook.steps), store the result. A step whose artifact exists does nothing, so a
resumed run pays for nothing twice."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
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
from casebook.documents.corpus import INDEX_FILE, ingest_documents
from casebook.documents.index import PassageIndex
from casebook.errors import BudgetExceeded, CasebookError
from casebook.fetch import FetchConfig
from casebook.logs import get_logger
from casebook.models import (
    Evidence,
    Passage,
    QualityFinding,
    RunStatus,
    Skipped,
    Submission,
    UseCase,
)
from casebook.render import Branding, writable_formats
from casebook.render.run import render_run
from casebook.runs.context import RunContext, staged_inputs
from casebook.runs.manifest import Manifest
from casebook.runs.quality import checked_report
from casebook.runs.remote import fetch_remote
from casebook.runs.retention import collect_documents
from casebook.runs.review import USE_CASES_GATE, edited, open_use_case_gate, use_case_key
from casebook.steps import (
    VerifiedReport,
    assemble_part_b,
    assemble_report,
    consolidate,
    evidence_from_passages,
    extract_evidence,
    gather_passages,
    generate_use_cases,
    number_section,
    section_from_use_case,
    style_pass,
    verify_citations,
    write_part_a,
    write_use_case_section,
)
from casebook.steps.consolidate import SHORT_SUMMARY, ensure_recommendations, pipeline_summary, summary_problems
from casebook.steps.evidence import gather_pool, picked_themes
from casebook.steps.linking import link_uncited
from casebook.steps.part_a import SECTIONS, fill_empty_sections, part_a_problems, without_copied_sections
from casebook.steps.prompts import render_submission
from casebook.steps.use_cases import REGENERATION_ROUNDS
from casebook.steps.verify import doubtful
from casebook.steps.verify_model import judge
from casebook.storage import CompanyStorage

StepFunc = Callable[[RunContext], Awaitable[None]]
LLM_STEPS = frozenset({"evidence", "use_cases", "part_a", "part_b", "consolidate"})


async def step_ingest(ctx: RunContext) -> None:
    sources = await asyncio.to_thread(staged_inputs, ctx.company, ctx.run_id)
    earlier: list[Skipped] = []  # files a Drive download could not use
    if await ctx.files.exists(ctx.work("inputs/skipped.json")):
        earlier = [Skipped.model_validate(s) for s in await ctx.files.read_json(ctx.work("inputs/skipped.json"))]
    fetched, failed = await fetch_remote(ctx.company, ctx.run_id, FetchConfig.from_settings(ctx.settings))
    sources, earlier = [*sources, *fetched], earlier + failed
    report = await asyncio.to_thread(
        ingest_documents, ctx.company, sources, ctx.settings, set_id=ctx.run_id, kind="run", pre_skipped=earlier
    )
    ctx.manifest.inputs = report.files
    ctx.manifest.skipped = report.skipped
    ctx.manifest.index_fingerprint = report.fingerprint
    ctx.manifest.metrics["upload_size"] = round(report.bytes_total / 1024, 1)  # KB, as the original
    await ctx.files.write_json(
        f"vector_ids/index_{ctx.run_id}.json",
        {
            "run_id": ctx.run_id,
            "index": f"{ctx.company.slug}/{INDEX_FILE}",
            "engine": "sqlite-fts5-bm25",
            "set_id": report.set_id,
            "fingerprint": report.fingerprint,
            "documents": report.documents,
            "chunks": report.chunks,
            "files": report.files,
        },
    )
    if ctx.settings.keep_days is not None:
        await asyncio.to_thread(collect_documents, ctx.company, keep_days=ctx.settings.keep_days)
    if report.documents == 0:
        reasons = "; ".join(f"{s.file}: {s.reason}" for s in report.skipped) or "no files were given"
        raise CasebookError(
            f"no usable documents ({reasons}): give PDF, Word, Excel, PowerPoint, CSV, text or HTML files"
        )


async def step_evidence(ctx: RunContext) -> None:
    if await ctx.files.exists(ctx.work("evidence.json")):
        return

    picking = ctx.model_set.evidence_from == "passages"
    limit, chars = ctx.settings.evidence_passages, ctx.settings.passage_chars

    def gather(index: PassageIndex) -> tuple[list[Passage], dict[str, str]]:
        gather_from = gather_pool if picking else gather_passages  # a larger pool, `limit` of it kept
        passages = gather_from(index, ctx.submission, limit, chars)
        return passages, {p.source_id: chunk.text for p in passages if (chunk := index.chunk(p.chunk_id)) is not None}

    passages, full = await ctx.with_documents(gather)
    if picking:
        evidence = evidence_from_passages(
            passages,
            full,
            limit=limit,
            chars=chars,
            themes=picked_themes(ctx.settings.evidence_themes, ctx.submission.use_cases_count),
            facts=ctx.settings.evidence_facts,
        )
    else:
        evidence = await extract_evidence(
            ctx.llm,
            ctx.model_set.for_step("evidence"),
            ctx.submission,
            passages,
            await ctx.tone(),
            themes=ctx.settings.evidence_themes,
            facts=ctx.settings.evidence_facts,
            full_texts=full,
        )
    await ctx.files.write_text(ctx.work("evidence.json"), evidence.model_dump_json(indent=2))
    evidence_metrics(ctx, evidence)


def evidence_metrics(ctx: RunContext, evidence: Evidence) -> None:
    kept = sum(len(t.items) for t in evidence.themes)
    ctx.manifest.metrics["evidence_items_total"] = kept + len(evidence.dropped)
    ctx.manifest.metrics["evidence_items_dropped"] = len(evidence.dropped)


async def load_evidence(ctx: RunContext) -> Evidence:
    return Evidence.model_validate_json(await ctx.files.read_bytes(ctx.work("evidence.json")))


async def load_use_cases(ctx: RunContext) -> list[UseCase]:
    return [UseCase.model_validate(u) for u in await ctx.files.read_json(ctx.work("use_cases.json"))]


class StepJournal:
    """A step's answers kept one file each under `runs/<run>/<folder>/`, written as they arrive:
    a step that runs again replays them instead of asking the model again."""

    def __init__(self, ctx: RunContext, folder: str) -> None:
        self.files, self.folder = ctx.files, ctx.work(folder)

    async def get(self, key: str) -> Any | None:
        path = f"{self.folder}/{key}.json"
        return await self.files.read_json(path) if await self.files.exists(path) else None

    async def put(self, key: str, value: Any) -> None:
        await self.files.write_json(f"{self.folder}/{key}.json", value)


async def step_use_cases(ctx: RunContext) -> None:
    """The use cases; with `review_use_cases`, the run then waits (awaiting_review) until a
    person approves them, edited or not (casebook.runs.review)."""
    if await ctx.files.exists(ctx.work("use_cases.json")):
        use_cases = await load_use_cases(ctx)
    else:
        state = ctx.manifest.steps["use_cases"]

        async def progress(text: str) -> None:
            state.progress = text
            await ctx.publish()

        result = await generate_use_cases(
            ctx.llm,
            ctx.model_set.for_step("use_cases"),
            ctx.submission,
            await load_evidence(ctx),
            await ctx.tone(),
            per_call=ctx.model_set.use_cases_per_call,
            # one round for a small model writing one use case a call: each round is N more slow
            # calls inside the step's time limit (CASEBOOK_STEP_TIMEOUT_S)
            rounds=1 if ctx.model_set.use_cases_per_call == 1 else REGENERATION_ROUNDS,
            journal=StepJournal(ctx, "use_cases"),
            progress=progress,
            details=ctx.model_set.use_case_details,
        )
        use_cases = result.use_cases
        await ctx.files.write_json(ctx.work("use_cases.json"), [u.model_dump() for u in use_cases])
        ctx.manifest.metrics["use_cases_regenerated"] = result.regenerated
        ctx.manifest.metrics["use_case_titles_asked"] = result.titles_asked
        ctx.manifest.set_findings(
            "use_cases",
            [
                QualityFinding(step="use_cases", kind=f.kind, message=message)
                for f, message in zip(result.remaining, result.describe_remaining(), strict=True)
            ],
        )
    ctx.manifest.metrics["use_cases_count"] = len(use_cases)
    if ctx.submission.review_use_cases and not ctx.manifest.approved(USE_CASES_GATE):
        open_use_case_gate(ctx.manifest, len(use_cases))


async def step_part_a(ctx: RunContext) -> None:
    target = f"part_a/report_draft_{ctx.run_id}.md"
    if await ctx.files.exists(target):
        ctx.manifest.metrics["part_a_length"] = len((await ctx.files.read_text(target)).removesuffix("\n"))
        return
    evidence, use_cases = await load_evidence(ctx), await load_use_cases(ctx)
    if ctx.model_set.part_a_from == "evidence":  # the pipeline's, no call
        problems: list[str] = []
        text = fill_empty_sections("", evidence, ctx.submission, use_cases)
        ctx.manifest.metrics["part_a_sections_by_pipeline"] = len(SECTIONS)
    else:
        text, problems = await _model_part_a(ctx, evidence, use_cases)
    ctx.manifest.set_findings(
        "part_a",
        [QualityFinding(step="part_a", kind="copied_text", message=p) for p in problems],
    )
    await ctx.files.write_text(target, text + "\n")
    ctx.manifest.metrics["part_a_length"] = len(text)


async def _model_part_a(ctx: RunContext, evidence: Evidence, use_cases: list[UseCase]) -> tuple[str, list[str]]:
    """The model's Part A, checked, its uncited statements linked, its empty sections filled; and
    what remains wrong with it."""
    model = ctx.model_set.for_step("part_a")
    tone = await ctx.tone()
    first, retry = ctx.work("part_a.md"), ctx.work("part_a.retry.md")
    text, problems = await _checked_answer(
        ctx,
        "part_a",
        (first, retry),
        lambda rejected: write_part_a(
            ctx.llm,
            model,
            ctx.submission,
            evidence,
            use_cases,
            tone,
            rejected=rejected,
            passages=ctx.model_set.evidence_from != "passages",
            prose_chars=ctx.model_set.prose_chars,
        ),
        lambda answer: part_a_problems(answer, ctx.submission),
    )
    text, emptied = without_copied_sections(text, ctx.submission)
    if emptied:  # asked twice and still the intake form's words: written from the evidence instead
        problems = [p for p in problems if "the intake form" not in p]
        ctx.manifest.metrics["part_a_sections_by_pipeline"] = len(emptied)
    # what the model stated without a citation: cited where a passage supports it, dropped where
    # it is a share or amount no passage holds (`casebook.steps.linking`)
    linked = link_uncited(text, await passage_texts(ctx, evidence), render_submission(ctx.submission))
    ctx.manifest.metrics["part_a_sentences_cited_by_pipeline"] = len(linked.cited)
    ctx.manifest.metrics["part_a_sentences_dropped"] = len(linked.dropped)
    return fill_empty_sections(linked.markdown, evidence, ctx.submission, use_cases), problems


async def step_part_b(ctx: RunContext) -> None:
    target = f"part_b/report_enhanced_{ctx.run_id}.md"
    if await ctx.files.exists(target):
        return
    evidence, use_cases = await load_evidence(ctx), await load_use_cases(ctx)
    limit = asyncio.Semaphore(ctx.settings.part_b_concurrency)
    state = ctx.manifest.steps["part_b"]
    # sections of older versions: by position, for an unedited list
    numbered = not await asyncio.to_thread(edited, ctx.company, ctx.run_id)
    paths = await asyncio.to_thread(
        lambda: [_section_path(ctx, i, uc, numbered) for i, uc in enumerate(use_cases, start=1)]
    )
    done = sum([await ctx.files.exists(p) for p in paths])
    texts = await passage_texts(ctx, evidence) if ctx.model_set.part_b_from != "use_cases" else {}

    async def one(number: int, use_case: UseCase) -> None:
        nonlocal done
        path = paths[number - 1]
        if await ctx.files.exists(path):
            return
        if ctx.model_set.part_b_from == "use_cases":
            text = section_from_use_case(use_case, number)
        else:
            async with limit:
                text = await write_use_case_section(
                    ctx.llm,
                    ctx.model_set.for_step("part_b"),
                    ctx.submission,
                    use_case,
                    number,
                    evidence,
                    await ctx.tone(),
                    ctx.settings.part_b_passages,
                    texts=texts,
                )
        await ctx.files.write_text(path, text)
        done += 1
        state.progress = f"{done}/{len(use_cases)}"
        await ctx.publish()

    state.progress = f"{done}/{len(use_cases)}"
    results = await asyncio.gather(*(one(i, uc) for i, uc in enumerate(use_cases, start=1)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:  # the sections that finished are kept; a resume writes only the rest
        raise next((e for e in errors if isinstance(e, BudgetExceeded)), errors[0])
    sections = [
        number_section(await ctx.files.read_text(path), number, use_case.title)
        for number, (path, use_case) in enumerate(zip(paths, use_cases, strict=True), start=1)
    ]
    await ctx.files.write_text(target, assemble_part_b(sections))


async def passage_texts(ctx: RunContext, evidence: Evidence) -> dict[str, str]:
    """The run's passages in full, as the citation check reads them (each id resolved to its
    indexed chunk; the evidence holds the part a model was shown), for `link_uncited`: a
    citation it adds is then one the check finds supported."""

    def read(index: PassageIndex) -> dict[str, str]:
        chunks = {p.source_id: index.chunk(p.chunk_id) for p in evidence.passages}
        return {p.source_id: (c.text if (c := chunks[p.source_id]) is not None else p.text) for p in evidence.passages}

    return await ctx.with_documents(read)


def _section_path(ctx: RunContext, number: int, use_case: UseCase, numbered: bool) -> str:
    """A use case's Part B section is kept under a hash of the use case, so that only the use
    cases an edit changed are written again (a reorder writes none)."""
    legacy = ctx.work(f"part_b/{number:02d}.md")
    if numbered and ctx.company.exists(legacy):
        return legacy
    return ctx.work(f"part_b/{use_case_key(use_case)}.md")


async def step_consolidate(ctx: RunContext) -> None:
    if await ctx.files.exists(ctx.work("report.md")):
        return
    part_a = await ctx.files.read_text(f"part_a/report_draft_{ctx.run_id}.md")
    part_b = await ctx.files.read_text(f"part_b/report_enhanced_{ctx.run_id}.md")
    use_cases = await load_use_cases(ctx)
    summary = await _summary(ctx, part_a, use_cases)
    if ctx.model_set.has_step("style"):
        if await ctx.files.exists(ctx.work("summary.styled.md")):
            summary = await ctx.files.read_text(ctx.work("summary.styled.md"))
        else:
            summary = await style_pass(ctx.llm, ctx.model_set.for_step("style"), summary, await ctx.tone())
            await ctx.files.write_text(ctx.work("summary.styled.md"), summary)
    if ctx.model_set.summary_from != "use_cases":  # the model's words: its uncited statements cited or dropped
        texts = await passage_texts(ctx, await load_evidence(ctx))
        linked = link_uncited(summary, texts, render_submission(ctx.submission))
        summary = linked.markdown
        ctx.manifest.metrics["summary_sentences_cited_by_pipeline"] = len(linked.cited)
        ctx.manifest.metrics["summary_sentences_dropped"] = len(linked.dropped)
    summary = ensure_recommendations(summary, use_cases)
    report = assemble_report(
        submission=ctx.submission,
        run_id=ctx.run_id,
        created=ctx.manifest.created,
        summary=summary,
        part_a=part_a,
        part_b=part_b,
        use_cases=use_cases,
    )
    await ctx.files.write_text(ctx.work("report.md"), report)


async def _summary(ctx: RunContext, part_a: str, use_cases: list[UseCase]) -> str:
    """The executive summary and recommendations; one that copies Part A or the intake form, or
    has no recommendations, is asked for once more with the reasons. Each answer is kept
    (summary.md, summary.retry.md), so a resumed step asks for neither again."""
    if ctx.model_set.summary_from == "use_cases":
        ctx.manifest.metrics["summary_by_pipeline"] = 1
        return pipeline_summary("", ctx.submission, use_cases)  # its recommendations come next
    model = ctx.model_set.for_step("consolidate")
    first, retry = ctx.work("summary.md"), ctx.work("summary.retry.md")
    tone = await ctx.tone()
    summary, problems = await _checked_answer(
        ctx,
        "consolidate",
        (first, retry),
        lambda rejected: consolidate(
            ctx.llm,
            model,
            ctx.submission,
            part_a,
            use_cases,
            tone,
            rejected=rejected,
            prose_chars=ctx.model_set.prose_chars,
        ),
        lambda answer: summary_problems(answer, part_a, ctx.submission),
    )
    ctx.manifest.metrics["summary_regenerated"] = int(await ctx.files.exists(retry))
    if any(p.startswith(SHORT_SUMMARY) for p in problems):  # asked twice, still no summary: the pipeline's
        summary = pipeline_summary(summary, ctx.submission, use_cases)
        problems = [p for p in problems if not p.startswith(SHORT_SUMMARY)]
        ctx.manifest.metrics["summary_by_pipeline"] = 1
    remaining = [p for p in problems if "Recommendations" not in p]  # the pipeline writes those itself
    ctx.manifest.set_findings(
        "consolidate",
        [
            QualityFinding(step="consolidate", kind="copied_text" if "word for word" in p else "summary", message=p)
            for p in remaining
        ],
    )
    return summary


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


STEP_FUNCS: dict[str, StepFunc] = {
    "ingest": step_ingest,
    "evidence": step_evidence,
    "use_cases": step_use_cases,
    "part_a": step_part_a,
    "part_b": step_part_b,
    "consolidate": step_consolidate,
    "verify": step_verify,
    "finalize": step_finalize,
    "review": step_review,
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
    ("review",),
    ("deliver",),
)


async def _checked_answer(
    ctx: RunContext,
    step: str,
    paths: tuple[str, str],
    ask: Callable[[tuple[str, list[str]] | None], Awaitable[str]],
    problems_of: Callable[[str], list[str]],
) -> tuple[str, list[str]]:
    """A model's answer and what is still wrong with it. An answer with problems is asked for
    once more, with the reasons, and the better of the two is kept. Each answer is stored as it
    arrives (paths: first, retry), so a resumed step asks for neither again."""
    first, retry = paths
    if await ctx.files.exists(first):
        text = await ctx.files.read_text(first)
    else:
        text = await ask(None)
        await ctx.files.write_text(first, text)
    problems = problems_of(text)
    if not problems:
        return text, problems
    if await ctx.files.exists(retry):
        again = await ctx.files.read_text(retry)
    else:
        get_logger().warning(f"{step}: asking once more: " + "; ".join(problems))
        again = await ask((text, problems))
        await ctx.files.write_text(retry, again)
    still = problems_of(again)
    return (again, still) if len(still) <= len(problems) else (text, problems)
