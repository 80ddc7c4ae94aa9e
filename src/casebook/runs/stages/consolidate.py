"""The consolidate step: the executive summary and recommendations, and the report assembled
around Part A and Part B."""

from __future__ import annotations

from casebook.models import QualityFinding, UseCase
from casebook.runs.context import RunContext
from casebook.runs.stages.answers import _checked_answer, passage_texts
from casebook.runs.stages.artifacts import load_evidence, load_use_cases
from casebook.steps import assemble_report, consolidate, style_pass
from casebook.steps.consolidate import SHORT_SUMMARY, ensure_recommendations, pipeline_summary, summary_problems
from casebook.steps.linking import link_uncited
from casebook.steps.prompts import render_submission


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
