"""The Part A step: company context, readiness assessment and themes, written by the model from
the evidence and the use cases, or by the pipeline from the evidence alone."""

from __future__ import annotations

from casebook.models import Evidence, QualityFinding, UseCase
from casebook.runs.context import RunContext
from casebook.runs.stages.answers import _checked_answer, passage_texts
from casebook.runs.stages.artifacts import load_evidence, load_use_cases
from casebook.steps import write_part_a
from casebook.steps.linking import link_uncited
from casebook.steps.part_a import SECTIONS, fill_empty_sections, part_a_problems, without_copied_sections
from casebook.steps.prompts import render_submission


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
